"""The HTML report in a real browser (Debian's Chromium via Playwright): it loads nothing
from outside, every chart is drawn at a readable size, and nothing overflows the page.
A full-page screenshot goes to ``test-artifacts/report.png``.

Never downloads a browser: ``.ci/run`` installs Debian's ``chromium``; in CI a missing
browser is a failure, elsewhere a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def page_of(html, tmp_path_factory):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing; .ci/run should have installed it.")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(path.as_uri())
        yield page, requested, path
        browser.close()


def test_the_page_loads_nothing_but_itself(page_of):
    page, requested, path = page_of
    assert requested == [path.as_uri()]
    assert page.title().startswith("Evidence report")


def test_every_chart_is_drawn_at_a_readable_size(page_of):
    page, _, _ = page_of
    boxes = page.eval_on_selector_all(
        "svg.chart", "els => els.map(e => { const r = e.getBoundingClientRect(); "
        "return [r.width, r.height]; })",
    )  # fmt: skip
    assert len(boxes) >= 9
    assert all(w >= 500 and h >= 150 for w, h in boxes), boxes


def test_nothing_overflows_the_page_and_a_screenshot_is_kept(page_of):
    page, _, _ = page_of
    assert page.evaluate("document.documentElement.scrollWidth") <= 1100
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 100_000
