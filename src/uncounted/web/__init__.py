"""The web application (FastAPI, server-rendered pages with JSON twins); see ``docs/web.md``."""

from uncounted.web.app import create_app

__all__ = ["create_app"]
