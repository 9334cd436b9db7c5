"""The routes, one module per area; :func:`register_all` adds them to an app."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI

from uncounted.store.access import Action, Principal, Resource, allowed

#: Route modules under ``uncounted.web.routes``; each defines ``router``.
ROUTE_MODULES: tuple[str, ...] = (
    "auth",
    "dashboard",
    "records",
    "cases",
    "indicators",
    "metrics",
    "survivors",
    "imports",
    "prevalence",
    "partners",
    "admin",
)


def both(
    router: APIRouter, path: str, methods: tuple[str, ...] = ("GET",), **kwargs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler for the page ``path`` and for its JSON twin ``/api{path}``.

    The page is left out of the OpenAPI description (it is HTML); the twin is described.
    """

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(path, handler, methods=list(methods), include_in_schema=False)
        router.add_api_route(f"/api{path}", handler, methods=list(methods), **kwargs)
        return handler

    return decorate


#: Pages of optional modules: (path, label, resource) shown in the navigation when allowed.
EXTRA_PAGES: tuple[tuple[str, str, str], ...] = (
    ("/metrics", "Metrics", "metrics"),
    ("/prevalence", "Prevalence", "prevalence"),
    ("/imports", "Imports", "imports"),
    ("/partners", "Partners", "partners"),
)


def extra_nav(who: Principal | None) -> list[tuple[str, str]]:
    """Navigation links to the optional modules' pages that ``who`` may read."""
    if who is None:
        return []
    return [
        (path, label)
        for path, label, resource in EXTRA_PAGES
        if allowed(who, Resource(resource), Action.READ)
    ]


def register_all(app: FastAPI) -> None:
    """Include every route module's router."""
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"uncounted.web.routes.{name}")
        app.include_router(module.router)


__all__ = ["EXTRA_PAGES", "ROUTE_MODULES", "both", "extra_nav", "register_all"]
