"""TrainingPanel: start, pause and stop training and watch the loss live (widgets layer).

Under the loss curve, a line shows the latest snapshot of ``Session.quality_history``
(effective rank, spread, neighbour change, kNN accuracy with labels): the loss alone says
little about whether the embedding improves. The panel observes the session's ``step`` and
``status`` traits. The session sets them from
the training thread, so the observers here run on that thread: they only read the session
and set widget traits inside ``hold_sync()``, never print and never use ``Output`` widgets
(STYLE §5). A :class:`~astromorph_nb._throttle.Throttle` keeps redraws to at most
four per second, and each line sends at most :data:`MAX_POINTS` points to the browser. The
smoothed curve and the decimation come from ``display/curves.py``, so the live curve is the
one :func:`~astromorph_nb.plotting.plot_loss` draws.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import ipywidgets as widgets
import numpy as np

from astromorph_nb._throttle import Throttle
from astromorph_nb.display.curves import MAX_POINTS, loss_curve_points
from astromorph_nb.session import Session
from astromorph_nb.widgets._errors import ErrorLine, report_errors, report_observer_errors
from astromorph_nb.widgets._quality_line import quality_text
from astromorph_nb.widgets._status_line import status_text as _status_text

with warnings.catch_warnings():
    # bqscales (bqplot's scales) passes trait metadata the old way and traitlets warns on
    # import; the warning is about bqscales, not about anything users do.
    warnings.filterwarnings(
        "ignore", message="metadata .* was set from the constructor", category=DeprecationWarning
    )
    import bqplot

__all__ = ["MAX_POINTS", "TrainingPanel"]

#: Least time between two redraws while training runs (at most 4 per second).
REDRAW_INTERVAL_S = 0.25
#: Starting values of the inputs before the session has trained (TrainingConfig's).
DEFAULT_N_EPOCHS = 100
DEFAULT_LEARNING_RATE = 5e-3


class TrainingPanel(widgets.VBox):
    """Buttons and inputs to train a session, a live loss curve and a status line.

    Under the curve, a line shows the latest embedding-quality snapshot of the session
    (:attr:`~astromorph_nb.Session.quality_history`), with a tooltip on each number.

    Parameters
    ----------
    session : Session
        The session to train and show.
    **layout_options
        Keywords for :class:`ipywidgets.VBox` (``layout=...``).

    Notes
    -----
    *Start* calls ``session.train(n_epochs=..., learning_rate=...)``. After *Stop*, the
    button reads *Continue* while the inputs match the stopped run's settings, and calls
    ``session.train()``, which carries on exactly where the run stopped; change an input to
    start a new run from the current weights instead.

    Examples
    --------
    >>> import numpy as np
    >>> from astromorph_nb import Session
    >>> session = Session.from_arrays(np.random.default_rng(0).random((8, 16, 16)),
    ...                               device="cpu", random_state=0)
    >>> panel = TrainingPanel(session)
    >>> panel._start_button.disabled, panel._stop_button.disabled
    (False, True)
    >>> panel.close()
    """

    def __init__(self, session: Session, **layout_options: Any) -> None:
        self._session = session
        self._throttle = Throttle(REDRAW_INTERVAL_S)
        config = session.config
        button = {"layout": widgets.Layout(width="110px")}
        self._start_button = widgets.Button(
            description="Start", icon="play", button_style="success", **button
        )
        self._pause_button = widgets.Button(
            description="Pause", icon="pause", tooltip="Pause after the current batch", **button
        )
        self._resume_button = widgets.Button(
            description="Resume", icon="step-forward", tooltip="Continue the paused run", **button
        )
        self._stop_button = widgets.Button(
            description="Stop",
            icon="stop",
            button_style="danger",
            tooltip="Stop after the current batch; Continue carries on from there",
            **button,
        )
        self._n_epochs_input = widgets.BoundedIntText(
            value=config.n_epochs if config is not None else DEFAULT_N_EPOCHS,
            min=1,
            max=1_000_000,
            description="epochs",
            tooltip="Passes over all images in the next run",
            layout=widgets.Layout(width="170px"),
        )
        self._learning_rate_input = widgets.FloatLogSlider(
            value=config.learning_rate if config is not None else DEFAULT_LEARNING_RATE,
            base=10,
            min=-5,
            max=0,
            step=0.1,
            readout_format=".1e",
            continuous_update=False,
            description="learning rate",
            tooltip="Optimiser step size of the next run",
            style={"description_width": "initial"},
        )
        self._status_html = widgets.HTML()
        self._errors = ErrorLine()
        self._error_html = self._errors.widget
        self._quality_html = widgets.HTML()
        self._quality_html.add_class("amn-quality-line")
        self._build_figure()
        inputs = [
            self._start_button,
            self._pause_button,
            self._resume_button,
            self._stop_button,
            self._n_epochs_input,
            self._learning_rate_input,
        ]
        controls = widgets.HBox(
            inputs, layout=widgets.Layout(flex_flow="row wrap", align_items="center")
        )
        self._start_button.on_click(self._on_start_click)
        self._pause_button.on_click(self._on_pause_click)
        self._resume_button.on_click(self._on_resume_click)
        self._stop_button.on_click(self._on_stop_click)
        self._n_epochs_input.observe(self._on_input_change, names=["value"])
        self._learning_rate_input.observe(self._on_input_change, names=["value"])
        session.observe(self._on_step_change, names=["step"])
        session.observe(self._on_status_change, names=["status"])
        self._is_observing = True
        self._owned: list[widgets.Widget] = [
            *inputs,
            self._status_html,
            self._error_html,
            self._quality_html,
            controls,
            self._loss_line,
            self._smoothed_line,
            self._epoch_line,
            *self._axes,
            *self._scales,
            self._figure,
        ]
        self._refresh()
        super().__init__(
            [controls, self._status_html, self._error_html, self._figure, self._quality_html],
            **layout_options,
        )

    def _build_figure(self) -> None:
        x_scale, y_scale = bqplot.LinearScale(), bqplot.LinearScale()
        scales = {"x": x_scale, "y": y_scale}
        empty = np.zeros(0)

        def legend_line(label: str, color: str, **style: Any) -> bqplot.Lines:
            return bqplot.Lines(
                x=empty,
                y=empty,
                scales=scales,
                colors=[color],
                labels=[label],
                display_legend=True,
                **style,
            )

        self._loss_line = legend_line("loss per step", "#90a4ae", opacities=[0.5], stroke_width=1)
        self._smoothed_line = legend_line("smoothed (EMA)", "#1565c0", stroke_width=2.5)
        self._epoch_line = legend_line(
            "epoch mean", "#ef6c00", stroke_width=1.5, marker="circle", marker_size=24
        )
        self._axes = [
            bqplot.Axis(scale=x_scale, side="bottom", label="optimiser step", grid_lines="dashed"),
            bqplot.Axis(
                scale=y_scale,
                side="left",
                label="BYOL loss",
                tick_format=".3f",
                grid_lines="dashed",
                label_offset="50px",
            ),
        ]
        self._figure = bqplot.Figure(
            marks=[self._loss_line, self._smoothed_line, self._epoch_line],
            axes=self._axes,
            legend_location="top-right",
            fig_margin={"top": 20, "bottom": 45, "left": 65, "right": 20},
            animation_duration=0,
            layout=widgets.Layout(width="100%", height="300px"),
        )
        self._figure.add_class("amn-loss-figure")
        self._scales = [x_scale, y_scale]

    # -- user actions ----------------------------------------------------------------

    def _on_start_click(self, _button: widgets.Button) -> None:
        try:
            self._start()
        finally:
            self._refresh_controls()

    @report_errors
    def _start(self) -> None:
        if self._continues_stopped_run():
            self._session.train()
        else:
            self._session.train(
                n_epochs=int(self._n_epochs_input.value),
                learning_rate=float(self._learning_rate_input.value),
            )

    @report_errors
    def _on_pause_click(self, _button: widgets.Button) -> None:
        self._session.pause()
        self._refresh_status()
        self._refresh_controls()

    @report_errors
    def _on_resume_click(self, _button: widgets.Button) -> None:
        self._session.resume()
        self._refresh_status()
        self._refresh_controls()

    @report_errors
    def _on_stop_click(self, _button: widgets.Button) -> None:
        self._session.stop()
        self._refresh_status()
        self._refresh_controls()

    @report_observer_errors
    def _on_input_change(self, _change: dict[str, Any]) -> None:
        self._refresh_controls()

    # -- session changes (may run on the training thread) ----------------------------

    @report_observer_errors
    def _on_step_change(self, _change: dict[str, Any]) -> None:
        if self._throttle.ready():
            self._refresh_curve()
            self._refresh_quality()
            self._refresh_status()

    @report_observer_errors
    def _on_status_change(self, _change: dict[str, Any]) -> None:
        self._refresh()

    # -- drawing ---------------------------------------------------------------------

    def _refresh(self) -> None:
        self._refresh_curve()
        self._refresh_quality()
        self._refresh_status()
        self._refresh_controls()

    def _state(self) -> str:
        """Return the session's status, or "paused" or "stopped", which it does not tell apart."""
        session, job = self._session, self._session.job
        status = session.status
        if job is None:
            return status
        if status == "training":
            return "paused" if job.status == "paused" else "training"
        if status == "trained" and session.last_reason == "stopped":
            return "stopped"
        return status

    def _continues_stopped_run(self) -> bool:
        config = self._session.config
        return (
            config is not None
            and self._session.can_resume
            and int(self._n_epochs_input.value) == config.n_epochs
            and math.isclose(float(self._learning_rate_input.value), config.learning_rate)
        )

    def _refresh_controls(self) -> None:
        state = self._state()
        running = state in ("training", "paused")
        continues = self._continues_stopped_run()
        with self._start_button.hold_sync():
            self._start_button.disabled = running or state == "empty"
            self._start_button.description = "Continue" if continues else "Start"
            self._start_button.tooltip = (
                "Carry on the stopped run where it stopped (change an input to start anew)"
                if continues
                else "Train in the background with these settings, from the current weights"
            )
        self._pause_button.disabled = state != "training"
        self._resume_button.disabled = state != "paused"
        self._stop_button.disabled = not running

    def _refresh_status(self) -> None:
        session = self._session
        self._status_html.value = _status_text(
            session.progress, self._state(), session.latest_loss, session.n_images
        )
        if session.status == "failed" and session.last_error is not None:
            self._errors.show(session.last_error)

    def _refresh_curve(self) -> None:
        session = self._session
        try:
            history = session.loss_history
        except ValueError:
            # Read from the kernel thread while a step was being recorded: the step and
            # loss columns differed by one. The next step's update redraws.
            return
        epochs = session.epoch_history
        curve = loss_curve_points(
            history["step"], history["loss"], epochs["step"], epochs["mean_loss"]
        )
        with self._loss_line.hold_sync():
            self._loss_line.x, self._loss_line.y = curve.steps, curve.losses
        with self._smoothed_line.hold_sync():
            self._smoothed_line.x, self._smoothed_line.y = curve.smoothed_steps, curve.smoothed
        with self._epoch_line.hold_sync():
            self._epoch_line.x, self._epoch_line.y = curve.epoch_steps, curve.epoch_means
            self._epoch_line.marker = "circle" if curve.epoch_markers else None

    def _refresh_quality(self) -> None:
        history = self._session.quality_history
        row = None if len(history) == 0 else {name: history[name][-1] for name in history.colnames}
        self._quality_html.value = quality_text(row)

    # -- cleanup ---------------------------------------------------------------------

    def close(self) -> None:
        """Stop observing the session and close every widget of the panel."""
        # getattr: ipywidgets calls close() again from __del__, also after a failed __init__.
        if getattr(self, "_is_observing", False):
            self._session.unobserve(self._on_step_change, names=["step"])
            self._session.unobserve(self._on_status_change, names=["status"])
            self._is_observing = False
        for widget in getattr(self, "_owned", []):
            widget.close()
        super().close()
