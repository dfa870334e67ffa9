from __future__ import annotations

import numpy as np
import pytest
import torch
from astropy.table import Table

from astromorph_nb import NotReadyError, OutputExistsError, Session


def test_save_and_load_round_trip_is_identical(analysed_session, tmp_path):
    session = analysed_session
    session.select([2, 5])
    session.tag([1, 4], "interesting")
    path = session.save(tmp_path / "run")
    loaded = Session.load(path, device="cpu")
    np.testing.assert_array_equal(loaded.embeddings, session.embeddings)
    np.testing.assert_array_equal(loaded.tsne_coordinates, session.tsne_coordinates)
    np.testing.assert_array_equal(loaded.anomaly_scores, session.anomaly_scores)
    np.testing.assert_array_equal(loaded.cluster_labels, session.cluster_labels)
    np.testing.assert_array_equal(loaded.thumbnails, session.thumbnails)
    assert loaded.selection == (2, 5)
    assert loaded.meta.colnames == session.meta.colnames
    for name in session.meta.colnames:
        assert list(loaded.meta[name]) == list(session.meta[name])
    assert list(loaded.loss_history["loss"]) == list(session.loss_history["loss"])
    assert loaded.step == session.step
    assert loaded.status == "trained"
    # the weights are the same: embedding again gives the same vectors
    np.testing.assert_allclose(loaded.embed(), session.embed(), rtol=1e-5, atol=1e-6)


def test_loaded_session_places_new_images_into_its_map(analysed_session, tmp_path):
    loaded = Session.load(analysed_session.save(tmp_path / "run"), device="cpu")
    placed = loaded.place(loaded.images.images[:2].numpy(), normalize=None)
    assert placed.shape == (2, 2)
    assert np.isfinite(placed).all()


def test_a_stopped_run_continues_exactly_after_save_and_load(tiny_session, tmp_path):
    reference = Session(tiny_session.images, random_state=0, device="cpu")
    reference.train(n_epochs=2, batch_size=8).wait()

    class StopAt:
        def on_batch_end(self, step):
            if step == 3:
                tiny_session.stop()

    tiny_session.train(n_epochs=2, batch_size=8, callbacks=[StopAt()]).wait()
    loaded = Session.load(tiny_session.save(tmp_path / "half"), device="cpu")
    assert loaded.train().wait() == "completed"
    np.testing.assert_array_equal(loaded.loss_history["loss"], reference.loss_history["loss"])


def test_save_without_images_still_explores(analysed_session, tmp_path):
    loaded = Session.load(analysed_session.save(tmp_path / "light", include_images=False))
    assert loaded.status == "empty"
    assert loaded.neighbors(0, k=2)["index"].shape == (2,)
    with pytest.raises(NotReadyError, match=r"saved without its images, so embed\(\)"):
        loaded.embed()


def test_save_refuses_to_overwrite_unless_asked(analysed_session, tmp_path):
    path = analysed_session.save(tmp_path / "run")
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        analysed_session.save(path)
    analysed_session.save(path, overwrite=True)


def test_load_refuses_pickled_code(analysed_session, tmp_path):
    path = analysed_session.save(tmp_path / "run")
    torch.save({"model": torch.nn.Linear(2, 2)}, path / "state.pt")  # a pickled module
    with pytest.raises(Exception, match="code"):
        Session.load(path)


def test_export_formats_are_read_back_by_astropy(analysed_session, tmp_path):
    for name in ("objects.fits", "objects.ecsv", "objects.csv", "objects.parquet"):
        path = analysed_session.export(tmp_path / name)
        table = Table.read(path)
        assert len(table) == 32
        for column in ("index", "OBJECT", "label", "tsne_x", "tsne_y", "cluster", "anomaly_score"):
            assert column in table.colnames, (name, column)
        if name.endswith((".fits", ".ecsv")):
            assert table["embedding"].shape == (32, analysed_session.model.n_features)
        else:
            assert "embedding_000" in table.colnames
        np.testing.assert_allclose(table["anomaly_score"], analysed_session.anomaly_scores)


def test_export_needs_embeddings(tiny_session, tmp_path):
    with pytest.raises(NotReadyError, match=r"before session.export\(\)"):
        tiny_session.export(tmp_path / "x.csv")


def test_to_tensorboard_writes_projector_files(analysed_session, tmp_path):
    folder = analysed_session.to_tensorboard(tmp_path / "tb")
    names = {p.name for p in tmp_path.joinpath("tb").iterdir()}
    assert {"tensors.tsv", "metadata.tsv", "sprite.png", "projector_config.pbtxt"} <= names
    rows = (tmp_path / "tb" / "metadata.tsv").read_text().splitlines()
    assert len(rows) == 33
    assert "OBJECT" in rows[0]
    assert folder is not None


def test_augmentation_settings_survive_save_and_load(tiny_session, tmp_path):
    tiny_session.set_augmentations(fwhm_px=(0.0, 3.0), flip_prob=0.0)
    loaded = Session.load(tiny_session.save(tmp_path / "aug"), device="cpu")
    assert loaded.augmentation_settings == {"fwhm_px": (0.0, 3.0), "flip_prob": 0.0}
    originals, views = loaded.augmented_views([0, 1], n_views=3)
    assert originals.shape == (2, 1, 16, 16)
    assert views.shape == (2, 3, 1, 16, 16)


def test_file_names_that_are_not_utf8_survive_save_load_export_and_html(tmp_path):
    import os
    from pathlib import Path

    from astropy.io import fits

    folder = tmp_path / "cutouts"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        name = os.fsencode(folder) + b"/gal\xe9" + str(i).encode() + b".fits"
        try:
            fits.PrimaryHDU(rng.random((16, 16)).astype("f4")).writeto(name)
        except OSError:
            pytest.skip("this file system refuses file names that are not UTF-8")
    session = Session.from_fits(
        str(folder), image_size=16, session_options={"device": "cpu", "random_state": 0}
    )
    original = list(session.meta["file"])
    assert any("\udce9" in name for name in original)
    session.embed()
    session.fit_tsne(perplexity=2, n_jobs=1)
    loaded = Session.load(session.save(tmp_path / "run"), device="cpu")
    assert list(loaded.meta["file"]) == original
    assert all(Path(name).is_file() for name in loaded.meta["file"])  # reopenable
    csv = session.export(tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "gal\\xe90.fits" in csv
    table = Table.read(session.export(tmp_path / "out.fits"))
    assert any("gal\\xe9" in str(name) for name in table["file"])
    page = session.to_html(tmp_path / "map.html").read_text(encoding="utf-8")
    assert "gal\\\\xe90.fits" in page  # the JSON escape of a backslash
