"""How images, loss curves and map colours are shown, in one place (display layer).

A base layer that every other layer may import (it imports only numpy, astropy and the
base modules), so thumbnails, figures, widgets and the companion page draw the same things
the same way:

- ``stretch``: the percentile interval and the named stretches that map pixel values to
  grey levels in [0, 1] or 0-255;
- ``resize``: block means, area averaging and padding of thumbnails to squares;
- ``curves``: the moving average and the decimation of loss curves;
- ``colors``: how a column colours the points of a map (numbers or capped categories).
"""

from astromorph_nb.display.colors import (
    MAX_COLOR_CATEGORIES,
    OTHER,
    ColorCoding,
    category_codes,
    color_coding,
)
from astromorph_nb.display.curves import (
    HALF_LIFE_STEPS,
    LOSS_SMOOTHING,
    MAX_EPOCH_MARKERS,
    MAX_POINTS,
    LossCurvePoints,
    decimate,
    loss_curve_points,
    smooth_loss,
)
from astromorph_nb.display.resize import block_mean, pad_to_square, shrink_square
from astromorph_nb.display.stretch import (
    DEFAULT_PERCENTILE,
    DEFAULT_STRETCH,
    STRETCHES,
    check_percentile,
    check_stretch,
    display_uint8,
    display_values,
    normalize,
    percentile_limits,
    stack_percentile_limits,
    to_uint8,
)

__all__ = [
    "DEFAULT_PERCENTILE",
    "DEFAULT_STRETCH",
    "HALF_LIFE_STEPS",
    "LOSS_SMOOTHING",
    "MAX_COLOR_CATEGORIES",
    "MAX_EPOCH_MARKERS",
    "MAX_POINTS",
    "OTHER",
    "STRETCHES",
    "ColorCoding",
    "LossCurvePoints",
    "block_mean",
    "category_codes",
    "check_percentile",
    "check_stretch",
    "color_coding",
    "decimate",
    "display_uint8",
    "display_values",
    "loss_curve_points",
    "normalize",
    "pad_to_square",
    "percentile_limits",
    "shrink_square",
    "smooth_loss",
    "stack_percentile_limits",
    "to_uint8",
]
