"""Read the report's HTML back: its tables (by id) as rows of cell texts, with row attributes."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Row:
    attrs: dict[str, str]
    cells: list[str] = field(default_factory=list)


@dataclass
class Page:
    tables: dict[str, list[Row]] = field(default_factory=dict)
    figures: list[dict[str, str]] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None
        self._figure: dict[str, str] | None = None
        self._span: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.page.tags.add(tag)
        if tag == "table":
            self._table = a.get("id", f"table{len(self.page.tables)}")
            self.page.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._table is not None and self._in_body:
            self.page.tables[self._table].append(Row(a))
        elif tag in ("td", "th") and self._table is not None and self._in_body:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" | ")
        elif tag == "div" and "figure" in a.get("class", "").split():
            self._figure = dict(a)
            self.page.figures.append(self._figure)
        elif tag == "span" and self._figure is not None:
            self._span = a.get("class")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.page.tables[self._table][-1].cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span":
            self._span = None
        elif tag == "div" and self._figure is not None and self._span is None:
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._figure is not None and self._span is not None:
            self._figure[self._span] = self._figure.get(self._span, "") + data.strip()


def read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    return reader.page


def number(text: str) -> float | None:
    """A displayed figure as a number: "53.1%" -> 0.531, "1,163" -> 1163, "–" -> None."""
    text = text.strip()
    if text in ("", "–"):
        return None
    if text.endswith("%"):
        return float(text[:-1].replace(",", "")) / 100
    return float(text.replace(",", ""))


def interval(text: str) -> tuple[float | None, float | None]:
    """ "47.2%–58.9%" -> (0.472, 0.589); "" -> (None, None)."""
    text = text.strip()
    if not text:
        return None, None
    lo, hi = text.split("–")
    return number(lo), number(hi)
