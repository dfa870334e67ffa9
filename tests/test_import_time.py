"""What ``import astromorph_nb`` and ``astromorph-nb --help`` load: only what they use.

Each check runs a fresh interpreter, since this test session has imported everything. No
wall-clock times are asserted (machines are noisy); the module lists are what stays true.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types

import pytest

#: Loaded only by the methods that need them (fit_tsne, neighbors, figures, dashboard ...).
HEAVY = ("bqplot", "ipywidgets", "matplotlib", "openTSNE", "sklearn")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=True, timeout=300
    )


def _loaded(code: str, packages: tuple[str, ...]) -> list[str]:
    """Top-level packages among ``packages`` in sys.modules after running ``code``."""
    wanted = ", ".join(repr(p) for p in packages)
    script = (
        f"{code}\nimport sys\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {{{wanted}}}))"
    )
    return ast.literal_eval(_run("-c", script).stdout.strip().splitlines()[-1])


def _imported_by_importtime(*args: str) -> set[str]:
    """Top-level packages that ``python -X importtime ARGS`` reports importing."""
    stderr = _run("-X", "importtime", *args).stderr
    lines = [line for line in stderr.splitlines() if line.startswith("import time:")]
    names = [line.rsplit("|", 1)[-1].strip() for line in lines[1:]]  # [0] is the header
    return {name.split(".")[0] for name in names}


def test_the_session_class_loads_no_analysis_plotting_or_widget_libraries():
    loaded = _loaded("import astromorph_nb\nastromorph_nb.Session", HEAVY)
    assert loaded == []


def test_importtime_agrees_that_the_session_class_leaves_them_out():
    imported = _imported_by_importtime("-c", "import astromorph_nb; astromorph_nb.Session")
    assert "torch" in imported  # a positive control: the scan sees real imports
    assert imported.isdisjoint(HEAVY)


def test_analysis_names_import_without_scikit_learn_or_opentsne():
    code = (
        "from astromorph_nb.analysis import (TSNEMap, NeighborIndex, KNNDistanceScorer, "
        "LOFScorer, IsolationForestScorer, cluster_embeddings, evaluate_embeddings)"
    )
    assert _loaded(code, HEAVY) == []


def test_fitting_a_map_loads_opentsne_then():
    code = (
        "import numpy as np\nfrom astromorph_nb.analysis import TSNEMap\n"
        "TSNEMap(perplexity=2, n_iter=10, n_early_exaggeration_iter=10, random_state=0)"
        ".fit(np.random.default_rng(0).normal(size=(12, 3)))"
    )
    assert _loaded(code, ("openTSNE",)) == ["openTSNE"]


def test_the_cli_parser_is_built_without_torch():
    code = (
        "from astromorph_nb import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert _loaded(code, ("torch", *HEAVY)) == []


def test_python_m_help_imports_no_torch():
    imported = _imported_by_importtime("-m", "astromorph_nb", "--help")
    assert "astromorph_nb" in imported
    assert "torch" not in imported


@pytest.mark.parametrize(
    "package",
    [
        "astromorph_nb",
        "astromorph_nb.analysis",
        "astromorph_nb.data",
        "astromorph_nb.io",
        "astromorph_nb.plotting",
        "astromorph_nb.train",
        "astromorph_nb.widgets",
    ],
)
def test_every_lazy_public_name_resolves(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        assert value is not None, f"{package}.{name}"
        if name != "datasets":  # the one public name that is a module
            assert not isinstance(value, types.ModuleType), f"{package}.{name}"
    assert set(module.__all__) <= set(dir(module))
