"""Fixtures for the Session tests: small image sets and sessions, on the CPU."""

from __future__ import annotations

import pytest
from astropy.table import Table

from astromorph_nb import Session, datasets


@pytest.fixture(scope="session")
def galaxies():
    """The first 120 Hubble XDF stamps (real galaxies, 64×64, min-max scaled)."""
    return datasets.hubble_deep_field(n_max=120)


@pytest.fixture
def tiny_session() -> Session:
    """32 synthetic 16×16 images of seven morphologies, with names and labels."""
    images = datasets.synthetic(n_per_class=5, image_size=16, random_state=0)[:32]
    meta = Table(images.meta, copy=True)
    meta["OBJECT"] = [f"obj-{i:02d}" for i in range(len(images))]
    return Session.from_arrays(
        images.images.numpy(),
        meta,
        normalize=None,
        random_state=0,
        device="cpu",
        ui_interval_s=0.0,
    )


@pytest.fixture
def analysed_session(tiny_session: Session) -> Session:
    """The tiny session, trained for a few steps, with every analysis result."""
    tiny_session.train(n_epochs=2, batch_size=16).wait()
    tiny_session.embed()
    tiny_session.fit_tsne(perplexity=5, n_jobs=1)
    tiny_session.score_anomalies()
    tiny_session.cluster(4)
    return tiny_session
