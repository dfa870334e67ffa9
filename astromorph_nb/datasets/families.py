"""Generated, labelled image sets of three families of sky objects (datasets layer).

Each family has its own classes, physics and nuisances, rendered by a module of
:mod:`astromorph_nb.data`:

- :func:`synthetic`: galaxies and other sources in optical/IR imaging (smooth, disks,
  ringed disks, spirals, mergers, point sources, filaments), counts with PSF, sky and noise
  (:mod:`~astromorph_nb.data.synthetic`);
- :func:`protoplanetary_disks`: ALMA-like dust continuum of protoplanetary disks (smooth,
  rings, cavities, spirals, crescents, binaries, edge-on) in Jy/beam, with elliptical beams
  and beam-correlated noise (:mod:`~astromorph_nb.data.disks`);
- :func:`dark_clouds`: column-density maps of star-forming clouds (filaments, hubs, cores,
  shells, clusters, diffuse gas) on fractal backgrounds, in cm⁻²
  (:mod:`~astromorph_nb.data.clouds`).

Each returns an :class:`~astromorph_nb.data.imageset.ImageSet` normalized the same way as
:func:`~astromorph_nb.io.fits.reader.read_fits`, with ``label``, ``label_id`` and the true physical
parameters of every image in ``meta``. Users reach them as ``astromorph_nb.datasets.*``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from astropy.table import Table

from astromorph_nb._validation import (
    as_generator,
    check_choice,
    check_image_size,
    check_positive_int,
)
from astromorph_nb.data.clouds import CLOUD_CLASSES, render_clouds
from astromorph_nb.data.disks import DISK_CLASSES, render_disks
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.data.preprocess import NORMALIZATIONS, finish_stack
from astromorph_nb.data.synthetic import MORPHOLOGY_CLASSES, render_morphologies

__all__ = ["dark_clouds", "protoplanetary_disks", "synthetic"]

_Renderer = Callable[..., tuple[np.ndarray, list[str], dict[str, np.ndarray]]]


def synthetic(
    n_per_class: int = 100,
    image_size: int | tuple[int, int] = 64,
    *,
    classes: Sequence[str] | None = None,
    normalize: str | None = "minmax",
    random_state: None | int | np.random.Generator = None,
) -> ImageSet:
    """Generate labelled images of astronomical morphologies, with PSF, sky and noise.

    Parameters
    ----------
    n_per_class : int, default=100
        Images per class; the classes are balanced and grouped in the order of ``classes``.
    image_size : int or tuple of int, default=64
        ``(ny, nx)`` in pixels; an int means square images.
    classes : sequence of str, optional
        Any of ``"smooth"``, ``"inclined_disk"``, ``"ringed_disk"``, ``"spiral"``,
        ``"merger"``, ``"point_source"``, ``"filament"``
        (:data:`~astromorph_nb.data.synthetic.MORPHOLOGY_CLASSES`). Default: all seven.
    normalize : {"minmax", "percentile", "zscale", "asinh", "log"} or None, default="minmax"
        Scaling of each image, as in :func:`~astromorph_nb.io.fits.reader.read_fits`. ``None``
        keeps raw counts (sky included).
    random_state : int, numpy.random.Generator or None, default=None
        Seed. Fix it to get the same images again.

    Returns
    -------
    ImageSet
        ``n_per_class * len(classes)`` images of 1 channel. ``meta`` has ``label`` (class
        name), ``label_id`` (its index in ``MORPHOLOGY_CLASSES``, the same whatever
        ``classes`` is) and the true parameters of each image: ``x``, ``y``, ``angle_deg``,
        ``size_px``, ``axis_ratio``, ``fwhm_px``, ``snr``, ``peak``, ``flux``,
        ``sky_level``, ``noise_sigma`` (see
        :func:`~astromorph_nb.data.synthetic.render_morphologies`).

    Examples
    --------
    >>> from astromorph_nb.datasets import synthetic
    >>> images = synthetic(n_per_class=4, image_size=32, random_state=0)
    >>> images.shape
    (28, 1, 32, 32)
    >>> images.meta["label"][::4].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['smooth', 'inclined_disk', 'ringed_disk', 'spiral', 'merger', 'point_source',
     'filament']
    """
    return _generate(
        "datasets.synthetic", render_morphologies, MORPHOLOGY_CLASSES, n_per_class,
        image_size, classes, normalize, random_state,
    )  # fmt: skip


def protoplanetary_disks(
    n_per_class: int = 100,
    image_size: int | tuple[int, int] = 64,
    *,
    classes: Sequence[str] | None = None,
    normalize: str | None = "minmax",
    random_state: None | int | np.random.Generator = None,
) -> ImageSet:
    """Generate labelled ALMA-like dust-continuum images of protoplanetary disks.

    Disks at random inclination, position angle, radius and flux, observed with an
    elliptical Gaussian beam of random size and shape, in Jy/beam, with noise correlated
    on the scale of the beam (see :func:`~astromorph_nb.data.disks.render_disks`).

    Parameters
    ----------
    n_per_class : int, default=100
        Images per class; the classes are balanced and grouped in the order of ``classes``.
    image_size : int or tuple of int, default=64
        ``(ny, nx)`` in pixels; an int means square images.
    classes : sequence of str, optional
        Names from :data:`~astromorph_nb.data.disks.DISK_CLASSES`. Default: all of them.
    normalize : {"minmax", "percentile", "zscale", "asinh", "log"} or None, default="minmax"
        Scaling of each image, as in :func:`~astromorph_nb.io.fits.reader.read_fits`. ``None``
        keeps Jy/beam.
    random_state : int, numpy.random.Generator or None, default=None
        Seed. Fix it to get the same images again.

    Returns
    -------
    ImageSet
        ``n_per_class * len(classes)`` images of 1 channel; ``meta`` has ``label``,
        ``label_id`` (index in ``DISK_CLASSES``) and the true parameters of each disk.

    Examples
    --------
    >>> from astromorph_nb.datasets import protoplanetary_disks
    >>> disks = protoplanetary_disks(n_per_class=2, image_size=32, random_state=0)
    >>> disks.shape[1:], disks.meta["label"][:2].tolist()
    ((1, 32, 32), ['smooth', 'smooth'])
    """
    return _generate(
        "datasets.protoplanetary_disks", render_disks, DISK_CLASSES, n_per_class, image_size,
        classes, normalize, random_state,
    )  # fmt: skip


def dark_clouds(
    n_per_class: int = 100,
    image_size: int | tuple[int, int] = 64,
    *,
    classes: Sequence[str] | None = None,
    normalize: str | None = "minmax",
    random_state: None | int | np.random.Generator = None,
) -> ImageSet:
    """Generate labelled column-density maps of star-forming clouds on fractal backgrounds.

    Structures (filaments, hub-filament systems, cores, shells, fragmented clumps, or none)
    of random size, orientation and contrast on a log-normal turbulent background, seen
    with a Gaussian beam and noise, in cm⁻² (see
    :func:`~astromorph_nb.data.clouds.render_clouds`).

    Parameters
    ----------
    n_per_class : int, default=100
        Images per class; the classes are balanced and grouped in the order of ``classes``.
    image_size : int or tuple of int, default=64
        ``(ny, nx)`` in pixels; an int means square images.
    classes : sequence of str, optional
        Names from :data:`~astromorph_nb.data.clouds.CLOUD_CLASSES`. Default: all of them.
    normalize : {"minmax", "percentile", "zscale", "asinh", "log"} or None, default="minmax"
        Scaling of each image, as in :func:`~astromorph_nb.io.fits.reader.read_fits`. ``None``
        keeps column densities.
    random_state : int, numpy.random.Generator or None, default=None
        Seed. Fix it to get the same images again.

    Returns
    -------
    ImageSet
        ``n_per_class * len(classes)`` images of 1 channel; ``meta`` has ``label``,
        ``label_id`` (index in ``CLOUD_CLASSES``) and the true parameters of each map.

    Examples
    --------
    >>> from astromorph_nb.datasets import dark_clouds
    >>> clouds = dark_clouds(n_per_class=2, image_size=32, random_state=0)
    >>> clouds.shape[1:], clouds.meta["label"][::2].tolist()
    ((1, 32, 32), ['filament', 'hub', 'core', 'shell', 'diffuse', 'cluster'])
    """
    return _generate(
        "datasets.dark_clouds", render_clouds, CLOUD_CLASSES, n_per_class, image_size,
        classes, normalize, random_state,
    )  # fmt: skip


def _generate(
    where: str,
    render: _Renderer,
    all_classes: tuple[str, ...],
    n_per_class: int,
    image_size: int | tuple[int, int],
    classes: Sequence[str] | None,
    normalize: str | None,
    random_state: None | int | np.random.Generator,
) -> ImageSet:
    """Check the arguments, render, normalize, and build the labelled ImageSet."""
    n_per_class = check_positive_int(n_per_class, name="n_per_class", where=where)
    size = check_image_size(image_size, name="image_size", where=where)
    if size is None:
        msg = (
            f"The 'image_size' parameter of {where} must be an int or a pair (ny, nx) of ints "
            "in numpy order; got None. Pass e.g. image_size=64."
        )
        raise TypeError(msg)
    names = _check_classes(classes, all_classes, where=where)
    check_choice(normalize, NORMALIZATIONS, name="normalize", where=where)
    rng = as_generator(random_state)
    raw, labels, params = render(n_per_class, size, classes=names, random_state=rng)
    images, mask = finish_stack(raw[:, None], normalize=normalize)
    meta = Table()
    meta["label"] = np.array(labels, dtype=str)
    meta["label_id"] = np.array([all_classes.index(label) for label in labels])
    for key, values in params.items():
        meta[key] = values
    return ImageSet(images, mask=mask, meta=meta)


def _check_classes(
    classes: Sequence[str] | None, valid: tuple[str, ...], *, where: str
) -> tuple[str, ...]:
    """Return the class names, or raise an error that lists the valid ones."""
    if classes is None:
        return valid
    listed = ", ".join(repr(name) for name in valid)
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        example = classes if isinstance(classes, str) and classes in valid else valid[0]
        msg = (
            f"The 'classes' parameter of {where} must be a list of class names from {listed}; "
            f"got {classes!r}. For one class pass a list, e.g. classes=[{example!r}]."
        )
        raise TypeError(msg)
    if not classes:
        msg = f"The 'classes' parameter of {where} is empty. Name at least one of {listed}."
        raise ValueError(msg)
    unknown = [name for name in classes if name not in valid]
    if unknown:
        msg = (
            f"Unknown class {unknown[0]!r} in the 'classes' parameter of {where}. "
            f"Expected names from {listed}."
        )
        raise ValueError(msg)
    if len(set(classes)) != len(classes):
        msg = f"The 'classes' parameter of {where} names a class twice: {list(classes)!r}."
        raise ValueError(msg)
    return tuple(classes)
