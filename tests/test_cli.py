from __future__ import annotations

import subprocess
import sys

import numpy as np
from astropy.io import fits

from astromorph_nb.cli import main


def test_sample_prints_a_summary_of_the_bundled_data(capsys, tmp_path):
    assert main(["sample", "--write-fits", str(tmp_path / "xdf")]) == 0
    out = capsys.readouterr().out
    assert "Hubble eXtreme Deep Field" in out
    n_images = int(out.split("images     : ")[1].split()[0])
    assert n_images >= 200
    assert len(list((tmp_path / "xdf").glob("*.fits"))) == n_images


def test_inspect_reports_read_and_skipped_files(capsys, example_fits_dir):
    (example_fits_dir / "broken.fits").write_bytes(b"not fits" * 400)
    assert main(["inspect", str(example_fits_dir), "--image-size", "16"]) == 0
    captured = capsys.readouterr()
    assert "Read 6 images" in captured.out
    assert "6 of 1×16×16" in captured.out
    assert "skipped    : 1 inputs" in captured.out
    assert "broken.fits' is not a readable FITS file" in captured.out
    assert "warning: 1 of 7 inputs were skipped" in captured.err


def test_errors_of_ours_exit_1_with_one_line(capsys, tmp_path):
    fits.PrimaryHDU(np.ones((8, 8, 8), dtype=np.float32)).writeto(tmp_path / "cube.fits")
    assert main(["inspect", str(tmp_path / "cube.fits"), "--on-error", "raise"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("astromorph-nb: error: ")
    assert "Pass cube_mode= with one of" in err
    assert err.count("\n") == 1


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "astromorph_nb", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("astromorph-nb ")
