"""The web application: :func:`create_app` builds a FastAPI app over one case database.

Pages are rendered on the server with Jinja2 (HTMX for partial updates, vendored in
``static/``). Every page has a JSON twin under ``/api`` built from the same object (or the same
URL with ``Accept: application/json``); the JSON routes are described at ``/api/openapi.json``
and browsable at ``/api/docs``. Routes stay thin: they parse, call one library function in
``store/`` (or the analysis packages), and render.

The app's pages are listed here and nowhere else: :func:`create_app` includes each route
module's router from one explicit list, and :data:`NAV` is the navigation bar (``base.html``
renders :func:`nav_links`). Adding a page is a route module, its template, one line in each of
those two lists, and its row in the security matrix (``docs/web.md``, "Adding a page").
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from uncounted import __version__
from uncounted.errors import AccessDenied, AdministratorOnly, UncountedError
from uncounted.settings import Settings
from uncounted.store.access import Action, Principal, Resource, allowed
from uncounted.store.crypto import KeyRing, keyring_from_settings
from uncounted.store.db import make_engine, require_current
from uncounted.store.web_sessions import SessionPolicy
from uncounted.web.context import (
    CsrfRejected,
    NotSignedIn,
    WebContext,
    check_csrf,
    me_or_none,
    wants_json,
)
from uncounted.web.faults import DatabaseFaults
from uncounted.web.filters import install_filters
from uncounted.web.i18n import N_, install_translations
from uncounted.web.retry import RetryLockedReads
from uncounted.web.security import SecurityHeaders, SessionSigner
from uncounted.web.uploads import PendingUploads

#: What a person reads for the HTTP errors the framework raises itself.
HTTP_MESSAGES: dict[int, str] = {
    404: N_("There is no such page."),
    405: N_("This page does not take that kind of request."),
}

#: Seconds a request waits for another program's SQLite write lock (pysqlite's usual 5 s).
WEB_BUSY_SECONDS = 5.0


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("uncounted.web").joinpath(name)))


def _can(who: Principal | None, resource: str, action: str) -> bool:
    return who is not None and allowed(who, Resource(resource), Action(action))


@dataclass(frozen=True)
class NavLink:
    """A link of the navigation bar, shown to whoever may ``action`` its ``resource``."""

    path: str
    label: str
    resource: Resource
    action: Action = Action.READ


#: The navigation bar, in order: the one table of it. A link is shown only when
#: ``store.access.allowed`` lets the user do its action on its resource (denied by default).
NAV: tuple[NavLink, ...] = (
    NavLink("/", N_("Dashboard"), Resource.INDICATORS),
    NavLink("/cases", N_("Cases"), Resource.CASES),
    NavLink("/search", N_("Find a person"), Resource.IDENTITIES),
    NavLink("/referrals", N_("Referrals"), Resource.REFERRALS, Action.UPDATE),
    NavLink("/indicators", N_("Indicators"), Resource.INDICATORS),
    NavLink("/metrics", N_("Metrics"), Resource.METRICS),
    NavLink("/prevalence", N_("Prevalence"), Resource.PREVALENCE),
    NavLink("/linkage/review", N_("Linkage review"), Resource.LINKAGE),
    NavLink("/report", N_("Report"), Resource.REPORTS),
    NavLink("/open-data", N_("Open data"), Resource.OPEN_DATA, Action.CREATE),
    NavLink("/imports", N_("Imports"), Resource.IMPORTS),
    NavLink("/partners", N_("Partners"), Resource.PARTNERS),
    NavLink("/users", N_("Users"), Resource.USERS),
    NavLink("/audit", N_("Audit log"), Resource.AUDIT),
    NavLink("/deleted", N_("Deleted records"), Resource.REMOVALS),
)


def nav_links(who: Principal | None) -> list[NavLink]:
    """The links of :data:`NAV` that ``who`` may follow (none when signed out)."""
    if who is None:
        return []
    return [link for link in NAV if allowed(who, link.resource, link.action)]


#: The API documentation page: Swagger UI 5 (OpenAPI 3.1) from the ``swagger-ui-py`` package,
#: started by ``static/api-docs.js``. Everything comes from this server (field offices often
#: have no internet), and nothing is inline, so the Content-Security-Policy stays strict.
API_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Uncounted API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def _mount_api_docs(app: FastAPI) -> None:
    from importlib.util import find_spec

    from fastapi.responses import HTMLResponse
    from starlette.routing import Route

    # the package's folder, found without importing it (its import loads web-framework glue)
    spec = find_spec("swagger_ui")
    assert spec is not None and spec.submodule_search_locations
    assets = Path(spec.submodule_search_locations[0]) / "static"
    app.mount("/api/docs/assets", StaticFiles(directory=str(assets)), name="api-docs-assets")

    async def api_docs(request: Request) -> Response:
        return HTMLResponse(API_DOCS_PAGE)

    app.router.routes.append(Route("/api/docs", api_docs, methods=["GET"]))


def create_app(
    settings: Settings,
    *,
    database_url: str | None = None,
    keyring: KeyRing | None = None,
    secret_key: bytes | None = None,
    secure_cookies: bool = False,
    warm: bool = False,
) -> FastAPI:
    """The web app over the configured database (or ``database_url`` with ``keyring``).

    The database must be at the current schema revision (``uncounted init``). Sessions are
    signed, and pending uploads encrypted, with ``secret_key`` or the secret key of ``settings``
    (``UNCOUNTED_SECRET_KEY`` or ``secret.key``; :class:`ConfigurationError` if neither).
    Cookies are ``Secure`` and HSTS is sent when ``settings.behind_tls`` (or
    ``secure_cookies``); ``X-Forwarded-For`` is believed only from ``settings.trusted_proxies``.
    With ``warm`` (``uncounted serve``), the dashboard's aggregates are computed in the
    background as the server starts, so the first visitor does not wait for them.
    """
    url = database_url or settings.resolved_database_url
    if database_url is None and not settings.database_url:
        settings.ensure_data_dir()
    # A page waits at most WEB_BUSY_SECONDS for a SQLite writer (an import) before answering
    # "busy" (503); reads never wait (write-ahead log).
    engine = make_engine(
        url,
        keyring or keyring_from_settings(settings),
        pool_size=20,
        busy_timeout=WEB_BUSY_SECONDS,
    )
    require_current(engine)
    # Text marked for translation: {{ _("...") }} and {% trans %}, in each reader's language
    # (web/i18n.py: catalogues in web/locale, the user's language or the browser's).
    # auto_reload off: templates ship with the package, so no stat per render.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_package_dir("templates"))),
        autoescape=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    install_translations(env)
    templates = Jinja2Templates(env=env)
    templates.env.globals["can"] = _can
    templates.env.globals["nav_links"] = nav_links
    install_filters(templates.env)
    secret = secret_key or settings.key_bytes("secret")
    behind_tls = secure_cookies or settings.behind_tls
    ctx = WebContext(
        engine=engine,
        signer=SessionSigner(secret, settings.session_hours),
        templates=templates,
        sessions=SessionPolicy.from_settings(settings),
        uploads=PendingUploads(settings.data_dir / "uploads", secret),
        bundles=PendingUploads(
            settings.data_dir / "open-data", secret, purpose=b"uncounted.open-data-bundle"
        ),
        trusted_proxies=settings.trusted_networks,
        secure_cookies=behind_tls,
        risk_table=settings.risk_table,
        zones=settings.zone_files,
        open_data_min_k=settings.open_data_min_k,
        linkage_runs=settings.data_dir / "linkage",
    )
    ctx.uploads.sweep()
    ctx.bundles.sweep()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if warm:
            from uncounted.web.routes.dashboard import warm_dashboard

            threading.Thread(target=warm_dashboard, args=(ctx,), daemon=True).start()
        yield
        engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="Uncounted",
        version=__version__,
        description="Cases, justice indicators and estimates of trafficking, by role and scope.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served below from the app's own copy of Swagger UI
        redoc_url=None,
        # every unsafe request of every route needs the session's CSRF token, whether or not
        # the route reads form fields (FormData checks it too)
        dependencies=[Depends(check_csrf)],
    )
    app.state.ctx = ctx
    app.add_middleware(RetryLockedReads)
    app.add_middleware(DatabaseFaults, engine=engine, templates=templates)
    app.add_middleware(SecurityHeaders, hsts=behind_tls)
    app.mount("/static", StaticFiles(directory=str(_package_dir("static"))), name="static")
    _mount_api_docs(app)

    # Every route module's router, in this order: the one list (imported here, not at the top,
    # so that importing uncounted.web does not load every page's dependencies).
    from uncounted.web.routes import (
        admin,
        auth,
        cases,
        dashboard,
        imports,
        indicators,
        linkage,
        merges,
        metrics,
        opendata,
        partners,
        prevalence,
        records,
        referrals,
        removals,
        report,
        search,
        survivors,
    )

    for router in (
        auth.router,
        dashboard.router,
        records.router,
        cases.router,
        search.router,
        referrals.router,
        indicators.router,
        metrics.router,
        survivors.router,
        imports.router,
        prevalence.router,
        linkage.router,
        report.router,
        opendata.router,
        partners.router,
        admin.router,
        removals.router,
        merges.router,
    ):
        app.include_router(router)

    @app.exception_handler(NotSignedIn)
    async def _signin(request: Request, exc: NotSignedIn) -> Response:
        if wants_json(request):
            return JSONResponse({"error": "Sign in first."}, status_code=401)
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)

    def _error_page(
        request: Request,
        message: str,
        status: int,
        extra: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        if wants_json(request):
            body = {"error": message, **(extra or {})}
            return JSONResponse(body, status_code=status, headers=headers)
        me = me_or_none(request)  # the navigation stays for whoever is signed in
        return ctx.templates.TemplateResponse(
            request,
            "error.html",
            {"message": message, "status": status, "me": me.who if me else None,
             "csrf": me.session.csrf if me else ""},
            status_code=status,
            headers=headers,
        )  # fmt: skip

    @app.exception_handler(UncountedError)
    async def _error(request: Request, exc: UncountedError) -> Response:
        message = str(exc)
        if isinstance(exc, AccessDenied) and not isinstance(exc, CsrfRejected | AdministratorOnly):
            message = N_("You do not have access to this page or record.")
        return _error_page(request, message, exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _bad_value(request: Request, exc: RequestValidationError) -> Response:
        """A path or query value of the wrong kind (``/cases/abc``, ``?page=-1``): a page
        that says which, for people; the usual ``detail`` list for JSON clients."""
        names = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        message = (
            f"This address has a value that cannot be used ({', '.join(names) or 'a value'}); "
            "check it and try again."
        )
        detail = {"detail": jsonable_encoder(exc.errors())}
        return _error_page(request, message, 422, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        return _error_page(request, message, exc.status_code, headers=exc.headers)

    return app


__all__ = ["NAV", "NavLink", "create_app", "nav_links"]
