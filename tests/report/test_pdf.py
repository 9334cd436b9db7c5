"""The PDF renders: WeasyPrint writes it and poppler's pdftoppm turns every page into an image."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm is missing: .ci/run installs poppler-utils")
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed")
    return found


def test_the_pdf_renders_to_pages(report, tmp_path, pdftoppm):
    path = report.to_pdf(tmp_path / "out" / "report.pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
    done = subprocess.run(
        [pdftoppm, "-r", "30", "-png", str(path), str(tmp_path / "page")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 10  # cover, summary, justice (several), prevalence, survivors, methods
    info = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "Pages:" in info and "A4" in info
