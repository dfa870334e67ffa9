"""A tampered or damaged session folder is refused up front, naming the field that is wrong."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import torch
from astropy.table import Table

from astromorph_nb import InvalidFileError, Session, datasets
from astromorph_nb.io.store.session_folder import read_session_folder, write_session_folder


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A real saved session with every result, a selection and a run stopped midway."""
    images = datasets.synthetic(n_per_class=3, image_size=16, random_state=0)
    meta = Table(images.meta, copy=True)
    session = Session.from_arrays(
        images.images.numpy(), meta, normalize=None, random_state=0, device="cpu"
    )

    class StopAt:
        def on_batch_end(self, step):
            if step == 3:
                session.stop()

    session.train(n_epochs=3, batch_size=8, callbacks=[StopAt()]).wait()
    assert session.can_resume
    session.embed()
    session.fit_tsne(perplexity=3, n_jobs=1)
    session.score_anomalies()
    session.cluster(3)
    session.select([1, 2])
    return session.save(tmp_path_factory.mktemp("saved") / "run")


def edit_info(**changes):
    def tamper(folder):
        info_file = folder / "session.json"
        payload = json.loads(info_file.read_text(encoding="utf-8"))
        for key, value in changes.items():
            target = payload["info"]
            *parents, last = key.split(".")
            for parent in parents:
                target = target[parent]
            if value is DELETE:
                del target[last]
            else:
                target[last] = value
        info_file.write_text(json.dumps(payload), encoding="utf-8")  # NaN is written as NaN

    return tamper


def edit_files(change):
    def tamper(folder):
        files = read_session_folder(folder, mmap=False)
        change(files)
        write_session_folder(folder, files, overwrite=True)

    return tamper


DELETE = object()
N = 21  # images in the saved session


def set_array(name, value):
    return edit_files(lambda files: files.arrays.__setitem__(name, value))


def drop_array(name):
    return edit_files(lambda files: files.arrays.pop(name))


def set_resume(key, value):
    return edit_files(lambda files: files.state["resume"].__setitem__(key, value))


def use_named_model(hidden):
    return edit_info(
        **{
            "model_spec.kind": "named",
            "model_spec.encoder": "small",
            "model_spec.projection_size": 256,
            "model_spec.projection_hidden_size": hidden,
        }
    )


CASES = {
    # session.json info: deleted, wrong type, NaN, out of range
    "n_images deleted": (edit_info(n_images=DELETE), "info.n_images"),
    "n_images huge": (edit_info(n_images=250_000_000), "n_images = 250000000"),
    "n_images float": (edit_info(n_images=2.5e8), "info.n_images"),
    "image_shape short": (edit_info(image_shape=[1, 16]), "info.image_shape"),
    "image_shape huge": (edit_info(image_shape=[1, 10**9, 16]), "info.image_shape"),
    "model_spec text": (edit_info(model_spec="default"), "info.model_spec"),
    "model_spec kind": (edit_info(**{"model_spec.kind": "magic"}), "model_spec.kind"),
    "in_channels": (edit_info(**{"model_spec.in_channels": 3}), "model_spec.in_channels"),
    "hidden size huge": (use_named_model(1_000_000), "projection_hidden_size"),
    "hidden size wrong": (use_named_model(512), "projection_hidden_size"),
    "random_state negative": (edit_info(random_state=-5), "info.random_state"),
    "device": (edit_info(device="tpu"), "info.device"),
    "ui_interval_s NaN": (edit_info(ui_interval_s=math.nan), "info.ui_interval_s"),
    "status": (edit_info(status="done"), "info.status"),
    "step negative": (edit_info(step=-1), "info.step"),
    "step text": (edit_info(step="3"), "info.step"),
    "latest_loss NaN": (edit_info(latest_loss=math.nan), "info.latest_loss"),
    "latest_loss inf": (edit_info(latest_loss=math.inf), "info.latest_loss"),
    "config NaN": (edit_info(**{"config.learning_rate": math.nan}), "info.config"),
    "config wrong": (edit_info(**{"config.n_epochs": -3}), "config"),
    "config deleted": (edit_info(config=DELETE), "info.config"),
    "n_runs": (edit_info(n_runs=None), "info.n_runs"),
    "last_reason": (edit_info(last_reason=7), "info.last_reason"),
    "step_offset": (edit_info(step_offset=-2), "info.step_offset"),
    "training_seconds": (edit_info(training_seconds=-1.0), "info.training_seconds"),
    "images_per_second": (edit_info(images_per_second=math.nan), "info.images_per_second"),
    "embeddings_step": (edit_info(embeddings_step="late"), "info.embeddings_step"),
    "tsne_settings NaN": (edit_info(**{"tsne_settings.perplexity": math.nan}), "tsne_settings"),
    "tsne_settings bad": (edit_info(**{"tsne_settings.metric": "taxicab"}), "tsne_settings"),
    "tsne_settings null": (edit_info(tsne_settings=None), "info.tsne_settings"),
    "score_method null": (edit_info(score_method=None), "info.score_method"),
    "cluster_method": (edit_info(cluster_method=3), "info.cluster_method"),
    "selection out of range": (edit_info(selection=[0, N]), "info.selection"),
    "selection negative": (edit_info(selection=[-1]), "info.selection"),
    "selection text": (edit_info(selection="0"), "info.selection"),
    "augmentation_settings": (edit_info(augmentation_settings=[1]), "augmentation_settings"),
    "augmentation bad": (
        edit_info(augmentation_settings={"no_such_setting": 1}),
        "augmentation_settings",
    ),
    # arrays: wrong length, wrong dimensions or dtype, missing, unknown
    "anomaly_scores short": (set_array("anomaly_scores", np.zeros(N - 1)), "anomaly_scores"),
    "cluster_labels floats": (set_array("cluster_labels", np.zeros(N)), "cluster_labels"),
    "tsne_coordinates 3-d": (set_array("tsne_coordinates", np.zeros((N, 3))), "tsne_coordinates"),
    "embeddings 1-d": (set_array("embeddings", np.zeros(N)), "embeddings"),
    "thumbnails floats": (set_array("thumbnails", np.zeros((N, 8, 8))), "thumbnails"),
    "images wrong shape": (set_array("images", np.zeros((N, 1, 8, 8), "f4")), "images"),
    "mask missing": (drop_array("mask"), "mask"),
    "embeddings missing": (drop_array("embeddings"), "embeddings"),
    "loss_values short": (set_array("loss_values", np.zeros(1)), "loss_steps"),
    "loss_steps missing": (drop_array("loss_steps"), "loss_steps"),
    "epoch_means 2-d": (set_array("epoch_means", np.zeros((1, 1))), "epoch_means"),
    "quality column missing": (drop_array("quality_spread"), "quality_spread"),
    "quality_labels short": (set_array("quality_labels", np.zeros(3, int)), "quality_labels"),
    "unknown array": (set_array("extra", np.zeros(3)), "extra"),
    "meta rows": (edit_files(lambda f: setattr(f, "meta", f.meta[:3])), "metadata table"),
    # state.pt
    "weights missing": (
        edit_files(lambda f: f.state["model"].pop(next(iter(f.state["model"])))),
        "model weights",
    ),
    "weights not tensors": (
        edit_files(lambda f: f.state["model"].__setitem__("x", [1.0])),
        "state.pt entry 'model'",
    ),
    "resume not a dict": (edit_files(lambda f: f.state.__setitem__("resume", 3)), "resume"),
    "resume step": (set_resume("step", -1), "resume.step"),
    "resume losses": (set_resume("losses", [0.5]), "resume.losses"),
    "resume order": (set_resume("order", torch.tensor([0, N])), "resume.order"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tampered_field_is_refused_naming_it(saved, tmp_path, case):
    tamper, field = CASES[case]
    folder = tmp_path / "run"
    shutil.copytree(saved, folder)
    tamper(folder)
    with pytest.raises(InvalidFileError, match=field):
        Session.load(folder, device="cpu")


def test_the_untampered_folder_loads(saved):
    loaded = Session.load(saved, device="cpu")
    assert loaded.n_images == N
    assert loaded.selection == (1, 2)
