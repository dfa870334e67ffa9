"""Lazy attributes for package ``__init__`` modules (base layer).

``import astromorph_nb`` then costs almost nothing, and importing one low-level module (for
example in a FITS-reading worker process) does not pull in PyTorch. The public names are the
same as with eager imports; each is imported on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, names: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``__getattr__`` and ``__dir__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict of str to str
        Public name → module that defines it. A name equal to the last part of its module
        stands for the module itself (``"datasets": "astromorph_nb.datasets"``) unless
        the module defines that name. Public functions are not named like the module that
        defines them: importing such a module from anywhere would set the package attribute
        to the module, hiding the function.
    """

    def __getattr__(name: str) -> Any:
        if name not in names:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        module = importlib.import_module(names[name])
        is_module = names[name].rsplit(".", 1)[-1] == name and not hasattr(module, name)
        value = module if is_module else getattr(module, name)
        importlib.import_module(package).__dict__[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(names) | set(importlib.import_module(package).__dict__))

    return __getattr__, __dir__
