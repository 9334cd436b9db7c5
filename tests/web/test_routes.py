"""Every route under every role, in process: what each role gets, and that refusals leak nothing.

The expected status of each (route, role) pair is written out below, not derived from the
policy, so a change to ``store/access.py`` that opens a page shows up here too.
"""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import ROLES, sign_in
from uncounted.demo import demo_keyring, demo_url
from uncounted.web import create_app

OK, DENIED = 200, 403
#                                           admin caseworker analyst viewer
PAGES = [
    ("/", (OK, OK, OK, OK)),
    ("/cases", (OK, OK, OK, DENIED)),
    ("/cases?status=Active&stage=arrest&page=1", (OK, OK, OK, DENIED)),
    ("/cases/{own}", (OK, OK, OK, DENIED)),
    ("/cases/{other}", (OK, DENIED, OK, DENIED)),
    ("/cases/new", (OK, OK, DENIED, DENIED)),
    ("/cases/{own}/edit", (OK, OK, DENIED, DENIED)),
    ("/cases/{other}/edit", (OK, DENIED, DENIED, DENIED)),
    ("/cases/{own}/persons/new", (OK, OK, DENIED, DENIED)),
    ("/cases/{own}/events/new", (OK, OK, DENIED, DENIED)),
    ("/cases/{own}/referrals/new", (OK, OK, DENIED, DENIED)),
    ("/cases/{other}/events/new", (OK, DENIED, DENIED, DENIED)),
    ("/indicators", (OK, OK, OK, OK)),
    ("/indicators?by=jurisdiction&period=2022:2025&counts_by=sex", (OK, OK, OK, OK)),
    ("/metrics", (OK, OK, OK, OK)),
    ("/metrics/J3", (OK, OK, OK, OK)),
    ("/survivors/{survivor}", (OK, OK, OK, DENIED)),
    ("/survivors/{other_survivor}", (OK, DENIED, OK, DENIED)),
    ("/survivors/{survivor}/assessments/new", (OK, OK, DENIED, DENIED)),
    ("/imports", (OK, OK, DENIED, DENIED)),
    ("/prevalence", (OK, OK, OK, OK)),
    ("/users", (OK, DENIED, DENIED, DENIED)),
    ("/audit", (OK, DENIED, DENIED, DENIED)),
]
CELLS = [
    (path, role, status)
    for path, statuses in PAGES
    for role, status in zip(ROLES, statuses, strict=True)
]


def _path(path: str, demo) -> str:
    return path.format(
        own=demo.own_case,
        other=demo.other_case,
        survivor=demo.survivor,
        other_survivor=demo.other_survivor,
    )


@pytest.mark.parametrize(("path", "role", "status"), CELLS)
def test_page_and_json_twin(clients, demo, path, role, status):
    client: TestClient = clients[role]
    url = _path(path, demo)
    page = client.get(url)
    assert page.status_code == status, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    twin = client.get(f"/api{url}" if url != "/" else "/api/")
    assert twin.status_code == status
    assert twin.headers["content-type"] == "application/json"
    if status == DENIED:  # nothing about the record or its people in the refusal
        for body in (page.text, twin.text):
            for name in demo.names:
                assert name not in body
            assert "You do not have access" in body
        assert set(twin.json()) == {"error"}


def test_identities_are_shown_to_caseworkers_and_never_to_analysts(clients, demo):
    url = f"/api/cases/{demo.own_case}"
    seen = clients["caseworker"].get(url).json()
    assert seen["identities_shown"] is True
    assert any(p.get("identity") for p in seen["persons"])
    hidden = clients["analyst"].get(url)
    assert hidden.json()["identities_shown"] is False
    for name in demo.names:
        assert name in clients["caseworker"].get(f"/cases/{demo.own_case}").text
        assert name not in hidden.text
        assert name not in clients["analyst"].get(f"/cases/{demo.own_case}").text
    # and the caseworker's look at those names is in the audit log
    reads = clients["admin"].get("/api/audit?action=read&actor=caseworker").json()["events"]
    assert reads and all(e["resource"] == "person_identities" for e in reads)
    assert any("family_name" in e["fields"] for e in reads)


def test_signed_out_pages_redirect_and_api_says_401(app, demo):
    client = TestClient(app)
    for path, _ in PAGES:
        url = _path(path, demo)
        page = client.get(url, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/signin")
        assert client.get(f"/api{url}" if url != "/" else "/api/").status_code == 401
    assert client.get("/indicators.csv", follow_redirects=False).status_code == 303


def test_security_headers_and_cookie_flags(app):
    client = TestClient(app)
    response = client.get("/signin")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "<script>" not in response.text  # no inline script anywhere
    assert client.get("/static/htmx.min.js").status_code == 200


def test_openapi_describes_the_json_twins(clients):
    spec = clients["viewer"].get("/api/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/cases", "/api/cases/{case_id}", "/api/", "/api/indicators", "/api/me"} <= paths
    downloads = (".csv", ".html", ".pdf", ".zip")  # files, described beside the JSON twins
    assert not any(not p.startswith("/api/") and not p.endswith(downloads) for p in paths)


def test_csv_downloads(clients):
    response = clients["viewer"].get("/indicators.csv?by=jurisdiction")
    assert response.headers["content-type"].startswith("text/csv")
    header, *rows = response.text.strip().splitlines()
    assert header.startswith("jurisdiction,indicator,variant,numerator,denominator,value,lower")
    assert any(r.split(",")[1] == "J3" for r in rows)
    counts = clients["viewer"].get("/counts.csv?by=country").text.strip().splitlines()
    assert counts[0] == "country,victims identified,arrests,charges,verdicts,convictions"
    assert len(counts) > 1


def test_bad_disaggregation_is_a_readable_422(clients):
    response = clients["analyst"].get("/api/indicators?by=shoe_size")
    assert response.status_code == 422 and "Cannot disaggregate" in response.json()["error"]


def test_prevalence_estimate_from_two_lists(clients):
    viewer = clients["viewer"]
    lists = viewer.get("/api/prevalence").json()["available_lists"]
    assert len(lists) >= 2
    query = f"/api/prevalence?lists={lists[0]}&lists={lists[1]}&method=chapman"
    result = viewer.get(query).json()["result"]
    assert result["method"] == "chapman" and result["lists"] == sorted(lists[:2])
    assert result["ci_low"] <= result["estimate"] <= result["ci_high"]
    assert result["estimate"] >= result["observed"] > 0
    # the sparse overlap of these two demo lists is reported, not raised
    assert any("unstable" in w for w in result["warnings"])
    page = viewer.get(query.removeprefix("/api"))
    assert 'data-result="estimate"' in page.text


def test_prevalence_panel_is_the_default(clients):
    """With no method the page shows the panel: observed, Chao's bound, each method with what
    it assumes, the spread and the heterogeneity warnings (issue #17 item 3); the JSON is the
    library's PanelResult.to_dict, the same as `uncounted estimate --format json`."""
    viewer = clients["viewer"]
    lists = viewer.get("/api/prevalence").json()["available_lists"][:4]
    query = "/api/prevalence?" + "&".join(f"lists={x}" for x in lists)
    result = viewer.get(query).json()["result"]
    assert result["method"] == "panel" and result["recommended"] == "mth-darroch-aic"
    assert {m["key"] for m in result["methods"]} >= {"independence", "mth-chao", "lcmcr"}
    assert all(m["assumes"] for m in result["methods"])
    page = viewer.get(query.removeprefix("/api"))
    assert 'id="prevalence-panel"' in page.text and 'data-result="spread"' in page.text


def test_prevalence_methods_mean_what_they_mean_in_the_cli(clients, toy_estimator):
    """The web form's methods are the registry's (a newly registered one included);
    ``loglinear`` is the independence model, ``criterion=aic`` the search, and one estimate's
    JSON has the CLI's shape (``model`` the terms, ``model_label`` the text) (issue #19)."""
    viewer = clients["viewer"]
    data = viewer.get("/api/prevalence").json()
    assert [m[0] for m in data["methods"]][:1] == ["panel"] and ["toy", toy_estimator.label] in (
        data["methods"]
    )
    query = "/api/prevalence?" + "&".join(f"lists={x}" for x in data["available_lists"][:3])
    plain = viewer.get(query + "&method=loglinear").json()["result"]
    assert plain["settings"]["criterion"] is None and plain["model"] == []
    assert plain["model_label"] == "()" and "diagnostics" in plain
    search = viewer.get(query + "&method=loglinear&criterion=aic").json()["result"]
    assert search["settings"]["criterion"] == "aic" and isinstance(search["model"], list)
    toy = viewer.get(query + "&method=toy").json()["result"]
    assert toy["method"] == "toy" and toy["estimate"] == 2 * toy["observed"]
    assert "model ()" in viewer.get(query.removeprefix("/api") + "&method=loglinear").text
    too_few = viewer.get(query.split("&")[0] + "&method=heterogeneity")
    assert too_few.status_code == 422 and "3 or more lists" in too_few.json()["error"]


W, D = "write", DENIED
#                                                       admin caseworker analyst viewer
WRITES = [
    ("/cases/new", (W, W, D, D)),
    ("/cases/{own}/edit", (W, W, D, D)),
    ("/cases/{other}/edit", (W, D, D, D)),
    ("/cases/{own}/persons/new", (W, W, D, D)),
    ("/cases/{own}/events/new", (W, W, D, D)),
    ("/cases/{other}/events/new", (W, D, D, D)),
    ("/cases/{own}/referrals/new", (W, W, D, D)),
    ("/survivors/{survivor}/assessments/new", (W, W, D, D)),
    ("/survivors/{other_survivor}/assessments/new", (W, D, D, D)),
    ("/users", (W, D, D, D)),
    ("/users/1", (W, D, D, D)),
]


@pytest.mark.parametrize(
    ("path", "role", "expected"),
    [(p, r, e) for p, es in WRITES for r, e in zip(ROLES, es, strict=True)],
)
def test_every_write_under_every_role(clients, demo, path, role, expected):
    """An empty submission: refused roles get 403 with nothing of the record; allowed roles get
    past access control (a 422 listing what is missing, or a change of nothing)."""
    response = clients[role].post(f"/api{_path(path, demo)}", json={})
    if expected == DENIED:
        assert response.status_code == 403
        assert set(response.json()) == {"error"}
        for name in demo.names:
            assert name not in response.text
    else:
        assert response.status_code in (200, 201, 422), response.text


def test_serve_warms_the_dashboard_as_it_starts(demo):
    """With ``warm`` (as ``uncounted serve`` builds it) the aggregates are ready, and equal
    to what a cold dashboard computes."""
    warm = create_app(
        demo.settings,
        database_url=demo_url(demo.settings),
        keyring=demo_keyring(demo.settings),
        warm=True,
    )
    ctx = warm.state.ctx
    with TestClient(warm) as client:
        for _ in range(600):
            if ctx.ready("justice-headlines", 60) and ctx.ready("dashboard", 60):
                break
            time.sleep(0.05)
        assert ctx.ready("justice-headlines", 60) and ctx.ready("dashboard", 60)
        assert sign_in(client, "analyst").status_code == 303
        warmed = client.get("/api/").json()
    cold = create_app(
        demo.settings, database_url=demo_url(demo.settings), keyring=demo_keyring(demo.settings)
    )
    with TestClient(cold) as client:
        assert not cold.state.ctx.ready("dashboard", 60)
        assert sign_in(client, "analyst").status_code == 303
        assert client.get("/api/").json() == warmed


def test_api_docs_are_served_from_here_without_inline_script(clients):
    page = clients["viewer"].get("/api/docs")
    assert page.status_code == 200
    assert "<script>" not in page.text and "cdn" not in page.text.lower()
    assert 'src="/api/docs/assets/swagger-ui-bundle.js"' in page.text
    for asset in ("/api/docs/assets/swagger-ui-bundle.js", "/api/docs/assets/swagger-ui.css",
                  "/static/api-docs.js"):  # fmt: skip
        assert clients["viewer"].get(asset).status_code == 200, asset


def test_prevalence_from_linked_records_without_a_run(clients):
    """``linked=true`` asks for the estimate from the latest saved linkage run, with linkage
    error in its interval; the demo has none, and the page says how to make one."""
    viewer = clients["viewer"]
    data = viewer.get("/api/prevalence?linked=true").json()
    assert data["linked"] is True and data["linked_result"] is None
    page = viewer.get("/prevalence?linked=true")
    assert 'id="prevalence-linked"' in page.text and "uncounted link run" in page.text
