"""Languages of the web app: each user's own (chosen on /account or by an administrator,
audited), the browser's when signed out, English otherwise; ``<html lang>`` follows; figures
and dates in the language's conventions, English unchanged."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from uncounted.web.app import NAV
from uncounted.web.filters import date_in, interval_in, number_in
from uncounted.web.i18n import from_accept_language, gettext_in, languages, locale_dir, supported

from .conftest import csrf_of, sign_in

PASSWORD = "a long enough passphrase"


def _user(clients, app, name: str) -> TestClient:
    made = clients["admin"].post(
        "/api/users", json={"username": name, "password": PASSWORD, "role": "analyst"}
    )
    assert made.status_code == 201, made.text
    client = TestClient(app)
    assert sign_in(client, name, PASSWORD).status_code == 303
    return client


def _set_language(client: TestClient, language: str):
    token = csrf_of(client.get("/account").text)
    return client.post(
        "/account/language",
        data={"language": language, "csrf_token": token},
        follow_redirects=False,
    )


def _nav(html: str) -> list[str]:
    nav = re.search(r"<nav>(.*?)</nav>", html, re.S).group(1)
    return re.findall(r">([^<]+)</a>", nav)


def test_languages_have_catalogues():
    codes = [code for code, _ in languages()]
    assert {"en", "fil", "km", "th"} <= set(codes) and codes == sorted(codes)
    assert dict(languages())["th"] == "ไทย"


def test_a_thai_user_reads_thai_navigation_and_html_lang(clients, app):
    client = _user(clients, app, "somchai")
    assert _nav(client.get("/").text)[0] == "Dashboard"
    moved = _set_language(client, "th")
    assert moved.status_code == 303 and moved.headers["location"] == "/account"
    page = client.get("/").text
    assert '<html lang="th">' in page
    nav = _nav(page)
    assert nav[0] == "แดชบอร์ด" and "ตัวชี้วัด" in nav and "Dashboard" not in nav
    assert ">ออกจากระบบ</button>" in page  # sign out
    account = client.get("/account").text
    assert '<option value="th" lang="th" selected>ไทย</option>' in account
    # back to the browser's language: English without Accept-Language
    assert _set_language(client, "").status_code == 303
    assert '<html lang="en">' in client.get("/").text


def test_the_choice_is_audited_and_checked(clients, app):
    client = _user(clients, app, "maria")
    assert _set_language(client, "fil").status_code == 303
    log = clients["admin"].get("/api/audit?resource=users&action=update").json()
    changes = [e for e in log["events"] if "language" in (e.get("fields") or [])]
    assert changes and changes[0]["after"] == {"language": "fil"}
    refused = _set_language(client, "xx")
    assert refused.status_code == 422
    assert "Unknown language &#39;xx&#39;" in refused.text


def test_an_admin_sets_a_users_language(clients, app):
    client = _user(clients, app, "dara")
    user_id = next(u["id"] for u in clients["admin"].get("/api/users").json()["users"]
                   if u["username"] == "dara")  # fmt: skip
    changed = clients["admin"].post(f"/api/users/{user_id}", json={"language": "km"})
    assert changed.status_code == 200, changed.text
    page = client.get("/").text
    assert '<html lang="km">' in page and "ផ្ទាំងគ្រប់គ្រង" in page
    users = clients["admin"].get("/users").text
    assert '<option value="km" lang="km" selected>' in users


def test_signed_out_pages_follow_the_browser(app):
    client = TestClient(app)
    thai = client.get("/signin", headers={"Accept-Language": "th-TH,th;q=0.9,en;q=0.5"}).text
    assert '<html lang="th">' in thai and "<h1>เข้าสู่ระบบ</h1>" in thai
    german = client.get("/signin", headers={"Accept-Language": "de-DE,de;q=0.9"}).text
    assert '<html lang="en">' in german and "<h1>Sign in</h1>" in german


def test_accept_language_ranking():
    assert from_accept_language("de;q=1, km;q=0.5, th;q=0.8") == "th"
    assert from_accept_language("tl-PH") == "fil"
    assert from_accept_language("th;q=0, en") == "en"
    assert from_accept_language(None) == "en"
    assert supported("TH_th") == "th" and supported("zz") is None


def test_untranslated_text_falls_back_to_english():
    assert gettext_in("th", "Cases") == "คดี"
    with (locale_dir() / "km" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        empty = next((m.id for m in read_po(handle) if isinstance(m.id, str) and m.id
                      and not m.string), "A text in no catalogue")  # fmt: skip
    assert gettext_in("km", empty) == empty  # left empty in the draft catalogue
    assert gettext_in("en", "Cases") == "Cases"
    assert gettext_in("th", "Referred to agency") == "ส่งต่อไปยังหน่วยงาน"  # form labels too


def test_figures_per_locale_with_english_unchanged():
    assert number_in("en", 1321) == "1,321"
    assert number_in("en", 0.6012, "percent") == "60.1%"
    assert number_in("en", 1.234, "ratio") == "1.23"
    assert number_in("en", None) == "–"
    assert interval_in("en", 0.5, 0.75, "percent") == "50.0%–75.0%"
    assert number_in("th", 1234567) == "1,234,567"
    assert number_in("fil", 0.6012, "percent") == "60.1%"
    assert number_in("km", 1234567.4) == "1,234,567"
    # any CLDR locale formats by its own conventions (German groups with dots)
    assert number_in("de", 1234567.4) == "1.234.567"
    assert number_in("de", 1.234, "ratio") == "1,23"
    assert number_in("de", 0.6012, "percent") == "60,1\xa0%"
    assert interval_in("de", 1000, 2000) == "1.000–2.000"
    assert interval_in("th", None, 3) == ""


def test_dates_per_locale_with_english_unchanged():
    day = dt.date(2024, 3, 1)
    assert date_in("en", "2024-03-01") == "2024-03-01"
    assert date_in("en", day) == "2024-03-01"
    assert date_in("th", day) == "1 มี.ค. 2024"
    assert date_in("fil", "2024-03-01") == "Mar 1, 2024"
    assert date_in("km", "2024-03-01") == "1 មីនា 2024"
    assert date_in("th", "not a date") == "not a date"
    assert date_in("th", None) == ""


def test_messages_from_python_are_escaped_when_translated(clients):
    """An error that quotes what was typed is shown as text, in any language."""
    page = clients["admin"].post("/users", data={"username": "<b>x</b>", "password": "short",
                                                 "role": "viewer"})  # fmt: skip
    assert page.status_code == 422
    assert "<b>x</b>" not in page.text


TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "uncounted" / "web" / "templates"

#: Pages every draft catalogue translates completely: the frame and navigation, the cases and
#: a case's page, and the referrals (docs/web.md, "Languages").
COMPLETE = ("base.html", "cases.html", "_case_rows.html", "case.html", "referrals.html")

#: What must come through unchanged: ``%(name)s``/``%(n)d``, a literal ``%%``, ``{name}``, and
#: HTML entities.
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|\{\w*\}|&(?:[a-z]+|#\d+);")


def _complete_ids() -> dict[str, str]:
    """The text of the COMPLETE templates, extracted by Babel as ``make messages`` does (so a
    new string is included the moment it is written), and the navigation bar's labels: each
    message id with the English whose placeholders a translation keeps (a plural's: the
    plural form, as every draft language has one form)."""
    ids: dict[str, str] = {}
    for name in COMPLETE:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2", str(TEMPLATES / name)
        ):
            if isinstance(message, str):
                ids[message] = message
            else:
                ids[message[0]] = message[-1]
    ids.update((link.label, link.label) for link in NAV)
    return ids


def test_the_complete_pages_are_found():
    ids = _complete_ids()
    assert {"Sign out", "No case matches.", "Justice timeline", "Decline referral"} <= set(ids)
    assert "Dashboard" in ids and len(ids) > 80


@pytest.mark.parametrize("language", ["fil", "km", "th"])
def test_navigation_case_and_referral_pages_are_translated(language):
    """Every text of the navigation, case and referral pages has a translation in each draft
    catalogue, with the same placeholders as the English (a page would fail or show a raw
    ``%(name)s`` otherwise). A new text there fails this until it is translated."""
    with (locale_dir() / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    missing, mismatched = [], []
    for msgid, english in _complete_ids().items():
        message = catalogue.get(msgid)
        if message is None or message.fuzzy:
            missing.append(msgid)
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not strings or not all(strings):
            missing.append(msgid)
            continue
        expected = sorted(_PLACEHOLDER.findall(english))
        mismatched += [(msgid, s) for s in strings if sorted(_PLACEHOLDER.findall(s)) != expected]
    assert not missing, f"{language} leaves these in English: {missing} (translate them)"
    assert not mismatched, f"{language}: placeholders differ from the English: {mismatched}"
