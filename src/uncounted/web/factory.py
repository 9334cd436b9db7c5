"""An app built from the environment, for ``uncounted serve --workers N`` (uvicorn imports it
in each worker process): the configured database, or the demo when ``UNCOUNTED_SERVE_DEMO=1``.

Every piece of per-request state that must survive across processes is in the signed cookie or
token (sessions, CSRF, pending uploads); the aggregate cache and the sign-in rate limit are per
process (the account lockout in the database holds across all of them).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from uncounted.settings import get_settings
from uncounted.web.app import create_app

#: Environment variable telling worker processes to serve the demo database.
DEMO_ENV = "UNCOUNTED_SERVE_DEMO"


def app_from_environment() -> FastAPI:
    """The web app for the process settings (the demo database if ``UNCOUNTED_SERVE_DEMO=1``)."""
    settings = get_settings()
    if os.environ.get(DEMO_ENV) == "1":
        from uncounted.demo import demo_keyring, demo_url

        return create_app(
            settings, database_url=demo_url(settings), keyring=demo_keyring(settings), warm=True
        )
    return create_app(settings, warm=True)


__all__ = ["DEMO_ENV", "app_from_environment"]
