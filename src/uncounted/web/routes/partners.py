"""Due diligence of candidate business partners: the portfolio and one decision sheet per
partner (``uncounted.duediligence``), each with its JSON twin, and the sheet as PDF.

The risk table and the zones come from the settings (``UNCOUNTED_RISK_TABLE``,
``UNCOUNTED_ZONES``); zones are assessed on the store's justice data and cached for five
minutes, like the dashboard's aggregates.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from uncounted.duediligence import PortfolioReview
from uncounted.report.duediligence import partner_review, write_sheets, zone_certificates
from uncounted.store.access import Action, Resource, check
from uncounted.web.context import CurrentUser, Me, ctx_of, render
from uncounted.web.routes import both

router = APIRouter(tags=["partners"])
_ZONE_TTL = 300.0


def _review(request: Request, me: Me) -> tuple[PortfolioReview, dict[str, object]]:
    check(me.who, Resource.PARTNERS, Action.READ)
    ctx = ctx_of(request)
    certificates = ctx.cached(
        "partners:zones:" + ",".join(map(str, ctx.zones)),
        _ZONE_TTL,
        lambda: zone_certificates(list(ctx.zones), ctx.engine),
    )
    review = partner_review(ctx.engine, me.who, ctx.risk_table, certificates)
    sources: dict[str, object] = {
        "risk_table": ctx.risk_table.name if ctx.risk_table else None,
        "zones": [c.summary() for c in certificates],
    }
    return review, sources


@both(router, "/partners", summary="Candidate partners: decision, statement score, risk")
def partners_page(request: Request, me: CurrentUser) -> Response:
    review, sources = _review(request, me)
    data = {
        **sources,
        "portfolio": review.table.to_dicts(),
        "agreement": review.scores.agreement.to_dicts(),
    }
    return render(request, "partners.html", data, me)


@both(router, "/partners/{code}", summary="One candidate partner's decision sheet")
def partner_page(request: Request, me: CurrentUser, code: str) -> Response:
    review, sources = _review(request, me)
    data = {**sources, **review.decision(code).to_dict()}
    return render(request, "partner.html", data, me)


@router.get("/partners/{code}/sheet.pdf", include_in_schema=False)
def partner_pdf(request: Request, me: CurrentUser, code: str) -> Response:
    review, _ = _review(request, me)
    review.decision(code)  # NotFound before any work
    with tempfile.TemporaryDirectory() as folder:
        path = write_sheets(review, Path(folder) / "sheet.pdf", code)
        body = path.read_bytes()
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{code}-due-diligence.pdf"'},
    )
