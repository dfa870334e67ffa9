from __future__ import annotations

import inspect

import numpy as np
import pytest

from astromorph_nb import Session
from astromorph_nb.augment import default_augmentations
from astromorph_nb.widgets.augmentation_preview import DEFAULT_SETTINGS, AugmentationPreview

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def session() -> Session:
    images = np.random.default_rng(0).random((32, 16, 16))
    return Session.from_arrays(images, device="cpu", random_state=0, ui_interval_s=0.0)


@pytest.fixture
def preview(session):
    preview = AugmentationPreview(session)
    yield preview
    preview.close()


def view_bytes(preview: AugmentationPreview) -> list[bytes]:
    return [bytes(image.value) for row in preview._view_images for image in row]


def test_preview_shows_rows_of_images_and_png_views(preview):
    assert len(preview._original_images) == 4
    assert [len(row) for row in preview._view_images] == [4] * 4
    assert len(preview._grid.children) == 5 + 4 * 5
    assert all(data.startswith(PNG_SIGNATURE) for data in view_bytes(preview))
    assert preview._indices == [0, 10, 21, 31]


def test_preview_is_repeatable_for_the_same_session(session, preview):
    other = AugmentationPreview(session)
    assert view_bytes(other) == view_bytes(preview)
    other.close()


def test_changing_a_slider_redraws_the_views_without_applying(session, preview):
    pipeline, before = session.augmentations, view_bytes(preview)
    originals = [bytes(image.value) for image in preview._original_images]
    preview._controls["fwhm_px"].value = (2.5, 3.0)
    after = view_bytes(preview)
    assert all(a != b for a, b in zip(before, after, strict=True))
    assert [bytes(image.value) for image in preview._original_images] == originals
    assert session.augmentation_settings == {}
    assert session.augmentations is pipeline
    assert "Not applied yet" in preview._message_html.value


def test_new_views_button_draws_other_views(preview):
    before = view_bytes(preview)
    preview._new_views_button.click()
    assert view_bytes(preview) != before


def test_apply_sets_the_session_augmentation_settings(session, preview):
    preview._controls["angle_deg"].value = (-90.0, 90.0)
    preview._controls["flip_prob"].value = 0.0
    preview._controls["fill"].value = "noise"
    preview._apply_button.click()
    settings = session.augmentation_settings
    assert settings == preview.settings
    assert settings["angle_deg"] == (-90.0, 90.0)
    assert settings["flip_prob"] == 0.0
    assert settings["fill"] == "noise"
    assert "the ones training uses" in preview._message_html.value


def test_sliders_start_from_the_session_settings(session):
    session.set_augmentations(fwhm_px=(1.0, 2.0))
    preview = AugmentationPreview(session, n_images=2, n_views=3)
    assert preview._controls["fwhm_px"].value == (1.0, 2.0)
    assert session.augmentation_settings == {"fwhm_px": (1.0, 2.0)}
    assert "the ones training uses" in preview._message_html.value
    preview.close()


def test_defaults_button_puts_every_slider_back(preview):
    preview._controls["zoom"].value = (1.5, 2.0)
    preview._controls["relative_sigma"].value = (2.0, 3.0)
    preview._defaults_button.click()
    assert preview.settings == DEFAULT_SETTINGS


def test_default_settings_match_default_augmentations():
    parameters = inspect.signature(default_augmentations).parameters
    assert {name: p.default for name, p in parameters.items()} == DEFAULT_SETTINGS


def test_message_notes_the_run_in_progress_on_status_change(session, preview):
    session.set_trait("status", "training")
    assert "run in progress keeps" in preview._message_html.value


def test_preview_shows_the_chosen_channel_of_multichannel_images():
    images = np.random.default_rng(1).random((6, 2, 16, 16))
    session = Session.from_arrays(images, device="cpu", random_state=0)
    preview = AugmentationPreview(session, indices=[1, 4], n_views=2, channel=1)
    assert preview._indices == [1, 4]
    assert all(data.startswith(PNG_SIGNATURE) for data in view_bytes(preview))
    preview.close()


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"n_views": 0}, ValueError, "'n_views' parameter of AugmentationPreview must be an int"),
        ({"n_images": 1.5}, TypeError, "'n_images' parameter of AugmentationPreview"),
        ({"channel": 1}, IndexError, "Channel 1 does not exist in AugmentationPreview"),
        ({"indices": [40]}, IndexError, "Image index 40 is out of range"),
    ],
)
def test_preview_rejects_bad_options(session, options, error, match):
    with pytest.raises(error, match=match):
        AugmentationPreview(session, **options)


def test_close_removes_the_observer_and_closes_children(session):
    preview = AugmentationPreview(session)
    preview.close()
    assert not session._trait_notifiers.get("status", {}).get("change")
    assert preview._apply_button.comm is None
    message = preview._message_html.value
    session.set_trait("status", "training")
    assert preview._message_html.value == message
