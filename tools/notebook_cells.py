"""Pieces shared by the example notebooks that ``make_notebooks.py`` writes."""

from __future__ import annotations

QUICK_CELL = """\
import os

# Quick mode (AMN_QUICK=1, used by the tests): less data and training, same steps.
QUICK = os.environ.get("AMN_QUICK", "0") == "1\""""


# Figures from session.plot_* are made without pyplot; this registers Jupyter's PNG display
# for them (otherwise a kernel shows only "<Figure size ...>").
INLINE = "%matplotlib inline\n"


def header(title: str, goal: str, runtime: str, gpu: str) -> str:
    """Return the first markdown cell of a notebook: title, goal, runtime, GPU."""
    return f"# {title}\n\n**Goal.** {goal}\n\n**Runtime.** {runtime}\n\n**GPU.** {gpu}"
