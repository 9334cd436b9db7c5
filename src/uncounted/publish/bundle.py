"""The open-data bundle: de-identified victim rows, suppressed aggregate tables, a data
dictionary and a README, written all at once and verified before it is declared done.

Layout of the bundle directory::

    victims.csv                      k-anonymous rows in the CTDC layout
    tables/<name>.csv                long tables: row, column, count (empty when withheld), status
    tables/<name>_margins.csv        row and column totals (of the rows of victims.csv)
    data_dictionary.csv              every column of every file and its meaning
    README.md                        what was published, how it was protected, its limits
    manifest.json                    files with SHA-256, k, levels, suppression shares

The bundle is written to a temporary directory beside ``out`` and renamed into place only after
:func:`verify_bundle` has re-read it and confirmed k and the suppression audit, so a failed or
refused publication leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine

from uncounted.domain.identity import IDENTITY_FIELDS
from uncounted.errors import InvalidInput
from uncounted.publish.kanonymity import Anonymisation, k_anonymise, smallest_class
from uncounted.publish.suppression import SuppressedTable, feasible_ranges, suppress
from uncounted.publish.victims import (
    DICTIONARY,
    QUASI_IDENTIFIERS,
    WEIGHTS,
    hierarchies,
    victim_rows,
)

#: Column names that must never appear in a bundle (direct identifiers and record keys).
IDENTIFYING_COLUMNS = frozenset({*IDENTITY_FIELDS, "name", "person_id", "external_id", "id"})

#: Aggregate tables: name -> (row variable, column variable) of the victim rows.
AGGREGATES: dict[str, tuple[str, str]] = {
    "victims_by_country_and_year": ("CountryOfExploitation", "yearOfRegistration"),
    "victims_by_country_and_citizenship": ("CountryOfExploitation", "citizenship"),
    "victims_by_country_and_sex": ("CountryOfExploitation", "gender"),
}


@dataclass(frozen=True)
class Bundle:
    """What was published, and how it was protected."""

    path: Path
    anonymisation: Anonymisation
    tables: dict[str, SuppressedTable]
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256

    def to_dict(self) -> dict[str, Any]:
        """A summary for people and machines (it is the bundle's manifest)."""
        a = self.anonymisation
        return {
            "path": str(self.path),
            "k": a.k,
            "victims_in": a.input_records,
            "victims_published": a.rows.height,
            "victims_withheld": a.suppressed_records,
            "generalisation_levels": a.levels,
            "tables": {
                name: {
                    "cells": int(t.counts.size),
                    "primary_suppressed": int(t.primary.sum()),
                    "secondary_suppressed": int((t.withheld & ~t.primary).sum()),
                }
                for name, t in self.tables.items()
            },
            "files": self.files,
        }


#: The label, in the tables, of a value that ``victims.csv`` leaves empty.
UNKNOWN = "(withheld or not recorded)"


def _crosstab(rows: pl.DataFrame, row: str, col: str) -> tuple[list[str], list[str], np.ndarray]:
    data = rows.select(pl.col(row).fill_null(UNKNOWN), pl.col(col).fill_null(UNKNOWN))
    r_keys = sorted(data[row].unique().to_list())
    c_keys = sorted(data[col].unique().to_list())
    counts = np.zeros((len(r_keys), len(c_keys)), dtype=np.int64)
    r_at = {k: i for i, k in enumerate(r_keys)}
    c_at = {k: j for j, k in enumerate(c_keys)}
    for a, b, n in data.group_by([row, col]).len().iter_rows():
        counts[r_at[a], c_at[b]] = n
    return r_keys, c_keys, counts


def _table_frames(
    r_keys: list[str], c_keys: list[str], table: SuppressedTable, row: str, col: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    cells = []
    for i, a in enumerate(r_keys):
        for j, b in enumerate(c_keys):
            held = bool(table.withheld[i, j])
            status = "primary" if table.primary[i, j] else "secondary" if held else "published"
            cells.append((a, b, None if held else int(table.counts[i, j]), status))
    body = pl.DataFrame(
        cells,
        schema={row: pl.String, col: pl.String, "count": pl.Int64, "status": pl.String},
        orient="row",
    )
    margins = pl.concat(
        [
            pl.DataFrame({"margin": row, "value": r_keys, "total": table.counts.sum(axis=1)}),
            pl.DataFrame({"margin": col, "value": c_keys, "total": table.counts.sum(axis=0)}),
            pl.DataFrame({"margin": ["all"], "value": ["all"], "total": [int(table.counts.sum())]}),
        ],
        how="vertical_relaxed",
    )
    return body, margins


def _readme(bundle: Bundle, source: str, generated: str) -> str:
    a = bundle.anonymisation
    levels = ", ".join(f"{q} at level {lv}" for q, lv in a.levels.items())
    return f"""# Uncounted open-data bundle

Generated {generated} from {source}.

## Files
- `victims.csv`: one row per identified victim ({a.rows.height} of {a.input_records}), in the
  layout of the Counter-Trafficking Data Collaborative (CTDC) public dataset.
- `tables/*.csv`: counts of the victims of `victims.csv` by country of exploitation and year,
  citizenship and sex, with their values as published there; `*_margins.csv` give the row and
  column totals. Withheld victims are in neither, so comparing them reveals nothing more.
- `data_dictionary.csv`: the meaning of every column.
- `manifest.json`: every file with its SHA-256, and the protection applied.

## How it was protected
- Nothing identifying is published: no names, birth dates, identity numbers, contacts,
  addresses or record ids; they are not even read to build the bundle.
- `victims.csv` is **{a.k}-anonymous** over its quasi-identifiers ({", ".join(QUASI_IDENTIFIERS)}):
  every combination of their values occurs at least {a.k} times. It was reached by
  generalisation ({levels}; level 0 is exact) and by withholding {a.suppressed_records}
  record(s) ({a.suppression_share:.1%}) that would otherwise have stood in groups smaller
  than {a.k}. Empty cells are withheld or not recorded.
- Aggregate tables withhold every cell counting 1 to {a.k - 1} people (primary suppression)
  and further cells (secondary suppression) until no withheld cell can be worked out from the
  published cells and totals; this was checked by linear programming for every withheld cell.

## Limits
k-anonymity prevents singling out a person by the quasi-identifiers; it does not prevent
learning a sensitive attribute shared by everyone in a group (l-diversity), and it assumes
an outsider knows no more than these attributes. Counts are of identified victims only: they
are not prevalence estimates.
"""


#: The tables a bundle is built from; identifying tables are never read.
SOURCE_TABLES = ("case_persons", "persons", "cases", "jurisdictions")


def bundle_tables(engine: Engine) -> dict[str, pl.DataFrame]:
    """The frames :func:`write_bundle` reads, from a case database (:data:`SOURCE_TABLES`;
    no identifying field is read)."""
    from uncounted.store.frames import read_table

    return {name: read_table(engine, name) for name in SOURCE_TABLES}


def zip_bundle(path: Path) -> bytes:
    """The bundle directory at ``path`` as the bytes of one ZIP file (its files under a folder
    named after the directory), for a download."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            archive.write(file, f"{path.name}/{file.relative_to(path).as_posix()}")
    return out.getvalue()


def write_bundle(
    tables: Mapping[str, pl.DataFrame],
    out: Path,
    *,
    k: int = 11,
    max_suppression: float = 0.05,
    min_k: int = 2,
    source: str = "the Uncounted case database",
    progress: Callable[[str], None] | None = None,
) -> Bundle:
    """Build, write and verify the bundle in ``out`` (which must not exist or be empty).

    ``k`` below ``min_k`` (the ``open_data_min_k`` setting for the command and the web page)
    is refused. The aggregate tables and their margins count the rows of ``victims.csv``
    (as published: generalised, withheld rows left out), so that subtracting one file from the
    other reveals nothing about the withheld victims."""
    if k < max(min_k, 2):
        raise InvalidInput(
            f"k = {k} is below the smallest k allowed here ({max(min_k, 2)}, the setting "
            "UNCOUNTED_OPEN_DATA_MIN_K); choose a larger k."
        )
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"{out} is not empty; publish into a new directory.")
    step = progress or (lambda _: None)
    step("Collecting victims")
    rows = victim_rows(tables)
    if rows.height == 0:
        raise InvalidInput("There are no victims to publish.")
    step("Making the victim rows k-anonymous")
    anon = k_anonymise(
        rows, hierarchies(rows, k), k=k, max_suppression=max_suppression, weights=WEIGHTS
    )
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".publish-", dir=parent))
    try:
        (staging / "tables").mkdir()
        anon.rows.write_csv(staging / "victims.csv")
        suppressed: dict[str, SuppressedTable] = {}
        dictionary = [("victims.csv", c, DICTIONARY.get(c, "")) for c in anon.rows.columns]
        for name, (row, col) in AGGREGATES.items():
            step(f"Suppressing small cells in {name}")
            r_keys, c_keys, counts = _crosstab(anon.rows, row, col)
            table = suppress(counts, threshold=k)
            suppressed[name] = table
            body, margins = _table_frames(r_keys, c_keys, table, row, col)
            body.write_csv(staging / "tables" / f"{name}.csv")
            margins.write_csv(staging / "tables" / f"{name}_margins.csv")
            dictionary += [
                (f"tables/{name}.csv", row, DICTIONARY.get(row, "")),
                (f"tables/{name}.csv", col, DICTIONARY.get(col, "")),
                (f"tables/{name}.csv", "count", "Victims; empty when withheld"),
                (f"tables/{name}.csv", "status", "published, primary or secondary (withheld)"),
                (f"tables/{name}_margins.csv", "total", "Total of the row or column (victims.csv)"),
            ]
        pl.DataFrame(dictionary, schema=["file", "column", "meaning"], orient="row").write_csv(
            staging / "data_dictionary.csv"
        )
        bundle = Bundle(out, anon, suppressed)
        generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        (staging / "README.md").write_text(_readme(bundle, source, generated), "utf-8")
        step("Verifying the bundle")
        verify_bundle(staging, k)
        files = {
            str(p.relative_to(staging)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        bundle = Bundle(out, anon, suppressed, files)
        (staging / "manifest.json").write_text(json.dumps(bundle.to_dict(), indent=1), "utf-8")
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return bundle


def bundle_problems(path: Path, k: int) -> list[str]:
    """Every reason the bundle at ``path`` is not publishable (empty when it is): a group of
    ``victims.csv`` smaller than k over the quasi-identifiers, an identifying column in any
    file, a withheld aggregate cell derivable from what is published."""
    problems: list[str] = []
    victims = pl.read_csv(path / "victims.csv", infer_schema_length=0)
    smallest = smallest_class(victims, list(QUASI_IDENTIFIERS))
    if victims.height and smallest < k:
        problems.append(f"victims.csv has a group of {smallest} < k = {k}: not publishable.")
    for csv in sorted(path.rglob("*.csv")):
        header = set(pl.read_csv(csv, n_rows=0).columns)
        bad = header & IDENTIFYING_COLUMNS
        if bad:
            problems.append(f"{csv.name} has identifying column(s) {', '.join(sorted(bad))}.")
    for name, (row, col) in AGGREGATES.items():
        body = pl.read_csv(path / "tables" / f"{name}.csv", infer_schema_length=0)
        margins = pl.read_csv(path / "tables" / f"{name}_margins.csv", infer_schema_length=0)
        problems += _differences(name, victims, body, margins, row, col)
        try:
            _verify_table(name, body, margins, row, col)
        except InvalidInput as exc:
            problems.append(str(exc))
    return problems


def _differences(
    name: str, victims: pl.DataFrame, body: pl.DataFrame, margins: pl.DataFrame, row: str, col: str
) -> list[str]:
    """Where a table's published cells or margins differ from the count of ``victims.csv``'s
    rows: the difference would be the withheld victims of that cell, row or column (how many,
    and by subtracting tables, their attributes)."""
    if row not in victims.columns or col not in victims.columns:
        return [f"victims.csv lacks {row} or {col}, which tables/{name}.csv counts."]
    cells = victims.select(pl.col(row).fill_null(UNKNOWN), pl.col(col).fill_null(UNKNOWN))
    counted = {(a, b): n for a, b, n in cells.group_by([row, col]).len().iter_rows()}
    totals = {(row, a): n for a, n in cells.group_by(row).len().iter_rows()} | {
        (col, b): n for b, n in cells.group_by(col).len().iter_rows()
    }
    totals[("all", "all")] = victims.height
    found: list[str] = []
    for a, b, count in body.select(row, col, "count").iter_rows():
        if count not in (None, "") and int(count) != counted.get((a, b), 0):
            found.append(
                f"{a} × {b}: {count} in the table, {counted.get((a, b), 0)} in victims.csv"
            )
    for margin, value, total in margins.select("margin", "value", "total").iter_rows():
        if int(total) != totals.get((margin, value), 0):
            found.append(
                f"the total of {value}: {total} in the margins, "
                f"{totals.get((margin, value), 0)} in victims.csv"
            )
    if not found:
        return []
    return [
        f"tables/{name}.csv does not count the rows of victims.csv ({'; '.join(found[:3])}"
        f"{'; …' if len(found) > 3 else ''}): the difference would reveal the withheld victims."
    ]


def verify_bundle(path: Path, k: int) -> None:
    """Re-read a bundle and check it (:func:`bundle_problems`). Raises :class:`InvalidInput`
    naming every failure, the first one first."""
    problems = bundle_problems(path, k)
    if problems:
        raise InvalidInput(" ".join(problems))


def _verify_table(name: str, body: pl.DataFrame, margins: pl.DataFrame, row: str, col: str) -> None:
    r_keys = margins.filter(pl.col("margin") == row)["value"].to_list()
    c_keys = margins.filter(pl.col("margin") == col)["value"].to_list()
    r_tot = margins.filter(pl.col("margin") == row)["total"].cast(pl.Int64).to_numpy()
    c_tot = margins.filter(pl.col("margin") == col)["total"].cast(pl.Int64).to_numpy()
    known = np.zeros((len(r_keys), len(c_keys)))
    held = np.zeros((len(r_keys), len(c_keys)), dtype=bool)
    r_at = {k: i for i, k in enumerate(r_keys)}
    c_at = {k: j for j, k in enumerate(c_keys)}
    for a, b, count in body.select(row, col, "count").iter_rows():
        if count is None or count == "":
            held[r_at[a], c_at[b]] = True
        else:
            known[r_at[a], c_at[b]] = int(count)
    if not held.any():
        return
    residual_rows = r_tot - known.sum(axis=1)
    residual_cols = c_tot - known.sum(axis=0)
    ranges = feasible_ranges(_realise(held, residual_rows, residual_cols), held)
    for cell, (lo, hi) in ranges.items():
        if hi - lo < 1 - 1e-9:
            raise InvalidInput(f"Cell {cell} of {name} can be derived from the margins.")


def _realise(held: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """A non-negative table on the withheld pattern with the given row and column sums."""
    from scipy.optimize import linprog

    cells = list(zip(*np.nonzero(held), strict=True))
    a_eq, b_eq = [], []
    for r in range(held.shape[0]):
        if held[r].any():
            a_eq.append([1.0 if c[0] == r else 0.0 for c in cells])
            b_eq.append(float(rows[r]))
    for j in range(held.shape[1]):
        if held[:, j].any():
            a_eq.append([1.0 if c[1] == j else 0.0 for c in cells])
            b_eq.append(float(cols[j]))
    result = linprog(np.zeros(len(cells)), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if not result.success:
        raise InvalidInput("The published cells and margins of a table are inconsistent.")
    table = np.zeros(held.shape)
    for value, cell in zip(result.x, cells, strict=True):
        table[cell] = value
    return table


__all__ = [
    "AGGREGATES",
    "IDENTIFYING_COLUMNS",
    "SOURCE_TABLES",
    "Bundle",
    "bundle_problems",
    "bundle_tables",
    "verify_bundle",
    "write_bundle",
    "zip_bundle",
]
