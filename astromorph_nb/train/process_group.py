"""Joining and leaving torchrun's process group, and where a process sits in it (train layer).

:func:`init_distributed` reads torchrun's variables (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``) and joins the group, NCCL on CUDA GPUs and gloo on CPUs;
:func:`current_context` describes the running group as a :class:`DistributedContext`;
:func:`shutdown_distributed` leaves it. How training uses the group is described in
:mod:`astromorph_nb.train.distributed`.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import os
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = [
    "DistributedContext",
    "current_context",
    "init_distributed",
    "is_launched_distributed",
    "shutdown_distributed",
]

_ENV_HELP = (
    "These variables are set by torchrun; launch with "
    "'torchrun --nproc_per_node=N -m astromorph_nb train CONFIG.toml'."
)


@dataclass(frozen=True)
class DistributedContext:
    """Where this process sits in a multi-process run.

    Attributes
    ----------
    rank : int
        This process's number, 0 to ``world_size - 1``; rank 0 writes the outputs.
    world_size : int
        Number of processes (at least 2; a single process is not distributed).
    local_rank : int
        Number of this process on its machine; it picks the GPU.
    backend : str
        ``"nccl"`` (CUDA GPUs) or ``"gloo"`` (CPUs).
    """

    rank: int
    world_size: int
    local_rank: int
    backend: str

    @property
    def is_main(self) -> bool:
        """True on rank 0, the process that writes files and prints."""
        return self.rank == 0

    @property
    def collective_device(self) -> torch.device:
        """Where small tensors for collectives must live (NCCL needs them on the GPU)."""
        if self.backend == "nccl":
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")


def _env_int(environ: Mapping[str, str], name: str, minimum: int) -> int:
    text = environ[name]
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        msg = (
            f"The environment variable {name} must be an int >= {minimum}; got {text!r}. "
            f"{_ENV_HELP}"
        )
        raise ValueError(msg)
    return value


def _environment(environ: Mapping[str, str]) -> tuple[int, int, int]:
    """Return ``(rank, world_size, local_rank)`` from torchrun's variables, validated."""
    world_size = _env_int(environ, "WORLD_SIZE", 1)
    rank = _env_int(environ, "RANK", 0)
    local_rank = _env_int(environ, "LOCAL_RANK", 0) if "LOCAL_RANK" in environ else rank
    if rank >= world_size:
        msg = (
            f"The environment variable RANK must be below WORLD_SIZE={world_size}; got "
            f"RANK={rank}. {_ENV_HELP}"
        )
        raise ValueError(msg)
    return rank, world_size, local_rank


def is_launched_distributed(environ: Mapping[str, str] | None = None) -> bool:
    """Return True when this process was started by torchrun with more than one process.

    Examples
    --------
    >>> is_launched_distributed({"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0"})
    True
    >>> is_launched_distributed({})
    False
    """
    env = os.environ if environ is None else environ
    if "RANK" not in env or "WORLD_SIZE" not in env:
        return False
    return _environment(env)[1] > 1


def _training_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device in ("cpu", "cuda"):
        if device == "cuda" and not torch.cuda.is_available():
            msg = "device='cuda' was asked for, but PyTorch sees no CUDA GPU. Use device='auto'."
            raise ValueError(msg)
        return torch.device(device)
    msg = (
        f"Distributed training runs on CUDA GPUs (nccl) or CPUs (gloo); got device={device!r}. "
        "Set device to 'auto', 'cuda' or 'cpu'."
    )
    raise ValueError(msg)


def init_distributed(
    device: str = "auto",
    *,
    timeout_s: float = 1800.0,
    environ: Mapping[str, str] | None = None,
) -> DistributedContext | None:
    """Join the process group that torchrun announced; return None when there is none.

    Parameters
    ----------
    device : {"auto", "cuda", "cpu"}, default="auto"
        ``"auto"`` trains on GPUs when PyTorch sees one (NCCL) and on CPUs otherwise (gloo).
        On GPUs, process ``LOCAL_RANK`` takes GPU ``LOCAL_RANK`` of its machine.
    timeout_s : float, default=1800.0
        How long a collective may wait for the other processes before failing.
    environ : mapping, optional
        The environment to read (default ``os.environ``).

    Returns
    -------
    DistributedContext or None
        None when the process was not started by torchrun or is the only one.

    Raises
    ------
    ValueError
        For malformed torchrun variables, a device that cannot be shared (MPS), or more
        processes on this machine than it has GPUs.
    """
    env = os.environ if environ is None else environ
    if not is_launched_distributed(env):
        return None
    rank, world_size, local_rank = _environment(env)
    if dist.is_initialized():
        return current_context()
    target = _training_device(device)
    backend = "gloo"
    if target.type == "cuda":
        n_gpus = torch.cuda.device_count()
        if local_rank >= n_gpus:
            msg = (
                f"Process {rank} has LOCAL_RANK={local_rank}, but this machine has {n_gpus} "
                f"GPU(s). Start at most {n_gpus} processes per machine "
                f"(torchrun --nproc_per_node={n_gpus})."
            )
            raise ValueError(msg)
        torch.cuda.set_device(local_rank)
        backend = "nccl"
    dist.init_process_group(
        backend,
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(seconds=timeout_s),
    )
    return DistributedContext(rank, world_size, local_rank, backend)


def current_context() -> DistributedContext | None:
    """Return the running process group as a context, or None for a single process."""
    if not (dist.is_available() and dist.is_initialized()):
        return None
    world_size = dist.get_world_size()
    if world_size < 2:
        return None
    rank = dist.get_rank()
    local_text = os.environ.get("LOCAL_RANK", "")
    local_rank = int(local_text) if local_text.isdigit() else rank
    return DistributedContext(rank, world_size, local_rank, str(dist.get_backend()))


def shutdown_distributed(*, synchronize: bool = False) -> None:
    """Leave the process group (if any), in order; safe to call more than once.

    Parameters
    ----------
    synchronize : bool, default=False
        First wait until every rank has arrived here (a barrier): pass True after a run
        that ended normally on this rank, so that no rank closes its connections while
        another may still use them. A barrier that fails (another rank ended in an error
        and left) is ignored; that rank reports its own error.

    Notes
    -----
    Objects that hold the process group (DDP's reducer, pending work of a collective) are
    garbage-collected before the group is destroyed, while the interpreter is fully alive.
    Left to interpreter exit, gloo's worker threads may still release tensors that need the
    GIL, and a thread that takes the GIL during finalisation is ended by Python in a way
    C++ cannot unwind: the process aborts with "terminate called without an active
    exception" after training had finished.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if synchronize and dist.get_world_size() > 1:
        with contextlib.suppress(RuntimeError):  # DistBackendError derives from it
            dist.barrier()
    gc.collect()
    dist.destroy_process_group()
    gc.collect()  # the group's own objects, now unreferenced, go while Python is alive
