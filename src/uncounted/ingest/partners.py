"""Due-diligence files: the partner register, statement scores and a risk table.

Each file is read by the ordinary readers (CSV with sniffed delimiter and encoding, XLSX,
JSON lines, Parquet; ``readers.py``) and checked row by row with the cell parsers of
``fields.py``. Every problem is collected as a :class:`~uncounted.errors.RejectedRow` (file,
line, column, value, reason) and the whole file is refused with
:class:`~uncounted.errors.ImportRejected` if any row is bad: an import is atomic, and the
register and scores are written in one transaction with their audit events.

Columns (names are case-insensitive; schemas also in ``docs/duediligence.md``):

* **register**, one row per partner × sourced good: ``partner`` (code), ``business``,
  ``country`` (ISO 3166-1), ``sectors`` (``;``-separated), ``good``, ``source_country``
  (blank: not disclosed), ``zone`` (an exploitation-free zone's name), ``tier1_supplier``.
* **statement scores**, one row per criterion: ``partner, statement, framework, criterion,
  score`` (0–3), ``evidence`` and ``location`` (required when the score is above 0),
  ``reviewer``, ``second_score``, ``second_reviewer``.
* **risk table**: ``source, year, country, good`` and at least one of ``forced_labour``,
  ``child_labour``, ``score`` (0–1), ``prevalence_per_1000``; optional ``note``, ``url``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine

from uncounted.duediligence import SCALE, frameworks
from uncounted.errors import ImportRejected, InvalidInput, RejectedRow
from uncounted.ingest import fields
from uncounted.ingest.fields import FieldProblem, parse_bool, parse_int, text_of
from uncounted.ingest.readers import Cell, ReadOptions, SourceRow, read_chunks
from uncounted.store import audit
from uncounted.store.access import Principal
from uncounted.store.db import session_scope
from uncounted.store.partners import partner_codes, save_register, save_statement_scores


class _Rows:
    """Rows of one file with their problems, for the checks below."""

    def __init__(self, path: Path, required: tuple[str, ...], options: ReadOptions | None):
        self.path = path
        self.problems: list[RejectedRow] = []
        self.rows: list[SourceRow] = []
        for chunk in read_chunks(path, options):
            for row in chunk:
                cells = {k.strip().lower(): v for k, v in row.cells.items()}
                self.rows.append(SourceRow(row.line, cells, row.problem))
        columns = set(self.rows[0].cells) if self.rows else set()
        missing = [c for c in required if c not in columns]
        if missing:
            self.reject(1, ",".join(missing), "", "the file lacks these columns")
        if not self.rows:
            self.reject(1, "", "", "the file has no rows")

    def reject(self, line: int, column: str, value: Cell, reason: str) -> None:
        self.problems.append(RejectedRow(self.path.name, line, column, text_of(value), reason))

    def each(self) -> Iterator[tuple[SourceRow, Callable[[str, Callable[[Cell], Any]], Any]]]:
        """Each readable row with a getter ``get(column, parse)`` that records problems."""
        if self.problems:
            return
        for row in self.rows:
            if row.problem:
                self.reject(row.line, "", "", row.problem)
                continue

            def get(column: str, parse: Callable[[Cell], Any], row: SourceRow = row) -> Any:
                cell = row.cells.get(column)
                if cell is None or text_of(cell) == "":
                    return None
                try:
                    return parse(cell)
                except (FieldProblem, InvalidInput) as exc:
                    reason = exc.reason if isinstance(exc, FieldProblem) else str(exc)
                    self.reject(row.line, column, cell, reason)
                    return None

            yield row, get

    def need(self, row: SourceRow, column: str, value: Any) -> Any:
        if value is None and not any(
            p.line == row.line and p.column == column for p in self.problems
        ):
            self.reject(row.line, column, "", "required")
        return value

    def done(self, what: str) -> None:
        if self.problems:
            raise ImportRejected(
                f"{self.path.name}: {len(self.problems)} problem(s) in the {what}, the first "
                f"{self.problems[0]}; nothing was imported. Fix the rows listed and import the "
                "file again.",
                rows=self.problems,
            )


def _text(limit: int) -> Callable[[Cell], str]:
    def parse(cell: Cell) -> str:
        value = text_of(cell)
        if len(value) > limit:
            raise FieldProblem(f"longer than {limit} characters")
        return value

    return parse


def _country(cell: Cell) -> str:
    """ISO 3166-1 alpha-2 from alpha-2 or alpha-3 (as the case files' country fields)."""
    return fields._country(text_of(cell))


def _number(low: float, high: float | None) -> Callable[[Cell], float]:
    def parse(cell: Cell) -> float:
        try:
            value = float(text_of(cell))
        except ValueError:
            raise FieldProblem("not a number") from None
        if value < low or (high is not None and value > high):
            raise FieldProblem(f"must be between {low:g} and {high:g}" if high else f">= {low:g}")
        return value

    return parse


def _score(cell: Cell) -> int:
    value = parse_int(cell)
    if value not in SCALE:
        raise FieldProblem(f"a score is one of {', '.join(map(str, SCALE))}")
    return value


def read_register(
    path: Path, options: ReadOptions | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The partners and their sourcing rows of a register file (columns in the module doc)."""
    f = _Rows(path, ("partner", "business", "country", "good"), options)
    partners: dict[str, dict[str, Any]] = {}
    sourcing: list[dict[str, Any]] = []
    for row, get in f.each():
        code = f.need(row, "partner", get("partner", _text(40)))
        business = f.need(row, "business", get("business", _text(200)))
        country = f.need(row, "country", get("country", _country))
        sectors = [s.strip() for s in (get("sectors", _text(500)) or "").split(";") if s.strip()]
        good = get("good", _text(100))
        origin = get("source_country", _country)
        supplier = get("tier1_supplier", _text(200))
        zone = get("zone", _text(200))
        if code is None:
            continue
        first = partners.setdefault(
            code,
            {
                "code": code,
                "business": business,
                "country": country,
                "sectors": [],
                "tier1_suppliers": [],
                "line": row.line,
            },
        )
        for column, value in (("business", business), ("country", country)):
            if value is not None and first[column] is not None and value != first[column]:
                f.reject(
                    row.line,
                    column,
                    value,
                    f"differs from line {first['line']} ({first[column]}) of the same partner",
                )
        first["sectors"] += [s for s in sectors if s not in first["sectors"]]
        if supplier and supplier not in first["tier1_suppliers"]:
            first["tier1_suppliers"].append(supplier)
        if good is None:
            if origin or zone:
                f.reject(row.line, "good", "", "required when a source country or zone is given")
            continue
        sourcing.append(
            {
                "code": code,
                "good": good,
                "country": origin,
                "zone": zone,
                "tier1_supplier": supplier,
            }
        )
    f.done("partner register")
    return [{k: v for k, v in p.items() if k != "line"} for p in partners.values()], sourcing


def read_statement_scores(path: Path, options: ReadOptions | None = None) -> list[dict[str, Any]]:
    """The criterion scores of a statement assessment file (columns in the module doc)."""
    columns = ("partner", "statement", "framework", "criterion", "score", "reviewer")
    f = _Rows(path, columns, options)
    known = frameworks()
    seen: dict[tuple[str, ...], int] = {}
    out: list[dict[str, Any]] = []
    for row, get in f.each():
        r = {
            "partner": f.need(row, "partner", get("partner", _text(40))),
            "statement": f.need(row, "statement", get("statement", _text(40))),
            "framework": f.need(row, "framework", get("framework", _text(40))),
            "criterion": f.need(row, "criterion", get("criterion", _text(20))),
            "score": f.need(row, "score", get("score", _score)),
            "evidence": get("evidence", _text(4000)),
            "location": get("location", _text(100)),
            "reviewer": f.need(row, "reviewer", get("reviewer", _text(80))),
            "second_score": get("second_score", _score),
            "second_reviewer": get("second_reviewer", _text(80)),
            "line": row.line,
        }
        fw = known.get(r["framework"]) if r["framework"] else None
        if r["framework"] and fw is None:
            f.reject(row.line, "framework", r["framework"], f"use one of {', '.join(known)}")
        elif fw and r["criterion"] and r["criterion"] not in {c.id for c in fw.criteria}:
            f.reject(
                row.line,
                "criterion",
                r["criterion"],
                f"not a criterion of {fw.id} ({', '.join(c.id for c in fw.criteria)})",
            )
        if r["score"] and (not r["evidence"] or not r["location"]):
            f.reject(
                row.line,
                "evidence" if not r["evidence"] else "location",
                "",
                "a score above 0 needs the evidence quoted and its page or paragraph",
            )
        if r["second_score"] is not None and not r["second_reviewer"]:
            f.reject(row.line, "second_reviewer", "", "required with a second score")
        key = (r["partner"], r["statement"], r["framework"], r["criterion"])
        if None not in key and key in seen:
            f.reject(
                row.line,
                "criterion",
                r["criterion"],
                f"scored twice for this statement (first on line {seen[key]})",
            )
        seen.setdefault(key, row.line)
        out.append(r)
    f.done("statement scores")
    return out


def read_risk_table(path: Path, options: ReadOptions | None = None) -> pl.DataFrame:
    """A risk table as a frame with typed columns (schema in the module doc)."""
    f = _Rows(path, ("source", "year", "country", "good"), options)
    out = []
    for row, get in f.each():
        r = {
            "source": f.need(row, "source", get("source", _text(300))),
            "year": f.need(row, "year", get("year", parse_int)),
            "country": f.need(row, "country", get("country", _country)),
            "good": get("good", _text(100)),
            "forced_labour": get("forced_labour", parse_bool),
            "child_labour": get("child_labour", parse_bool),
            "score": get("score", _number(0, 1)),
            "prevalence_per_1000": get("prevalence_per_1000", _number(0, None)),
            "note": get("note", _text(2000)),
            "url": get("url", _text(2000)),
        }
        if r["year"] is not None and not 1900 <= r["year"] <= 2100:
            f.reject(row.line, "year", r["year"], "not a plausible year")
        facts = ("forced_labour", "child_labour", "score", "prevalence_per_1000")
        if all(r[k] is None for k in facts):
            f.reject(row.line, "", "", f"give at least one of {', '.join(facts)}")
        out.append(r)
    f.done("risk table")
    schema = {
        "source": pl.String,
        "year": pl.Int64,
        "country": pl.String,
        "good": pl.String,
        "forced_labour": pl.Boolean,
        "child_labour": pl.Boolean,
        "score": pl.Float64,
        "prevalence_per_1000": pl.Float64,
        "note": pl.String,
        "url": pl.String,
    }
    return pl.DataFrame(out, schema=schema)


def import_register(engine: Engine, path: Path, who: Principal | str) -> dict[str, int]:
    """Check the register file, then write it and its audit events in one transaction."""
    partners, sourcing = read_register(path)
    with session_scope(engine) as session:
        counts = save_register(session, who, partners, sourcing)
        audit.record(
            session, who, audit.AuditAction.IMPORT, "dd_partners", detail=f"{path.name}: {counts}"
        )
    return counts


def import_statement_scores(engine: Engine, path: Path, who: Principal | str) -> dict[str, int]:
    """Check the statement-score file, then write it and its audit events in one transaction."""
    rows = read_statement_scores(path)
    with session_scope(engine) as session:
        known = partner_codes(session, who)
        unknown = [
            RejectedRow(
                path.name,
                r["line"],
                "partner",
                r["partner"],
                "no such partner; import the partner register first",
            )
            for r in rows
            if r["partner"] not in known
        ]
        if unknown:
            raise ImportRejected(
                f"{path.name}: {len(unknown)} row(s) name partners that are not in the register; "
                "nothing was imported.",
                rows=unknown,
            )
        counts = save_statement_scores(session, who, rows)
        audit.record(
            session,
            who,
            audit.AuditAction.IMPORT,
            "dd_statement_scores",
            detail=f"{path.name}: {counts}",
        )
    return counts


__all__ = [
    "import_register",
    "import_statement_scores",
    "read_register",
    "read_risk_table",
    "read_statement_scores",
]
