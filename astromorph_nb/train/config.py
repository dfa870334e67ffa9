"""TrainingConfig: every training setting in one validated, frozen record (train layer)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from astromorph_nb._validation import check_choice, check_positive_int, is_finite_real

__all__ = ["OPTIMIZERS", "TrainingConfig"]

OPTIMIZERS = ("adamw", "lars")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")
MEMORY_FORMATS = ("auto", "channels_last", "contiguous")


def _check_number(value: Any, name: str, *, low: float, high: float, low_open: bool) -> float:
    ok = is_finite_real(value)
    if ok:
        ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        msg = (
            f"The {name!r} parameter of TrainingConfig must be a number in "
            f"{bracket}{low}, {high}]; got {value!r}."
        )
        raise ValueError(msg)
    return float(value)


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of one training run; checked when created, saved with every checkpoint.

    Parameters
    ----------
    n_epochs : int, default=100
        Passes over the image set. Training also ends at ``max_time_s`` if that comes first.
    batch_size : int, default=128
        Images per step (each gives two views, so the encoder sees ``2 × batch_size``).
    learning_rate : float, default=5e-3
        Peak learning rate, reached after the warm-up. Tuned for the default model with
        AdamW (2e-3 and 1e-2 both scored lower; see benchmarks/RESULTS.md); lower it for
        large encoders such as full ResNets.
    predictor_learning_rate_scale : float, default=1.0
        The predictor's learning rate is ``learning_rate`` times this. A faster predictor
        keeps up with the moving target (SimSiam, Chen & He 2021, §4.4; DirectPred, Tian
        et al. 2021).
    weight_decay : float, default=1e-4
        Decoupled weight decay (AdamW) or LARS weight decay.
    optimizer : {"adamw", "lars"}, default="adamw"
        AdamW suits the small batches of notebooks and CPUs; LARS is BYOL's choice for very
        large batches on GPUs.
    warmup_fraction : float, default=0.05
        Share of the run over which the learning rate rises linearly from 0.
    momentum : float, default=0.99
        Starting EMA momentum of the target network; it rises to 1 on a cosine.
    grad_clip_norm : float or None, default=3.0
        Clip the gradient norm to this value; None disables clipping.
    max_time_s : float or None, default=None
        Stop after this many seconds. With it, the learning-rate and momentum schedules
        follow elapsed time (so a short budget still anneals fully); runs then repeat only
        approximately.
    device : {"auto", "cpu", "cuda", "mps"}, default="auto"
        ``"auto"`` takes CUDA, then Apple MPS, then the CPU.
    precision : {"auto", "fp32", "bf16"}, default="auto"
        ``"auto"`` uses bfloat16 autocast on CUDA and float32 elsewhere. On a CPU,
        ``"bf16"`` pays off only with AMX matrix units (Intel Sapphire Rapids and later);
        CPUs with only AVX512_BF16 (Intel Cooper Lake, AMD Zen 4) gain less or lose, and
        CPUs without either (most AMD EPYC and older Intel chips) are much slower: 9×
        slower than float32 on an AMD EPYC without AMX. Training warns on a CPU without
        AMX and keeps bfloat16, as asked.
    memory_format : {"auto", "channels_last", "contiguous"}, default="auto"
        Layout of images and weights on the device. ``"auto"`` uses channels-last for models
        with 2-D convolutions, which oneDNN (CPU) and cuDNN convolve faster (1.16-1.29× per
        step on 2 CPU cores; benchmarks/RESULTS.md); ``"contiguous"`` suits custom encoders
        that call ``.view`` on their input.
    compile : bool, default=False
        Wrap the model in ``torch.compile`` (worth it for long GPU runs).
    random_state : int or None, default=None
        Seed for shuffling and augmentations; fix it to make runs repeat.
    """

    n_epochs: int = 100
    batch_size: int = 128
    learning_rate: float = 5e-3
    predictor_learning_rate_scale: float = 1.0
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    warmup_fraction: float = 0.05
    momentum: float = 0.99
    grad_clip_norm: float | None = 3.0
    max_time_s: float | None = None
    device: str = "auto"
    precision: str = "auto"
    memory_format: str = "auto"
    compile: bool = False
    random_state: int | None = None

    def __post_init__(self) -> None:
        where = "TrainingConfig"
        check_positive_int(self.n_epochs, name="n_epochs", where=where)
        check_positive_int(self.batch_size, name="batch_size", where=where)
        _check_number(self.learning_rate, "learning_rate", low=0.0, high=10.0, low_open=True)
        _check_number(
            self.predictor_learning_rate_scale,
            "predictor_learning_rate_scale",
            low=0.0,
            high=1000.0,
            low_open=False,
        )
        _check_number(self.weight_decay, "weight_decay", low=0.0, high=1.0, low_open=False)
        check_choice(self.optimizer, OPTIMIZERS, name="optimizer", where=where)
        _check_number(self.warmup_fraction, "warmup_fraction", low=0.0, high=0.5, low_open=False)
        _check_number(self.momentum, "momentum", low=0.0, high=1.0, low_open=False)
        if self.grad_clip_norm is not None:
            _check_number(self.grad_clip_norm, "grad_clip_norm", low=0.0, high=1e6, low_open=True)
        if self.max_time_s is not None:
            _check_number(self.max_time_s, "max_time_s", low=0.0, high=1e9, low_open=True)
        check_choice(self.device, DEVICES, name="device", where=where)
        check_choice(self.precision, PRECISIONS, name="precision", where=where)
        check_choice(self.memory_format, MEMORY_FORMATS, name="memory_format", where=where)
        if self.random_state is not None:
            check_positive_int(self.random_state, name="random_state", where=where, minimum=0)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python settings, safe for ``torch.load(weights_only=True)`` and TOML."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingConfig:
        """Rebuild a config from :meth:`to_dict`; unknown keys are an error naming them."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            msg = (
                f"Unknown TrainingConfig settings: {', '.join(unknown)}. "
                f"Valid settings: {', '.join(sorted(known))}."
            )
            raise ValueError(msg)
        return cls(**values)
