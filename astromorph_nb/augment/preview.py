"""A figure of original images beside augmented views of them (augment layer).

Look at your augmentations before training: an augmentation that destroys what tells your
objects apart (a blur wider than the features, noise that buries faint structure) makes
the embedding blind to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from astromorph_nb._typing import RandomState
from astromorph_nb._validation import as_generator, check_positive_int
from astromorph_nb.augment.base import Augmentation
from astromorph_nb.augment.pipeline import default_augmentations
from astromorph_nb.display.stretch import DEFAULT_PERCENTILE, normalize, percentile_limits
from astromorph_nb.exceptions import InvalidImageError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["preview"]


def preview(
    images: Any,
    pipeline: Augmentation | None = None,
    *,
    n_images: int = 4,
    n_views: int = 4,
    channel: int = 0,
    random_state: RandomState = None,
) -> Figure:
    """Show the first images in the left column and augmented views of each beside them.

    Every row shares one display scale: the central 99.5 % of the original's finite
    pixels, with an asinh stretch (as thumbnails and the notebook preview show images), so
    changes of flux, background and noise show as they are. Augmentations run on the CPU.

    Parameters
    ----------
    images : Tensor or array-like of shape (n_images, n_channels, ny, nx) or (n_images, ny, nx)
        Images, e.g. ``image_set.images``.
    pipeline : Augmentation or None, default=None
        What to preview; None means :func:`default_augmentations()`.
    n_images : int, default=4
        Number of rows (the first ``n_images`` images; fewer if there are fewer).
    n_views : int, default=4
        Number of augmented views per image.
    channel : int, default=0
        Channel (band) to show.
    random_state : int, numpy.random.Generator or None, default=None
        Seed for the augmentations. Fix it to get the same figure again.

    Returns
    -------
    matplotlib.figure.Figure
        ``n_images`` rows of ``1 + n_views`` panels; not attached to pyplot, so it needs
        no closing. A notebook shows it when it is the cell's last expression; save it
        with ``figure.savefig(path)``.

    Raises
    ------
    InvalidImageError
        If ``images`` does not have 3 or 4 axes, or has no channel ``channel``.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import preview
    >>> figure = preview(torch.rand(3, 1, 32, 32), n_images=2, n_views=3, random_state=0)
    >>> len(figure.axes)
    8
    """
    n_images = check_positive_int(n_images, name="n_images", where="preview")
    n_views = check_positive_int(n_views, name="n_views", where="preview")
    channel = check_positive_int(channel, name="channel", where="preview", minimum=0)
    batch = torch.as_tensor(np.asarray(images, dtype=np.float32))
    if batch.ndim == 3:
        batch = batch[:, None]
    if batch.ndim != 4 or batch.shape[0] == 0:
        msg = (
            f"preview needs images of shape (n_images, n_channels, ny, nx) or "
            f"(n_images, ny, nx) in numpy order; got shape {tuple(batch.shape)}."
        )
        raise InvalidImageError(msg)
    if channel >= batch.shape[1]:
        msg = (
            f"The 'channel' parameter of preview must be below the number of channels, "
            f"{batch.shape[1]}; got {channel}."
        )
        raise InvalidImageError(msg)
    pipeline = default_augmentations() if pipeline is None else pipeline
    seed = int(as_generator(random_state).integers(2**62))
    generator = torch.Generator().manual_seed(seed)
    originals = batch[:n_images]
    n_rows = originals.shape[0]
    augmented = pipeline(originals.repeat(n_views, 1, 1, 1), generator)
    views = augmented.reshape(n_views, n_rows, *batch.shape[1:])[:, :, channel].numpy()
    originals_shown = originals[:, channel].numpy()

    from matplotlib.figure import Figure

    figure = Figure(figsize=(1.6 * (1 + n_views), 1.6 * n_rows + 0.5), layout="constrained")
    axes = figure.subplots(n_rows, 1 + n_views, squeeze=False)
    for row in range(n_rows):
        original = originals_shown[row]
        low, high = percentile_limits(original, DEFAULT_PERCENTILE)
        high = high if high > low else low + 1.0  # a flat original: its views still show
        panels = [original, *views[:, row]]
        for column, panel in enumerate(panels):
            ax = axes[row, column]
            shown = normalize(panel, low, high, stretch="asinh")
            ax.imshow(shown, cmap="gray", origin="lower", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title("original" if column == 0 else f"view {column}", fontsize=9)
        axes[row, 0].set_ylabel(f"image {row}", fontsize=9)
    figure.suptitle(
        f"{type(pipeline).__name__}: each row shares one asinh display scale", fontsize=9
    )
    return figure
