"""AugmentationPreview: tune augmentations while seeing what the network sees (widgets layer).

A few images sit in the left column with augmented views of them beside them, drawn by
:meth:`Session.augmented_views`. Sliders set the keywords of
:func:`~astromorph_nb.augment.default_augmentations`; moving one redraws the views (sliders
report on release, which is the debounce), *New views* draws other random views, and
*Apply to training* hands the settings to :meth:`Session.set_augmentations`, for the next
training runs. Each row shares its original's grey scale, so changes of flux, blur and
noise show as they are.
"""

from __future__ import annotations

import inspect
from typing import Any

import ipywidgets as widgets
import numpy as np

from astromorph_nb._validation import check_positive_int
from astromorph_nb.augment.pipeline import default_augmentations
from astromorph_nb.session import Session
from astromorph_nb.widgets._errors import ErrorLine, report_errors, report_observer_errors
from astromorph_nb.widgets._render import render_png

__all__ = ["DEFAULT_SETTINGS", "AugmentationPreview"]

#: The keywords of ``default_augmentations`` with their default values, read from its
#: signature: the sliders start where training does.
DEFAULT_SETTINGS: dict[str, Any] = {
    name: parameter.default
    for name, parameter in inspect.signature(default_augmentations).parameters.items()
}
FILL_CHOICES = ("reflect", "noise", "zero", "crop")
#: Displayed size of each image, in screen pixels.
TILE_PX = 76


def _as_keywords(settings: dict[str, Any]) -> dict[str, Any]:
    """Return the settings with every range as a tuple of floats, so they compare equal."""
    return {
        key: tuple(float(v) for v in value) if isinstance(value, (tuple, list)) else value
        for key, value in settings.items()
    }


class AugmentationPreview(widgets.VBox):
    """Images and augmented views of them, with sliders for the augmentation settings.

    Parameters
    ----------
    session : Session
        The session whose images to show and whose training augmentations to set.
    n_images : int, default=4
        Rows: images spread evenly through the set (or ``indices``).
    n_views : int, default=4
        Augmented views per image.
    indices : sequence of int, optional
        Which images to show instead of the spread.
    channel : int, default=0
        Channel shown for multi-channel images.
    **layout_options
        Keywords for :class:`ipywidgets.VBox`.

    Examples
    --------
    >>> import numpy as np
    >>> from astromorph_nb import Session
    >>> session = Session.from_arrays(np.random.default_rng(0).random((8, 16, 16)),
    ...                               device="cpu", random_state=0)
    >>> preview = AugmentationPreview(session, n_images=2, n_views=3)
    >>> len(preview._view_images), len(preview._view_images[0])
    (2, 3)
    >>> preview.close()
    """

    def __init__(
        self,
        session: Session,
        *,
        n_images: int = 4,
        n_views: int = 4,
        indices: Any = None,
        channel: int = 0,
        **layout_options: Any,
    ) -> None:
        self._session = session
        where = "AugmentationPreview"
        n_images = check_positive_int(n_images, name="n_images", where=where)
        self._n_views = check_positive_int(n_views, name="n_views", where=where)
        n_channels = session.images.n_channels
        if not 0 <= channel < n_channels:
            msg = (
                f"Channel {channel!r} does not exist in {where}: the session's images have "
                f"{n_channels} channel(s). Pick a channel from 0 to {n_channels - 1}."
            )
            raise IndexError(msg)
        self._channel = channel
        self._draw = 0
        self._is_resetting = False
        if indices is None:
            spread = np.linspace(0, session.n_images - 1, min(n_images, session.n_images))
            indices = np.unique(np.round(spread).astype(np.int64))
        self._indices = [int(i) for i in np.atleast_1d(np.asarray(indices))]
        settings = {**DEFAULT_SETTINGS, **session.augmentation_settings}
        self._build_controls(settings)
        self._build_grid()
        self._new_views_button = widgets.Button(
            description="New views", icon="refresh", tooltip="Draw other random views"
        )
        self._apply_button = widgets.Button(
            description="Apply to training",
            icon="check",
            button_style="primary",
            tooltip="Use these settings for the next training runs (session.set_augmentations)",
            layout=widgets.Layout(width="auto"),
        )
        self._defaults_button = widgets.Button(
            description="Defaults", icon="undo", tooltip="Put every slider back to its default"
        )
        self._message_html = widgets.HTML()
        self._errors = ErrorLine()
        self._new_views_button.on_click(self._on_new_views_click)
        self._apply_button.on_click(self._on_apply_click)
        self._defaults_button.on_click(self._on_defaults_click)
        for control in self._controls.values():
            control.observe(self._on_settings_change, names=["value"])
        session.observe(self._on_status_change, names=["status"])
        self._is_observing = True
        buttons = widgets.HBox(
            [self._new_views_button, self._apply_button, self._defaults_button],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        caption = widgets.HTML(
            "<b>Augmentations</b>: what the network sees. Left, the image; right, random "
            "training views of it on the same grey scale (asinh)."
        )
        controls_box = widgets.VBox(list(self._controls.values()))
        self._owned: list[widgets.Widget] = [
            caption,
            self._grid,
            *self._grid.children,
            *self._controls.values(),
            controls_box,
            self._new_views_button,
            self._apply_button,
            self._defaults_button,
            buttons,
            self._message_html,
            self._errors.widget,
        ]
        self._refresh()
        super().__init__(
            [caption, self._grid, controls_box, buttons, self._message_html, self._errors.widget],
            **layout_options,
        )

    def _build_controls(self, settings: dict[str, Any]) -> None:
        common: dict[str, Any] = {
            "continuous_update": False,
            "style": {"description_width": "140px"},
            "layout": widgets.Layout(width="98%"),
        }

        def slider(
            key: str, label: str, low: float, high: float, step: float, tip: str
        ) -> widgets.FloatSlider | widgets.FloatRangeSlider:
            # A (low, high) setting gets a range slider, a number a plain one.
            value = settings[key]
            ranged = isinstance(value, (tuple, list))
            kind = widgets.FloatRangeSlider if ranged else widgets.FloatSlider
            return kind(
                value=tuple(value) if ranged else value,
                min=low,
                max=high,
                step=step,
                readout_format=".0f" if step >= 1 else ".2f",
                description=label,
                tooltip=tip,
                **common,
            )

        self._controls: dict[str, widgets.ValueWidget] = {
            "angle_deg": slider(
                "angle_deg", "rotation (deg)", -180.0, 180.0, 5.0, "Range of rotation angles"
            ),
            "flip_prob": slider(
                "flip_prob", "flip probability", 0.0, 1.0, 0.05, "Chance that a view is mirrored"
            ),
            "shift_fraction": slider(
                "shift_fraction",
                "shift (fraction)",
                0.0,
                0.25,
                0.01,
                "Largest shift, as a fraction of the image size",
            ),
            "zoom": slider("zoom", "zoom", 0.5, 2.0, 0.05, "Range of scale factors"),
            "aspect_ratio": slider(
                "aspect_ratio",
                "stretch (x/y)",
                0.4,
                2.5,
                0.05,
                "Range of the ratio of x to y magnification, along a random axis",
            ),
            "fwhm_px": slider(
                "fwhm_px", "PSF blur FWHM (px)", 0.0, 5.0, 0.1, "Extra blur, FWHM in pixels"
            ),
            "relative_sigma": slider(
                "relative_sigma",
                "noise (× image σ)",
                0.0,
                6.0,
                0.05,
                "Added Gaussian noise, in units of each image's own noise",
            ),
            "flux_factor": slider(
                "flux_factor", "flux factor", 0.5, 2.0, 0.05, "Range of flux scalings"
            ),
            "fill": widgets.Dropdown(
                options=list(FILL_CHOICES),
                value=settings["fill"],
                description="corner fill",
                tooltip="What fills the corners that rotations and shifts uncover",
                style=common["style"],
            ),
        }

    def _build_grid(self) -> None:
        n_columns = 1 + self._n_views
        headers = ["image"] + [f"view {k + 1}" for k in range(self._n_views)]
        cells: list[widgets.Widget] = [
            widgets.HTML(f"<small><b>{text}</b></small>") for text in headers
        ]
        tile = widgets.Layout(width=f"{TILE_PX}px", height=f"{TILE_PX}px")
        self._original_images: list[widgets.Image] = []
        self._view_images: list[list[widgets.Image]] = []
        for _index in self._indices:
            # No tooltips on Image: Voila 0.5's front end cannot draw an Image that has one.
            original = widgets.Image(format="png", layout=tile)
            views = [widgets.Image(format="png", layout=tile) for _ in range(self._n_views)]
            self._original_images.append(original)
            self._view_images.append(views)
            cells.extend([original, *views])
        self._grid = widgets.GridBox(
            cells,
            layout=widgets.Layout(
                grid_template_columns=f"repeat({n_columns}, {TILE_PX}px)", grid_gap="4px"
            ),
        )

    # -- user actions ----------------------------------------------------------------

    @report_errors
    def _on_settings_change(self, _change: dict[str, Any]) -> None:
        if not self._is_resetting:
            self._refresh()

    @report_errors
    def _on_new_views_click(self, _button: widgets.Button) -> None:
        self._draw += 1  # a new seed: new random views
        self._refresh()

    @report_errors
    def _on_apply_click(self, _button: widgets.Button) -> None:
        self._session.set_augmentations(**self.settings)
        self._refresh_message()

    @report_errors
    def _on_defaults_click(self, _button: widgets.Button) -> None:
        self._is_resetting = True  # one redraw, not one per slider
        try:
            for key, control in self._controls.items():
                control.value = DEFAULT_SETTINGS[key]
        finally:
            self._is_resetting = False
        self._refresh()

    @report_observer_errors
    def _on_status_change(self, _change: dict[str, Any]) -> None:
        self._refresh_message()

    # -- drawing ---------------------------------------------------------------------

    @property
    def settings(self) -> dict[str, Any]:
        """The settings the sliders show, as keywords of ``Session.set_augmentations``."""
        return _as_keywords({key: control.value for key, control in self._controls.items()})

    def _augmented_views(self) -> tuple[np.ndarray, np.ndarray]:
        """Make views with the sliders' settings; the session's own stay as they are."""
        return self._session.augmented_views(
            self._indices, n_views=self._n_views, settings=self.settings, random_state=self._draw
        )

    def _refresh(self) -> None:
        originals, views = self._augmented_views()
        channel = self._channel
        zoom = max(1, TILE_PX // max(originals.shape[-2:]))
        for row, original in enumerate(originals):
            reference = original[channel]
            self._original_images[row].value = render_png(reference, zoom=zoom)
            for column, view in enumerate(views[row]):
                self._view_images[row][column].value = render_png(
                    view[channel], reference=reference, zoom=zoom
                )
        self._refresh_message()

    def _refresh_message(self) -> None:
        session = self._session
        applied = _as_keywords({**DEFAULT_SETTINGS, **session.augmentation_settings})
        if applied == self.settings:
            text = "These settings are the ones training uses."
            if session.status == "training":
                text += " The run in progress keeps the settings it started with."
        else:
            text = "Not applied yet: press <b>Apply to training</b> to train with these."
        self._message_html.value = f"<small>{text}</small>"

    # -- cleanup ---------------------------------------------------------------------

    def close(self) -> None:
        """Stop observing the session and close every widget of the panel."""
        # getattr: ipywidgets calls close() again from __del__, also after a failed __init__.
        if getattr(self, "_is_observing", False):
            self._session.unobserve(self._on_status_change, names=["status"])
            self._is_observing = False
        for widget in getattr(self, "_owned", []):
            widget.close()
        super().close()
