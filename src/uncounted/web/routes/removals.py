"""Deleting a case, a person or a justice event with a reason, and restoring it (admin).

``GET`` gives the confirmation page (what will be hidden, a required reason); ``POST`` deletes
softly through ``store/removals.py`` (who may, audit) and returns to the case (or the case
list). ``/deleted`` lists removed records for administrators, each with a restore button (for
a person merged into another, an undo button: ``restore_record`` undoes the merge through
``store/merging.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from uncounted._i18n import N_
from uncounted.errors import AccessDenied, InvalidInput
from uncounted.store.access import Action, Resource, check
from uncounted.store.casebook import get_case
from uncounted.store.removals import (
    DELETABLE,
    MIN_REASON,
    delete_record,
    list_removals,
    may_delete,
    restore_record,
)
from uncounted.web.context import (
    CurrentUser,
    DbSession,
    FormData,
    Me,
    ctx_of,
    flash,
    render,
    wants_json,
)
from uncounted.web.routes import RecordId, both

router = APIRouter(tags=["records"])

RESTORED = N_("Restored: the record is back on every page.")
UNMERGED = N_(
    "The merge was undone: person %(other)s is a separate record again, with what was moved "
    "from it."
)


def _confirm(
    request: Request,
    me: Me,
    session: DbSession,
    resource: str,
    record_id: int,
    case_id: int,
    error: str | None = None,
    reason: str = "",
) -> Response:
    get_case(session, me.who, case_id)  # the case must be readable to come back to it
    if not may_delete(session, me.who, resource, record_id):
        raise AccessDenied("You may delete only your own agency's records; ask their owner.")
    noun = DELETABLE[resource][2]
    data: dict[str, Any] = {
        "resource": resource,
        "record_id": record_id,
        "noun": noun,
        "case_id": case_id,
        "action": request.url.path.removeprefix("/api"),
        "min_reason": MIN_REASON,
        "reason": reason,
        "error": error,
    }
    return render(request, "delete.html", data, me, status_code=422 if error else 200)


def _delete(
    request: Request,
    me: Me,
    session: DbSession,
    resource: str,
    record_id: int,
    case_id: int,
    raw: dict[str, str],
) -> Response:
    reason = raw.get("reason", "")
    get_case(session, me.who, case_id)
    try:
        delete_record(session, me.who, resource, record_id, reason)
    except InvalidInput as exc:
        session.rollback()
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=422)
        return _confirm(request, me, session, resource, record_id, case_id, str(exc), reason)
    session.commit()
    ctx_of(request).invalidate()
    back = "/cases" if resource == "cases" else f"/cases/{case_id}"
    if wants_json(request):
        return JSONResponse({"deleted": resource, "id": record_id, "url": back})
    return RedirectResponse(back, status_code=303)


@both(router, "/cases/{case_id}/delete", summary="Confirm deleting a case (with a reason)")
def delete_case_form(
    request: Request, me: CurrentUser, session: DbSession, case_id: RecordId
) -> Response:
    return _confirm(request, me, session, "cases", case_id, case_id)


@both(router, "/cases/{case_id}/delete", methods=("POST",), summary="Delete a case (restorable)")
def delete_case(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, case_id: RecordId
) -> Response:
    return _delete(request, me, session, "cases", case_id, case_id, raw)


@both(
    router,
    "/cases/{case_id}/persons/{person_id}/delete",
    summary="Confirm deleting a person (with a reason)",
)
def delete_person_form(
    request: Request, me: CurrentUser, session: DbSession, case_id: RecordId, person_id: RecordId
) -> Response:
    return _confirm(request, me, session, "persons", person_id, case_id)


@both(
    router,
    "/cases/{case_id}/persons/{person_id}/delete",
    methods=("POST",),
    summary="Delete a person (restorable)",
)
def delete_person(
    request: Request,
    raw: FormData,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
    person_id: RecordId,
) -> Response:
    return _delete(request, me, session, "persons", person_id, case_id, raw)


@both(
    router,
    "/cases/{case_id}/events/{event_id}/delete",
    summary="Confirm deleting a justice event (with a reason)",
)
def delete_event_form(
    request: Request, me: CurrentUser, session: DbSession, case_id: RecordId, event_id: RecordId
) -> Response:
    return _confirm(request, me, session, "justice_events", event_id, case_id)


@both(
    router,
    "/cases/{case_id}/events/{event_id}/delete",
    methods=("POST",),
    summary="Delete a justice event (restorable)",
)
def delete_event(
    request: Request,
    raw: FormData,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
    event_id: RecordId,
) -> Response:
    return _delete(request, me, session, "justice_events", event_id, case_id, raw)


@both(router, "/deleted", summary="Deleted and merged records, to restore (admin)")
def deleted_page(request: Request, me: CurrentUser, session: DbSession) -> Response:
    check(me.who, Resource.REMOVALS, Action.READ)
    rows = [r.to_dict() for r in list_removals(session, me.who)]
    return render(request, "deleted.html", {"removals": rows}, me)


@both(
    router,
    "/deleted/{removal_id}/restore",
    methods=("POST",),
    summary="Restore a deleted record (admin)",
)
def restore(
    request: Request, me: CurrentUser, session: DbSession, removal_id: RecordId
) -> Response:
    check(me.who, Resource.REMOVALS, Action.DELETE)
    removal = restore_record(session, me.who, removal_id)  # a merge: undone (unmerge_person)
    session.commit()
    ctx_of(request).invalidate()
    if wants_json(request):
        return JSONResponse({"restored": removal.resource, "id": removal.record_id})
    response = RedirectResponse("/deleted", status_code=303)
    if removal.kind == "merged":
        return flash(request, response, UNMERGED, other=removal.record_id)
    return flash(request, response, RESTORED)
