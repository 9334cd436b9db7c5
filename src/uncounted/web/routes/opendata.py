"""The open-data bundle from the web: build it with ``uncounted publish``'s library function and
verification, and download it as one ZIP file only when it passed.

:func:`uncounted.publish.write_bundle` makes the victim rows k-anonymous, suppresses small
cells of the aggregate tables and re-reads the bundle to verify it (k over the
quasi-identifiers, no identifying column, no withheld cell derivable from the margins); a
bundle that fails is never written, and the page shows why. A verified bundle is kept for an
hour for the user who built it, encrypted in the data folder (``web/uploads.py``), so any
server process can hand it out. Building and refusing are audited
(``export`` on ``open_data``: who, which bundle, its k and SHA-256), and so is each download.
Only the roles that may create ``open_data`` (analysts, administrators) reach these pages.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from uncounted.errors import InvalidInput
from uncounted.store.access import Action, Resource, check
from uncounted.store.audit import AuditAction, record
from uncounted.web.context import CurrentUser, DbSession, FormData, ctx_of, render
from uncounted.web.routes import both

router = APIRouter(tags=["open data"])

#: The defaults of ``uncounted publish``.
DEFAULT_K = 11
DEFAULT_MAX_SUPPRESSION = 0.05
_GONE = "There is no such bundle (they are kept for an hour); build it again."


def _settings(fields: dict[str, str]) -> tuple[int, float]:
    try:
        k = int(fields.get("k") or DEFAULT_K)
        share = float(fields.get("max_suppression") or DEFAULT_MAX_SUPPRESSION)
    except ValueError:
        raise InvalidInput("k must be a whole number and max_suppression a share (0.05).") from None
    return k, share


def _page(data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "k": DEFAULT_K,
        "min_k": 2,  # the setting open_data_min_k: the page's smallest k
        "max_suppression": DEFAULT_MAX_SUPPRESSION,
        "bundle": None,
        "problems": [],
        **(data or {}),
    }


@both(router, "/open-data", summary="Build the de-identified open-data bundle")
def open_data_page(request: Request, me: CurrentUser) -> Response:
    check(me.who, Resource.OPEN_DATA, Action.CREATE)
    data = _page({"min_k": ctx_of(request).open_data_min_k})
    return render(request, "open_data.html", data, me)


def _build(request: Request, k: int, share: float) -> tuple[dict[str, Any], bytes]:
    from uncounted.publish import bundle_tables, write_bundle, zip_bundle

    tables = bundle_tables(ctx_of(request).engine)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "uncounted-open-data"
        min_k = ctx_of(request).open_data_min_k
        bundle = write_bundle(tables, out, k=k, max_suppression=share, min_k=min_k)
        summary = bundle.to_dict()
        return summary, zip_bundle(out)


@both(router, "/open-data", methods=("POST",), summary="Build and verify an open-data bundle")
def build_open_data(
    request: Request, me: CurrentUser, session: DbSession, fields: FormData
) -> Response:
    check(me.who, Resource.OPEN_DATA, Action.CREATE)
    k, share = _settings(fields)
    settings = {"k": k, "max_suppression": share}
    try:
        summary, body = _build(request, k, share)
    except InvalidInput as exc:  # refused or failed verification: nothing is offered
        record(session, me.who, AuditAction.EXPORT, "open_data", None, after=settings,
               detail=f"open-data bundle refused: {exc}")  # fmt: skip
        data = _page({**settings, "problems": [str(exc)], "min_k": ctx_of(request).open_data_min_k})
        return render(request, "open_data.html", data, me, status_code=422)
    token = ctx_of(request).bundles.put(body, owner=str(me.who.user_id))
    sha256 = hashlib.sha256(body).hexdigest()
    summary.pop("path", None)
    record(
        session, me.who, AuditAction.EXPORT, "open_data", token,
        after={**settings, "sha256": sha256, "victims": summary["victims_published"]},
        detail=f"open-data bundle built and verified (k = {k}, SHA-256 {sha256})",
    )  # fmt: skip
    cells = sum(
        t["primary_suppressed"] + t["secondary_suppressed"] for t in summary["tables"].values()
    )
    bundle = {
        **summary,
        "cells_withheld": cells,
        "sha256": sha256,
        "bytes": len(body),
        "download": f"/open-data/{token}.zip",
    }
    data = _page({**settings, "bundle": bundle, "min_k": ctx_of(request).open_data_min_k})
    return render(request, "open_data.html", data, me)


@router.get("/open-data/{token}.zip", tags=["open data"], summary="Download a verified bundle")
def download_open_data(
    request: Request, me: CurrentUser, session: DbSession, token: str
) -> Response:
    check(me.who, Resource.OPEN_DATA, Action.CREATE)
    body = ctx_of(request).bundles.read(token, owner=str(me.who.user_id), expired=_GONE)
    sha256 = hashlib.sha256(body).hexdigest()
    record(session, me.who, AuditAction.EXPORT, "open_data", token,
           detail=f"open-data bundle downloaded (SHA-256 {sha256})")  # fmt: skip
    return Response(
        body,
        media_type="application/zip",
        headers={"content-disposition": 'attachment; filename="uncounted-open-data.zip"'},
    )


__all__ = ["router"]
