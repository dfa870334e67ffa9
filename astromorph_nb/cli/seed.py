"""The astromorph seed's settings file, read as it is and mapped onto our layout (cli).

``astromorph-nb train`` accepts the seed's flat keys (``datafile``, ``epochs``,
``network_name``, ...) and its ``[network_settings]``, ``[byol_settings]`` and
``[data_settings]`` tables; :func:`translate_seed` maps them onto our sections and warns
once for each key whose meaning changed (see :mod:`astromorph_nb.cli.config`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from astromorph_nb.exceptions import AstromorphWarning
from astromorph_nb.model.defaults import default_model

if TYPE_CHECKING:
    from astromorph_nb.cli._config_reader import Reader

__all__ = ["SEED_DEFAULT_EPOCHS", "SEED_KEYS", "SEED_TABLES", "translate_seed"]

#: The seed's top-level keys.
SEED_KEYS = (
    "datafile",
    "maskfile",
    "epochs",
    "network_name",
    "learning_rate",
    "exponential_lr",
    "gamma",
    "batch_size",
    "core_limit",
    "trained_network_name",
    "export_to_csv",
)
SEED_TABLES: dict[str, tuple[str, ...]] = {
    "network_settings": ("last_layer",),
    "byol_settings": (
        "representation_size",
        "projection_size",
        "projection_hidden_size",
        "use_momentum",
        "moving_average_decay",
    ),
    "data_settings": ("stacksize",),
}
#: The seed's NLayerResnet: representation length after each ResNet18 stage.
_SEED_RESNET_FEATURES = {"layer1": 64, "layer2": 128, "layer3": 256, "layer4": 512}
SEED_DEFAULT_EPOCHS = 10


def _warn(key: str, name: str, what: str, *, stacklevel: int = 4) -> None:
    msg = f"{key} in {name}: {what}"
    warnings.warn(msg, AstromorphWarning, stacklevel=stacklevel)


def _move(
    values: dict[str, Any], key: str, target: dict[str, Any], ours: str, name: str, what: str
) -> None:
    """Set ``target[ours]`` to the seed's ``values[key]`` and warn how its meaning changed.

    ``what`` may name the value as ``{value!r}``; nothing happens if ``key`` is not given.
    """
    if key in values:
        target[ours] = values[key]
        _warn(key, name, what.format(value=values[key]), stacklevel=5)


def translate_seed(
    seed: dict[str, Any], reader: Reader, sections: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Map the seed's keys onto our sections, warning once for each changed meaning."""
    name = reader.name
    for table in SEED_TABLES:
        if table in seed:
            reader.check_keys(seed[table], table, SEED_TABLES[table])
    if "maskfile" in seed:
        msg = (
            f"maskfile in {name} (objects cut from one image by a mask) is not supported. "
            "Cut the objects out first with astromorph_nb.cutouts(image, positions, size) "
            "and list the stamps in datafile instead."
        )
        raise ValueError(msg)
    out: dict[str, dict[str, Any]] = {s: {} for s in sections}
    if "datafile" in seed:
        out["data"]["source"] = seed["datafile"]
    if "epochs" in seed:
        out["training"]["n_epochs"] = seed["epochs"]
    network = seed.get("network_settings", {})
    last_layer = network.get("last_layer", "layer4")
    if "network_name" in seed or "last_layer" in network:
        network_name = seed.get("network_name", "n_layer_resnet")
        reader.choice(network_name, ("n_layer_resnet",), "network_name", "")
        reader.choice(last_layer, tuple(_SEED_RESNET_FEATURES), "last_layer", "network_settings")
        out["model"]["encoder"] = f"resnet18-{last_layer}"
    byol = seed.get("byol_settings", {})
    for key in ("projection_size", "projection_hidden_size"):
        if key in byol:
            out["model"][key] = byol[key]
    if "representation_size" in byol:
        n_features = (
            _SEED_RESNET_FEATURES[last_layer]
            if "encoder" in out["model"]
            else default_model(1).n_features
        )
        if byol["representation_size"] != n_features:
            _warn(
                "representation_size",
                name,
                f"the representation length is the encoder's own ({n_features} features), "
                f"so {byol['representation_size']!r} is ignored.",
            )
    if byol.get("use_momentum", True) is not True:
        _warn(
            "use_momentum = false",
            name,
            "BYOL here always has its moving-average target network; training keeps it, with "
            "momentum rising from [training] momentum (0.99) to 1.",
        )
    _move(
        byol,
        "moving_average_decay",
        out["training"],
        "momentum",
        name,
        "it is now the starting target momentum, which rises to 1 on a cosine "
        "(the seed kept it constant).",
    )
    stacksize = seed.get("data_settings", {}).get("stacksize", 1)
    reader.choice(stacksize, (1, 3), "stacksize", "data_settings")
    if stacksize == 3:
        _warn(
            "stacksize = 3",
            name,
            "encoders here take the images' own channels, so single-band images are not "
            "repeated into RGB; the setting is ignored.",
        )
    _move(
        seed,
        "learning_rate",
        out["training"],
        "learning_rate",
        name,
        "{value!r} is now the peak rate of AdamW with a warm-up and a cosine decay (the "
        "seed used it as Adam's constant rate; our default is 5e-3).",
    )
    for key in ("exponential_lr", "gamma"):
        if key in seed:
            _warn(
                key,
                name,
                "the exponential decay is replaced by a warm-up and a cosine decay of the "
                "learning rate; the setting is ignored.",
            )
    _move(
        seed,
        "batch_size",
        out["training"],
        "batch_size",
        name,
        "each step now processes {value!r} images together (and normalises over them); "
        "the seed accumulated gradients over single images.",
    )
    if "core_limit" in seed:
        limit = reader.at_least(seed["core_limit"], 0, "core_limit", "", "Use 0 for no limit.")
        if limit:
            out["training"]["n_cpu_threads"] = limit
    if "trained_network_name" in seed:
        text = str(reader.typed(seed["trained_network_name"], str, "trained_network_name", ""))
        folder = text[:-3] if text.endswith(".pt") else text
        out["output"]["folder"] = folder
        _warn(
            "trained_network_name",
            name,
            f"it now names the session folder written by training ({folder!r}), which "
            "Session.load opens; the seed read a pickled model from it.",
        )
    if seed.get("export_to_csv", False) is True:
        out["output"]["export"] = ["csv"]
        _warn(
            "export_to_csv",
            name,
            "a comma-separated table (metadata, map, clusters, scores, embedding_000, ...) is "
            "written next to the session folder as <folder>.csv, not to exported/.",
        )
    return {section: table for section, table in out.items() if table}
