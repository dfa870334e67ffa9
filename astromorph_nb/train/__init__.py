"""The training loop, its hooks and background runs (train layer).

``Trainer`` is synchronous and display-free; ``TrainingJob`` runs it in one background
thread; callbacks record losses, save checkpoints, show progress and measure the embedding
while it trains (``QualityMonitor``: effective rank, spread, neighbour change).
"""

from astromorph_nb.train.callbacks import CheckpointEvery, ConsoleProgress, LossHistory
from astromorph_nb.train.config import TrainingConfig
from astromorph_nb.train.quality import QualityHistory, QualityMonitor
from astromorph_nb.train.quality_measures import (
    effective_rank,
    embedding_spread,
    knn_accuracy,
    neighbor_change,
)
from astromorph_nb.train.trainer import Trainer

__all__ = [
    "CheckpointEvery",
    "ConsoleProgress",
    "LossHistory",
    "QualityHistory",
    "QualityMonitor",
    "Trainer",
    "TrainingConfig",
    "effective_rank",
    "embedding_spread",
    "knn_accuracy",
    "neighbor_change",
]
