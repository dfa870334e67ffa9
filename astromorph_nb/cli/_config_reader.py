"""The keys each section of a run's TOML file holds, and the checks of their values (cli).

:class:`Reader` checks the values of one file and names the file, the section and the key
in every message; ``cli/config.py`` and ``cli/seed.py`` check through it.
"""

from __future__ import annotations

import difflib
import glob
from dataclasses import fields
from pathlib import Path
from typing import Any

from astromorph_nb._validation import check_choice
from astromorph_nb.cli.seed import SEED_TABLES
from astromorph_nb.train.config import TrainingConfig

__all__ = ["AUGMENT_KEYS", "READ_KEYS", "SECTIONS", "Reader"]

#: Keys of [data]: read_fits keywords.
READ_KEYS = (
    "source",
    "hdu",
    "image_size",
    "resize_mode",
    "cube_mode",
    "n_channels",
    "squeeze",
    "nan_policy",
    "normalize",
    "keywords",
    "on_error",
    "n_threads",
    "n_processes",
    "cache_dir",
)
#: Keys of [augment]: default_augmentations keywords.
AUGMENT_KEYS = (
    "angle_deg",
    "flip_prob",
    "shift_fraction",
    "zoom",
    "aspect_ratio",
    "fill",
    "fwhm_px",
    "relative_sigma",
    "flux_factor",
)
#: The keys of each of our sections.
SECTIONS: dict[str, tuple[str, ...]] = {
    "data": READ_KEYS,
    "model": ("encoder", "pretrained", "projection_size", "projection_hidden_size"),
    "augment": AUGMENT_KEYS,
    "training": (*(f.name for f in fields(TrainingConfig)), "n_cpu_threads"),
    "distributed": ("sync_batchnorm",),
    "output": ("folder", "export", "analyse", "checkpoint_every_epochs"),
}


class Reader:
    """Checks the values of one configuration file, naming the file in every message."""

    def __init__(self, name: str, base_dir: Path | None) -> None:
        self.name = name
        self.base_dir = base_dir

    def where(self, section: str | None) -> str:
        return f"[{section}] of {self.name}" if section else f"the top level of {self.name}"

    def place(self, section: str | None) -> str:
        return f"in [{section}] of {self.name}" if section else f"at the top level of {self.name}"

    def unknown(self, key: str, section: str | None, valid: list[str]) -> ValueError:
        tables = {**SECTIONS, **SEED_TABLES}
        elsewhere = [f"[{s}] {key}" for s, keys in tables.items() if key in keys and s != section]
        close = elsewhere or difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        if not close:  # a misspelt key of another section
            qualified = {k: f"[{s}] {k}" for s, keys in tables.items() for k in keys}
            near = difflib.get_close_matches(key, list(qualified), n=1, cutoff=0.8)
            close = [qualified[near[0]]] if near else []
        hint = f"Did you mean {close[0]!r}?" if close else "Check the spelling."
        msg = (
            f"Unknown key {key!r} {self.place(section)}. Expected one of: "
            f"{', '.join(sorted(valid))}; got {key!r}. {hint}"
        )
        return ValueError(msg)

    def check_keys(self, table: dict[str, Any], section: str, valid: tuple[str, ...]) -> None:
        if not isinstance(table, dict):
            msg = (
                f"[{section}] in {self.name} must be a table of settings; got "
                f"{table!r}. Write it as a section: [{section}] on its own line, keys below."
            )
            raise ValueError(msg)
        for key in table:
            if key not in valid:
                raise self.unknown(key, section, list(valid))

    def typed(self, value: Any, kind: type | tuple[type, ...], key: str, section: str) -> Any:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        is_bool = isinstance(value, bool)
        if not isinstance(value, kinds) or (is_bool and bool not in kinds):
            names = " or ".join("a string" if k is str else f"a {k.__name__}" for k in kinds)
            msg = (
                f"The {key!r} key {self.place(section)} must be {names}; got {value!r}. "
                "Check its TOML type (strings in quotes, true/false for flags)."
            )
            raise ValueError(msg)
        return value

    def at_least(self, value: Any, minimum: int, key: str, section: str, fix: str) -> int:
        """Return ``value`` if it is an int >= ``minimum``; otherwise raise, ending with ``fix``."""
        number = int(self.typed(value, int, key, section))
        if number < minimum:
            msg = (
                f"The {key!r} key {self.place(section)} must be an int >= {minimum}; "
                f"got {number}. {fix}"
            )
            raise ValueError(msg)
        return number

    def choice(self, value: Any, choices: tuple[Any, ...], key: str, section: str) -> Any:
        return check_choice(value, choices, name=key, where=self.where(section))

    def input_path(self, text: Any, key: str, section: str) -> str:
        text = self.typed(text, str, key, section)
        path = Path(text).expanduser()
        if path.is_absolute() or self.base_dir is None:
            return str(path)
        # glob.glob, not Path.glob: the pattern may be absolute or contain '..'.
        pattern_found = glob.has_magic(text) and bool(glob.glob(str(path)))  # noqa: PTH207
        exists = pattern_found or (not glob.has_magic(text) and path.exists())
        return str(path) if exists else str(self.base_dir / path)
