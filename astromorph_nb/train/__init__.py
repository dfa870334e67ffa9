"""The training loop, its hooks and background runs (train layer).

``Trainer`` is synchronous and display-free; ``TrainingJob`` runs it in one background
thread; callbacks record losses, save checkpoints, show progress and measure the embedding
while it trains (``QualityMonitor``: effective rank, spread, neighbour change). The
trainer's parts have modules of their own: ``device.py`` (where and in which memory layout
it runs), ``optimizers.py``, ``_guards.py`` (a step that runs out of memory or goes
non-finite), ``process_group.py`` and ``distributed.py`` (``torchrun``).

Names load on first use (see ``_lazy.py``), so a module that needs only the settings or the
loss history does not load the trainer and the augmentations.
"""

from typing import TYPE_CHECKING

from astromorph_nb._lazy import attach

__getattr__, __dir__ = attach(
    __name__,
    {
        "CheckpointEvery": "astromorph_nb.train.callbacks",
        "ConsoleProgress": "astromorph_nb.train.callbacks",
        "LossHistory": "astromorph_nb.train.callbacks",
        "QualityHistory": "astromorph_nb.train.quality",
        "QualityMonitor": "astromorph_nb.train.quality",
        "Trainer": "astromorph_nb.train.trainer",
        "TrainingConfig": "astromorph_nb.train.config",
        "effective_rank": "astromorph_nb.train.quality_measures",
        "embedding_spread": "astromorph_nb.train.quality_measures",
        "knn_accuracy": "astromorph_nb.train.quality_measures",
        "neighbor_change": "astromorph_nb.train.quality_measures",
    },
)

if TYPE_CHECKING:
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
