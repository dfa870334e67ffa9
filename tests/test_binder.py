"""The Binder files agree with pyproject.toml: same packages, versions within its bounds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def core_requirements() -> list[Requirement]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    return [Requirement(line) for line in project["dependencies"]]


def binder_requirements() -> dict[str, Requirement]:
    pinned = {}
    for raw in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        pinned[canonicalize_name(requirement.name)] = requirement
    return pinned


def pinned_version(requirement: Requirement) -> Version:
    specifiers = list(requirement.specifier)
    assert len(specifiers) == 1, f"{requirement} is not pinned with =="
    assert specifiers[0].operator == "==", f"{requirement} is not pinned with =="
    return Version(specifiers[0].version)


def test_every_binder_requirement_is_pinned() -> None:
    for requirement in binder_requirements().values():
        pinned_version(requirement)


@pytest.mark.parametrize(
    "requirement", core_requirements(), ids=lambda requirement: requirement.name
)
def test_core_dependency_is_pinned_within_pyproject_bounds(requirement: Requirement) -> None:
    pinned = binder_requirements()
    name = canonicalize_name(requirement.name)
    assert name in pinned, f"{requirement.name} from pyproject.toml is missing in binder/"
    version = pinned_version(pinned[name])
    assert requirement.specifier.contains(version, prereleases=True), (
        f"binder pins {requirement.name}=={version}, outside pyproject's {requirement.specifier}"
    )
    assert pinned[name].marker == requirement.marker


def test_torch_comes_from_the_cpu_only_index() -> None:
    text = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text
    for name in ("torch", "torchvision"):
        assert pinned_version(binder_requirements()[name]).local == "cpu"


def test_widget_packages_are_matched_pairs() -> None:
    pinned = binder_requirements()
    ipywidgets = pinned_version(pinned["ipywidgets"])
    lab_extension = pinned_version(pinned["jupyterlab-widgets"])
    notebook_extension = pinned_version(pinned["widgetsnbextension"])
    # ipywidgets 8.x ships with jupyterlab_widgets 3.x and widgetsnbextension 4.x
    assert (ipywidgets.major, lab_extension.major, notebook_extension.major) == (8, 3, 4)
    assert "anywidget" in pinned


def test_postbuild_stops_on_errors_and_installs_the_package() -> None:
    path = BINDER / "postBuild"
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines[0].startswith("#!")
    commands = [line for line in lines if line and not line.startswith("#")]
    assert commands[0] == "set -e"
    assert "pip install --no-deps ." in commands
    assert path.stat().st_mode & 0o111, "postBuild must be executable"


def test_shipped_example_session_is_under_5_mb() -> None:
    folder = ROOT / "examples" / "data" / "xdf_session"
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    assert 0 < size <= 5 * 1024 * 1024
