"""The evidence report as PDF: the same HTML page, laid out for A4 by WeasyPrint.

WeasyPrint draws the inline SVG charts itself and needs Pango from the system (Debian:
``libpango-1.0-0`` and ``libpangoft2-1.0-0``, and ``libharfbuzz-subset0``, without which
WeasyPrint 70 warns; ``.ci/run`` installs them when missing). The
page's ``@page`` and ``@media print`` rules number the pages and start each section on a new
one.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uncounted.errors import ConfigurationError

if TYPE_CHECKING:
    from uncounted.report.build import Report


def _weasyprint_html() -> Any:
    from uncounted._extras import require

    try:
        return require("weasyprint").HTML
    except OSError as exc:  # Pango missing: WeasyPrint fails while loading its libraries
        raise ConfigurationError(
            "WeasyPrint cannot load Pango, so no PDF can be written; install the system "
            f"packages libpango-1.0-0 and libpangoft2-1.0-0 ({exc})."
        ) from None


def pdf_unavailable() -> str | None:
    """Why no PDF can be written here (what to install, as the CLI says it), or ``None``.

    Only looks for the package (no import), so a page can ask on every request; a broken
    installation (Pango missing) is reported when the PDF is written.
    """
    if find_spec("weasyprint") is not None:
        return None
    try:
        _weasyprint_html()
    except ConfigurationError as exc:
        return str(exc)
    return None


def html_to_pdf(html: str, path: Path) -> Path:
    """Write ``html`` (self-contained) as a PDF file at ``path``; returns ``path``."""
    HTML = _weasyprint_html()
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=None).write_pdf(path)
    return path


def html_to_pdf_bytes(html: str) -> bytes:
    """``html`` (self-contained) as the bytes of a PDF file (for a download)."""
    body: bytes = _weasyprint_html()(string=html, base_url=None).write_pdf()
    return body


def write_pdf(report: Report, path: Path) -> Path:
    """Write ``report`` as PDF at ``path``; returns ``path``."""
    return html_to_pdf(report.to_html(), path)


__all__ = ["html_to_pdf", "html_to_pdf_bytes", "pdf_unavailable", "write_pdf"]
