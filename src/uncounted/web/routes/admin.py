"""Administration: users and roles, and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from uncounted.errors import InvalidInput
from uncounted.store import audit
from uncounted.store.access import Action, Resource, Role, check
from uncounted.store.users import (
    agency_codes,
    create_user,
    list_users,
    make_reset_link,
    update_user,
)
from uncounted.web.context import (
    CurrentUser,
    DbSession,
    FormData,
    Me,
    render,
    wants_json,
)
from uncounted.web.i18n import catalogues, languages
from uncounted.web.routes import RecordId, both

router = APIRouter(tags=["admin"])


def _users_page(
    request: Request,
    me: Me,
    session: Session,
    error: str | None = None,
    status: int = 200,
    reset: dict[str, str] | None = None,
) -> Response:
    agencies = agency_codes(session, me.who)
    data = {
        "users": list_users(session, me.who),
        "roles": [r.value for r in Role],
        "default_role": Role.VIEWER.value,  # least privilege: a wider role is a choice
        "agencies": [[str(i), c] for i, c in agencies],
        "error": error,
        "reset": reset,
        "languages": [list(pair) for pair in languages()],
    }
    return render(request, "users.html", data, me, status_code=status)


@both(router, "/users", summary="Users, their roles and agencies (admin)")
def users_page(
    request: Request,
    me: CurrentUser,
    session: DbSession,
) -> Response:
    check(me.who, Resource.USERS, Action.READ)
    return _users_page(request, me, session)


@both(router, "/users", methods=("POST",), summary="Create a user (admin)")
def add_user(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    raw: FormData,
) -> Response:
    check(me.who, Resource.USERS, Action.CREATE)
    agency = raw.get("agency_id", "").strip()
    try:
        user = create_user(
            session,
            raw.get("username", "").strip(),
            raw.get("password", ""),
            raw.get("role", ""),
            int(agency) if agency.isdigit() else None,
            by=me.who,
        )
    except InvalidInput as exc:
        session.rollback()
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=422)
        return _users_page(request, me, session, str(exc), 422)
    session.commit()
    if wants_json(request):
        return JSONResponse({"id": user.id, "username": user.username}, status_code=201)
    return RedirectResponse("/users", status_code=303)


@both(
    router,
    "/users/{user_id}",
    methods=("POST",),
    summary="Deactivate, re-role or clear sign-in delays",
)
def change_user(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, user_id: RecordId
) -> Response:
    check(me.who, Resource.USERS, Action.UPDATE)
    active = {"yes": True, "no": False}.get(raw.get("active", ""))
    if active is False and user_id == me.who.user_id:
        raise InvalidInput("You cannot deactivate your own account.")
    update_user(
        session,
        user_id,
        by=me.who,
        active=active,
        unlock=raw.get("unlock") == "yes",
        role=raw.get("role") or None,
        language=raw.get("language"),
        known_languages=catalogues(),
    )
    session.commit()
    if wants_json(request):
        return JSONResponse({"id": user_id, "updated": True})
    return RedirectResponse("/users", status_code=303)


@both(
    router,
    "/users/{user_id}/reset",
    methods=("POST",),
    summary="Make a one-time password reset link for a user (admin; shown once)",
)
def reset_link(
    request: Request, me: CurrentUser, session: DbSession, user_id: RecordId
) -> Response:
    """The link is shown in this answer only (the database keeps its hash): hand it to the
    user by a channel you trust. It works once, for 24 hours, and ends their sessions."""
    token, expires = make_reset_link(session, me.who, user_id)
    session.commit()
    link = f"{str(request.base_url).rstrip('/')}/reset/{token}"
    reset = {"user_id": str(user_id), "link": link, "expires_at": expires.isoformat() + "Z"}
    if wants_json(request):
        return JSONResponse(reset, status_code=201)
    return _users_page(request, me, session, reset=reset)


@both(router, "/audit", summary="The audit log, newest first (admin)")
def audit_page(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    actor: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    page: int = Query(1, ge=1, le=1_000_000),  # a bound: the offset must fit the database
) -> Response:
    check(me.who, Resource.AUDIT, Action.READ)
    per_page = 50
    rows, total = audit.read_events(
        session,
        me.who,
        actor=actor,
        action=action,
        resource=resource,
        page=page,
        per_page=per_page,
    )
    data = {
        "events": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // per_page)),
        "filters": {"actor": actor, "action": action, "resource": resource},
        "actions": [a.value for a in audit.AuditAction],
    }
    return render(request, "audit.html", data, me)
