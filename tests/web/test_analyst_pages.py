"""The evidence report and the open-data bundle from the web: same library functions as the
CLI, same checks, roles as in ``store/access.py``, audited."""

from __future__ import annotations

import io
import zipfile

import pytest

from uncounted.report.pdf import pdf_unavailable


def test_report_page_shows_key_figures_and_links(clients):
    page = clients["analyst"].get("/report")
    assert page.status_code == 200
    assert 'id="key-figures"' in page.text
    assert 'href="/report.html?"' in page.text
    assert '<a href="/metrics/J3">J3</a>' in page.text  # each figure links its metric


def test_report_json_twin_is_the_report(clients):
    body = clients["viewer"].get("/api/report", params={"period": "2021:2024"}).json()
    assert body["period"] == "2021:2024"
    assert body["report"]["period"] == "2021:2024"
    labels = [k["label"] for k in body["report"]["key_figures"]]
    assert "Victims identified" in labels
    assert body["links"]["pdf"] == "/report.pdf?period=2021%3A2024"


def test_report_html_download_is_the_cli_report(clients):
    response = clients["analyst"].get("/report.html", params={"jurisdiction": "th"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert "evidence-report-TH-all.html" in response.headers["content-disposition"]
    assert "<style>" in response.text and "<script" not in response.text
    assert "unsafe-inline" in response.headers["content-security-policy"]
    assert "script-src" not in response.headers["content-security-policy"]


def test_report_options_are_checked_as_the_cli_does(clients):
    bad = clients["analyst"].get("/api/report", params={"period": "last year"})
    assert bad.status_code == 422
    assert "2024Q3" in bad.json()["error"]
    assert clients["analyst"].get("/api/report", params={"jurisdiction": "Thai"}).status_code == 422


@pytest.mark.skipif(pdf_unavailable() is not None, reason="WeasyPrint (the pdf extra) absent")
def test_report_pdf_download(clients):
    response = clients["analyst"].get("/report.pdf", params={"period": "2023"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_without_weasyprint_the_pdf_button_says_what_to_install(clients, monkeypatch):
    import uncounted.report.pdf as pdf

    monkeypatch.setattr(pdf, "find_spec", lambda name: None)
    monkeypatch.setattr(
        "uncounted._extras.importlib.import_module",
        lambda name: (_ for _ in ()).throw(ImportError(name=name)),
    )
    page = clients["analyst"].get("/report")
    assert 'id="report-pdf-missing"' in page.text
    assert "pip install &#39;uncounted[pdf]&#39;" in page.text
    assert 'id="report-pdf"' not in page.text


def test_caseworker_gets_no_report_nor_bundle(clients):
    cw = clients["caseworker"]
    assert cw.get("/report").status_code == 403
    assert cw.get("/report.html").status_code == 403
    assert cw.get("/open-data").status_code == 403
    assert cw.post("/open-data", data={"k": "11"}).status_code == 403
    assert "/report" not in cw.get("/").text.split("<main>")[0]


def _events(clients, resource="open_data"):
    events = clients["admin"].get("/api/audit", params={"action": "export"}).json()["events"]
    return [e for e in events if e["resource"] == resource]


def test_bundle_is_built_verified_audited_and_downloaded(clients):
    analyst = clients["analyst"]
    built = analyst.post("/api/open-data", json={"k": "5", "max_suppression": "0.5"})
    assert built.status_code == 200, built.text
    bundle = built.json()["bundle"]
    assert bundle["k"] == 5 and bundle["victims_published"] > 0
    assert "path" not in bundle  # no server path in the answer
    archive = analyst.get(bundle["download"])
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert "uncounted-open-data/victims.csv" in names
    assert "uncounted-open-data/manifest.json" in names
    # only the user who built it may download it
    assert clients["admin"].get(bundle["download"]).status_code == 404
    events = _events(clients)
    built_event = next(e for e in events if e["record_id"] == bundle["download"][11:-4])
    assert built_event["actor"] == "analyst"
    assert bundle["sha256"] in built_event["detail"]


def test_a_bundle_failing_its_checks_is_not_offered(clients):
    refused = clients["analyst"].post("/api/open-data", json={"k": "400", "max_suppression": "0"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["bundle"] is None
    assert body["problems"] and "k" in body["problems"][0]
    page = clients["analyst"].post("/open-data", data={"k": "400", "max_suppression": "0"})
    assert 'id="open-data-refused"' in page.text and "open-data-download" not in page.text
    assert any("refused" in (e["detail"] or "") for e in _events(clients))


def test_a_k_below_the_configured_minimum_is_refused(clients):
    """The page offered k = 2; the setting open_data_min_k (default 5) is the floor."""
    refused = clients["analyst"].post("/api/open-data", json={"k": "2", "max_suppression": "0.5"})
    assert refused.status_code == 422
    assert "below the smallest k allowed here (5" in refused.json()["problems"][0]
    assert refused.json()["bundle"] is None


def test_a_bundle_built_by_one_server_process_downloads_from_another(demo, clients):
    """``serve --workers N``: the download may reach another process than the build; the
    verified bundle waits encrypted in the data folder, not in one process's memory."""
    from fastapi.testclient import TestClient

    from uncounted.demo import demo_keyring, demo_url
    from uncounted.web import create_app

    built = clients["analyst"].post("/api/open-data", json={"k": "5", "max_suppression": "0.5"})
    bundle = built.json()["bundle"]
    kept = sorted((demo.settings.data_dir / "open-data").iterdir())
    assert kept and all(p.suffix == ".enc" for p in kept)
    assert all(b"victims.csv" not in p.read_bytes() for p in kept)  # encrypted at rest
    other = create_app(
        demo.settings, database_url=demo_url(demo.settings), keyring=demo_keyring(demo.settings)
    )
    with TestClient(other) as second:
        second.cookies.update(clients["analyst"].cookies)
        archive = second.get(bundle["download"])
        assert archive.status_code == 200, archive.text
        names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
        assert "uncounted-open-data/victims.csv" in names
        second.cookies.clear()
        second.cookies.update(clients["admin"].cookies)
        assert second.get(bundle["download"]).status_code == 404  # bound to who built it
