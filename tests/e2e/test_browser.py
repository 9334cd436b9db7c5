"""End to end in a real browser: Debian's Chromium driven by Playwright against a real
``uncounted serve --demo`` on a loopback port. Screenshots go to ``test-artifacts/``.

Never downloads a browser: ``.ci/run`` installs Debian's ``chromium``; in CI a missing
browser is a failure, elsewhere a skip.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from uncounted.demo import DEMO_PASSWORD, build_demo
from uncounted.settings import Settings
from uncounted.simulate import WorldConfig

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """``uncounted serve --demo`` over a small demo world, on a free loopback port."""
    data = tmp_path_factory.mktemp("e2e")
    build_demo(Settings(data_dir=data), WorldConfig(seed=5, n_victims=600), link=False)
    yield from serve(data, "--demo")


def serve(data: Path, *options: str) -> Iterator[str]:
    """``uncounted serve [options]`` over the data directory ``data`` on a free loopback port:
    yields its address once it answers, and stops it afterwards."""
    port = _free_port()
    env = {**os.environ, "UNCOUNTED_DATA_DIR": str(data)}
    env.pop("UNCOUNTED_DATABASE_URL", None)
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uncounted.cli.main", "serve", *options, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/signin", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"the server stopped: {(data / 'server.log').read_text()}")
            time.sleep(0.2)
        else:
            pytest.fail("the server did not start within 30 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing; .ci/run should have installed it.")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"e2e-{name}.png"), full_page=True)


def _sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def _tile(page, measure: str) -> int:
    text = page.inner_text(f'li[data-measure="{measure}"] .value')
    return int(text.replace(",", ""))


def test_caseworker_records_a_case_and_the_dashboard_moves(server, browser):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, server, "caseworker")
    arrests, charges = _tile(page, "arrests"), _tile(page, "charges")
    assert page.locator("figure.chart svg").count() == 1
    _shot(page, "1-dashboard")

    page.click("text=Cases")
    page.select_option("select[name=status]", "Active")  # HTMX swaps the results in place
    page.wait_for_url(re.compile(r".*status=Active.*"))
    page.click("text=Open a case")
    page.fill("input[name=reference]", "E2E-CASE-1")
    page.select_option("select[name=status]", "Active")
    page.select_option("select[name=exploitation_type]", "ForcedLabour")
    page.fill("input[name=jurisdiction]", "PH")
    page.fill("input[name=opened_on]", "2025-03-01")
    page.click("button:text('Save')")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_url = page.url
    assert "Case E2E-CASE-1" in page.inner_text("h1")

    page.click("text=Add a person")
    page.select_option("select[name=role]", "suspect")
    page.select_option("select[name=sex]", "Male")
    page.fill("input[name=family_name]", "Ortega-E2E")
    page.click("button:text('Save')")
    page.wait_for_url(case_url)
    for stage, day in (("arrest", "2025-03-05"), ("charge", "2025-04-02")):
        page.click("text=Record a justice event")
        page.select_option("select[name=person_id]", index=1)
        page.select_option("select[name=stage]", stage)
        page.fill("input[name=occurred_on]", day)
        page.click("button:text('Save')")
        page.wait_for_url(case_url)
    assert page.locator('.timeline li[data-stage="charge"]').count() == 1
    _shot(page, "2-case")

    page.click("text=Dashboard")
    assert _tile(page, "arrests") == arrests + 1
    assert _tile(page, "charges") == charges + 1
    _shot(page, "3-dashboard-after")
    assert not errors, errors  # no CSP violation or script error in the console
    context.close()


def test_import_with_a_bad_row_shows_its_error(server, browser, tmp_path):
    bad = tmp_path / "cases.csv"
    bad.write_text(
        "external_id,status,exploitation_type,jurisdiction,opened_on\n"
        "E2E-IMP-1,Active,ForcedLabour,PH,2024-05-01\n"
        "E2E-IMP-2,Actve,ForcedLabour,PH,2024-05-02\n"
    )
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, server, "caseworker")
    page.click("text=Imports")
    page.set_input_files("input[name=file]", str(bad))
    page.select_option("select[name=record_type]", "cases")
    page.click("button:text('Check the file')")
    row = page.locator("tr.rejected")
    row.first.wait_for(timeout=20_000)  # the report arrives after the check, not with the click
    assert row.count() == 1
    text = row.inner_text()
    assert "3" in text and "Actve" in text and "Did you mean 'Active'" in text
    _shot(page, "4-import-report")
    context.close()


def test_caseworker_of_another_agency_is_refused(server, browser):
    owner = browser.new_context()
    page = owner.new_page()
    _sign_in(page, server, "caseworker")
    page.goto(f"{server}/cases?q=E2E-CASE-1")
    page.click("text=E2E-CASE-1")
    case_url = page.url
    owner.close()

    other = browser.new_context()
    page = other.new_page()
    _sign_in(page, server, "caseworker-th")
    response = page.goto(case_url)
    assert response is not None and response.status == 403
    body = page.inner_text("body")
    assert "Not allowed" in body
    assert "E2E-CASE-1" not in body and "Ortega-E2E" not in body
    _shot(page, "5-forbidden")
    other.close()


def _new_case(page, server: str, reference: str, opened_on: str, people: dict[str, str]) -> str:
    """Record a case of forced labour in PH with ``people`` (family name -> role) from the case
    form; return the case page's address."""
    page.goto(f"{server}/cases/new")
    page.fill("input[name=reference]", reference)
    page.select_option("select[name=status]", "Active")
    page.select_option("select[name=exploitation_type]", "ForcedLabour")
    page.fill("input[name=jurisdiction]", "PH")
    page.fill("input[name=opened_on]", opened_on)
    page.click("button:text('Save')")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_url = str(page.url)
    for name, role in people.items():
        page.click("text=Add a person")
        page.select_option("select[name=role]", role)
        page.fill("input[name=family_name]", name)
        page.click("button:text('Save')")
        page.wait_for_url(case_url)
    return case_url


def _refer_to_th(page, case_url: str, person: str, on: str, service: str) -> None:
    """Refer the case's ``person`` from PNP to TH-DSI (caseworker-th's agency)."""
    page.click("text=Refer a person")
    page.select_option("select[name=person_id]", label=person)
    page.select_option("select[name=to_agency_id]", "2")
    page.fill("input[name=from_country]", "PH")
    page.fill("input[name=to_country]", "TH")
    page.fill("input[name=referred_on]", on)
    page.select_option("select[name=reason]", index=1)
    page.fill("input[name=service]", service)
    page.click("button:text('Save')")
    page.wait_for_url(case_url)


def test_a_referral_opens_only_the_person_and_only_with_consent(server, browser):
    """PNP (agency A) refers a victim to TH-DSI (agency B). While the referral is requested
    TH-DSI sees nothing of her; its caseworker accepts it in the referral inbox, recording the
    person's consent, and then sees that survivor's page (her name), never the case, its
    suspect, nor a way to edit it; PNP's case page and sent referrals say "Accepted"."""
    pnp = browser.new_context()
    page = pnp.new_page()
    _sign_in(page, server, "caseworker")
    people = {"Referred-E2E": "victim", "Suspect-E2E": "suspect"}
    case_url = _new_case(page, server, "E2E-REFER-1", "2025-03-01", people)
    survivor = page.get_attribute("a:text('survivor page')", "href")
    assert survivor is not None and survivor.startswith("/survivors/")
    _refer_to_th(page, case_url, "Referred-E2E (victim)", "2025-03-02", "Shelter E2E")
    assert "Requested" in page.inner_text("span.referral-status")

    th = browser.new_context()
    other = th.new_page()
    _sign_in(other, server, "caseworker-th")
    for url in (case_url, f"{server}{survivor}", f"{case_url}/edit"):
        response = other.goto(url)
        assert response is not None and response.status == 403, url
        body = other.inner_text("body")
        assert "Referred-E2E" not in body and "Suspect-E2E" not in body

    other.click("header nav a:text('Referrals')")
    other.wait_for_url(f"{server}/referrals")
    card = other.locator("article.referral[data-status=Requested]", has_text="Shelter E2E")
    assert "Referred-E2E" not in card.inner_text()  # no identity before acceptance
    _shot(other, "6-referral-inbox")
    card.locator("input[name=consent]").check()
    card.locator("select[name=consent_method]").select_option("Written")
    card.locator("input[name=consent_given_on]").fill("2025-03-02")
    card.locator("button:text('Accept referral')").click()
    other.wait_for_url(f"{server}/referrals")
    accepted = other.locator("article.referral[data-status=Accepted]", has_text="Shelter E2E")
    assert "recorded by caseworker-th" in accepted.inner_text()

    response = other.goto(f"{server}{survivor}")
    assert response is not None and response.status == 200
    assert "Survivor Referred-E2E" in other.inner_text("h1")
    assert "Suspect-E2E" not in other.inner_text("body")
    _shot(other, "7-accepted-referral")
    for url in (case_url, f"{case_url}/edit"):
        response = other.goto(url)
        assert response is not None and response.status == 403, url
        assert "Suspect-E2E" not in other.inner_text("body")

    page.goto(case_url)
    assert page.inner_text("span.referral-status") == "Accepted"
    page.goto(f"{server}/referrals/sent")
    sent = page.locator("article.referral", has_text="Shelter E2E")
    assert sent.get_attribute("data-status") == "Accepted"
    pnp.close()
    th.close()


def test_a_note_is_added_and_shown_on_the_case(server, browser):
    """A caseworker writes a note on a case; the case page then shows it with its author."""
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, server, "caseworker")
    page.goto(f"{server}/cases")
    page.click("table.grid a[href^='/cases/']")
    page.wait_for_load_state()
    case_url = page.url
    page.fill("textarea[name=text]", "E2E note: the family was traced.")
    page.click("button:text('Add note')")
    page.wait_for_url(re.compile(re.escape(case_url) + "(#notes)?$"))
    notes = page.inner_text("ol.notes")
    assert "E2E note: the family was traced." in notes and "caseworker" in notes
    _shot(page, "8-case-note")
    context.close()


def test_the_api_docs_work_offline_under_the_csp(server, browser):
    """/api/docs is Swagger UI from this server's own copy (no CDN), started without inline
    script: the page lists the JSON routes and the browser reports no CSP violation."""
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(server) else None,
    )
    page.goto(f"{server}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    text = page.inner_text("body")
    assert "/api/cases" in text and "Uncounted" in text
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert outside == []
    _shot(page, "6-api-docs")
    context.close()


def test_pages_fit_a_phone_without_sideways_scrolling(server, browser):
    """At 375 px wide (a small phone) the case list, a case and the referral form scroll only
    up and down: wide tables scroll inside themselves, never the page."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    _sign_in(page, server, "caseworker")
    page.goto(f"{server}/cases")
    widths = {"list": page.evaluate("document.documentElement.scrollWidth")}
    page.click("table.grid a[href^='/cases/']")
    page.wait_for_load_state()
    case_url = page.url
    widths["case"] = page.evaluate("document.documentElement.scrollWidth")
    _shot(page, "7-case-on-a-phone")
    page.goto(f"{case_url}/referrals/new")
    widths["referral form"] = page.evaluate("document.documentElement.scrollWidth")
    page.goto(f"{server}/referrals")
    widths["referral inbox"] = page.evaluate("document.documentElement.scrollWidth")
    page.goto(f"{server}/referrals/sent")
    widths["sent referrals"] = page.evaluate("document.documentElement.scrollWidth")
    page.goto(f"{server}/indicators")
    widths["indicators"] = page.evaluate("document.documentElement.scrollWidth")
    assert all(w <= 375 for w in widths.values()), widths
    context.close()


def test_caseworker_finds_a_person_by_name_and_opens_the_case(server, browser):
    """At phone width: a name read on a case page, typed in swapped order and lower case in
    the cases page's search box, finds the person; their case opens from the result."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    _sign_in(page, server, "caseworker")
    page.goto(f"{server}/cases?status=Active")
    case = page.get_attribute("table.grid a[href^='/cases/']", "href")
    page.goto(f"{server}{case}")
    people = page.locator("xpath=//h2[text()='People']/following::table[1]/tbody/tr/td[1]")
    name = next(t for t in people.all_inner_texts() if not t.startswith("P-"))
    query = " ".join(reversed(name.lower().split()))

    page.goto(f"{server}/cases")
    page.fill("#person-q", query)
    page.click("button:text('Find')")
    page.wait_for_url(re.compile(r".*/search\?q=.*"))
    assert page.get_by_role("link", name=name).count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "6-person-search")
    page.locator(f"table.grid a[href='{case}']").first.click()
    page.wait_for_url(f"{server}{case}")
    assert name in page.inner_text("body")
    context.close()


def test_caseworker_deletes_a_case_with_a_reason_and_an_admin_restores_it(server, browser):
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, server, "caseworker")
    page.goto(f"{server}/cases")
    case_url = page.get_attribute("table.grid a[href^='/cases/']", "href")
    page.goto(f"{server}{case_url}")
    reference = page.inner_text("h1")
    page.click("text=Delete case")
    page.fill("textarea[name=reason]", "e2e: opened twice by mistake")
    page.click("button:text('Delete')")
    page.wait_for_url(f"{server}/cases")
    assert page.goto(f"{server}{case_url}").status == 404
    context.close()

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, server, "admin")
    page.click("text=Deleted records")
    row = page.locator("tr", has_text="e2e: opened twice by mistake")
    assert "caseworker" in row.inner_text()
    row.locator("button:text('Restore')").click()
    page.wait_for_url(f"{server}/deleted")
    assert page.locator("tr", has_text="e2e: opened twice by mistake").count() == 0
    assert page.goto(f"{server}{case_url}").status == 200
    assert page.inner_text("h1") == reference
    context.close()


def test_analyst_downloads_the_report_and_the_open_data_bundle(server, browser, tmp_path):
    """An analyst builds the evidence report for a jurisdiction, downloads it as HTML and as
    PDF, builds the open-data bundle and downloads it; a caseworker is refused both."""
    import zipfile

    from uncounted.report.pdf import pdf_unavailable

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    _sign_in(page, server, "analyst")
    page.click("header nav a[href='/report']")
    page.select_option("select[name=jurisdiction]", "TH")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*/report\?.*jurisdiction=TH.*"))
    assert page.locator("#key-figures tbody tr").count() >= 3
    _shot(page, "7-report")
    with page.expect_download() as got:
        page.click("#report-html")
    html = got.value.path().read_text("utf-8")
    assert got.value.suggested_filename == "evidence-report-TH-all.html"
    assert "Evidence report" in html and "<svg" in html
    if pdf_unavailable() is None:
        with page.expect_download() as got:
            page.click("#report-pdf")
        assert got.value.path().read_bytes().startswith(b"%PDF")
    else:
        assert "pip install" in page.inner_text("#report-pdf-missing")
    page.click("header nav a[href='/open-data']")
    page.fill("input[name=k]", "5")
    page.fill("input[name=max_suppression]", "0.5")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#open-data-summary")
    with page.expect_download() as got:
        page.click("#open-data-download")
    names = zipfile.ZipFile(got.value.path()).namelist()
    assert "uncounted-open-data/victims.csv" in names
    _shot(page, "8-open-data")
    context.close()

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, server, "caseworker")
    assert page.locator("header nav a[href='/report']").count() == 0
    for path in ("/report", "/open-data"):
        response = page.goto(f"{server}{path}")
        assert response is not None and response.status == 403
        assert "You do not have access" in page.content()
    context.close()


def test_analyst_pages_fit_a_phone(server, browser):
    """At 375 px the dashboard, a metric, the prevalence panel (with its intervals explained),
    the report page, the report itself and the open-data page do not scroll sideways."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    _sign_in(page, server, "analyst")
    widths = {}
    for path in ("/", "/metrics/J5", "/prevalence"):  # intervals explained beside them
        page.goto(f"{server}{path}")
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    for box in page.locator("input[name=lists]").all()[:3]:
        box.check()
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#prevalence-panel")
    widths["prevalence panel"] = page.evaluate("document.documentElement.scrollWidth")
    for path in ("/report", "/open-data"):
        page.goto(f"{server}{path}")
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#open-data-summary, #open-data-refused")
    widths["bundle built"] = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert all(w <= 375 for w in widths.values()), widths


def _two_records_of_one_person(page, server: str, cases: tuple[int, int], name: str) -> list[int]:
    """The same person entered twice by the signed-in user, once in each of ``cases`` (the
    second time with a phone): made through the app's own JSON twin of the person form."""
    token = page.request.get(f"{server}/api/me").json()["csrf_token"]
    made = []
    for case, extra in zip(cases, ({}, {"phone": "+63 917 555 0199"}), strict=True):
        response = page.request.post(
            f"{server}/api/cases/{case}/persons/new",
            data={"role": "victim", "sex": "Female", "given_name": name,
                  "family_name": "Mergetest", **extra},
            headers={"X-CSRF-Token": token},
        )  # fmt: skip
        assert response.status == 201, response.text()
        made.append(int(response.json()["id"]))
    return made


def test_caseworker_merges_two_records_and_an_admin_undoes_it(server, browser):
    """One person entered in two of the caseworker's cases: from the person's *merge* link on
    the case page, the caseworker compares both records (the phone only the second holds is
    taken), gives a reason, merges and is back on the case with a message; at phone width
    the comparison does not scroll sideways. An administrator undoes the merge from Deleted
    records and the second case has its own record again."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, server, "caseworker")
    rows = page.request.get(f"{server}/api/cases?status=Active").json()["rows"]
    first, second = rows[0]["id"], rows[1]["id"]
    keep, other = _two_records_of_one_person(page, server, (first, second), "Rosalind")

    page.goto(f"{server}/cases/{first}")
    page.click(f"a[href='/persons/{keep}/merge?case={first}']")
    page.fill("#merge-other", str(other))
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"{server}/persons/{keep}/merge/{other}?case={first}")
    assert page.is_checked("input[name=take_phone][value=other]")  # the kept record has none
    assert page.locator("input[name=take_given_name]").count() == 0  # the same: no choice
    _shot(page, "10-merge-compare")
    phone = browser.new_context(viewport={"width": 375, "height": 800})
    small = phone.new_page()
    _sign_in(small, server, "caseworker")
    small.goto(page.url)
    assert small.evaluate("document.documentElement.scrollWidth") <= 375
    small.goto(f"{server}/merges")
    assert small.evaluate("document.documentElement.scrollWidth") <= 375
    phone.close()

    page.fill("textarea[name=reason]", "e2e: the same woman entered in two cases")
    page.click("button:text('Merge the records')")
    page.wait_for_url(f"{server}/cases/{first}")
    assert f"Person {other} was merged into person {keep}" in page.inner_text(".flash")
    page.goto(f"{server}/cases/{second}")
    assert page.locator(f"a[href='/persons/{keep}/merge?case={second}']").count() == 1
    assert "+63 917 555 0199" in page.inner_text("body")  # taken onto the kept record
    assert not errors, errors  # no CSP violation or script error (before the 404 below)
    assert page.goto(f"{server}/persons/{other}/merge").status == 404
    context.close()

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, server, "admin")
    page.click("text=Deleted records")
    row = page.locator("tr", has_text="e2e: the same woman entered in two cases")
    assert "caseworker" in row.inner_text()
    row.locator("button:text('Undo merge')").click()
    page.wait_for_url(f"{server}/deleted")
    assert "The merge was undone" in page.inner_text(".flash")
    assert page.locator("tr", has_text="e2e: the same woman").count() == 0
    _shot(page, "11-merge-undone")
    page.goto(f"{server}/cases/{second}")
    assert page.locator(f"a[href='/persons/{other}/merge?case={second}']").count() == 1
    context.close()


def test_accounts_an_admin_adds_resets_and_deactivates_a_user(server, browser):
    """An administrator adds a user (the role offered first is the least privileged), makes a
    one-time reset link that the user opens in their own browser to set a password; the user
    signs in and changes it on their account page; the administrator deactivates them and
    their next sign-in is refused."""
    admin = browser.new_context()
    page = admin.new_page()
    _sign_in(page, server, "admin")
    page.goto(f"{server}/users")
    add = page.locator("form[action='/users']")
    assert add.locator("select[name=role]").input_value() == "viewer"  # least privilege
    add.locator("input[name=username]").fill("e2e-newcomer")
    add.locator("input[name=password]").fill("a first long passphrase")
    add.locator("select[name=role]").select_option("analyst")
    add.locator("button[type=submit]").click()
    page.wait_for_load_state()
    row = page.locator("table.grid tr", has_text="e2e-newcomer")
    row.locator("button:text('Password reset link')").click()
    page.wait_for_load_state()
    link = page.inner_text("div.notice code")
    assert "/reset/" in link
    token_path = link[link.index("/reset/") :]
    _shot(page, "accounts-1-reset-link")

    user = browser.new_context()
    mine = user.new_page()
    mine.goto(f"{server}{token_path}")
    mine.fill("input[name=new_password]", "the passphrase I chose")
    mine.fill("input[name=repeat_password]", "the passphrase I chose")
    mine.click("button:text('Set the password')")
    mine.wait_for_url(f"{server}/signin")
    assert "Your new password is set" in mine.inner_text(".flash")
    mine.fill("input[name=username]", "e2e-newcomer")
    mine.fill("input[name=password]", "the passphrase I chose")
    mine.click("button[type=submit]")
    mine.wait_for_url(f"{server}/")
    mine.goto(f"{server}/account")
    mine.fill("input[name=current_password]", "the passphrase I chose")
    mine.fill("input[name=new_password]", "and now another passphrase")
    mine.fill("input[name=repeat_password]", "and now another passphrase")
    mine.click("button:text('Change password')")
    mine.wait_for_load_state()
    assert "Your password is changed" in mine.inner_text(".flash")
    _shot(mine, "accounts-2-password-changed")
    again = mine.goto(f"{server}{token_path}")  # the link worked once
    assert again is not None and again.status == 404

    page.goto(f"{server}/users")
    row = page.locator("table.grid tr", has_text="e2e-newcomer")
    row.locator("button:text('Deactivate')").click()
    page.wait_for_load_state()
    row = page.locator("table.grid tr", has_text="e2e-newcomer")
    assert row.locator("button:text('Reactivate')").count() == 1
    fresh = browser.new_context().new_page()
    fresh.goto(f"{server}/signin")
    fresh.fill("input[name=username]", "e2e-newcomer")
    fresh.fill("input[name=password]", "and now another passphrase")
    fresh.click("button[type=submit]")
    fresh.wait_for_load_state()
    assert fresh.url.startswith(f"{server}/signin")
    response = mine.goto(f"{server}/account")  # their open session ended with it
    assert response is not None and mine.url.startswith(f"{server}/signin")
    admin.close()
    user.close()


def test_a_declined_referral_says_why_and_is_sent_again(server, browser):
    """TH-DSI declines PNP's referral with a reason; PNP reads the reason among its sent
    referrals and sends it again, which puts it back in TH-DSI's inbox as new; once accepted
    and then marked completed, TH-DSI's access to the person ends."""
    pnp = browser.new_context()
    page = pnp.new_page()
    _sign_in(page, server, "caseworker")
    case_url = _new_case(page, server, "E2E-DECLINE-1", "2025-04-01", {"Declined-E2E": "victim"})
    survivor = page.get_attribute("a:text('survivor page')", "href")
    _refer_to_th(page, case_url, "Declined-E2E (victim)", "2025-04-02", "Legal aid E2E")

    th = browser.new_context()
    other = th.new_page()
    _sign_in(other, server, "caseworker-th")
    other.goto(f"{server}/referrals")
    card = other.locator("article.referral[data-status=Requested]", has_text="Legal aid E2E")
    card.locator("textarea[name=reason]").fill("No lawyer free this month; ask again in May.")
    card.locator("button:text('Decline referral')").click()
    other.wait_for_url(f"{server}/referrals")
    assert other.locator("article.referral[data-status=Declined]", has_text="Legal aid E2E").count()

    page.goto(f"{server}/referrals/sent")
    sent = page.locator("article.referral", has_text="Legal aid E2E")
    assert sent.get_attribute("data-status") == "Declined"
    assert "No lawyer free this month" in sent.inner_text()
    _shot(page, "8-declined-referral")
    sent.locator("button:text('Send again')").click()
    page.wait_for_url(re.compile(rf"{re.escape(server)}/referrals/sent.*"))
    again = page.locator("article.referral", has_text="Legal aid E2E")
    assert again.get_attribute("data-status") == "Requested"

    other.goto(f"{server}/referrals")
    card = other.locator("article.referral[data-status=Requested]", has_text="Legal aid E2E")
    card.locator("input[name=consent]").check()
    card.locator("select[name=consent_method]").select_option("Verbal")
    card.locator("input[name=consent_given_on]").fill("2025-04-03")
    card.locator("button:text('Accept referral')").click()
    other.wait_for_url(f"{server}/referrals")
    assert other.goto(f"{server}{survivor}").status == 200
    other.goto(f"{server}/referrals")
    done = other.locator("article.referral[data-status=Accepted]", has_text="Legal aid E2E")
    done.locator("input[name=confirm]").check()
    done.locator("button:text('Mark completed (ends your access)')").click()
    other.wait_for_url(f"{server}/referrals")
    response = other.goto(f"{server}{survivor}")
    assert response is not None and response.status == 403  # access ended with the service
    pnp.close()
    th.close()
