"""``uncounted init`` and ``uncounted demo``: set up the case database, build the demo."""

from __future__ import annotations

import typer
from rich.table import Table

from uncounted.cli._common import console, progress_bar
from uncounted.settings import get_settings


def init() -> None:
    """Create the case database, or upgrade it to this version's schema (safe to repeat)."""
    from uncounted.store.db import current_revision, init_database

    settings = get_settings()
    engine = init_database(settings)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    url = engine.url.render_as_string(hide_password=True)
    console.print(f"Database ready at {url} (schema revision {revision}).")


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
    for label, value in result.headlines.items():
        table.add_row(label, str(value))
    console.print(table)
    names = ", ".join(user for user, _role, _agency in result.users)
    console.print(
        f"Demo users ({names}) share the local-demo-only password [bold]{result.password}[/]; "
        "open the demo in the browser with `uncounted serve --demo`."
    )


def register(app: typer.Typer) -> None:
    """Add the store commands to the CLI."""
    app.command("init")(init)
    app.command("demo")(demo)
