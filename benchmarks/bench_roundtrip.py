"""Round trips of a whole store: export → import into an empty store, and backup → restore.

Stores a synthetic world (the demo's size by default), exports every record type as CSV,
imports the files into an empty SQLite store and prints, per table, the rows before and after
and whether the rows are the same (compared without database ids: a foreign key stands for
the row it points to). Then backs the first store up and restores it into another empty
store, comparing every table as stored. Times of each step are printed beside them.

    .venv/bin/python benchmarks/bench_roundtrip.py [--victims 4000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, select

from uncounted.ingest import export_records, import_file
from uncounted.ingest.records import LOAD_ORDER
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.store.backup import backup_database, restore_database
from uncounted.store.bulk import insert_frames
from uncounted.store.crypto import KeyRing
from uncounted.store.db import make_engine, upgrade
from uncounted.store.tables import TABLE_ORDER, Base

#: Tables an import does not fill (a backup carries them).
NOT_RECORDS = {"users", "audit_events", "import_batches", "linkage_decisions"}


def canonical(engine: Engine) -> dict[str, Counter[tuple[object, ...]]]:
    """Each table's rows without ids and write times; a foreign key becomes the row it names."""
    out: dict[str, Counter[tuple[object, ...]]] = {}
    rows_of: dict[str, dict[object, tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            refs = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
            keep = [c.name for c in table.c if c.name not in {"id", "created_at", "updated_at"}]
            by_id: dict[object, tuple[object, ...]] = {}
            rows: Counter[tuple[object, ...]] = Counter()
            for row in conn.execute(select(table)).mappings():
                values = tuple(
                    rows_of[refs[c]].get(row[c]) if c in refs else repr(row[c]) for c in keep
                )
                rows[values] += 1
                if "id" in table.c:
                    by_id[row["id"]] = values
            rows_of[table.name] = by_id
            out[table.name] = rows
    return out


def raw_rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Each table's rows exactly as stored (identifying fields as ciphertext)."""
    out = {}
    with engine.connect() as conn:
        for name in TABLE_ORDER:
            keys = ", ".join(c.name for c in Base.metadata.tables[name].primary_key.columns)
            out[name] = [
                tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {name} ORDER BY {keys}")
            ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--victims", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    key = KeyRing(secrets.token_bytes(32))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def store(name: str) -> Engine:
            engine = make_engine(f"sqlite:///{folder / name}", key)
            upgrade(engine)
            return engine

        world = simulate_world(WorldConfig(seed=args.seed, n_victims=args.victims))
        first = store("first.sqlite")
        insert_frames(first, world.frames)
        started = time.perf_counter()
        files = {p.stem: p for p in export_records(first, folder / "export", "csv")}
        exported = time.perf_counter() - started
        second = store("second.sqlite")
        started = time.perf_counter()
        for name in LOAD_ORDER:
            result = import_file(second, files[name])
            assert not result.rejected, (name, result.rejected[:3])
        imported = time.perf_counter() - started
        before, after = canonical(first), canonical(second)
        print(f"world: seed {args.seed}, {args.victims:,} victims")
        print(f"export {exported:.1f} s, import into an empty store {imported:.1f} s\n")
        print("| table | rows before | rows after | same rows |")
        print("|---|---:|---:|---|")
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_RECORDS:
                continue
            b, a = before[table.name], after[table.name]
            same = "yes" if a == b else "NO"
            print(f"| {table.name} | {sum(b.values()):,} | {sum(a.values()):,} | {same} |")
        started = time.perf_counter()
        done = backup_database(first, folder / "store.bak")
        backed = time.perf_counter() - started
        third = make_engine(f"sqlite:///{folder / 'third.sqlite'}", key)
        started = time.perf_counter()
        restore_database(third, done.path, key)
        restored = time.perf_counter() - started
        a, b = raw_rows(first), raw_rows(third)
        same = [n for n in TABLE_ORDER if a[n] == b[n] or n == "audit_events"]
        audit_ok = b["audit_events"][:-1] == a["audit_events"]
        size = done.path.stat().st_size / 1e6
        print(
            f"\nbackup {backed:.2f} s ({size:.1f} MB), restore {restored:.2f} s: "
            f"{len(same)}/{len(TABLE_ORDER)} tables identical as stored "
            f"(audit trail identical plus the restore's own event: {audit_ok})"
        )
        for engine in (first, second, third):
            engine.dispose()


if __name__ == "__main__":
    main()
