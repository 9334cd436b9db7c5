"""``uncounted serve``: the web application on a local port (uvicorn)."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

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
) -> None:
    """Serve the web application (sign in, cases, indicators, imports, audit)."""
    import uvicorn

    from uncounted.demo import (
        DEMO_PASSWORD,
        DEMO_USERS,
        build_demo,
        demo_keyring,
        demo_path,
        demo_url,
    )

    settings = get_settings()
    if workers > 1:  # each worker builds the app; the parent only supervises them
        if demo and not demo_path(settings).exists():
            console.print("Building the demo database (a synthetic world)…")
            build_demo(settings)
        os.environ[DEMO_ENV] = "1" if demo else "0"
        console.print(f"Open http://{host}:{port}/ in your browser (Ctrl+C to stop).")
        uvicorn.run(
            "uncounted.web.factory:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            timeout_worker_healthcheck=worker_timeout,
        )
        return
    from uncounted.web import create_app

    if demo:
        if not demo_path(settings).exists():
            console.print("Building the demo database (a synthetic world)…")
            build_demo(settings)
        app = create_app(
            settings, database_url=demo_url(settings), keyring=demo_keyring(settings), warm=True
        )
        users = ", ".join(name for name, _role, _agency in DEMO_USERS)
        console.print(f"Demo users: {users}; password [bold]{DEMO_PASSWORD}[/] (local demo only).")
    else:
        app = create_app(settings, warm=True)
    console.print(f"Open http://{host}:{port}/ in your browser (Ctrl+C to stop).")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def add_user(
    username: Annotated[str, typer.Argument(help="The new user's sign-in name.")],
    role: Annotated[str, typer.Option(help="admin, caseworker, analyst or viewer.")] = "admin",
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
