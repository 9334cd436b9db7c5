"""Forms to create and edit cases, people, justice events and referrals.

``GET`` gives the form (its JSON twin: the fields, their options and current values); ``POST``
validates on the server with the importer's rules (``web/forms.py``), then writes through
``store/recording.py`` (scope, references, stage order, audit). A refused form comes back with
every problem next to its field (422).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from uncounted.store.access import Action, Resource, check, sees_identities
from uncounted.store.casebook import case_detail, get_case
from uncounted.store.record_forms import (
    agency_choices,
    case_values,
    event_values,
    owning_agency_choices,
    referral_values,
)
from uncounted.store.recording import (
    InvalidRecord,
    add_justice_event,
    add_person,
    add_referral,
    create_case,
    sender_decision_problems,
    update_case,
    update_justice_event,
    update_person,
    update_referral,
)
from uncounted.web.context import (
    CurrentUser,
    DbSession,
    FormData,
    Me,
    ctx_of,
    render,
    wants_json,
)
from uncounted.web.forms import FORMS, FormField, validate
from uncounted.web.i18n import N_
from uncounted.web.routes import RecordId, both

router = APIRouter(tags=["records"])

TITLES = {
    "case": N_("Case"),
    "person": N_("Person in the case"),
    "event": N_("Justice event"),
    "referral": N_("Referral"),
}


def _fields(form: str, me: Me) -> list[FormField]:
    show = sees_identities(me.who)
    return [f for f in FORMS[form] if show or not f.identifying]


def _choices(session: Session, form: str, case_id: int | None, me: Me) -> dict[str, Any]:
    choices: dict[str, Any] = {}
    if form in ("event", "referral") and case_id is not None:
        people = case_detail(session, me.who, case_id).persons
        choices["person_id"] = [
            (str(p["person_id"]), f"{p['label']} ({p['role']})") for p in people
        ]
    if form == "referral":
        choices["to_agency_id"] = agency_choices(session, me.who)
    owners = owning_agency_choices(session, me.who) if form == "case" else None
    if owners is not None:
        choices["owning_agency_id"] = owners
    return choices


def _spec(fields: list[FormField], choices: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for f in fields:
        item = asdict(f)
        item.pop("rule")
        item["options"] = [list(o) for o in (choices.get(f.name) or f.options)]
        out.append(item)
    if "owning_agency_id" in choices:
        out.append(
            {"name": "owning_agency_id", "label": N_("Owning agency"), "kind": "id",
             "required": True, "options": [list(o) for o in choices["owning_agency_id"]],
             "identifying": False}
        )  # fmt: skip
    return out


def _form_page(
    request: Request,
    me: Me,
    session: Session,
    form: str,
    action: str,
    case_id: int | None,
    values: dict[str, Any],
    problems: dict[str, str] | None = None,
) -> Response:
    fields = _spec(_fields(form, me), _choices(session, form, case_id, me))
    data = {
        "form": form,
        "title": TITLES[form],
        "action": action,
        "case_id": case_id,
        "fields": fields,
        "values": {k: "" if v is None else str(v) for k, v in values.items()},
        "problems": problems or {},
    }
    return render(request, "form.html", data, me, status_code=422 if problems else 200)


def _submit(
    request: Request,
    me: Me,
    session: Session,
    form: str,
    raw: dict[str, str],
    action: str,
    case_id: int | None,
    write: Callable[[dict[str, Any]], int],
    done: Callable[[int], str],
) -> Response:
    names = {f.name for f in _fields(form, me)} | {"owning_agency_id"}
    values, problems = validate(form, raw, only=names)
    if form == "referral":  # the receiver's decision, posted by hand: refused, not dropped
        problems.update(sender_decision_problems(raw))
    if "owning_agency_id" in raw and raw["owning_agency_id"].strip().isdigit():
        values["owning_agency_id"] = int(raw["owning_agency_id"])
    new_id: int | None = None
    if not problems:
        try:
            new_id = write({k: v for k, v in values.items() if k in raw})
        except InvalidRecord as exc:
            session.rollback()
            problems = exc.problems
    if problems or new_id is None:
        if wants_json(request):
            return JSONResponse({"problems": problems}, status_code=422)
        return _form_page(request, me, session, form, action, case_id, raw, problems)
    session.commit()
    ctx_of(request).invalidate()
    if wants_json(request):
        return JSONResponse({"id": new_id, "url": done(new_id)}, status_code=201)
    return RedirectResponse(done(new_id), status_code=303)


# -- cases -------------------------------------------------------------------------------------


@both(router, "/cases/new", summary="The form to open a case")
def new_case_form(
    request: Request,
    me: CurrentUser,
    session: DbSession,
) -> Response:
    check(me.who, Resource.CASES, Action.CREATE)
    return _form_page(request, me, session, "case", "/cases/new", None, {})


@both(router, "/cases/new", methods=("POST",), summary="Open a case")
def new_case(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    raw: FormData,
) -> Response:
    check(me.who, Resource.CASES, Action.CREATE)
    return _submit(
        request, me, session, "case", raw, "/cases/new", None,
        lambda v: create_case(session, me.who, v).id, lambda i: f"/cases/{i}",
    )  # fmt: skip


@both(router, "/cases/{case_id}/edit", summary="The form to edit a case")
def edit_case_form(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
) -> Response:
    values = case_values(session, me.who, case_id, [f.name for f in FORMS["case"]])
    action = f"/cases/{case_id}/edit"
    return _form_page(request, me, session, "case", action, case_id, values)


@both(router, "/cases/{case_id}/edit", methods=("POST",), summary="Edit a case")
def edit_case(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
    raw: FormData,
) -> Response:
    get_case(session, me.who, case_id, Action.UPDATE)
    return _submit(
        request, me, session, "case", raw, f"/cases/{case_id}/edit", case_id,
        lambda v: update_case(session, me.who, case_id, v).id, lambda i: f"/cases/{i}",
    )  # fmt: skip


# -- people, events, referrals ----------------------------------------------------------------

_WRITERS = {
    "persons": ("person", add_person),
    "events": ("event", add_justice_event),
    "referrals": ("referral", add_referral),
}


@both(router, "/cases/{case_id}/{kind}/new", summary="The form to add a person, event or referral")
def new_record_form(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
    kind: str,
) -> Response:
    form, _writer = _writer_of(kind)
    get_case(session, me.who, case_id, Action.UPDATE)
    action = f"/cases/{case_id}/{kind}/new"
    return _form_page(request, me, session, form, action, case_id, {})


@both(
    router,
    "/cases/{case_id}/{kind}/new",
    methods=("POST",),
    summary="Add a person, event or referral",
)
def new_record(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
    kind: str,
    raw: FormData,
) -> Response:
    form, writer = _writer_of(kind)
    get_case(session, me.who, case_id, Action.UPDATE)
    return _submit(
        request, me, session, form, raw, f"/cases/{case_id}/{kind}/new", case_id,
        lambda v: writer(session, me.who, case_id, v).id, lambda _i: f"/cases/{case_id}",
    )  # fmt: skip


@both(router, "/cases/{case_id}/persons/{person_id}/edit", summary="The form to edit a person")
def edit_person_form(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
    person_id: RecordId,
) -> Response:
    get_case(session, me.who, case_id, Action.UPDATE)
    detail = case_detail(session, me.who, case_id)
    person = next((p for p in detail.persons if p["person_id"] == person_id), None)
    if person is None:
        raise InvalidRecord({"person_id": "this person is not part of the case"})
    values = {**person, **person.get("identity", {})}
    action = f"/cases/{case_id}/persons/{person_id}/edit"
    return _form_page(request, me, session, "person", action, case_id, values)


@both(
    router, "/cases/{case_id}/persons/{person_id}/edit", methods=("POST",), summary="Edit a person"
)
def edit_person(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
    person_id: RecordId,
    raw: FormData,
) -> Response:
    get_case(session, me.who, case_id, Action.UPDATE)  # scope before any field is checked
    action = f"/cases/{case_id}/persons/{person_id}/edit"
    return _submit(
        request, me, session, "person", raw, action, case_id,
        lambda v: update_person(session, me.who, case_id, person_id, v).id,
        lambda _i: f"/cases/{case_id}",
    )  # fmt: skip


def _writer_of(kind: str) -> tuple[str, Callable[..., Any]]:
    if kind not in _WRITERS:
        from uncounted.errors import NotFound

        raise NotFound(f"There is no record kind {kind!r}; use persons, events or referrals.")
    return _WRITERS[kind]


# -- corrections of events and referrals ------------------------------------------------------


@both(router, "/cases/{case_id}/events/{event_id}/edit", summary="The form to correct an event")
def edit_event_form(
    request: Request, me: CurrentUser, session: DbSession, case_id: RecordId, event_id: RecordId
) -> Response:
    names = [f.name for f in FORMS["event"]]
    values = event_values(session, me.who, case_id, event_id, names)
    action = f"/cases/{case_id}/events/{event_id}/edit"
    return _form_page(request, me, session, "event", action, case_id, values)


@both(
    router,
    "/cases/{case_id}/events/{event_id}/edit",
    methods=("POST",),
    summary="Correct a justice event",
)
def edit_event(
    request: Request,
    raw: FormData,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
    event_id: RecordId,
) -> Response:
    get_case(session, me.who, case_id, Action.UPDATE)  # scope before any field is checked
    action = f"/cases/{case_id}/events/{event_id}/edit"
    return _submit(
        request, me, session, "event", raw, action, case_id,
        lambda v: update_justice_event(session, me.who, case_id, event_id, v).id,
        lambda _i: f"/cases/{case_id}",
    )  # fmt: skip


@both(
    router, "/cases/{case_id}/referrals/{referral_id}/edit", summary="The form to update a referral"
)
def edit_referral_form(
    request: Request, me: CurrentUser, session: DbSession, case_id: RecordId, referral_id: RecordId
) -> Response:
    names = [f.name for f in FORMS["referral"]]
    values = referral_values(session, me.who, case_id, referral_id, names)
    action = f"/cases/{case_id}/referrals/{referral_id}/edit"
    return _form_page(request, me, session, "referral", action, case_id, values)


@both(
    router,
    "/cases/{case_id}/referrals/{referral_id}/edit",
    methods=("POST",),
    summary="Update a referral (e.g. its status)",
)
def edit_referral(
    request: Request,
    raw: FormData,
    me: CurrentUser,
    session: DbSession,
    case_id: RecordId,
    referral_id: RecordId,
) -> Response:
    get_case(session, me.who, case_id, Action.UPDATE)  # scope before any field is checked
    action = f"/cases/{case_id}/referrals/{referral_id}/edit"
    return _submit(
        request, me, session, "referral", raw, action, case_id,
        lambda v: update_referral(session, me.who, case_id, referral_id, v).id,
        lambda _i: f"/cases/{case_id}",
    )  # fmt: skip
