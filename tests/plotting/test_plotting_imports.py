"""The plotting package imports only numpy, matplotlib, astropy, display and the base modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import astromorph_nb.plotting

PACKAGE = Path(astromorph_nb.plotting.__file__).parent
ALLOWED_TOP = {"__future__", "numpy", "matplotlib", "astropy", "astromorph_nb"}
ALLOWED_INTERNAL = ("exceptions", "_validation", "_typing", "_lazy", "display", "plotting")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_plotting_imports_only_numpy_matplotlib_astropy_and_base_modules():
    standard = set(sys.stdlib_module_names)
    for path in sorted(PACKAGE.glob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            assert top in ALLOWED_TOP | standard, f"{path.name} imports {name}"
            if top == "astromorph_nb":
                assert name.split(".")[1] in ALLOWED_INTERNAL, f"{path.name} imports {name}"


def test_importing_plotting_does_not_load_torch():
    code = "import sys, astromorph_nb.plotting; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
