"""Find a person: ``GET /search?q=`` (and its JSON twin), by name or identity number.

The route parses the query and calls :func:`uncounted.store.person_search.search_persons`,
which scopes, ranks and audits the search.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from uncounted.store.person_search import MAX_QUERY, search_persons
from uncounted.web.context import CurrentUser, DbSession, render
from uncounted.web.routes import both

router = APIRouter(tags=["search"])


@both(router, "/search", summary="Find a person in your scope by name or identity number")
async def search(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    q: str = Query("", max_length=MAX_QUERY),
) -> Response:
    result = search_persons(session, me.who, q)
    return render(request, "search.html", {"q": q, **result.to_dict()}, me)
