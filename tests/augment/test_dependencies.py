"""The augment layer needs only torch, numpy, matplotlib, the standard library and display."""

from __future__ import annotations

import ast
from pathlib import Path

import astromorph_nb.augment

ALLOWED_INTERNAL = (
    "astromorph_nb.exceptions",
    "astromorph_nb._validation",
    "astromorph_nb._typing",
    "astromorph_nb.display",  # the preview figure's grey scale, shared by every picture
)
ALLOWED_EXTERNAL = {
    "__future__",
    "abc",
    "collections",
    "functools",
    "inspect",
    "itertools",
    "math",
    "numbers",
    "typing",
    "numpy",
    "torch",
    "matplotlib",
}


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_augment_imports_only_the_base_layer():
    folder = Path(astromorph_nb.augment.__file__).parent
    for path in sorted(folder.glob("*.py")):
        for module in imported_modules(path):
            if module.startswith("astromorph_nb."):
                assert module.startswith(("astromorph_nb.augment", *ALLOWED_INTERNAL)), (
                    path,
                    module,
                )
            else:
                assert module.split(".")[0] in ALLOWED_EXTERNAL, (path, module)
