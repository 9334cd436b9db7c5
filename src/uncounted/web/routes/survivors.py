"""A survivor's page: assessment history (chart), restoration status and case-plan flags; and
the form to record an assessment with the instrument (``uncounted.survivors``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from uncounted.ingest.fields import FieldProblem, parse_date
from uncounted.report.charts import line_chart
from uncounted.store.access import Action, Resource
from uncounted.store.casebook import person_case_ids
from uncounted.store.survivor_records import (
    add_assessment,
    get_person,
    person_assessments,
    person_label,
)
from uncounted.survivors import default_instrument, latest_case_plan, score_domains, score_profiles
from uncounted.web.context import CurrentUser, DbSession, FormData, Me, ctx_of, render, wants_json
from uncounted.web.routes import RecordId, both

router = APIRouter(tags=["survivors"])


@both(router, "/survivors/{person_id}", summary="A survivor's assessments and case plan")
def survivor_page(
    request: Request, me: CurrentUser, session: DbSession, person_id: RecordId
) -> Response:
    instrument = default_instrument()
    assessments, items = person_assessments(session, me.who, person_id)
    cases = person_case_ids(session, me.who, person_id, role="victim")
    history: list[dict[str, Any]] = []
    plan: dict[str, Any] | None = None
    own = assessments.filter(assessments["instrument_id"] == instrument.id)
    if own.height:
        profiles = score_profiles(score_domains(own, items, instrument), instrument)
        for row in profiles.to_dicts():
            row["assessed_on"] = row["assessed_on"].isoformat()
            history.append(row)
        latest = latest_case_plan(own, items, instrument, person_id)
        plan = {
            "assessed_on": latest.assessed_on.isoformat(),
            "restored": latest.profile.restored,
            "status": latest.profile.status,
            "support_plan_types": latest.profile.support_plan_types,
            "notes": latest.profile.notes,
        }
    data = {
        "person_id": person_id,
        "label": person_label(session, me.who, person_id),
        "cases": cases,
        "instrument": {"id": instrument.id, "title": instrument.title,
                       "threshold": instrument.threshold},
        "domains": [{"id": d.id, "label": d.label} for d in instrument.domains],
        "history": history,
        "case_plan": plan,
    }  # fmt: skip
    chart = line_chart(
        "Domain scores by assessment",
        [h["assessed_on"] for h in history],
        {d.label: [h[d.id] for h in history] for d in instrument.domains},
        y_max=float(instrument.scale.max),
    )
    return render(request, "survivor.html", data, me, extra={"chart": chart})


def _form(
    request: Request, me: Me, person_id: int, values: dict[str, str], problems: dict[str, str]
) -> Response:
    instrument = default_instrument()
    scale = list(range(instrument.scale.min, instrument.scale.max + 1))
    data = {
        "person_id": person_id,
        "instrument": instrument.id,
        "scale": scale,
        "domains": [
            {"label": d.label, "items": [{"id": i.id, "wording": i.wording} for i in d.items]}
            for d in instrument.domains
        ],
        "values": values,
        "problems": problems,
    }
    return render(request, "assessment_form.html", data, me, status_code=422 if problems else 200)


@both(router, "/survivors/{person_id}/assessments/new", summary="The assessment form")
def assessment_form(
    request: Request, me: CurrentUser, session: DbSession, person_id: RecordId
) -> Response:
    get_person(session, me.who, person_id, Action.CREATE, Resource.ASSESSMENTS)
    return _form(request, me, person_id, {"assessor": me.who.username}, {})


@both(
    router,
    "/survivors/{person_id}/assessments/new",
    methods=("POST",),
    summary="Record an assessment",
)
def record_assessment(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, person_id: RecordId
) -> Response:
    get_person(session, me.who, person_id, Action.CREATE, Resource.ASSESSMENTS)
    instrument = default_instrument()
    problems: dict[str, str] = {}
    when: dt.date | None = None
    try:
        when = parse_date(raw.get("assessed_on", "").strip())
        if when > dt.date.today():
            problems["assessed_on"] = f"is in the future ({when.isoformat()}); check the date"
    except FieldProblem as exc:
        problems["assessed_on"] = exc.reason
    assessor = raw.get("assessor", "").strip()
    if not assessor or len(assessor) > 100:
        problems["assessor"] = "is required (at most 100 characters)"
    scores: dict[str, int | None] = {}
    for domain in instrument.domains:
        for item in domain.items:
            text = raw.get(item.id, "").strip()
            if not text:
                scores[item.id] = None
            elif text.isdigit() and instrument.scale.min <= int(text) <= instrument.scale.max:
                scores[item.id] = int(text)
            else:
                problems[item.id] = (
                    f"must be a whole number from {instrument.scale.min} to {instrument.scale.max}"
                )
    if all(v is None for v in scores.values()) and not problems:
        problems["assessed_on"] = "an assessment needs at least one answered item"
    if problems or when is None:
        if wants_json(request):
            return JSONResponse({"problems": problems}, status_code=422)
        return _form(request, me, person_id, raw, problems)
    made = add_assessment(session, me.who, person_id, instrument.id, when, assessor, scores)
    session.commit()
    ctx_of(request).invalidate()
    url = f"/survivors/{person_id}"
    if wants_json(request):
        return JSONResponse({"id": made.id, "url": url}, status_code=201)
    return RedirectResponse(url, status_code=303)
