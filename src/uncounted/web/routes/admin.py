"""Administration: users and roles, and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from uncounted.errors import InvalidInput
from uncounted.store import audit
from uncounted.store.access import Action, Resource, Role, check
from uncounted.store.tables import Agency, AuditEvent, User
from uncounted.store.users import create_user, update_user
from uncounted.web.context import (
    CurrentUser,
    DbSession,
    FormData,
    Me,
    render,
    wants_json,
)
from uncounted.web.routes import both

router = APIRouter(tags=["admin"])


def _users(session: Session) -> list[dict[str, Any]]:
    agencies = {i: c for i, c in session.execute(select(Agency.id, Agency.code))}
    return [
        {
            "id": u.id,
            "username": u.username,
            "role": u.role,
            "agency": agencies.get(u.agency_id) if u.agency_id else None,
            "active": u.active,
            "failed_logins": u.failed_logins,
        }
        for u in session.scalars(select(User).order_by(User.username))
    ]


def _users_page(
    request: Request, me: Me, session: Session, error: str | None = None, status: int = 200
) -> Response:
    agencies = session.execute(select(Agency.id, Agency.code).order_by(Agency.code)).all()
    data = {
        "users": _users(session),
        "roles": [r.value for r in Role],
        "agencies": [[str(i), c] for i, c in agencies],
        "error": error,
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
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, user_id: int
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
    )
    session.commit()
    if wants_json(request):
        return JSONResponse({"id": user_id, "updated": True})
    return RedirectResponse("/users", status_code=303)


@both(router, "/audit", summary="The audit log, newest first (admin)")
def audit_page(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    actor: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    page: int = Query(1, ge=1),
) -> Response:
    check(me.who, Resource.AUDIT, Action.READ)
    conds = []
    if actor:
        conds.append(AuditEvent.actor == actor)
    if action:
        conds.append(AuditEvent.action == action)
    if resource:
        conds.append(AuditEvent.resource == resource)
    per_page = 50
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conds)) or 0
    events = session.scalars(
        select(AuditEvent)
        .where(*conds)
        .order_by(AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [
        {
            "id": e.id,
            "at": e.at.isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "resource": e.resource,
            "record_id": e.record_id,
            "fields": e.fields,
            "before": e.before,
            "after": e.after,
            "detail": e.detail,
        }
        for e in events
    ]
    data = {
        "events": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // per_page)),
        "filters": {"actor": actor, "action": action, "resource": resource},
        "actions": [a.value for a in audit.AuditAction],
    }
    return render(request, "audit.html", data, me)
