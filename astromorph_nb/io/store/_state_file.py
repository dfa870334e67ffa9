"""The torch state of a session folder, ``state.pt``, loadable without running code (io layer).

It is written with ``torch.save`` and checked to load with ``torch.load(weights_only=True)``,
which refuses pickled Python objects; reading refuses a file that holds any.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from astromorph_nb.exceptions import InvalidFileError
from astromorph_nb.io.store.safety import damaged, folder_file

__all__ = ["STATE_FILE", "read_state", "write_state"]

#: The file name of the torch state in a session folder.
STATE_FILE = "state.pt"


def write_state(state: dict[str, Any], path: Path) -> None:
    """torch.save ``state`` to ``path``, and check it loads with ``weights_only=True``."""
    with path.open("wb") as handle:
        torch.save(state, handle)
    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = " ".join(str(err).split())[:200]
        msg = (
            "SessionFiles.state holds Python objects that cannot be loaded safely "
            f"({reason}). Keep only tensors, numbers, strings, lists and dicts, e.g. "
            "model.state_dict()."
        )
        raise TypeError(msg) from err


def read_state(source: Path) -> dict[str, Any]:
    """Load ``state.pt`` of the session folder ``source`` with ``weights_only=True``."""
    file = folder_file(source, STATE_FILE, field=STATE_FILE)
    if not file.is_file():
        raise damaged(source, f"{STATE_FILE} is missing")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = " ".join(str(err).split())[:200]
        msg = (
            f"{str(file)!r} contains pickled Python code ({reason}). Loading it could run "
            "that code, so it is never executed and the session is refused. Only load "
            "sessions from people you trust, and re-save them with this version."
        )
        raise InvalidFileError(msg) from err
    except Exception as err:  # torch raises many kinds (RuntimeError, EOFError, ...) on junk
        raise damaged(source, f"cannot read {STATE_FILE} ({err})") from err
    if not isinstance(state, dict):
        raise damaged(source, f"{STATE_FILE} does not hold a dict")
    return state
