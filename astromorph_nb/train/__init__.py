"""The training loop, its hooks and background runs (train layer).

``Trainer`` is synchronous and display-free; ``TrainingJob`` runs it in one background
thread; callbacks record losses, save checkpoints and show progress.
"""

from astromorph_nb.train.callbacks import CheckpointEvery, ConsoleProgress, LossHistory
from astromorph_nb.train.config import TrainingConfig
from astromorph_nb.train.trainer import Trainer

__all__ = ["CheckpointEvery", "ConsoleProgress", "LossHistory", "Trainer", "TrainingConfig"]
