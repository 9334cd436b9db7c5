"""End to end: a user switches the app to Thai on the account page, in Debian's Chromium; the
navigation, ``<html lang>`` and the case page follow, axe-core finds no serious problem in the
Thai pages, and switching back to the browser's language restores English."""

from __future__ import annotations

import pytest

from .test_accessibility import AXE, _problems
from .test_browser import _shot, _sign_in, browser, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def test_switching_language_on_the_account_page(server, browser):  # noqa: F811
    context = browser.new_context(bypass_csp=True, locale="en-GB")
    page = context.new_page()
    _sign_in(page, server, "caseworker")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("header nav a >> nth=1") == "Cases"

    page.goto(f"{server}/account")
    page.select_option("select[name=language]", "th")
    page.click("button:text('Save language')")
    page.wait_for_url(f"{server}/account")
    assert page.get_attribute("html", "lang") == "th"
    assert page.inner_text("h1") == "บัญชีของคุณ"  # "Your account"
    _shot(page, "language-th-account")

    page.click("header nav a >> nth=1")  # Cases, now คดี
    page.wait_for_url(f"{server}/cases")
    assert page.inner_text("header nav a >> nth=1") == "คดี"
    page.click("table.grid a[href^='/cases/'] >> nth=0")
    assert page.inner_text("h1").startswith("คดี ")
    assert page.locator("h2", has_text="การส่งต่อ").count() == 1  # Referrals
    _shot(page, "language-th-case")
    if AXE.exists():
        page.add_script_tag(path=str(AXE))
        assert _problems(page) == []

    page.goto(f"{server}/account")
    page.select_option("select[name=language]", "")
    page.click("button[type=submit] >> nth=1")  # the language form's (after Sign out)
    page.wait_for_url(f"{server}/account")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Your account"
    context.close()
