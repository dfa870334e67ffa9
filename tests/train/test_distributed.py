from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from builders import tiny_model
from torch import nn

import astromorph_nb as amn
from astromorph_nb import AstromorphWarning, Session
from astromorph_nb.cli import main
from astromorph_nb.io.store.checkpoints import load_checkpoint
from astromorph_nb.model.defaults import default_model
from astromorph_nb.train.distributed import (
    AllReduceBatchNorm,
    DistributedContext,
    check_batch_size,
    convert_batchnorm,
    current_context,
    init_distributed,
    is_launched_distributed,
    shard_batch,
)

REPOSITORY = Path(__file__).resolve().parents[2]
TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")

# Identity augmentations: the two runs compared below then see exactly the same views (the
# ranks draw their augmentation parameters from their own streams, so real augmentations
# would differ between one process and two).
IDENTITY_AUGMENT = """
[augment]
angle_deg = [0, 0]
flip_prob = 0.0
shift_fraction = 0.0
zoom = [1, 1]
aspect_ratio = [1, 1]
fwhm_px = [0, 0]
relative_sigma = [0, 0]
flux_factor = [1, 1]
"""


def torchrun(args, cwd, n_processes=2, timeout=180, check=True):
    """Run ``python -m torch.distributed.run`` on this machine's CPUs; return the result."""
    env = {k: v for k, v in os.environ.items() if k not in TORCHRUN_VARIABLES}
    env["OMP_NUM_THREADS"] = "1"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={n_processes}",
        *args,
    ]
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.mark.parametrize(("memory_format", "rtol"), [("contiguous", 3e-3), ("channels_last", 0.1)])
def test_two_gloo_processes_match_one_process_with_the_same_global_batch(
    tmp_path, capsys, monkeypatch, memory_format, rtol
):
    """Two CPU processes (gloo) train like one process with the same global batch.

    What is the same: the seed (one shuffled order, cut into two shares of 4 of each global
    batch of 8), the initial weights (seeded, and broadcast by DDP), the views (identity
    augmentations), and the BatchNorm statistics: ``sync_batchnorm = "all"`` synchronises
    every BatchNorm over the global batch, the encoders' included. What differs is only the
    order of floating-point sums: per-rank partial sums and an all-reduce, gradients averaged
    by DDP, BatchNorm statistics from float64 sums instead of PyTorch's float32 kernel. Those
    are rounding differences of ~1e-7 per operation; over the first steps AdamW amplifies
    them a little (measured: 3e-6 to 8e-4 relative over 6 steps, by CPU), so we allow 1e-5 relative
    for the first step, made before any update, and 3e-3 for the next five.

    In the channels-last layout PyTorch's BatchNorm kernel sums in yet another order, and
    AdamW's first updates amplify that to a few percent by step 4 (measured: 3.7 %), so
    there only the first step is compared tightly.
    """
    images = amn.datasets.synthetic(n_per_class=4, image_size=16, random_state=0)
    amn.write_fits(images, tmp_path / "fits", prefix="obj")
    config = tmp_path / "ddp.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [data]
            source = "fits"
            [model]
            pretrained = false
            [training]
            n_epochs = 2
            batch_size = 8
            random_state = 0
            device = "cpu"
            memory_format = "{memory_format}"
            [distributed]
            sync_batchnorm = "all"
            [output]
            analyse = false
            checkpoint_every_epochs = 1
            """
        )
        + IDENTITY_AUGMENT
    )
    result = torchrun(["-m", "astromorph_nb", "train", "ddp.toml", "--output", "ddp/run"], tmp_path)
    # Both ranks finished (torchrun exits 0 only then); only rank 0 printed and wrote.
    assert result.stdout.count("Read 28 images") == 1
    assert "training on 2 processes" in result.stdout
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == ["run", "run.checkpoint.pt"]

    monkeypatch.chdir(tmp_path)
    assert main(["train", "ddp.toml", "--output", "one/run"]) == 0
    capsys.readouterr()
    two, one = Session.load(tmp_path / "ddp" / "run"), Session.load(tmp_path / "one" / "run")
    losses_two = np.asarray(two.loss_history["loss"])
    losses_one = np.asarray(one.loss_history["loss"])
    assert len(losses_two) == len(losses_one) == 6
    np.testing.assert_allclose(losses_two[0], losses_one[0], rtol=1e-5)
    np.testing.assert_allclose(losses_two, losses_one, rtol=rtol)

    # The embeddings were computed in two shares and gathered; they match one process.
    np.testing.assert_allclose(two.embeddings, two.embed(), atol=1e-5)
    if memory_format == "contiguous":  # the same weights only where the losses agree closely
        np.testing.assert_allclose(
            two.embeddings, one.embeddings, atol=5e-3
        )  # the same rounding, by CPU

    # The checkpoint loads into the unconverted network: synchronised BatchNorm keeps keys.
    state = load_checkpoint(tmp_path / "ddp" / "run.checkpoint.pt")
    assert state["step"] == 6
    default_model(1).load_state_dict(state["model"])


WORKER = """
import sys
import torch
from astromorph_nb.analysis.embed import compute_embeddings
from astromorph_nb.model import BYOL, SmallCNN
from astromorph_nb.train.distributed import (
    AllReduceBatchNorm, current_context, init_distributed, shutdown_distributed)

context = init_distributed("cpu")
assert current_context() == context
rank = context.rank
torch.manual_seed(0)
full = torch.randn(8, 3, 4, 4) * 2 + 1
weights = torch.randn(8, 3, 4, 4)
layer = AllReduceBatchNorm(3)
with torch.no_grad():
    layer.weight.uniform_(0.5, 1.5)
    layer.bias.uniform_(-0.5, 0.5)
share = full[4 * rank : 4 * rank + 4].clone().requires_grad_(True)
out = layer(share)
(out * weights[4 * rank : 4 * rank + 4]).sum().backward()

torch.manual_seed(1)
model = BYOL(SmallCNN(in_channels=1, width=4), projection_size=8, projection_hidden_size=16)
images = torch.rand(5, 1, 8, 8)
torch.save(
    {
        "out": out.detach(),
        "input_grad": share.grad,
        "weight_grad": layer.weight.grad,
        "bias_grad": layer.bias.grad,
        "running": (layer.running_mean, layer.running_var),
        "sharded": compute_embeddings(model, images, batch_size=2),
        "whole": compute_embeddings(model, images, shard=False),
    },
    f"{sys.argv[1]}/rank{rank}.pt",
)
shutdown_distributed()
"""


def test_all_reduce_batchnorm_and_sharded_embeddings_across_two_processes(tmp_path):
    (tmp_path / "worker.py").write_text(WORKER)
    torchrun(["worker.py", str(tmp_path)], tmp_path)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in (0, 1)]

    torch.manual_seed(0)
    full = (torch.randn(8, 3, 4, 4) * 2 + 1).requires_grad_(True)
    weights = torch.randn(8, 3, 4, 4)
    reference = nn.BatchNorm2d(3)
    with torch.no_grad():
        reference.weight.uniform_(0.5, 1.5)
        reference.bias.uniform_(-0.5, 0.5)
    out = reference(full)
    (out * weights).sum().backward()

    torch.testing.assert_close(torch.cat([r["out"] for r in ranks]), out.detach())
    torch.testing.assert_close(torch.cat([r["input_grad"] for r in ranks]), full.grad)
    # Each rank holds the gradient of its own loss; DDP sums (averages) them.
    torch.testing.assert_close(
        ranks[0]["weight_grad"] + ranks[1]["weight_grad"], reference.weight.grad
    )
    torch.testing.assert_close(ranks[0]["bias_grad"] + ranks[1]["bias_grad"], reference.bias.grad)
    for r in ranks:
        torch.testing.assert_close(r["running"][0], reference.running_mean)
        torch.testing.assert_close(r["running"][1], reference.running_var)
        # 5 images in shares of 3 and 2 (the last one padded), gathered on every rank.
        np.testing.assert_allclose(r["sharded"], r["whole"], atol=1e-6)
    np.testing.assert_array_equal(ranks[0]["sharded"], ranks[1]["sharded"])


SHUTDOWN_WORKER = """
import sys, time
from pathlib import Path
from astromorph_nb.train.distributed import init_distributed, shutdown_distributed

folder = Path(sys.argv[1])
context = init_distributed("cpu")
if sys.argv[2] == "rank-0-saves":
    if context.rank == 0:
        for i in range(200):  # rank 0 still writes its results...
            (folder / f"part{i}").write_text("x" * 1000)
        (folder / "saved").write_text("done")
    shutdown_distributed(synchronize=True)
    # ...and no rank leaves the group before it has finished.
    (folder / f"left{context.rank}").write_text(str((folder / "saved").exists()))
else:  # rank 0 ends in an error and leaves the group at once; rank 1 ends normally
    if context.rank == 0:
        shutdown_distributed()
        for _ in range(600):  # (torchrun would end rank 1 as soon as rank 0 exits)
            if (folder / "left1").exists():
                break
            time.sleep(0.1)
        sys.exit(3)
    shutdown_distributed(synchronize=True)
    (folder / "left1").write_text("ignored the failed barrier")
"""


def test_ranks_leave_the_process_group_together_and_survive_a_rank_that_left(tmp_path):
    (tmp_path / "worker.py").write_text(SHUTDOWN_WORKER)
    torchrun(["worker.py", str(tmp_path), "rank-0-saves"], tmp_path)
    assert (tmp_path / "left0").read_text() == (tmp_path / "left1").read_text() == "True"

    result = torchrun(["worker.py", str(tmp_path), "rank-0-fails"], tmp_path, check=False)
    assert result.returncode != 0  # torchrun reports rank 0's failure
    assert (tmp_path / "left1").read_text() == "ignored the failed barrier"
    assert "terminate called" not in result.stderr


def test_a_refused_output_stops_every_rank_before_reading(tmp_path):
    images = amn.datasets.synthetic(n_per_class=2, image_size=16, random_state=0)
    amn.write_fits(images, tmp_path / "fits", prefix="obj")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "notes.txt").write_text("not a saved session")
    (tmp_path / "run.toml").write_text(
        '[data]\nsource = "fits"\n[training]\nn_epochs = 1\nbatch_size = 4\n'
        'device = "cpu"\n[output]\nanalyse = false\n'
    )
    result = torchrun(
        ["-m", "astromorph_nb", "train", "run.toml", "--output", "results", "--overwrite"],
        tmp_path,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.count("is not a saved session") == 1  # rank 0 says why, once
    assert "Read 14 images" not in result.stdout  # nothing was read or trained
    assert (tmp_path / "results" / "notes.txt").read_text() == "not a saved session"


def test_is_launched_distributed_reads_the_torchrun_variables():
    assert is_launched_distributed({"RANK": "1", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert not is_launched_distributed({"RANK": "0", "WORLD_SIZE": "1"})
    assert not is_launched_distributed({})


def test_init_distributed_without_torchrun_is_a_single_process():
    assert init_distributed("cpu", environ={}) is None
    assert current_context() is None


@pytest.mark.parametrize(
    ("environ", "match"),
    [
        (
            {"RANK": "x", "WORLD_SIZE": "2"},
            r"variable RANK must be an int >= 0; got 'x'\. .*torchrun",
        ),
        ({"RANK": "0", "WORLD_SIZE": "two"}, r"variable WORLD_SIZE must be an int >= 1"),
        ({"RANK": "2", "WORLD_SIZE": "2"}, r"RANK must be below WORLD_SIZE=2; got RANK=2"),
        ({"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "-1"}, r"LOCAL_RANK must be an int >= 0"),
    ],
)
def test_init_distributed_reports_malformed_variables(environ, match):
    with pytest.raises(ValueError, match=match):
        init_distributed("cpu", environ=environ)


def test_init_distributed_refuses_devices_it_cannot_share():
    with pytest.raises(ValueError, match=r"CUDA GPUs \(nccl\) or CPUs \(gloo\); got device='mps'"):
        init_distributed("mps", environ={"RANK": "0", "WORLD_SIZE": "2"})


@pytest.mark.parametrize(
    ("rank", "world_size", "expected"),
    [(0, 2, [0, 1, 2, 3]), (1, 2, [4, 5, 6, 7]), (2, 3, [4, 5])],
)
def test_shard_batch_gives_each_rank_a_contiguous_share(rank, world_size, expected):
    context = DistributedContext(rank, world_size, rank, "gloo")
    assert shard_batch(torch.arange(8), context).tolist() == expected
    assert shard_batch(torch.arange(8), None).tolist() == list(range(8))


def test_check_batch_size_refuses_fewer_images_than_processes_and_warns_on_remainders():
    context = DistributedContext(0, 4, 0, "gloo")
    with pytest.raises(ValueError, match=r"batch size \(3 images per step\) is smaller than"):
        check_batch_size(3, context)
    with pytest.warns(AstromorphWarning, match=r"batch_size=10 is not a multiple of the 4 proc"):
        check_batch_size(10, context)
    check_batch_size(8, context)


def test_convert_batchnorm_keeps_weights_keys_and_frozen_parameters():
    model = tiny_model()
    model.eval()
    images = torch.rand(4, 1, 16, 16)
    before = model.embed(images)
    keys = list(model.state_dict())
    for name in ("encoder", "projector", "target_projector"):
        convert_batchnorm(getattr(model, name), "cpu")
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    converted = [m for m in layers if isinstance(m, AllReduceBatchNorm)]
    assert 0 < len(converted) < len(layers)  # target_encoder and predictor were left alone
    assert list(model.state_dict()) == keys
    assert not any(p.requires_grad for p in model.target_projector.parameters())
    torch.testing.assert_close(model.embed(images), before)


def test_all_reduce_batchnorm_is_a_plain_batchnorm_in_one_process():
    torch.manual_seed(0)
    batch = torch.randn(6, 4, 5, 5)
    plain, ours = nn.BatchNorm2d(4), AllReduceBatchNorm(4)
    torch.testing.assert_close(ours(batch), plain(batch))
    torch.testing.assert_close(ours.running_var, plain.running_var)
    with pytest.raises(ValueError, match=r"expects input of shape \(B, C\) or \(B, C, \.\.\.\)"):
        ours._check_input_dim(torch.zeros(3))


def test_slurm_example_is_valid_bash_that_starts_torchrun_with_a_rendezvous():
    script = REPOSITORY / "examples" / "slurm_train.sh"
    text = script.read_text()
    for part in (
        "srun",
        "torchrun",
        "--rdzv_backend=c10d",
        "--rdzv_endpoint",
        "-m astromorph_nb train",
        "#SBATCH --signal=TERM@",  # time to stop and save before the limit
    ):
        assert part in text
    if shutil.which("bash"):
        subprocess.run(["bash", "-n", str(script)], check=True)
