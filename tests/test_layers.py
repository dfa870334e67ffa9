"""The import table of STYLE §3: each layer imports only from the layers it may use."""

from __future__ import annotations

import ast
from pathlib import Path

import astromorph_nb

PACKAGE = Path(astromorph_nb.__file__).parent
BASE = {"exceptions", "_validation", "_typing", "_lazy", "_text", "_progress", "_throttle"}
# How images, loss curves and map colours are shown: a base layer any layer may import.
DISPLAY = {"exceptions", "_validation", "_typing", "_lazy", "_text", "display"}
SHARED = BASE | {"display"}
# The session layer may use every layer above it (and its private helper modules).
SESSION = SHARED | {
    "datasets",
    "data",
    "io",
    "augment",
    "model",
    "train",
    "analysis",
    "plotting",
    "session",
    "__init__",
    "widgets",  # only inside methods (Session.dashboard() ...); see the test below
}
ALLOWED = {
    "display": DISPLAY,
    "data": SHARED | {"data"},
    "io": SHARED | {"data", "io"},
    "augment": SHARED | {"augment"},
    "model": SHARED | {"model"},
    "train": SHARED | {"augment", "model", "data", "train", "io.store"},
    "datasets": SHARED | {"data", "io", "datasets"},
    "analysis": SHARED | {"model", "data", "analysis"},
    "plotting": SHARED | {"plotting"},
    "session": SESSION,
    "demo": SHARED | {"session", "io", "train", "data", "datasets"},
    # the augmentation preview's sliders start at default_augmentations' own defaults
    "widgets": SHARED | {"session", "widgets", "augment.pipeline"},
    "cli": SHARED
    | {"session", "cli", "demo", "io", "train", "data", "datasets", "__init__", "augment", "model"},
}


def layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def internal_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "astromorph_nb":
                found.add(".".join(parts[1:3]) if len(parts) > 1 else "__init__")
    return found


def allowed(imported: str, entries: set[str]) -> bool:
    """``io.fits`` is allowed by the entry ``io``; ``io.checkpoints`` only by itself or ``io``."""
    return any(imported == entry or imported.startswith(entry + ".") for entry in entries)


def test_layers_import_only_what_the_table_allows():
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = layer_of(path)
        if layer not in ALLOWED:
            continue
        for imported in internal_imports(path):
            if allowed(imported, ALLOWED[layer]):
                continue
            violations.append(f"{path.relative_to(PACKAGE)} imports astromorph_nb.{imported}")
    assert violations == []


def test_base_modules_import_nothing_internal():
    for name in BASE:
        assert internal_imports(PACKAGE / f"{name}.py") == set(), name


def test_display_imports_only_numpy_astropy_and_the_base_modules():
    import sys

    outside = set()
    for path in sorted((PACKAGE / "display").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names | {"numpy", "astropy", "astromorph_nb"}:
                    outside.add(f"{path.name} imports {name}")
    assert outside == set()
    assert "display" in internal_imports(PACKAGE / "data" / "thumbnails.py")


def test_the_scan_sees_real_imports():
    # A positive control: the reader does import the data layer.
    assert "data.imageset" in internal_imports(PACKAGE / "io" / "fits" / "reader.py")
    assert not allowed("io.fits", ALLOWED["train"])
    assert not allowed("io.export", ALLOWED["train"])


def test_session_imports_widgets_only_when_asked():
    import subprocess
    import sys

    code = (
        "import sys, astromorph_nb.session; "
        "print(any(m.split('.')[0] in ('ipywidgets', 'anywidget', 'bqplot') "
        "or m.startswith('astromorph_nb.widgets') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_lazy_names_are_the_functions_not_their_modules():
    import types

    assert callable(astromorph_nb.cutouts)
    assert not isinstance(astromorph_nb.cutouts, types.ModuleType)
    assert isinstance(astromorph_nb.datasets, types.ModuleType)


def test_nothing_below_the_command_line_imports_it():
    # cli may import the session; the session (and everything else) may not import cli.
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if layer_of(path) not in ("cli", "__main__")
        and any(name == "cli" or name.startswith("cli.") for name in internal_imports(path))
    )
    assert importers == []
    assert "cli.config" in internal_imports(PACKAGE / "cli" / "train.py")
