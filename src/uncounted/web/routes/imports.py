"""Imports: upload a file, read its validation report, then confirm the load.

The upload is held encrypted until it is confirmed (``web/uploads.py``; never in clear on
disk beyond the validation or import call, removed when loaded, when nothing in it could be
loaded, or after an hour) and checked with the importer's dry run
(``uncounted.ingest.validate_file``) — nothing is written. Confirming runs
``uncounted.ingest.import_file`` on the same file (all or nothing; or only the good rows when
asked), which records the batch and audits it. Both run as the uploader (``who``): every row is
held to what they may do (``store.access``), and a caseworker's files are always loaded as
their own agency's records.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from uncounted.errors import ImportRejected, InvalidInput, NotFound, RecordTypeUnknown
from uncounted.ingest import RECORD_TYPES, import_file, validate_file
from uncounted.store.access import Action, Resource, check
from uncounted.store.batches import import_source, recent_batches, source_choices
from uncounted.web.context import CurrentUser, DbSession, FormData, Me, ctx_of, render, wants_json
from uncounted.web.routes import both
from uncounted.web.uploads import PENDING_SECONDS, safe_name

router = APIRouter(tags=["imports"])

MAX_BYTES = 50 * 1024 * 1024

_SALT = "uncounted.upload"


@both(router, "/imports", summary="Upload form and recent imports")
def imports_page(request: Request, me: CurrentUser, session: DbSession) -> Response:
    return render(request, "imports.html", _page_data(session, me), me)


def _page_data(session: Any, me: Me) -> dict[str, Any]:
    return {
        "record_types": [[n, t.description] for n, t in RECORD_TYPES.items()],
        "agencies": source_choices(session, me.who),
        "batches": recent_batches(session, me.who),  # scoped in store/access.py
    }


def _report(request: Request, me: Me, result: dict[str, Any], token: str | None) -> Response:
    data = {"result": result, "token": token}
    status = 200 if token or result.get("status") in ("loaded", "partial") else 422
    return render(request, "import_report.html", data, me, status_code=status)


@both(router, "/imports", methods=("POST",), summary="Upload a file and validate it (dry run)")
async def upload(request: Request, raw: FormData, me: CurrentUser, session: DbSession) -> Response:
    check(me.who, Resource.IMPORTS, Action.CREATE)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("Choose a file to upload (CSV or XLSX).")
    content = await upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise InvalidInput("The file is larger than 50 MB; split it or use `uncounted import`.")
    record_type = raw.get("record_type") or None
    if record_type is not None and record_type not in RECORD_TYPES:
        raise InvalidInput(f"Unknown record type {record_type!r}.")
    source = await run_in_threadpool(import_source, session, me.who, raw.get("source"))
    ctx = ctx_of(request)
    name = safe_name(upload.filename)
    upload_id = await run_in_threadpool(ctx.uploads.put, content)
    del content

    return await _validate(request, me, session, upload_id, name, record_type, source)


async def _validate(
    request: Request,
    me: Me,
    session: DbSession,
    upload_id: str,
    name: str,
    record_type: str | None,
    source: str | None,
) -> Response:
    """The dry run of a stored upload. When its record type cannot be told, the upload is
    kept and the page asks for the type (``/imports/{token}/type``) instead of losing it."""
    ctx = ctx_of(request)

    def validate() -> Any:
        with ctx.uploads.opened(upload_id, name) as path:
            return validate_file(ctx.engine, path, record_type, None, source, who=me.who)

    try:
        result = await run_in_threadpool(validate)
    except RecordTypeUnknown as exc:
        token = ctx.signer.seal([upload_id, name, None, source, me.who.user_id], _SALT)
        if wants_json(request):
            return JSONResponse({"error": str(exc), "choose_type": token}, status_code=422)
        data = await run_in_threadpool(_page_data, session, me)
        extra = {"pending": {"token": token, "file": name, "error": str(exc)}}
        return render(request, "imports.html", data, me, status_code=422, extra=extra)
    except BaseException:
        ctx.uploads.discard(upload_id)
        raise
    if result.rows_total == 0 or result.rows_rejected >= result.rows_total:
        ctx.uploads.discard(upload_id)  # nothing in it could be loaded: not kept
        return _report(request, me, result.to_dict(), None)
    # the confirmation carries what was uploaded, signed: any server process can load it
    token = ctx.signer.seal([upload_id, name, record_type, source, me.who.user_id], _SALT)
    return _report(request, me, result.to_dict(), token)


def _pending(request: Request, me: Me, token: str) -> tuple[str, str, str | None, str | None]:
    sealed = ctx_of(request).signer.unseal(token, _SALT, PENDING_SECONDS)
    if sealed is None or len(sealed) != 5 or sealed[4] != me.who.user_id:
        raise NotFound("This upload is unknown or expired; upload the file again.")
    return str(sealed[0]), str(sealed[1]), sealed[2], sealed[3]


@both(
    router,
    "/imports/{token}/type",
    methods=("POST",),
    summary="Say which records a kept upload holds, and check it again",
)
async def choose_type(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, token: str
) -> Response:
    check(me.who, Resource.IMPORTS, Action.CREATE)
    upload_id, name, _none, source = _pending(request, me, token)
    record_type = raw.get("record_type") or None
    if record_type is None or record_type not in RECORD_TYPES:
        raise InvalidInput(f"Choose one of the record types: {', '.join(RECORD_TYPES)}.")
    return await _validate(request, me, session, upload_id, name, record_type, source)


@both(router, "/imports/{token}/confirm", methods=("POST",), summary="Load a validated upload")
def confirm(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, token: str
) -> Response:
    check(me.who, Resource.IMPORTS, Action.CREATE)
    ctx = ctx_of(request)
    upload_id, name, record_type, source = _pending(request, me, token)
    if record_type is None:  # kept for a record type to be chosen, never loaded blind
        raise InvalidInput("Say first which records the file holds, then check it again.")
    ctx.uploads.sweep()
    partial = raw.get("partial") in ("1", "yes", "true", "on")
    try:
        with ctx.uploads.opened(upload_id, name) as path:
            try:
                result = import_file(
                    ctx.engine,
                    path,
                    record_type,
                    None,
                    source,
                    partial,
                    actor=me.who.username,
                    rejects_dir=path.parent,
                    who=me.who,  # held to the uploader's scope, row by row, like a form
                ).to_dict()
            except ImportRejected as exc:
                result = {"status": "rejected", "rejected": [vars(r) for r in exc.rows],
                          "file": path.name, "error": str(exc)}  # fmt: skip
    finally:
        ctx.uploads.discard(upload_id)
    ctx.invalidate()
    if wants_json(request):
        return JSONResponse(result, status_code=200 if result["status"] != "rejected" else 422)
    return _report(request, me, result, None)
