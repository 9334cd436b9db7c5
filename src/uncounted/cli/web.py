"""``uncounted serve``: the web application on a local port (uvicorn).

The web app and the demo are imported inside the command: ``uncounted --help`` and the other
commands never pay for FastAPI and the database layer.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from rich.console import Console

from uncounted.cli.store_cmds import CREATE_KEYS_HELP, report_new_keys
from uncounted.settings import get_settings

#: Environment variable telling worker processes to serve the demo database (read by
#: ``uncounted.web.factory``; repeated here so that the parent need not import the web app).
DEMO_ENV = "UNCOUNTED_SERVE_DEMO"

console = Console()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Serve the demo database (built first if absent).")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (uvicorn workers).")] = 1,
    worker_timeout: Annotated[
        int,
        typer.Option(
            min=1,
            envvar="UNCOUNTED_WORKER_TIMEOUT",
            help="Seconds a worker may take to start or answer uvicorn's health check.",
        ),
    ] = 10,
    behind_tls: Annotated[
        bool,
        typer.Option(
            "--behind-tls",
            help="Users reach the app over HTTPS (a TLS proxy in front): Secure cookies and "
            "HSTS. Also UNCOUNTED_BEHIND_TLS=true.",
        ),
    ] = False,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            help="Address or network of a reverse proxy whose X-Forwarded-For is believed "
            "(repeat for several; also UNCOUNTED_TRUSTED_PROXIES). Without it the header is "
            "ignored.",
        ),
    ] = None,
    create_keys: Annotated[bool, typer.Option("--create-keys", help=CREATE_KEYS_HELP)] = False,
) -> None:
    """Serve the web application (sign in, cases, indicators, imports, audit).

    Without --demo it refuses to start unless the data and secret keys are configured (or
    --create-keys is given).
    """
    import uvicorn

    from uncounted.demo import (
        DEMO_PASSWORD,
        DEMO_USERS,
        build_demo,
        demo_keyring,
        demo_path,
        demo_secret,
        demo_url,
    )

    if behind_tls:
        os.environ["UNCOUNTED_BEHIND_TLS"] = "true"
    if trusted_proxy:
        os.environ["UNCOUNTED_TRUSTED_PROXIES"] = ",".join(trusted_proxy)
    get_settings.cache_clear()  # the options above are settings, for every worker process
    settings = get_settings()
    settings.trusted_networks  # noqa: B018 (a bad address is refused before serving)
    if demo:
        if not demo_path(settings).exists():
            console.print("Building the demo database (a synthetic world)…")
            build_demo(settings, link=False)
        users = ", ".join(name for name, _role, _agency in DEMO_USERS)
        console.print(f"Demo users: {users}; password [bold]{DEMO_PASSWORD}[/] (local demo only).")
    else:
        report_new_keys(settings.require_keys(create=create_keys))
    if settings.behind_tls:
        console.print(f"Listening on http://{host}:{port}/ for your TLS proxy (Ctrl+C to stop).")
    else:
        console.print(f"Open http://{host}:{port}/ in your browser (Ctrl+C to stop).")
        if host not in ("127.0.0.1", "localhost", "::1") and not demo:
            console.print(
                "[bold yellow]Warning:[/] serving plain HTTP beyond this machine: passwords and "
                "session cookies travel in clear. Put a TLS proxy in front and pass --behind-tls "
                "(see docs/security.md)."
            )
    # our own code reads X-Forwarded-For, and only from the trusted proxies: uvicorn must not
    # rewrite the client address from it first
    common: dict[str, Any] = {"host": host, "port": port, "log_level": "warning"}
    common["proxy_headers"] = False
    if workers > 1:  # each worker builds the app; the parent only supervises them
        os.environ[DEMO_ENV] = "1" if demo else "0"
        uvicorn.run(
            "uncounted.web.factory:app_from_environment",
            factory=True,
            workers=workers,
            timeout_worker_healthcheck=worker_timeout,
            **common,
        )
        return
    from uncounted.web import create_app

    if demo:
        app = create_app(
            settings,
            database_url=demo_url(settings),
            keyring=demo_keyring(settings),
            secret_key=demo_secret(settings),
            warm=True,
        )
    else:
        app = create_app(settings, warm=True)
    uvicorn.run(app, **common)


def add_user(
    username: Annotated[str, typer.Argument(help="The new user's sign-in name.")],
    role: Annotated[
        str, typer.Option(help="admin, caseworker, analyst or viewer (least privilege first).")
    ] = "viewer",
    agency: Annotated[
        str | None, typer.Option(help="Agency code (caseworkers: their scope).")
    ] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a user of the configured database (e.g. the first administrator)."""
    from uncounted.store.users import create_user_in

    user = create_user_in(get_settings(), username, password, role, agency)
    console.print(f"Created {user} ({role}).")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``add-user`` to the CLI."""
    app.command("serve")(serve)
    app.command("add-user")(add_user)
