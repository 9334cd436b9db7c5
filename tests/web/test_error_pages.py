"""Bad addresses are answered for people: an HTML error page (JSON for JSON clients) that
says what is wrong, never raw JSON in the browser and never a 500 for a big number."""

from __future__ import annotations

import pytest

HTML = {"accept": "text/html"}


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/cases/abc", 422, "case_id"),
        ("/cases?page=-1", 422, "page"),
        ("/cases?page=0", 422, "page"),
        ("/cases?page=99999999999999999999", 422, "page"),
        ("/cases?per_page=100000", 422, "per_page"),
        ("/cases/99999999999999999999999", 422, "case_id"),
        ("/cases/0", 422, "case_id"),
        ("/audit?page=-3", 422, "page"),
        ("/no-such-page", 404, "no such page"),
    ],
)
def test_bad_addresses_get_a_page(clients, url, status, says):
    response = clients["admin"].get(url, headers=HTML)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert says.lower() in response.text.lower()
    assert '"detail"' not in response.text
    assert 'href="/cases"' in response.text  # the navigation stays for the signed-in user


def test_an_error_page_for_someone_signed_out_has_no_navigation(app):
    from fastapi.testclient import TestClient

    response = TestClient(app).get("/no-such-page", headers=HTML)
    assert response.status_code == 404 and 'href="/cases"' not in response.text


def test_json_clients_get_json_with_the_reason(clients):
    response = clients["admin"].get("/api/cases/abc")
    assert response.status_code == 422
    body = response.json()
    assert "case_id" in body["error"] and body["detail"][0]["loc"][-1] == "case_id"
    missing = clients["admin"].get("/api/no-such-thing")
    assert missing.status_code == 404 and missing.json() == {"error": "There is no such page."}


def test_a_method_the_page_does_not_take(clients):
    response = clients["admin"].delete("/cases/1", headers=HTML)
    assert response.status_code == 405
    assert "does not take that kind of request" in response.text
