"""End to end: a reviewer works through the linkage review queue in Debian's Chromium.

``uncounted serve`` runs over the small store of ``tests/web/test_linkage_review.py`` (two
agencies' lists and a saved linkage run with three pairs awaiting review). An analyst sees the
pairs with names hidden, records that the first pair is the same person with a note, reads the
confirmation and sees the pair leave the queue; an administrator sees the names.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.test_linkage_review import PASSWORD, make_review_store

from .test_browser import _shot, browser, serve  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def review_server(tmp_path_factory) -> Iterator[str]:
    """``uncounted serve`` over a store with a saved linkage run to review."""
    data = tmp_path_factory.mktemp("e2e-review")
    _, engine = make_review_store(data)
    engine.dispose()  # type: ignore[attr-defined]
    yield from serve(data)


def sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_an_analyst_records_a_decision(review_server, browser):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, review_server, "analyst")
    page.click("header nav >> text=Linkage review")
    page.wait_for_url(f"{review_server}/linkage/review")
    headings = page.locator("section.pair h2").all_inner_texts()
    assert headings[0] == "Records 101 and 291" and len(headings) == 3
    first = page.locator("#pair-101-291")
    assert "•••" in first.inner_text() and "Fernandes" not in page.content()
    assert "Decisions apply from the next linkage run" in page.inner_text("main")
    _shot(page, "linkage-review-1-queue")

    first.locator("textarea[name=note]").fill("same birth date, names one letter apart")
    first.locator("button[value=match]").click()
    page.wait_for_url(f"{review_server}/linkage/review?page=1")
    status = page.inner_text(".flash")
    assert "records 101 and 291 are the same person" in status
    assert "It applies from the next linkage run." in status
    assert page.locator("#pair-101-291").count() == 0
    assert page.locator("section.pair").count() == 2
    _shot(page, "linkage-review-2-recorded")
    context.close()

    admin = browser.new_context()
    page = admin.new_page()
    sign_in(page, review_server, "admin")
    page.goto(f"{review_server}/linkage/review")
    assert page.locator("#pair-101-291").count() == 0  # decided by the analyst
    assert "Reyes" in page.inner_text("#pair-101-102")  # administrators see names
    admin.close()
    assert not errors, errors


def test_a_caseworker_has_no_review_page(review_server, browser):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, review_server, "caseworker")
    assert page.locator("header nav >> text=Linkage review").count() == 0
    response = page.goto(f"{review_server}/linkage/review")
    assert response is not None and response.status == 403
    context.close()


def test_the_review_page_fits_a_phone(review_server, browser):  # noqa: F811
    """At 375 px the pairs' tables scroll inside themselves, never the page."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    sign_in(page, review_server, "admin")
    page.goto(f"{review_server}/linkage/review")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _shot(page, "linkage-review-3-phone")
    context.close()
