"""Spreadsheet formula injection: how exported cells are neutralised, and how imports undo it.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by spreadsheet programs (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``), so a name typed
by anyone who can create a record could act on the computer of whoever opens an export (OWASP,
"CSV Injection"). Exports therefore write such a cell with a leading apostrophe, the quote
spreadsheets themselves use for "this is text"; plain numbers (``-3``, ``+1.5``, ``-1e5``) are
not formulas and stay as they are.

The rule is reversible, so export → import changes nothing:

* export, :func:`quote_cell`: a cell that begins with one of those characters (and is not a
  plain number), or with an apostrophe, gets one more apostrophe in front;
* import, :func:`unquote_cell` (CSV and XLSX readers): a cell that begins with an apostrophe
  followed by something the export would have quoted loses that first apostrophe.

So ``=SUM(A1)`` → ``'=SUM(A1)`` → ``=SUM(A1)``, and a real leading apostrophe survives:
``'quoted`` → ``''quoted`` → ``'quoted``. A file from elsewhere with a cell ``'hello`` is read
as ``'hello`` (an apostrophe before an ordinary character is data); ``'=1`` is read as ``=1``.
"""

from __future__ import annotations

import re

#: First characters that make a spreadsheet cell a formula.
TRIGGERS = frozenset("=+-@\t\r")
QUOTE = "'"
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def needs_quote(text: str) -> bool:
    """Whether the export writes ``text`` with a leading apostrophe."""
    if not text:
        return False
    first = text[0]
    if first == QUOTE:
        return True
    return first in TRIGGERS and _NUMBER.fullmatch(text) is None


def quote_cell(text: str) -> str:
    """``text`` as an export writes it: neutralised if a spreadsheet would run it."""
    return QUOTE + text if needs_quote(text) else text


def unquote_cell(text: str) -> str:
    """The value an exported cell ``text`` was made from (the inverse of :func:`quote_cell`)."""
    if text[:1] == QUOTE and needs_quote(text[1:]):
        return text[1:]
    return text


__all__ = ["QUOTE", "TRIGGERS", "needs_quote", "quote_cell", "unquote_cell"]
