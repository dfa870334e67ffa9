"""The optimiser of a BYOL run and its scheduled step: AdamW or LARS, rate, momentum (train layer).

:func:`make_optimizer` builds the optimiser, with the predictor in its own parameter group
when its learning rate differs; :func:`scheduled_step` sets the learning rate of the
warm-up and cosine decay, steps the optimiser and moves the target network.
"""

from __future__ import annotations

from typing import Any

import torch

from astromorph_nb.model.byol import BYOL, cosine_momentum
from astromorph_nb.train.config import TrainingConfig
from astromorph_nb.train.lars import LARS
from astromorph_nb.train.schedule import learning_rate_factor

__all__ = ["make_optimizer", "scheduled_step"]

_MOMENTUM_GRID = 1_000_000  # progress → cosine_momentum(step, total) at this resolution


def make_optimizer(
    model: BYOL, config: TrainingConfig, device: torch.device
) -> torch.optim.Optimizer:
    """Return the optimiser ``config`` names for the trainable weights of ``model``.

    Parameters
    ----------
    model : BYOL
        The model, already on ``device``.
    config : TrainingConfig
        ``optimizer``, ``learning_rate``, ``weight_decay`` and
        ``predictor_learning_rate_scale``.
    device : torch.device
        Where the model trains (AdamW uses its fused kernel on CPUs and CUDA GPUs).
    """
    # The predictor gets its own group only when its rate differs (checkpoints of one
    # group stay loadable).
    scale = config.predictor_learning_rate_scale
    predictor = model.predictor.parameters() if scale != 1.0 else ()
    separate = [p for p in predictor if p.requires_grad]
    own = {id(p) for p in separate}
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in own]
    groups: list[dict[str, Any]] = [{"params": rest, "lr_scale": 1.0}]
    if separate:
        groups.append({"params": separate, "lr_scale": scale})
    if config.optimizer == "lars":
        return LARS(groups, lr=config.learning_rate, weight_decay=config.weight_decay)
    # The fused kernel updates all tensors in one pass (CPU and CUDA since torch 2.4).
    fused = device.type in ("cpu", "cuda")
    return torch.optim.AdamW(
        groups, lr=config.learning_rate, weight_decay=config.weight_decay, fused=fused
    )


def scheduled_step(
    optimizer: torch.optim.Optimizer, model: BYOL, config: TrainingConfig, progress: float
) -> float:
    """Step ``optimizer`` at the scheduled rate and move the target; return that rate.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        From :func:`make_optimizer`, with the gradients of this step.
    model : BYOL
        Its target network moves by the momentum of the cosine schedule.
    config : TrainingConfig
        ``learning_rate``, ``warmup_fraction`` and ``momentum`` (the schedules' bases).
    progress : float
        How far training has come, from 0 to 1.
    """
    rate = config.learning_rate * learning_rate_factor(progress, config.warmup_fraction)
    for group in optimizer.param_groups:
        group["lr"] = rate * group.get("lr_scale", 1.0)
    optimizer.step()
    grid = round(progress * _MOMENTUM_GRID)
    model.update_target(cosine_momentum(grid, _MOMENTUM_GRID, base=config.momentum))
    return rate
