"""Save and load training checkpoints atomically, as plain state dicts (io layer).

A checkpoint holds only tensors and plain Python values (model, optimiser and schedule
state, random-generator states, step, loss history, config), so loading it with
``torch.load(weights_only=True)`` runs no code from the file. Writing goes to a temporary
file in the same folder, which is flushed to disk and then renamed over the target with
``os.replace``: a crash at any moment leaves either the old checkpoint or the new one.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import torch

from astromorph_nb.exceptions import DataNotFoundError, InvalidFileError
from astromorph_nb.io._atomic import replace_atomically

__all__ = ["load_checkpoint", "save_checkpoint"]


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``state`` to ``path`` atomically; return the path.

    Parameters
    ----------
    state : dict
        Tensors, numbers, strings, lists and dicts of them (as from ``Trainer.state_dict``).
    path : str or path-like
        Target file; its folder is created if needed.
    """
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    with replace_atomically(target) as temporary, temporary.open("wb") as handle:
        torch.save(state, handle)
    return target


def load_checkpoint(
    path: str | os.PathLike[str], *, map_location: str = "cpu", trust: bool = False
) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`, executing no code from it.

    Parameters
    ----------
    path : str or path-like
        The checkpoint file.
    map_location : str, default="cpu"
        Device the tensors are loaded onto.
    trust : bool, default=False
        Also accept files holding pickled Python objects, such as a whole model saved with
        ``torch.save(model)`` (the astromorph seed's format). Unpickling runs code chosen by
        whoever wrote the file, so pass ``trust=True`` only for files you made yourself or
        got from someone you trust. A whole model is returned as ``{"model": state_dict}``.

    Returns
    -------
    dict
        The checkpoint; ``state["model"]`` is the model's state dict.

    Raises
    ------
    DataNotFoundError
        If the file does not exist.
    InvalidFileError
        If it is not a checkpoint, is damaged, or contains pickled objects (such as a whole
        model saved with ``torch.save(model)``), which are refused because loading them
        would run code from the file.
    """
    source = Path(path).expanduser()
    if not source.is_file():
        msg = f"No checkpoint at {str(source)!r}. Check the path."
        raise DataNotFoundError(msg)
    try:
        state = torch.load(source, map_location=map_location, weights_only=not trust)
    except pickle.UnpicklingError as err:
        msg = (
            f"{str(source)!r} is not a plain checkpoint: it contains pickled Python objects "
            f"({' '.join(str(err).split())[:200]}). Loading such a file can run arbitrary code, "
            "so it is refused. If you made the file yourself or trust its author, pass "
            "trust=True; otherwise ask for a state-dict checkpoint (model.state_dict())."
        )
        raise InvalidFileError(msg) from err
    except Exception as err:  # torch raises many kinds (KeyError, EOFError, ...) on junk
        msg = (
            f"Cannot read checkpoint {str(source)!r}: {err}. "
            "The file is damaged or not a checkpoint."
        )
        raise InvalidFileError(msg) from err
    if isinstance(state, torch.nn.Module):  # only reachable with trust=True
        state = {"model": state.state_dict()}
    elif isinstance(state, dict) and isinstance(state.get("model"), torch.nn.Module):
        state = {**state, "model": state["model"].state_dict()}
    if not isinstance(state, dict) or "model" not in state:
        msg = f"{str(source)!r} is not an astromorph_nb checkpoint (no 'model' state)."
        raise InvalidFileError(msg)
    return state
