#!/bin/bash
# Train astromorph_nb on several GPU nodes of a SLURM cluster with torchrun (PyTorch DDP).
#
#   sbatch examples/slurm_train.sh run.toml
#
# SLURM starts one task per node; each task runs torchrun, which starts one training
# process per GPU of its node. The processes of all nodes meet at a rendezvous on the first
# node of the allocation (c10d backend), then train data-parallel: NCCL between the GPUs,
# batch_size in run.toml is the global batch, and only the very first process (rank 0)
# prints, writes checkpoints and writes the session folder. Open the result in a notebook
# with astromorph_nb.Session.load(folder). See astromorph_nb/train/distributed.py.
#
# Adapt the #SBATCH lines to your cluster (partition, account, GPUs per node, time).
#SBATCH --job-name=astromorph
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=32
#SBATCH --time=04:00:00
# SIGTERM two minutes before the time limit: training stops after its current step and the
# session is saved, instead of being lost when the limit kills the job.
#SBATCH --signal=TERM@120
#SBATCH --output=%x-%j.out

set -euo pipefail

CONFIG=${1:-run.toml}
GPUS_PER_NODE=${SLURM_GPUS_ON_NODE:-4}
# The first node of the allocation hosts the rendezvous; any free port will do.
HEAD_NODE=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
RDZV_PORT=${RDZV_PORT:-29500}
# Share the task's cores among the GPU processes of a node (at least one thread each).
THREADS=$(( ${SLURM_CPUS_PER_TASK:-8} / GPUS_PER_NODE ))
export OMP_NUM_THREADS=$(( THREADS > 0 ? THREADS : 1 ))

# Activate the environment that has astromorph_nb installed, for example:
# module load cuda; source ~/venvs/astromorph/bin/activate

srun --kill-on-bad-exit=1 torchrun \
    --nnodes="$SLURM_NNODES" \
    --nproc_per_node="$GPUS_PER_NODE" \
    --rdzv_id="$SLURM_JOB_ID" \
    --rdzv_backend=c10d \
    --rdzv_endpoint="$HEAD_NODE:$RDZV_PORT" \
    -m astromorph_nb train "$CONFIG"
