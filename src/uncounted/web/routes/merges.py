"""Merging two records of the same person (caseworkers, for their scope; administrators).

``/merges`` lists the pairs a linkage reviewer decided are one person and the reader may merge
(a page at a time: :func:`~uncounted.store.merge_review.candidate_page`), or, given ``keep``
and ``other``, goes to their comparison. ``/persons/{id}/merge`` starts from one record (the
case page and the person search link to it): its candidate pairs and a field for the other
record's number. ``/persons/{keep}/merge/{other}`` shows both records field by field with a
choice of value for each field that differs and a required reason; ``POST`` merges through
``store/merging.py`` (access, audit, one transaction) and returns to the kept person's case
with a message. A merge is undone by an administrator from ``/deleted`` (``removals.py``).

Routes stay thin: access is the store's (``mergeable_pair``: both records in scope to change, of
one agency; for a caseworker also everything recorded about either theirs to change, and the
same agencies reading both).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from uncounted._i18n import N_
from uncounted.errors import InvalidInput
from uncounted.store.casebook import person_case_ids
from uncounted.store.merge_review import (
    CANDIDATES_PER_PAGE,
    candidate_page,
    merge_preview,
    merge_start,
)
from uncounted.store.merging import IDENTITY_FIELDS, PERSON_FIELDS, merge_persons
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
from uncounted.web.filters import IDENTITY_LABELS
from uncounted.web.routes import RecordId, both

router = APIRouter(tags=["records"])

#: The fields of a person as people name them (identifying ones: ``IDENTITY_LABELS``).
FIELD_LABELS: dict[str, str] = {
    "sex": N_("Sex"),
    "birth_year": N_("Birth year"),
    "age_at_identification": N_("Age at identification"),
    "citizenship": N_("Citizenship"),
    "age_band": N_("Age band"),
    "minor_at_identification": N_("Minor when identified"),
    **IDENTITY_LABELS,
}
#: What moves to the kept record, as people name it (``store.merging.MOVED``'s tables).
MOVED_LABELS: dict[str, str] = {
    "case_persons": N_("roles in cases"),
    "justice_events": N_("justice events"),
    "referrals": N_("referrals"),
    "aftercare_steps": N_("aftercare steps"),
    "assessments": N_("assessments"),
    "list_memberships": N_("list memberships"),
}
#: Code lists of the fields that hold codes (shown by their labels).
FIELD_CODES: dict[str, str] = {"sex": "prs_Gender"}
MERGED = N_(
    "Person %(other)s was merged into person %(keep)s. An administrator can undo the merge "
    "from Deleted records."
)
OptionalId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]


@both(router, "/merges", summary="Pairs of records of one person you may merge")
def merges_page(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    page: int = Query(1, ge=1, le=1_000_000),
    keep: OptionalId = None,
    other: OptionalId = None,
    case: OptionalId = None,
) -> Response:
    if keep is not None and other is not None:  # the forms choosing two records: compare them
        back = f"?case={case}" if case is not None else ""
        return RedirectResponse(f"/persons/{keep}/merge/{other}{back}", status_code=303)
    result = candidate_page(session, me.who, page, CANDIDATES_PER_PAGE)
    return render(request, "merges.html", result.to_dict(), me)


@both(router, "/persons/{person_id}/merge", summary="Merge a person's record with another")
def merge_start_page(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    person_id: RecordId,
    case: OptionalId = None,
) -> Response:
    data = merge_start(session, me.who, person_id)
    return render(request, "merge_start.html", {**data, "case": case}, me)


def _take(raw: dict[str, str]) -> list[str] | None:
    """The fields to take from the other record: the form's ``take_<field>`` choices
    (``keep`` or ``other``), or a JSON client's ``take`` (names separated by commas or
    spaces); ``None`` when neither is given (the store's default)."""
    names = (*PERSON_FIELDS, *IDENTITY_FIELDS)
    chosen = {n: raw[f"take_{n}"] for n in names if f"take_{n}" in raw}
    wrong = sorted(n for n, v in chosen.items() if v not in ("keep", "other"))
    if wrong:
        raise InvalidInput(f"Choose which record's value to keep for {', '.join(wrong)}.")
    if "take" in raw:
        return [n for n in re.split(r"[\s,]+", raw["take"]) if n] + [
            n for n, v in chosen.items() if v == "other"
        ]
    if chosen:
        return [n for n, v in chosen.items() if v == "other"]
    return None


def _compare(
    request: Request,
    me: Me,
    session: DbSession,
    keep: int,
    other: int,
    case: int | None,
    raw: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    preview = merge_preview(session, me.who, keep, other)
    data: dict[str, Any] = {
        **preview.to_dict(),
        "case": case,
        "action": f"/persons/{keep}/merge/{other}",
        "reason": (raw or {}).get("reason", ""),
        "choices": {k[5:]: v for k, v in (raw or {}).items() if k.startswith("take_")},
        "error": error,
    }
    extra = {"field_labels": FIELD_LABELS, "field_codes": FIELD_CODES, "moved_labels": MOVED_LABELS}
    return render(request, "merge.html", data, me, 422 if error else 200, extra)


@both(
    router,
    "/persons/{person_id}/merge/{other_id}",
    summary="Two records of one person side by side, to merge",
)
def merge_form(
    request: Request,
    me: CurrentUser,
    session: DbSession,
    person_id: RecordId,
    other_id: RecordId,
    case: OptionalId = None,
) -> Response:
    return _compare(request, me, session, person_id, other_id, case)


@both(
    router,
    "/persons/{person_id}/merge/{other_id}",
    methods=("POST",),
    summary="Merge the other record into this one (undone by an administrator)",
)
def merge(
    request: Request,
    raw: FormData,
    me: CurrentUser,
    session: DbSession,
    person_id: RecordId,
    other_id: RecordId,
) -> Response:
    sent_case = raw.get("case", "")
    back_case = int(sent_case) if re.fullmatch(r"[0-9]{1,18}", sent_case) else None
    try:
        removal = merge_persons(
            session, me.who, person_id, other_id, raw.get("reason", ""), _take(raw)
        )
    except InvalidInput as exc:
        session.rollback()
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=422)
        return _compare(request, me, session, person_id, other_id, back_case, raw, str(exc))
    cases = person_case_ids(session, me.who, person_id)
    session.commit()
    ctx_of(request).invalidate()
    if back_case in cases:
        back = f"/cases/{back_case}"
    else:
        back = f"/cases/{cases[0]}" if cases else f"/survivors/{person_id}"
    if wants_json(request):
        body = {"merged": other_id, "into": person_id, "removal_id": removal.id, "url": back}
        return JSONResponse(body)
    response = RedirectResponse(back, status_code=303)
    return flash(request, response, MERGED, other=other_id, keep=person_id)
