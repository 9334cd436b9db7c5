"""The gettext marker shared by the library and the web app: :func:`N_` marks a message for
the translation catalogues (``make messages`` extracts it) and returns it unchanged; it is
translated where it is shown (``web/i18n.py``)."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Mark ``message`` for the translation catalogues; translated where it is shown."""
    return message
