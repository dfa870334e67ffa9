#!/usr/bin/env bash
# The GPU checks of the learning and throughput benchmarks, as one script for a lent GPU
# (about 12 minutes on one H100/H200): throughput against the peers, learning curves in
# seconds on the two families the shipped weights were not pretrained on without them, and
# a longer pretraining. Results land in $OUT (or ./gpu-results) as logs and JSON.
# Usage: bash benchmarks/gpu_session.sh   (after pip install -e ".[dev,bench]")
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-results}"
mkdir -p "$out"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1
python benchmarks/bench_train.py --device cuda --batch-size 256 --steps 20 --repeats 3 \
    > "$out/bench_train.log" 2>&1
python tools/pretrain_default_model.py --device cuda --minutes 4 --exclude disks,clouds \
    --output "$out/lofo_synthetic.pt" > "$out/pretrain_lofo.log" 2>&1
for family in disks clouds; do
    python benchmarks/bench_quality.py --device cuda --family "$family" --times 0,30,60,120 \
        --seeds 0,1,2 --starts pretrained,scratch --weights "$out/lofo_synthetic.pt" \
        --knn-only --probe-at 120 --json "$out/quality_$family.json" \
        > "$out/quality_$family.log" 2>&1
done
tail -n 20 "$out"/*.log
