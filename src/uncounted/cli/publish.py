"""``uncounted publish``: a de-identified open-data bundle, verified before it is declared done."""

from __future__ import annotations

from pathlib import Path

import typer

from uncounted.cli._common import (
    DATABASE_HELP,
    DEMO_HELP,
    FormatOption,
    Output,
    OutputOption,
    console,
    open_engine,
    progress_bar,
)


def publish(
    out: Path = typer.Option(..., "--out", help="New directory to write the bundle into."),
    k: int = typer.Option(11, "--k", help="k of k-anonymity (CTDC uses 11)."),
    max_suppression: float = typer.Option(
        0.05, help="Largest share of victim rows that may be withheld to reach k."
    ),
    database_url: str | None = typer.Option(None, help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
    json_out: bool = typer.Option(False, "--json", help="Same as --format json."),
    fmt: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Write k-anonymous victim rows (CTDC layout) and suppressed tables; refuse if k fails."""
    import polars as pl

    from uncounted.publish import bundle_tables, write_bundle
    from uncounted.settings import get_settings

    result = Output("json" if json_out else fmt, output)
    with (
        progress_bar(total=False) as bar,
        open_engine(database_url, demo) as engine,
    ):
        task = bar.add_task("Reading the case tables", total=None)
        tables = bundle_tables(engine)
        bundle = write_bundle(
            tables,
            out,
            k=k,
            max_suppression=max_suppression,
            min_k=get_settings().open_data_min_k,
            source="the demo database" if demo else "the Uncounted case database",
            progress=lambda step: bar.update(task, description=step),
        )
    summary = bundle.to_dict()
    cells = sum(
        t["primary_suppressed"] + t["secondary_suppressed"] for t in summary["tables"].values()
    )
    if not result.wants_table:
        per_table = pl.DataFrame(
            [{"table": name, **counts} for name, counts in summary["tables"].items()]
        )
        result.emit(per_table, summary)
        return
    console.print(
        f"Published {summary['victims_published']:,} of {summary['victims_in']:,} victims "
        f"({summary['victims_withheld']:,} withheld) as a {k}-anonymous bundle in {out}; "
        f"{cells} table cells withheld. Verified."
    )


def register(app: typer.Typer) -> None:
    """Add ``publish`` to the CLI."""
    app.command("publish")(publish)
