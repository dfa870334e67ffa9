"""LARS, the layer-wise adaptive optimiser BYOL used for large batches (train layer)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["LARS"]


class LARS(torch.optim.Optimizer):
    """SGD with momentum and a per-layer trust ratio (You et al. 2017), as in BYOL.

    Biases and normalisation parameters (1-D tensors) get neither weight decay nor the
    trust ratio, as in Grill et al. (2020), appendix C.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters to optimise.
    lr : float
        Learning rate.
    momentum : float, default=0.9
        Heavy-ball momentum.
    weight_decay : float, default=1e-6
        L2 weight decay on weight matrices and kernels.
    trust_coefficient : float, default=1e-3
        η in the trust ratio ``η ‖w‖ / ‖g + λw‖``.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float,
        *,
        momentum: float = 0.9,
        weight_decay: float = 1e-6,
        trust_coefficient: float = 1e-3,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "trust_coefficient": trust_coefficient,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[no-untyped-def]
        """Take one optimisation step."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad
                if param.ndim > 1:
                    grad = grad.add(param, alpha=group["weight_decay"])
                    param_norm, grad_norm = torch.linalg.norm(param), torch.linalg.norm(grad)
                    ratio = torch.where(
                        (param_norm > 0) & (grad_norm > 0),
                        group["trust_coefficient"] * param_norm / grad_norm,
                        torch.ones_like(param_norm),
                    )
                    grad = grad.mul(ratio)
                state = self.state[param]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.clone(grad).detach()
                else:
                    state["momentum_buffer"].mul_(group["momentum"]).add_(grad)
                param.add_(state["momentum_buffer"], alpha=-group["lr"])
        return loss
