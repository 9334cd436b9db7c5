"""The navigation bar comes from one table (``web.app.NAV``) and shows each role what it may read.

The links each role sees are written out here, not derived from the policy, so a change to
``store/access.py`` or to the table that opens a page to a role shows up.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from uncounted.web.app import NAV

#: role -> the links of its navigation bar, in order
SEEN = {
    "admin": [
        "/",
        "/cases",
        "/search",
        "/referrals",
        "/indicators",
        "/metrics",
        "/prevalence",
        "/linkage/review",
        "/report",
        "/open-data",
        "/imports",
        "/partners",
        "/users",
        "/audit",
        "/deleted",
    ],
    "caseworker": [
        "/",
        "/cases",
        "/search",
        "/referrals",
        "/indicators",
        "/metrics",
        "/prevalence",
        "/imports",
    ],
    "analyst": [
        "/",
        "/cases",
        "/indicators",
        "/metrics",
        "/prevalence",
        "/linkage/review",
        "/report",
        "/open-data",
        "/partners",
    ],
    "viewer": ["/", "/indicators", "/metrics", "/prevalence", "/report", "/partners"],
}


def _nav(html: str) -> list[str]:
    bar = re.search(r"<nav>(.*?)</nav>", html, re.S)
    assert bar is not None
    return re.findall(r'href="([^"]+)"', bar.group(1))


@pytest.mark.parametrize("role", sorted(SEEN))
def test_each_role_sees_the_links_it_may_follow(clients, role):
    page = clients[role].get("/")
    assert page.status_code == 200
    assert _nav(page.text) == SEEN[role]
    for path in SEEN[role]:
        assert clients[role].get(path).status_code == 200, path


def test_signed_out_pages_have_no_navigation(app):
    from fastapi.testclient import TestClient

    page = TestClient(app).get("/signin")
    assert "<nav>" not in page.text


def test_every_link_is_a_page_of_the_app(app):
    pages = set()
    for route in app.routes:  # included routers may be kept apart (effective_route_contexts)
        found = [route] if isinstance(route, APIRoute) else []
        if hasattr(route, "effective_route_contexts"):
            found += list(route.effective_route_contexts())
        pages |= {r.path for r in found if "GET" in r.methods}
    assert {link.path for link in NAV} <= pages
