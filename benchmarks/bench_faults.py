"""Fault injection at scale: SIGKILL a training process many times and count what survives.

Runs the trials of ``tests/robustness/test_kill_training.py`` (one forked training child per
trial, killed at a random moment, sometimes while it writes a checkpoint; then the checkpoint
is loaded and training continued from it) and prints the number of trials, how many survived
(checkpoint loads, training continues, at most one checkpoint interval lost, history intact)
and the most steps of history any kill lost.
Usage: ``python benchmarks/bench_faults.py [--trials 100] [--every 5] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

_TEST = Path(__file__).resolve().parents[1] / "tests" / "robustness" / "test_kill_training.py"


def _load_trials_module() -> object:
    spec = importlib.util.spec_from_file_location("_kill_training", _TEST)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    """Run the trials and print the counts; return 0 if every trial survived."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--every", type=int, default=5, help="checkpoint every N steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    module = _load_trials_module()
    started = time.perf_counter()
    survived, max_lost, failures = 0, 0, []
    with tempfile.TemporaryDirectory() as folder:
        trials = module.kill_trials(  # type: ignore[attr-defined]
            Path(folder), args.trials, n_steps=args.every, seed=args.seed
        )
        for number, trial in enumerate(trials, start=1):
            max_lost = max(max_lost, trial.lost)
            if trial.survived(args.every):
                survived += 1
            else:
                failures.append((number, trial))
    seconds = time.perf_counter() - started
    print(f"checkpoint every {args.every} steps, {seconds:.1f} s")
    print(f"trials: {args.trials}")
    print(f"survived: {survived}")
    print(f"max steps lost: {max_lost} (allowed: {args.every})")
    for number, trial in failures:
        print(f"  trial {number} FAILED: {trial}")
    return 0 if survived == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
