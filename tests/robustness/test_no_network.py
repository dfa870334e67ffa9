"""astromorph_nb makes no network connection at import or run time (sockets blocked)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

# Installed before anything else in a fresh interpreter: every connection attempt is counted
# and refused, so a hidden download fails loudly instead of hanging or succeeding.
_PRELUDE = """
import json, socket, sys
attempts = []
def _refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    raise OSError("network blocked by the astromorph_nb test suite")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
"""

_WORKFLOW = """
import matplotlib
matplotlib.use("Agg")
import astromorph_nb as amn
from astromorph_nb import Session, datasets
out = sys.argv[1]
session = Session(datasets.hubble_deep_field(n_max=20), random_state=0, device="cpu")
session.train(n_epochs=1, batch_size=8).wait()
session.analyse()
session.export(out + "/results.csv")
session.to_html(out + "/map.html")
print(json.dumps({"attempts": attempts, "n": session.n_images}))
"""


@pytest.mark.timeout(120)
def test_import_train_analyse_export_make_no_connection_attempt(tmp_path):
    script = textwrap.dedent(_PRELUDE) + textwrap.dedent(_WORKFLOW)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["attempts"] == []
    assert report["n"] == 20
    assert (tmp_path / "results.csv").stat().st_size > 0
    assert (tmp_path / "map.html").stat().st_size > 0


@pytest.mark.timeout(30)
def test_the_socket_block_counts_and_refuses_attempts():
    script = textwrap.dedent(_PRELUDE) + textwrap.dedent("""
        try:
            socket.create_connection(("example.org", 80), timeout=1)
        except OSError:
            pass
        print(json.dumps(len(attempts)))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=25, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == 1
