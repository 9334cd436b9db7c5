"""``uncounted init``, ``demo``, ``backup``, ``restore`` and ``reindex``: set up, fill, save and
bring back the case database, and rebuild its person search index."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from uncounted.cli._common import DATABASE_HELP, console, progress_bar
from uncounted.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


#: ``--create-keys``, shared by ``init`` and ``serve``.
CREATE_KEYS_HELP = (
    "Create the data, secret and index key files in the data directory if no key is configured "
    "(otherwise the command refuses to run without keys)."
)


def report_new_keys(made: list[Path]) -> None:
    """Say where newly created key files went, and what they are for."""
    for path in made:
        why = (
            "without index.key the person search must be rebuilt (uncounted reindex)."
            if path.name == "index.key"
            else "without data.key the identifying fields cannot be read."
        )
        console.print(
            f"Created the key file {path} (mode 0600). Back it up apart from the database: {why}"
        )


def init(
    create_keys: bool = typer.Option(False, "--create-keys", help=CREATE_KEYS_HELP),
) -> None:
    """Create the case database, or upgrade it to this version's schema (safe to repeat)."""
    from uncounted.store.db import current_revision, init_database
    from uncounted.store.person_index import ensure_index

    settings = get_settings()
    made = settings.require_keys(create=create_keys)
    report_new_keys(made)
    engine = init_database(settings)
    try:
        revision = current_revision(engine)
        rebuilt = ensure_index(engine)
    finally:
        engine.dispose()
    url = engine.url.render_as_string(hide_password=True)
    console.print(f"Database ready at {url} (schema revision {revision}).")
    if rebuilt is not None:
        console.print(
            f"Built the person search index: {rebuilt.persons:,} people "
            f"(index key {rebuilt.key_id})."
        )


def reindex(
    database_url: Annotated[str | None, typer.Option(help=DATABASE_HELP)] = None,
) -> None:
    """Rebuild the person search's blind index from the stored names and identity numbers.

    Every person is re-indexed under the configured index key, in one transaction. Forms and
    imports keep the index up to date; run this after changing the index key by hand.
    """
    from uncounted.store.db import require_current, session_scope
    from uncounted.store.person_index import rebuild

    engine = _engine(database_url)
    try:
        require_current(engine)
        with session_scope(engine) as session:
            done = rebuild(session.connection())
    finally:
        engine.dispose()
    console.print(
        f"Re-indexed {done.persons:,} people ({done.tokens:,} tokens) under index key "
        f"{done.key_id}."
    )


def demo(
    seed: int = typer.Option(2026, help="Seed of the synthetic world (same seed, same world)."),
    victims: int = typer.Option(4000, help="Size of the hidden population of victims."),
) -> None:
    """Build a demo database from a synthetic world with a known truth, and summarise it."""
    from uncounted.demo import build_demo
    from uncounted.simulate import WorldConfig

    config = WorldConfig(seed=seed, n_victims=victims)
    with progress_bar(transient=False) as bar:
        task = bar.add_task("Simulating the world", total=None)

        def advance(table: str, rows: int) -> None:
            bar.update(task, description=f"Storing {table}", total=None, advance=rows)

        result = build_demo(get_settings(), config, progress=advance)
        bar.update(task, description="Stored", total=sum(result.rows.values()))
        bar.update(task, completed=sum(result.rows.values()))
    table = Table(title=f"Demo world (seed {seed}) in {result.path}")
    table.add_column("what")
    table.add_column("count", justify="right")
    truth = result.world.truth
    table.add_row("victims in the hidden population (truth)", f"{truth.population:,}")
    seen = len(set().union(*truth.victim_ids_by_list.values()))
    table.add_row("victims on at least one agency list", f"{seen:,}")
    for code, members in truth.victim_ids_by_list.items():
        table.add_row(f"  on list {code}", f"{len(members):,}")
    for name in ("cases", "justice_events", "referrals", "assessments"):
        table.add_row(name.replace("_", " "), f"{result.rows.get(name, 0):,}")
    table.add_row(
        "agencies' raw records (`uncounted link run --demo` links them)",
        f"{result.record_truth.height:,}",
    )
    for label, value in result.headlines.items():
        table.add_row(label, str(value))
    console.print(table)
    names = ", ".join(user for user, _role, _agency in result.users)
    console.print(
        f"Demo users ({names}) share the local-demo-only password [bold]{result.password}[/]; "
        "open the demo in the browser with `uncounted serve --demo`."
    )


def _engine(database_url: str | None) -> Engine:
    from uncounted.store.crypto import keyring_from_settings
    from uncounted.store.db import engine_from_settings, make_engine

    settings = get_settings()
    if database_url:
        return make_engine(database_url, keyring_from_settings(settings))
    return engine_from_settings(settings)


def backup(
    out: Annotated[Path, typer.Argument(help="The backup file to write.")],
    database_url: Annotated[str | None, typer.Option(help=DATABASE_HELP)] = None,
    pg_bin: Annotated[Path | None, typer.Option(help="Folder of pg_dump (PostgreSQL).")] = None,
) -> None:
    """Back up the whole store (records, users, audit trail) to one file; not the data key."""
    from uncounted.store.backup import backup_database

    engine = _engine(database_url)
    try:
        done = backup_database(engine, out, actor="cli:backup", pg_bin=pg_bin)
    finally:
        engine.dispose()
    rows = sum(done.manifest.rows.values())
    keys = ", ".join(done.manifest.key_ids) or "none"
    console.print(
        f"Backed up {rows:,} rows of {len(done.manifest.rows)} tables to {done.path} "
        f"(manifest {done.manifest_path.name}). Names are encrypted with key {keys}: keep that "
        "key safe, apart from the backup; the backup cannot be read without it."
    )


def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file written by `uncounted backup`.")],
    replace: Annotated[
        bool, typer.Option(help="Overwrite a store that already holds records.")
    ] = False,
    database_url: Annotated[str | None, typer.Option(help=DATABASE_HELP)] = None,
    pg_bin: Annotated[Path | None, typer.Option(help="Folder of pg_restore (PostgreSQL).")] = None,
) -> None:
    """Restore a backup into the store, whole or not at all (stop `uncounted serve` first)."""
    from uncounted.store.backup import restore_database
    from uncounted.store.crypto import keyring_from_settings

    engine = _engine(database_url)
    keyring = keyring_from_settings(get_settings())
    try:
        done = restore_database(
            engine, backup_file, keyring, replace=replace, actor="cli:restore", pg_bin=pg_bin
        )
    finally:
        engine.dispose()
    console.print(
        f"Restored {sum(done.rows.values()):,} rows of {len(done.rows)} tables "
        f"(schema revision {done.revision}); every table matches the backup's manifest."
    )
    if done.reindexed is not None:
        console.print(
            f"The backup's person search index was made with another index key: re-indexed "
            f"{done.reindexed:,} people under the configured one."
        )


def register(app: typer.Typer) -> None:
    """Add the store commands to the CLI."""
    app.command("init")(init)
    app.command("demo")(demo)
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("reindex")(reindex)
