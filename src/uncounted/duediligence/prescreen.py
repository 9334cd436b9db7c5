"""Text-assisted pre-screening of a statement: which passages may answer which criterion.

The statement's text is split into passages with their place (``p. 3 ¶2`` for a PDF page and
paragraph, ``¶12`` for HTML or plain text). A passage is suggested for a criterion when it
contains one of the criterion's keywords (``criteria.yaml``, whole words, case-insensitive);
suggestions are ranked by the number of distinct keywords found. This only points a reviewer
to passages to read: it never gives a score, and a criterion with no suggestion may still be
answered in words the list does not hold.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import polars as pl

from uncounted.duediligence.criteria import Framework
from uncounted.errors import InvalidInput

_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "div", "section", "br"}
_SKIP = {"script", "style", "head", "title"}


@dataclass(frozen=True)
class Passage:
    """One paragraph of a statement and where it is."""

    location: str
    text: str


class _Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.current: list[str] = []
        self.skip = 0

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.parts.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.current.append(data)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def passages(data: bytes, kind: str) -> list[Passage]:
    """The passages of a statement given as ``pdf``, ``html`` or ``text`` bytes."""
    if kind == "pdf":
        try:
            from pypdf import PdfReader
            from pypdf.errors import PdfReadError

            reader = PdfReader(io.BytesIO(data))
            pages = [page.extract_text() or "" for page in reader.pages]
        except (PdfReadError, ValueError, OSError) as exc:
            raise InvalidInput(
                f"The PDF cannot be read ({exc}); save it again or use HTML."
            ) from None
        return [
            Passage(f"p. {n} ¶{k}", para)
            for n, page in enumerate(pages, 1)
            for k, para in enumerate(_paragraphs(page), 1)
        ]
    text = data.decode("utf-8", errors="replace")
    if kind == "html":
        parser = _Paragraphs()
        parser.feed(text)
        parser.close()
        parser._flush()
        paras = parser.parts
    elif kind == "text":
        paras = _paragraphs(text)
    else:
        raise InvalidInput(f"Unknown statement format {kind!r}; use pdf, html or text.")
    return [Passage(f"¶{k}", p) for k, p in enumerate(paras, 1)]


def kind_of(name: str) -> str:
    """The statement format from a file name: ``pdf``, ``html`` or ``text``."""
    lower = name.lower()
    if lower.endswith(".pdf"):
        return "pdf"
    if lower.endswith((".html", ".htm")):
        return "html"
    return "text"


def suggest(found: list[Passage], fw: Framework, *, per_criterion: int = 3) -> pl.DataFrame:
    """Up to ``per_criterion`` passages per criterion, most keywords first (never a score).

    Columns: ``criterion, provision, location, keywords, excerpt`` (excerpt ≤ 300 characters);
    a criterion with no passage has one row with null location.
    """
    rows: list[tuple[str, str, str | None, str | None, str | None]] = []
    for c in fw.criteria:
        patterns = {k: re.compile(rf"\b{re.escape(k)}\b", re.IGNORECASE) for k in c.keywords}
        hits = []
        for order, p in enumerate(found):
            matched = [k for k, rx in patterns.items() if rx.search(p.text)]
            if matched:
                hits.append((-len(matched), order, p, matched))
        hits.sort(key=lambda h: (h[0], h[1]))
        for _, _, p, matched in hits[:per_criterion]:
            excerpt = p.text if len(p.text) <= 300 else p.text[:297] + "..."
            rows.append((c.id, c.provision, p.location, ", ".join(matched), excerpt))
        if not hits:
            rows.append((c.id, c.provision, None, None, None))
    return pl.DataFrame(
        rows,
        schema=["criterion", "provision", "location", "keywords", "excerpt"],
        orient="row",
    )


__all__ = ["Passage", "kind_of", "passages", "suggest"]
