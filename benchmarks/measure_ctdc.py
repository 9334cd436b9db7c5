"""Measure: CTDC files in each published layout, imported with ``--mapping ctdc``, and back.

For each layout a file of the given size is written by ``uncounted.simulate.ctdc_files`` (from
CTDC's published field lists; no CTDC data) and imported into a fresh SQLite store with
``partial=True``. Prints rows accepted and refused (per reason), whether the counts by gender
and by exploitation type equal the file's own, and the per-table counts after a CTDC export is
imported into another empty store. ``--write DIR`` only writes the files (to try them on
another version of the code).

    .venv/bin/python benchmarks/measure_ctdc.py [--rows 48773] [--write DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, func, select

from uncounted.ingest import export_records, import_file
from uncounted.simulate.ctdc_files import CtdcFile, global_2020, synthetic_2024, synthetic_cut
from uncounted.store.db import make_engine, upgrade
from uncounted.store.tables import (
    Agency,
    Case,
    CasePerson,
    Jurisdiction,
    Person,
)

LAYOUTS = {
    "Global Dataset (63 columns, 2017-2021)": global_2020,
    "Global Synthetic, names cut to 32 characters": synthetic_cut,
    "Global Synthetic 2024 (27 fields)": synthetic_2024,
}
TABLES = {
    "agencies": Agency,
    "jurisdictions": Jurisdiction,
    "persons": Person,
    "cases": Case,
    "case_persons": CasePerson,
}
TODAY = dt.date(2026, 12, 5)


def _store(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _counts(engine: Engine) -> tuple[Counter[str], Counter[str], dict[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Person.sex, func.count()).group_by(Person.sex)).all()
        sex = Counter({str(k): int(v) for k, v in rows})
        kinds: Counter[str] = Counter()
        for first, every in conn.execute(
            select(CasePerson.exploitation_type, CasePerson.exploitation_types)
        ):
            kinds.update(every if every is not None else [first] if first else [])
        tables = {
            name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for name, t in TABLES.items()
        }
    return sex, kinds, tables


def measure(name: str, fx: CtdcFile, folder: Path) -> None:
    path = folder / "ctdc.csv"
    path.write_text(fx.text, "utf-8")
    engine = _store(folder / "store.sqlite")
    started = time.perf_counter()
    result = import_file(engine, path, mapping="ctdc", partial=True, today=TODAY)
    seconds = time.perf_counter() - started
    sex, kinds, tables = _counts(engine)
    reasons = Counter(p.reason for p in result.rejected)
    accepted = result.rows_total - result.rows_rejected
    print(f"\n## {name}: {result.rows_total:,} rows")
    print(f"accepted {accepted:,} ({accepted / result.rows_total:.2%}), ", end="")
    print(f"refused {result.rows_rejected:,}; {seconds:.1f} s")
    for reason, n in reasons.most_common():
        print(f"  refused {n:,}: {reason}")
    print(f"gender equal to the file's: {sex == fx.gender} {dict(sorted(sex.items()))}")
    same = kinds == fx.exploitation
    print(f"exploitation equal to the file's: {same} {dict(sorted(kinds.items()))}")
    print(f"ignored columns: {', '.join(result.ignored_columns) or '-'}")
    (out,) = export_records(engine, folder / "export.csv", "ctdc")
    again = _store(folder / "again.sqlite")
    back = import_file(again, out, mapping="ctdc", today=TODAY)
    sex2, kinds2, tables2 = _counts(again)
    print(f"round trip (export ctdc, import into an empty store): {back.rows_rejected} refused")
    print("| table | imported | after round trip |")
    print("|---|---:|---:|")
    for table, n in tables.items():
        print(f"| {table} | {n:,} | {tables2[table]:,} |")
    print(f"gender and exploitation equal after the round trip: {sex2 == sex and kinds2 == kinds}")
    engine.dispose()
    again.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=48_773)
    parser.add_argument("--write", type=Path, help="only write the files to this folder")
    args = parser.parse_args()
    for i, (name, build) in enumerate(LAYOUTS.items()):
        fx = build(args.rows)
        if args.write is not None:
            args.write.mkdir(parents=True, exist_ok=True)
            (args.write / f"ctdc_{i}.csv").write_text(fx.text, "utf-8")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            measure(name, fx, Path(tmp))


if __name__ == "__main__":
    main()
