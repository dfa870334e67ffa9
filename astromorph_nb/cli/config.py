"""Settings of a command-line training run, read from a TOML file (cli layer).

``astromorph-nb train CONFIG.toml`` takes our own layout or the astromorph seed's settings
files as they are. Every key is checked: an unknown key is an error that names it, its
section and the closest valid key.

Our layout
----------
.. code-block:: toml

    [data]                      # read_fits options; only source is required
    source = "cutouts/*.fits"   # file, folder, glob, file list, or a list of these
    hdu = "SCI"                 # index or EXTNAME (default: first HDU with image data)
    image_size = 64             # or [ny, nx]; needed when sizes differ
    resize_mode = "resize"      # "resize", "crop", "pad"
    cube_mode = "channels"      # cubes: "channels", "moments", "planes", "sum"
    n_channels = 3              # with cube_mode = "channels"
    squeeze = true
    nan_policy = "mask"         # "mask", "zero", "drop", "raise"
    normalize = "minmax"        # "minmax", "percentile", "zscale", "asinh", "log", "none"
    keywords = ["EXPTIME"]      # extra header keywords for the metadata
    on_error = "raise"          # or "skip" unreadable files
    n_threads = 1               # reading threads; n_processes = reading processes
    cache_dir = "/scratch/me"   # memory-map images larger than RAM

    [model]
    encoder = "default"         # or "small", "resnet18-layer2", any torchvision name
    pretrained = true           # default model only: start from the shipped weights
    projection_size = 256       # named encoders: BYOL head sizes
    projection_hidden_size = 1024

    [augment]                   # default_augmentations() keywords
    angle_deg = [-180, 180]
    flux_factor = [0.8, 1.25]

    [training]                  # TrainingConfig fields
    n_epochs = 100
    batch_size = 128            # global batch: shared by all processes under torchrun
    learning_rate = 5e-3
    random_state = 0            # also seeds the map, scores and clusters
    device = "auto"
    n_cpu_threads = 8           # torch.set_num_threads

    [distributed]               # only used under torchrun
    sync_batchnorm = "heads"    # or "all": the encoders' BatchNorm too

    [output]
    folder = "runs/galaxies"    # the session folder (default runs/<config name>)
    export = ["csv", "fits"]    # also write runs/galaxies.csv, runs/galaxies.fits
    analyse = true              # t-SNE map, anomaly scores and clusters before saving
    checkpoint_every_epochs = 0 # >0: keep runs/galaxies.checkpoint.pt for Trainer.fit

Relative paths are taken from the working directory; an input that does not exist there is
looked for next to the configuration file.

The seed's layout
-----------------
The seed's keys map onto ours; each key whose meaning changed gives one
:class:`~astromorph_nb.AstromorphWarning` that says what happens now:

- ``datafile`` → ``[data] source`` (a text file with one FITS path per line).
- ``epochs`` → ``[training] n_epochs`` (default 10, as in the seed).
- ``network_name = "n_layer_resnet"`` with ``[network_settings] last_layer`` (default
  ``"layer4"``) → ``[model] encoder = "resnet18-<last_layer>"``.
- ``[byol_settings] projection_size``, ``projection_hidden_size`` → ``[model]``; the
  ``representation_size`` is the encoder's own (warns if it differs).
- ``[byol_settings] use_momentum = false`` warns: BYOL here always keeps its moving-average
  target (momentum rising from 0.99 to 1); ``moving_average_decay`` warns: it becomes the
  start of that cosine schedule.
- ``[data_settings] stacksize = 3`` warns: encoders take the images' own bands, so nothing
  is repeated into RGB.
- ``learning_rate`` warns: it becomes the peak of AdamW's warm-up and cosine decay;
  ``exponential_lr`` and ``gamma`` warn: the cosine decay replaces them.
- ``batch_size`` warns: the images of a step now go through the network together; the seed
  accumulated gradients over single images.
- ``core_limit`` → ``torch.set_num_threads`` (0: no limit).
- ``trained_network_name`` warns: it names the session folder written (``.pt`` dropped);
  the seed read a pickled model from it.
- ``export_to_csv = true`` warns: ``<folder>.csv`` is written (comma-separated), not
  ``exported/<name>.csv``.
- ``maskfile`` is an error: cut the objects out with :func:`astromorph_nb.cutouts` first.

A seed file may also hold our sections, for what the seed could not say (``[data]
image_size`` for images of different sizes); a setting given both ways is an error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from astromorph_nb._validation import check_image_size
from astromorph_nb.augment import default_augmentations
from astromorph_nb.cli._config_reader import SECTIONS, Reader
from astromorph_nb.cli.run_config import EXPORT_FORMATS, SYNC_BATCHNORM, RunConfig
from astromorph_nb.cli.seed import SEED_DEFAULT_EPOCHS, SEED_KEYS, SEED_TABLES, translate_seed
from astromorph_nb.data.cubes import CUBE_MODES
from astromorph_nb.data.preprocess import NAN_POLICIES, NORMALIZATIONS, RESIZE_MODES
from astromorph_nb.exceptions import DataNotFoundError
from astromorph_nb.model.encoders import build_encoder
from astromorph_nb.session import Session
from astromorph_nb.session.model_spec import ModelSpec
from astromorph_nb.train.config import TrainingConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "EXPORT_FORMATS",
    "SYNC_BATCHNORM",
    "RunConfig",
    "build_session",
    "load_run_config",
    "parse_run_config",
]

#: How to fix a count in [data] below 1.
_COUNT_FIXES = {
    "n_channels": "Give the number of channels to rebin each cube's planes into.",
    "n_threads": "Use 1 to read in this thread only.",
    "n_processes": "Use 1 to read in this process only, or leave it out to choose by size.",
}


def load_run_config(path: str | os.PathLike[str]) -> RunConfig:
    """Read and check a TOML configuration file (our layout or the seed's).

    Raises
    ------
    DataNotFoundError
        If the file does not exist.
    ValueError
        If it is not valid TOML, or a key or value is wrong (the message names both).
    """
    source = Path(path).expanduser()
    if not source.is_file():
        msg = f"No configuration file at {str(path)!r}. Check the path (relative to {Path.cwd()})."
        raise DataNotFoundError(msg)
    text = source.read_text(encoding="utf-8")
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = f"{source.name} is not valid TOML: {err}. Fix the syntax there."
        raise ValueError(msg) from err
    return parse_run_config(values, name=source.name, base_dir=source.parent)


def parse_run_config(
    values: dict[str, Any], *, name: str = "the configuration", base_dir: Path | None = None
) -> RunConfig:
    """Check the settings of a parsed TOML file and return them as a :class:`RunConfig`.

    Parameters
    ----------
    values : dict
        What ``tomllib`` read.
    name : str, default="the configuration"
        The file name, quoted in messages; its stem names the default output folder.
    base_dir : pathlib.Path, optional
        Where inputs missing from the working directory are looked for.

    Examples
    --------
    >>> config = parse_run_config(
    ...     {"data": {"source": "cutouts/"}, "training": {"n_epochs": 5}}, name="run.toml")
    >>> config.training.n_epochs, str(config.output)
    (5, 'runs/run')
    """
    reader = Reader(name, base_dir)
    ours = {key: value for key, value in values.items() if key in SECTIONS}
    seed = {key: value for key, value in values.items() if key not in SECTIONS}
    ours = {key: dict(table) if isinstance(table, dict) else table for key, table in ours.items()}
    for key in seed:
        if key not in SEED_KEYS and key not in SEED_TABLES:
            raise reader.unknown(key, None, [*SECTIONS, *SEED_KEYS, *SEED_TABLES])
    for section, table in ours.items():
        reader.check_keys(table, section, SECTIONS[section])
    layout = "seed" if seed else "ours"
    if seed:
        for section, table in translate_seed(seed, reader, SECTIONS).items():
            mine = ours.setdefault(section, {})
            for key, value in table.items():
                if key in mine:
                    msg = (
                        f"[{section}] {key} in {name} is set twice: by our section and by the "
                        f"seed's keys (as {value!r}). Keep one of them."
                    )
                    raise ValueError(msg)
                mine[key] = value
    if not ours.get("data", {}).get("source"):
        msg = (
            f"No images named in {name}. Expected [data] source = 'cutouts/*.fits' (or the "
            "seed's datafile = 'files.txt'); got none. Add one of them."
        )
        raise ValueError(msg)
    return _build(ours, reader, layout=layout, stem=Path(name).stem)


def _build(ours: dict[str, dict[str, Any]], reader: Reader, *, layout: str, stem: str) -> RunConfig:
    data = dict(ours.get("data", {}))
    source = data.pop("source")
    sources = source if isinstance(source, list) else [source]
    resolved = tuple(reader.input_path(item, "source", "data") for item in sources)
    read_options = _read_options(data, reader)

    model = ours.get("model", {})
    encoder = reader.typed(model.get("encoder", "default"), str, "encoder", "model")
    if encoder != "default":
        try:
            build_encoder(encoder, in_channels=1)
        except ValueError as err:
            msg = f"{err} Fix [model] encoder in {reader.name}."
            raise ValueError(msg) from err
    pretrained = reader.typed(model.get("pretrained", True), bool, "pretrained", "model")
    sizes = [model.get(key) for key in ("projection_size", "projection_hidden_size")]
    for key, value in zip(("projection_size", "projection_hidden_size"), sizes, strict=True):
        if value is not None:
            reader.at_least(value, 1, key, "model", "Leave it out for BYOL's default size.")

    augment: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in ours.get("augment", {}).items()
    }
    try:
        default_augmentations(**augment)
    except (TypeError, ValueError) as err:
        msg = f"{err} Fix it in [augment] of {reader.name}."
        raise ValueError(msg) from err

    training = dict(ours.get("training", {}))
    n_cpu_threads = training.pop("n_cpu_threads", None)
    if n_cpu_threads is not None:
        fix = "Leave it out to let PyTorch choose."
        reader.at_least(n_cpu_threads, 1, "n_cpu_threads", "training", fix)
    if layout == "seed":
        training.setdefault("n_epochs", SEED_DEFAULT_EPOCHS)
    try:
        config = TrainingConfig(**training)
    except (TypeError, ValueError) as err:
        msg = f"{err} Fix it in [training] of {reader.name}."
        raise ValueError(msg) from err

    distributed = ours.get("distributed", {})
    sync = reader.choice(
        distributed.get("sync_batchnorm", "heads"), SYNC_BATCHNORM, "sync_batchnorm", "distributed"
    )

    output = ours.get("output", {})
    folder = reader.typed(output.get("folder", f"runs/{stem}"), str, "folder", "output")
    export = output.get("export", [])
    export = [export] if isinstance(export, str) else reader.typed(export, list, "export", "output")
    for fmt in export:
        reader.choice(fmt, EXPORT_FORMATS, "export", "output")
    analyse = reader.typed(output.get("analyse", True), bool, "analyse", "output")
    every = output.get("checkpoint_every_epochs", 0)
    reader.at_least(every, 0, "checkpoint_every_epochs", "output", "Use 0 for no checkpoints.")
    return RunConfig(
        source=resolved,
        read_options=read_options,
        encoder=encoder,
        pretrained=pretrained,
        projection_size=sizes[0],
        projection_hidden_size=sizes[1],
        augment_settings=augment,
        training=config,
        n_cpu_threads=n_cpu_threads,
        sync_batchnorm=sync,
        output=Path(folder).expanduser(),
        export_formats=tuple(dict.fromkeys(export)),
        analyse=analyse,
        checkpoint_every_epochs=every,
        layout=layout,
    )


def _read_options(data: dict[str, Any], reader: Reader) -> dict[str, Any]:
    """Check the ``[data]`` keys other than ``source``; return read_fits keywords."""
    options: dict[str, Any] = {}
    for key, value in data.items():
        if key == "hdu":
            options[key] = reader.typed(value, (int, str), key, "data")
        elif key == "image_size":
            options[key] = check_image_size(value, name=key, where=reader.where("data"))
        elif key in ("resize_mode", "cube_mode", "nan_policy", "on_error"):
            choices = {
                "resize_mode": RESIZE_MODES,
                "cube_mode": CUBE_MODES,
                "nan_policy": NAN_POLICIES,
                "on_error": ("raise", "skip"),
            }[key]
            options[key] = reader.choice(value, tuple(choices), key, "data")
        elif key == "normalize":
            named = tuple(n for n in NORMALIZATIONS if n is not None)
            value = reader.choice(value, (*named, "none"), key, "data")
            options[key] = None if value == "none" else value
        elif key == "squeeze":
            options[key] = reader.typed(value, bool, key, "data")
        elif key == "keywords":
            items = reader.typed(value, list, key, "data")
            options[key] = tuple(reader.typed(item, str, key, "data") for item in items)
        elif key == "cache_dir":
            options[key] = str(Path(reader.typed(value, str, key, "data")).expanduser())
        else:  # n_channels, n_threads, n_processes
            options[key] = reader.at_least(value, 1, key, "data", _COUNT_FIXES[key])
    cube_mode = options.get("cube_mode")
    if "n_channels" in options and cube_mode != "channels":
        got = "no cube_mode" if cube_mode is None else f"cube_mode = {cube_mode!r}"
        msg = (
            f"The 'n_channels' key in [data] of {reader.name} applies only with cube_mode = "
            f'"channels" (cube planes rebinned into n_channels channels); got {got}. Add '
            'cube_mode = "channels", or remove n_channels.'
        )
        raise ValueError(msg)
    return options


def build_session(config: RunConfig, *, progress: bool | None = None) -> Session:
    """Read the images and build the session a run trains.

    Parameters
    ----------
    config : RunConfig
        The run's settings.
    progress : bool, optional
        Show a progress bar while reading (default: above 200 files; the CLI turns it off
        on every process but the first under torchrun).
    """
    from astromorph_nb.io.fits.reader import read_fits

    images = read_fits(list(config.source), progress=progress, **config.read_options)
    model: str | ModelSpec | None = None if config.encoder == "default" else config.encoder
    if config.encoder != "default" and (config.projection_size or config.projection_hidden_size):
        model = ModelSpec.named(
            config.encoder,
            in_channels=images.n_channels,
            projection_size=config.projection_size,
            projection_hidden_size=config.projection_hidden_size,
        )
    session = Session(
        images,
        model=model,
        pretrained=config.pretrained,
        random_state=config.training.random_state,
        device=config.training.device,
    )
    if config.augment_settings:
        session.set_augmentations(**config.augment_settings)
    return session
