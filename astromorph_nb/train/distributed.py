"""Data-parallel training over several processes, GPUs or machines with DDP (train layer).

Distributed training
--------------------
One process runs per GPU (or per CPU worker). ``torchrun`` starts them and tells each its
place through environment variables (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``, ``MASTER_PORT``); :func:`init_distributed` reads them and joins the process
group: NCCL on CUDA GPUs, gloo on CPUs. From then on :class:`~astromorph_nb.train.Trainer`
sees the group (:func:`current_context`) and trains data-parallel by itself:

- **Model.** Every rank builds the same model; PyTorch's ``DistributedDataParallel`` (DDP)
  broadcasts rank 0's parameters *and* buffers when it wraps the model, so the online and
  target networks start identical everywhere. The BatchNorm layers of BYOL's heads
  (projector, predictor, target projector) are converted to synchronised BatchNorm, whose
  statistics cover the whole global batch, as BYOL's large-batch recipe has it;
  :func:`convert_batchnorm` can convert the encoders too (``sync_batchnorm = "all"`` in
  the CLI's ``[distributed]`` section).
- **Data.** Each rank holds the image set; the epoch's shuffled order comes from the shared
  seed (rank 0's seed is broadcast when none is given), so it is identical on all ranks,
  and each global batch of ``batch_size`` images is cut into ``world_size`` contiguous
  shards of ``batch_size // world_size`` (:func:`shard_batch`). Every rank augments its
  shard with its own random stream.
- **Target network.** DDP averages the gradients, so every rank takes the same optimiser
  step; the EMA update of the target uses the same momentum everywhere, and DDP broadcasts
  rank 0's buffers before each forward pass. The target therefore stays identical on all
  ranks; after training, rank 0's weights and buffers are broadcast once more.
- **Agreement.** Each step all-reduces one small tensor (:func:`agree_on_step`): the mean
  loss (what is reported and checked for NaN), whether any rank was asked to stop, and the
  mean elapsed time (which drives a ``max_time_s`` schedule). Every rank therefore takes
  the same decisions at the same step; a rank never waits for a collective that the others
  skipped.
- **Output.** Only rank 0 writes: checkpoints, the progress bar, logs, the session folder
  and exports. The others stay quiet (the CLI attaches callbacks on rank 0 only).
  Checkpoints hold the plain model, so they load into a single process; resuming a run
  on several ranks continues rank 0's augmentation stream and reseeds the others.
- **Embeddings.** :func:`~astromorph_nb.analysis.embed.compute_embeddings` (and so
  ``Session.embed``) splits the images into one contiguous block per rank and gathers the
  result on every rank. Under ``torchrun`` every rank must call it, and not while
  training runs in another thread (two threads must not share one process group).

``torch.nn.SyncBatchNorm`` runs only on GPUs (PyTorch 2.14 raises "SyncBatchNorm expected
input tensor to be on GPU" for CPU tensors). On CPUs (gloo) the heads use
:class:`AllReduceBatchNorm` instead: the same statistics, computed from per-rank sums
that are all-reduced in float64, with gradients that flow back through the all-reduce.
It is slower than the fused CUDA kernels, which is why GPUs keep PyTorch's class.

Launching::

    # one machine, 4 GPUs
    torchrun --standalone --nproc_per_node=4 -m astromorph_nb train run.toml

    # two machines with 8 GPUs each: run this on both (node01 is the first machine)
    torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_id=galaxies
             --rdzv_endpoint=node01:29500 -m astromorph_nb train run.toml

    # CPU only (gloo), e.g. to test a configuration
    torchrun --standalone --nproc_per_node=2 -m astromorph_nb train run.toml

On a SLURM cluster, ``examples/slurm_train.sh`` starts one ``torchrun`` per node with
``srun`` and uses the first node of the allocation as the rendezvous endpoint.

``batch_size`` in the configuration is the *global* batch: with 4 GPUs and
``batch_size = 512`` each GPU takes 128 images per step, and the run takes the same number
of steps as on one GPU.

Joining and leaving the process group is :mod:`astromorph_nb.train.process_group`; this
module holds what training does within it, and offers both under one name.
"""

from __future__ import annotations

import threading
import warnings

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from astromorph_nb.exceptions import AstromorphWarning
from astromorph_nb.train.process_group import (
    DistributedContext,
    current_context,
    init_distributed,
    is_launched_distributed,
    shutdown_distributed,
)
from astromorph_nb.train.sync_batchnorm import AllReduceBatchNorm, convert_batchnorm

__all__ = [
    "AllReduceBatchNorm",
    "DistributedContext",
    "StepAgreement",
    "agree_on_step",
    "all_ranks_agree",
    "broadcast_seed",
    "broadcast_state",
    "check_batch_size",
    "convert_batchnorm",
    "current_context",
    "init_distributed",
    "is_launched_distributed",
    "rank_seed",
    "shard_batch",
    "shutdown_distributed",
    "wrap_model",
]

#: Distance between the augmentation seeds of neighbouring ranks.
_RANK_SEED_STRIDE = 1_000_003


def all_ranks_agree(ok: bool, context: DistributedContext) -> bool:
    """Return True on every rank if ``ok`` is True on every rank (one small all-reduce).

    A check that only one rank makes (rank 0 looks at the output folder) thus stops all of
    them at the same point, instead of leaving the others waiting in a collective.
    """
    flag = torch.tensor([1.0 if ok else 0.0], device=context.collective_device)
    dist.all_reduce(flag, op=dist.ReduceOp.MIN)
    return bool(flag.item() > 0)


def rank_seed(seed: int, rank: int) -> int:
    """Return the seed of ``rank``'s random stream; rank 0 keeps ``seed`` itself.

    Examples
    --------
    >>> rank_seed(7, 0), rank_seed(7, 2)
    (7, 2000013)
    """
    return int(seed) + _RANK_SEED_STRIDE * int(rank)


def broadcast_seed(seed: int, context: DistributedContext) -> int:
    """Return rank 0's ``seed`` on every rank."""
    value = torch.tensor([int(seed)], dtype=torch.int64, device=context.collective_device)
    dist.broadcast(value, src=0)
    return int(value.item())


def shard_batch(indices: Tensor, context: DistributedContext | None) -> Tensor:
    """Return this rank's contiguous share of a global batch of image indices.

    Each rank gets ``len(indices) // world_size`` indices; a remainder is left out.

    Examples
    --------
    >>> import torch
    >>> shard_batch(torch.arange(8), DistributedContext(1, 4, 1, "gloo"))
    tensor([2, 3])
    """
    if context is None:
        return indices
    per_rank = len(indices) // context.world_size
    start = context.rank * per_rank
    return indices[start : start + per_rank]


def check_batch_size(batch_size: int, context: DistributedContext) -> None:
    """Refuse global batches smaller than the number of ranks; warn about remainders."""
    world_size = context.world_size
    if batch_size < world_size:
        msg = (
            f"The batch size ({batch_size} images per step) is smaller than the number of "
            f"processes ({world_size}), so some would get no images. Expected a batch_size "
            f"of at least {world_size}; use a multiple of {world_size}."
        )
        raise ValueError(msg)
    if batch_size % world_size and context.is_main:
        used = batch_size // world_size * world_size
        msg = (
            f"batch_size={batch_size} is not a multiple of the {world_size} processes; each "
            f"step uses {used} images ({used // world_size} per process)."
        )
        warnings.warn(msg, AstromorphWarning, stacklevel=3)


def agree_on_step(
    loss: Tensor, *, stop_requested: bool, elapsed_s: float, context: DistributedContext
) -> tuple[float, bool, float]:
    """All-reduce one step's facts so that every rank decides alike.

    Parameters
    ----------
    loss : Tensor of shape ()
        This rank's loss on its shard.
    stop_requested : bool
        Whether this rank was asked to stop.
    elapsed_s : float
        This rank's training time so far.
    context : DistributedContext
        The process group.

    Returns
    -------
    mean_loss : float
        The loss averaged over ranks (the global batch's loss, for equal shards).
    stop : bool
        True if any rank was asked to stop.
    elapsed_s : float
        The elapsed time averaged over ranks.
    """
    facts = torch.stack(
        [
            loss.detach().to(torch.float64).reshape(()),
            torch.tensor(float(stop_requested), dtype=torch.float64, device=loss.device),
            torch.tensor(float(elapsed_s), dtype=torch.float64, device=loss.device),
        ]
    ).to(context.collective_device)
    dist.all_reduce(facts)
    total_loss, n_stop, total_elapsed = facts.tolist()
    world_size = context.world_size
    return total_loss / world_size, n_stop > 0, total_elapsed / world_size


class StepAgreement:
    """What the ranks of one run agreed at the latest step: to stop, and the time trained.

    Every rank must stop at the same step, so the training loop watches :attr:`stop`, an
    event that is set when the ranks agree, rather than this rank's own stop request.

    Parameters
    ----------
    context : DistributedContext
        The process group.
    stop_request : threading.Event or None
        This rank's request to stop (the user's ``stop_event``).
    elapsed_s : float
        Training time before this run (of the runs it resumes).
    """

    def __init__(
        self, context: DistributedContext, stop_request: threading.Event | None, elapsed_s: float
    ) -> None:
        self.context = context
        self.stop_request = stop_request
        self.stop = threading.Event()
        self.elapsed_s = elapsed_s

    def loss_value(self, loss: Tensor, elapsed_s: float) -> float:
        """Return the loss averaged over ranks; record whether to stop and the mean time."""
        request = self.stop_request
        value, stop, self.elapsed_s = agree_on_step(
            loss,
            stop_requested=request is not None and request.is_set(),
            elapsed_s=elapsed_s,
            context=self.context,
        )
        if stop:
            self.stop.set()
        return value


@torch.no_grad()
def broadcast_state(module: nn.Module) -> None:
    """Copy rank 0's parameters and buffers into ``module`` on every rank."""
    for tensor in module.state_dict().values():
        dist.broadcast(tensor, src=0)


def wrap_model(model: nn.Module, device: torch.device) -> DistributedDataParallel:
    """Synchronise the BatchNorm of BYOL's heads and wrap ``model`` in DDP.

    Call it before making the optimiser: the converted layers hold new parameter objects.
    DDP broadcasts rank 0's parameters and buffers (the target network's included) when it
    is created. ``model`` must be on ``device``.
    """
    for name in ("projector", "predictor", "target_projector"):
        head = getattr(model, name, None)
        if isinstance(head, nn.Module):
            convert_batchnorm(head, device)
    model.to(device)
    device_ids = [device.index] if device.type == "cuda" and device.index is not None else None
    # DDP broadcasts rank 0's buffers before every forward pass (its default), which keeps
    # unsynchronised encoder BatchNorm statistics, and the target's copies, alike.
    return DistributedDataParallel(model, device_ids=device_ids)
