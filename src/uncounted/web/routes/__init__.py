"""The routes, one module per area, each with a ``router``; ``web/app.py`` includes them from one
explicit list (and lists their links in ``NAV``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path

#: A record's id in a path (``/cases/{case_id}``): a positive 64-bit integer, so that an id no
#: database can hold (``/cases/99999999999999999999``) is a 422 naming it, never a 500.
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1)]


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


__all__ = ["RecordId", "both"]
