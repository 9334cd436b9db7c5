"""Imports: upload a file, read its validation report, then confirm the load.

The upload is saved (mode 0600) under ``<data dir>/uploads/`` and checked with the importer's
dry run (``uncounted.ingest.validate_file``) — nothing is written. Confirming runs
``uncounted.ingest.import_file`` on the same file (all or nothing; or only the good rows when
asked), which records the batch and audits it. Both run as the uploader (``who``): every row is
held to what they may do (``store.access``), and a caseworker's files are always loaded as
their own agency's records.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from uncounted.errors import ImportRejected, InvalidInput, NotFound
from uncounted.ingest import RECORD_TYPES, import_file, validate_file
from uncounted.store.access import Action, Principal, Resource, Role, check
from uncounted.store.batches import recent_batches
from uncounted.store.tables import Agency
from uncounted.web.context import CurrentUser, DbSession, FormData, Me, ctx_of, render, wants_json
from uncounted.web.routes import both

router = APIRouter(tags=["imports"])

MAX_BYTES = 50 * 1024 * 1024


#: How long a validated upload waits for its confirmation.
PENDING_SECONDS = 3600
_SALT = "uncounted.upload"


def _source_for(session: Any, who: Principal, requested: str | None) -> str | None:
    if who.role is Role.CASEWORKER:
        code = session.scalar(select(Agency.code).where(Agency.id == who.agency_id))
        if code is None:
            raise InvalidInput("Your account has no agency; ask an administrator to set one.")
        return str(code)
    return requested or None


@both(router, "/imports", summary="Upload form and recent imports")
def imports_page(request: Request, me: CurrentUser, session: DbSession) -> Response:
    batches = recent_batches(session, me.who)  # scoped in store/access.py
    agencies = [c for (c,) in session.execute(select(Agency.code).order_by(Agency.code))]
    data = {
        "record_types": [[n, t.description] for n, t in RECORD_TYPES.items()],
        "agencies": agencies if me.who.role is not Role.CASEWORKER else [],
        "batches": batches,
    }
    return render(request, "imports.html", data, me)


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
    source = await run_in_threadpool(_source_for, session, me.who, raw.get("source"))
    folder = ctx_of(request).upload_dir / secrets.token_urlsafe(16)
    folder.mkdir(parents=True, mode=0o700)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(upload.filename).name)[:120] or "upload.csv"
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    engine = ctx_of(request).engine
    result = await run_in_threadpool(
        lambda: validate_file(engine, path, record_type, None, source, who=me.who)
    )
    # the confirmation carries what was uploaded, signed: any server process can load it
    token = ctx_of(request).signer.seal(
        [folder.name, path.name, record_type, source, me.who.user_id], _SALT
    )
    return _report(request, me, result.to_dict(), token)


@both(router, "/imports/{token}/confirm", methods=("POST",), summary="Load a validated upload")
def confirm(
    request: Request, raw: FormData, me: CurrentUser, session: DbSession, token: str
) -> Response:
    check(me.who, Resource.IMPORTS, Action.CREATE)
    ctx = ctx_of(request)
    sealed = ctx.signer.unseal(token, _SALT, PENDING_SECONDS)
    path = None
    if sealed is not None and len(sealed) == 5 and sealed[4] == me.who.user_id:
        folder, name, record_type, source = (str(sealed[0]), str(sealed[1]), sealed[2], sealed[3])
        path = ctx.upload_dir / Path(folder).name / Path(name).name
    if path is None or not path.exists():
        raise NotFound("This upload is unknown or expired; upload the file again.")
    partial = raw.get("partial") in ("1", "yes", "true", "on")
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
        shutil.rmtree(path.parent, ignore_errors=True)
    ctx.invalidate()
    if wants_json(request):
        return JSONResponse(result, status_code=200 if result["status"] != "rejected" else 422)
    return _report(request, me, result, None)
