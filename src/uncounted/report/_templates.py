"""The Jinja environment of the report's templates (``report/templates``), one for every
document the report package renders: HTML autoescaped, an undefined name an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


def template_environment(filters: dict[str, Callable[..., Any]]) -> Environment:
    """A new environment over the report templates with the document's own ``filters``."""
    env = Environment(
        loader=PackageLoader("uncounted.report", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(filters)
    return env
