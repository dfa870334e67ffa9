"""RunConfig: the checked settings of one ``astromorph-nb train`` run (cli layer).

:func:`astromorph_nb.cli.config.load_run_config` reads them from a TOML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from astromorph_nb.train.config import TrainingConfig

__all__ = ["EXPORT_FORMATS", "SYNC_BATCHNORM", "RunConfig"]

#: Table formats ``[output] export`` may list (file endings of ``Session.export``).
EXPORT_FORMATS = ("csv", "ecsv", "fits", "parquet")
#: Values of ``[distributed] sync_batchnorm``.
SYNC_BATCHNORM = ("all", "heads")


@dataclass(frozen=True)
class RunConfig:
    """Everything one ``astromorph-nb train`` run needs, validated.

    Attributes
    ----------
    source : tuple of str
        What :func:`~astromorph_nb.read_fits` reads.
    read_options : dict
        The other ``read_fits`` keywords.
    encoder : str
        ``"default"`` or a name for :func:`~astromorph_nb.model.build_encoder`.
    pretrained : bool
        Start the default model from the shipped weights.
    projection_size, projection_hidden_size : int or None
        BYOL head sizes for a named encoder (None: BYOL's defaults).
    augment_settings : dict
        Keywords of :func:`~astromorph_nb.augment.default_augmentations`.
    training : TrainingConfig
        Training settings (``device`` and ``random_state`` go to the session).
    n_cpu_threads : int or None
        ``torch.set_num_threads`` value; None leaves PyTorch's choice.
    sync_batchnorm : {"heads", "all"}
        Which BatchNorm layers are synchronised across processes under torchrun.
    output : pathlib.Path
        The session folder to write.
    export_formats : tuple of str
        Tables to write next to it, as ``<output>.<format>``.
    analyse : bool
        Compute the t-SNE map, anomaly scores and clusters before saving.
    checkpoint_every_epochs : int
        Save ``<output>.checkpoint.pt`` every this many epochs (0: never).
    layout : {"ours", "seed"}
        Which layout the file used.
    """

    source: tuple[str, ...]
    read_options: dict[str, Any] = field(default_factory=dict)
    encoder: str = "default"
    pretrained: bool = True
    projection_size: int | None = None
    projection_hidden_size: int | None = None
    augment_settings: dict[str, Any] = field(default_factory=dict)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    n_cpu_threads: int | None = None
    sync_batchnorm: str = "heads"
    output: Path = Path("runs/run")
    export_formats: tuple[str, ...] = ()
    analyse: bool = True
    checkpoint_every_epochs: int = 0
    layout: str = "ours"

    def export_paths(self) -> list[Path]:
        """Files that ``export_formats`` name: ``<output>.<format>`` for each."""
        return [self.output.with_name(f"{self.output.name}.{fmt}") for fmt in self.export_formats]

    @property
    def checkpoint_path(self) -> Path:
        """Where checkpoints go: ``<output>.checkpoint.pt``."""
        return self.output.with_name(f"{self.output.name}.checkpoint.pt")

    def training_options(self) -> dict[str, Any]:
        """Keywords for ``Session.train``: the TrainingConfig fields the session does not set."""
        options = self.training.to_dict()
        for name in ("device", "random_state"):
            options.pop(name)
        return options
