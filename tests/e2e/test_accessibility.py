"""Accessibility: axe-core (from npm, pinned in tests/e2e/package-lock.json) checks every page
of every role for WCAG 2.0/2.1 A and AA problems in Debian's Chromium; none may be serious or
critical. The pages are those of each role's navigation, a case, its forms and the sign-in, and
the linkage review page with pairs to review (its own store with a saved run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_browser import (  # noqa: F401 (fixtures)
    _sign_in,
    _two_records_of_one_person,
    browser,
    server,
)
from .test_linkage_review import review_server, sign_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ("admin", "caseworker", "analyst", "viewer")
#: axe's rule tags for WCAG 2.0 and 2.1, levels A and AA
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _problems(page) -> list[str]:
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    # a short page (an empty list) passes few rules; axe ran if it weighed many of them
    checked = len(result["passes"]) + len(result["inapplicable"]) + len(result["violations"])
    assert result["passes"] and checked > 30, "axe-core did not check the page"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {n['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
        for n in v["nodes"][:3]
    ]


def _pages(page, server: str, role: str) -> list[str]:  # noqa: F811
    """The role's navigation (an admin's holds the deleted records; the report and open-data
    pages), a case and its forms (the delete confirmation too), a page of search results, the
    merge pages, the account page, the prevalence page with the estimate from linked records
    asked for, and the evidence report itself."""
    page.goto(f"{server}/")
    links = page.eval_on_selector_all("header nav a", "els => els.map(e => e.getAttribute('href'))")
    urls = [f"{server}{href}" for href in links] + [f"{server}/account"]
    urls.append(f"{server}/prevalence?linked=true")
    if "/report" in links:
        urls.append(f"{server}/report/view")
    if role in ("admin", "caseworker", "analyst"):
        page.goto(f"{server}/cases")
        case = page.get_attribute("table.grid a[href^='/cases/']", "href")
        urls.append(f"{server}{case}")
        if role != "analyst":
            urls += [f"{server}{case}/persons/new", f"{server}{case}/events/new",
                     f"{server}{case}/referrals/new", f"{server}/cases/new",
                     f"{server}/referrals/sent", f"{server}{case}/delete"]  # fmt: skip
            page.goto(f"{server}{case}")
            names = page.locator("xpath=//h2[text()='People']/following::table[1]/tbody/tr/td[1]")
            urls.append(f"{server}/search?q={names.first.inner_text()}")  # a page of results
            urls += _merge_pages(page, server, role, int(case.rsplit("/", 1)[1]))
    return urls


def _merge_pages(page, server: str, role: str, case: int) -> list[str]:  # noqa: F811
    """The merge pages over two records of one person made for the purpose: the candidates,
    the start from one record, the comparison, search results offering a merge; for an
    administrator, the deleted records again with a merge to undo."""
    keep, other = _two_records_of_one_person(page, server, (case, case), f"Axe{role}")
    urls = [f"{server}/merges", f"{server}/persons/{keep}/merge?case={case}",
            f"{server}/persons/{keep}/merge/{other}?case={case}",
            f"{server}/search?q=Axe{role} Mergetest"]  # fmt: skip
    if role == "admin":
        token = page.request.get(f"{server}/api/me").json()["csrf_token"]
        done = page.request.post(
            f"{server}/api/persons/{keep}/merge/{other}",
            data={"reason": "accessibility check of the undo button"},
            headers={"X-CSRF-Token": token},
        )
        assert done.status == 200, done.text()
        urls.append(f"{server}/deleted")
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_no_serious_accessibility_problem(server, browser, role):  # noqa: F811
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make pytest` (it runs npm ci in tests/e2e).")
    # axe is added by the test, not the app: the app's CSP rightly refuses injected scripts
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    if role == ROLES[0]:
        page.goto(f"{server}/signin")
        page.add_script_tag(path=str(AXE))
        found["/signin"] = _problems(page)
    _sign_in(page, server, role)
    for url in _pages(page, server, role):
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        problems = _problems(page)
        if problems:
            found[url.removeprefix(server)] = problems
    context.close()
    assert not any(found.values()), found


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_the_linkage_review_page_has_no_serious_problem(review_server, browser, role):  # noqa: F811
    """The queue with its pairs side by side and their forms (names shown to an administrator,
    hidden from an analyst), and the page of a refused decision."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make pytest` (it runs npm ci in tests/e2e).")
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, review_server, role)
    page.goto(f"{review_server}/linkage/review")
    assert page.locator("section.pair").count() == 3
    found = {}
    page.add_script_tag(path=str(AXE))
    found["/linkage/review"] = _problems(page)
    page.locator("section.pair").first.locator("textarea[name=note]").fill("x" * 10)
    page.evaluate("document.querySelector('input[name=record_l]').value = 'abc'")
    page.locator("section.pair").first.locator("button[value=match]").click()
    page.wait_for_selector("[role=alert]")
    page.add_script_tag(path=str(AXE))
    found["/linkage/review/decisions (refused)"] = _problems(page)
    context.close()
    assert not any(found.values()), found
