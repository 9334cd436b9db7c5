"""An app built from the environment, for ``uncounted serve --workers N`` (uvicorn imports it
in each worker process): the configured database, or the demo when ``UNCOUNTED_SERVE_DEMO=1``.

Every piece of state that must hold across processes is in the database (web sessions, sign-in
delays) or in a signed token (CSRF, pending uploads, whose encrypted content is in the data
directory); only the aggregate cache is per process.
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
        from uncounted.demo import demo_keyring, demo_secret, demo_url

        return create_app(
            settings,
            database_url=demo_url(settings),
            keyring=demo_keyring(settings),
            secret_key=demo_secret(settings),
            warm=True,
        )
    return create_app(settings, warm=True)


__all__ = ["DEMO_ENV", "app_from_environment"]
