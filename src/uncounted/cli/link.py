"""``uncounted link run|review|encode``: find the same victim on several agencies' lists.

``run`` links the agency records stored in the database (reading their identities is
audited), applies stored review decisions, saves the run (Splink model JSON, pairs, clusters,
summary) under ``<data dir>/linkage/<time>/`` and prints a summary; with ``--encoded FILE``
it links agencies' encoded files instead. ``review`` lists the pairs of the latest run
between the two thresholds, those whose decision moves the estimate most first
(:mod:`uncounted.linkage.review`), with both records side by side and each field's agreement
(names masked for a ``--user`` whose role may not see identities; a ``--user`` whose role may
not review linkage, such as a caseworker, is refused), or stores a decision with
``--pair A B --decision match|non-match``. The queue is built by
:mod:`uncounted.linkage.queue`, as for the web app's review page. ``encode`` turns an
agency's own file into keyed encodings to share instead of names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from uncounted.cli._common import (
    DATABASE_HELP,
    DEMO_HELP,
    BomOption,
    FormatOption,
    Output,
    OutputOption,
    console,
    err_console,
    open_engine,
    progress_bar,
    read_input_table,
    render_frame,
    render_json,
)
from uncounted.errors import InvalidInput, NotFound
from uncounted.settings import get_settings

# The linkage library, Polars and the store are imported inside the commands: ``uncounted link
# --help`` must not pay for Splink, DuckDB, SQLAlchemy and the estimators (2 CPU-s, 280 MB).
if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Engine

    from uncounted.linkage import LinkageSettings, LinkedEstimate
    from uncounted.linkage.pipeline import LinkageRun
    from uncounted.prevalence import PopulationEstimator
    from uncounted.store.access import Principal

link_app = typer.Typer(help="Link agencies' records of the same person.", no_args_is_help=True)
BACKEND_HELP = "duckdb (default) or spark (needs the spark extra)."


@contextmanager
def _steps() -> Iterator[Callable[[str], None]]:
    with progress_bar(total=False) as bar:
        task = bar.add_task("Starting", total=None)
        yield lambda message: bar.update(task, description=message.capitalize())


def _runs_dir() -> Path:
    return get_settings().data_dir / "linkage"


def _read_secret(path: Path) -> bytes:
    if not path.is_file():
        raise NotFound(f"No secret file {path}; create one with 32 random bytes.")
    return path.read_bytes().strip()


def estimate_linked_from_db(
    engine: Engine,
    make: Callable[[], PopulationEstimator],
    by: Sequence[str],
    settings: LinkageSettings | None = None,
    actor: str = "cli:estimate",
) -> tuple[LinkageRun, LinkedEstimate]:
    """Read agency records (audited) and decisions, then link and estimate (library chain)."""
    from uncounted.linkage import estimate_from_records
    from uncounted.store.db import session_scope
    from uncounted.store.linkage_records import decisions_frame, linkage_records

    with session_scope(engine) as session:
        records = linkage_records(session, actor)
    if records.is_empty():
        raise NotFound("No agency records to link (persons with a source agency).")
    with _steps() as step:
        return estimate_from_records(
            records,
            make,
            by=by,
            settings=settings,
            decisions=decisions_frame(engine),
            progress=step,
        )


def render_linked(linked: LinkedEstimate, fmt: str = "table") -> None:
    """Print a linked estimate and its sensitivity to the match threshold."""
    import polars as pl

    if fmt == "json":
        render_json(linked.to_dict())
        return
    est, low, high = linked.total
    console.print(
        f"{linked.records:,} records linked into {linked.individuals:,} individuals at match "
        f"probability {linked.threshold}: estimate {est:,.0f} (95 % {low:,.0f}–{high:,.0f})."
    )
    detail = linked.estimate
    strata = getattr(detail, "strata", None)
    render_frame(
        strata if isinstance(strata, pl.DataFrame) else detail.summary,
        "table",
        "Estimate from linked records",
    )
    for warning in getattr(detail, "warnings_", []):
        console.print(f"[yellow]Caveat:[/] {warning}")
    render_frame(linked.sensitivity, "table", "How the estimate moves with the match threshold")
    u = linked.uncertainty
    if u is not None:
        render_frame(
            u.to_frame(), "table", f"Including linkage error ({u.n_draws} plausible linkages)"
        )
        upper = "∞" if u.total_high == float("inf") else f"{u.total_high:,.0f}"
        console.print(
            f"With linkage error: estimate {u.estimate:,.0f}, 95 % {u.total_low:,.0f}–{upper} "
            f"(linkage alone {u.linkage_low:,.0f}–{u.linkage_high:,.0f})"
            + ("" if u.calibration is None else "; probabilities recalibrated on decisions")
            + (f"; {u.failed} draws could not be estimated." if u.failed else ".")
        )
        if u.blocking_recall is not None and u.never_compared_drawn:
            console.print(
                f"Blocking compared an estimated {u.blocking_recall:.0%} of the true pairs; "
                "the plausible linkages also link pairs no rule compared."
            )
        if u.caveat:
            console.print(f"[yellow]Caveat:[/] {u.caveat}")


def _summary(run: LinkageRun, where: Path, out: Output) -> None:
    import polars as pl

    info = run.summary()
    seconds = info.pop("seconds")
    rows = [*info.items(), *((f"seconds: {k}", v) for k, v in seconds.items())]
    out.emit(
        pl.DataFrame({"": [str(k) for k, _ in rows], "value": [str(v) for _, v in rows]}),
        {**run.summary(), "saved_in": str(where)},
        titles={"result": "Linkage run"},
    )
    err_console.print(f"Saved the model and results in {where}", highlight=False)


@link_app.command("run")
def run_cmd(
    backend: str = typer.Option("duckdb", envvar="UNCOUNTED_LINKAGE_BACKEND", help=BACKEND_HELP),
    threshold: float = typer.Option(0.9, help="Match probability that links two records."),
    review_threshold: float = typer.Option(0.5, help="Lower end of the review band."),
    encoded: list[Path] | None = typer.Option(None, help="Link these encoded files instead."),
    spark_master: str | None = typer.Option(
        None,
        envvar="UNCOUNTED_SPARK_MASTER",
        help="With --backend spark: the cluster (spark://host:7077, yarn, k8s://…); "
        "default local[*].",
    ),
    database_url: str | None = typer.Option(None, help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """Link the stored agency records (or encoded files) and save the run."""
    from uncounted.linkage import LinkageSettings, link_records, save_run
    from uncounted.linkage.pipeline import link_encoded
    from uncounted.linkage.privacy import combine_encoded
    from uncounted.store.db import session_scope
    from uncounted.store.linkage_records import decisions_frame, linkage_records

    out = Output(fmt, output, bom)
    cfg = LinkageSettings(
        backend=backend,  # type: ignore[arg-type]  # validated by LinkageSettings.validate
        match_threshold=threshold,
        review_threshold=review_threshold,
        extra={"master": spark_master} if spark_master else {},
    )
    cfg.validate()
    if encoded:
        frame = combine_encoded([(p.name, _read_encoded(p)) for p in encoded])
        with _steps() as step:
            run = link_encoded(frame, cfg, progress=step)
    else:
        with open_engine(database_url, demo) as engine:
            with session_scope(engine) as session:
                records = linkage_records(session, "cli:link run")
            if records.is_empty():
                raise NotFound("No agency records to link (persons with a source agency).")
            with _steps() as step:
                run = link_records(records, cfg, decisions=decisions_frame(engine), progress=step)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    _summary(run, save_run(run, _runs_dir() / stamp), out)


def _queued(engine: Any, pair: tuple[int, int]) -> float | None:
    """The pair's match probability in the latest saved run's review queue, or ``None`` (not
    in it, or no run)."""
    from uncounted.linkage.queue import latest_saved_review
    from uncounted.store.linkage_records import decisions_frame, record_lists

    try:
        review = latest_saved_review(
            _runs_dir(), lambda: record_lists(engine), lambda: decisions_frame(engine)
        )
    except NotFound:
        return None
    return review.probability(*pair)


@link_app.command("review")
def review_cmd(
    limit: int = typer.Option(10, help="Pairs to show."),
    pair: tuple[int, int] | None = typer.Option(None, help="Two record ids to decide on."),
    decision: str | None = typer.Option(None, help="match or non-match (with --pair)."),
    note: str | None = typer.Option(None, help="Why (with --decision)."),
    user: str | None = typer.Option(
        None, "--user", help="Review as this user: names are shown only to roles that may see them."
    ),
    database_url: str | None = typer.Option(None, help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
    fmt: FormatOption = "table",
    output: OutputOption = None,
    bom: BomOption = False,
) -> None:
    """List the pairs awaiting review, those whose decision moves the estimate most first, with
    both records side by side; or record a decision on one pair."""
    import polars as pl

    from uncounted.linkage.queue import latest_saved_review, review_page
    from uncounted.store.access import sees_identities
    from uncounted.store.db import session_scope
    from uncounted.store.linkage_records import (
        decisions_frame,
        record_lists,
        review_decision,
        review_details,
    )

    out = Output(fmt, output, bom)
    with open_engine(database_url, demo) as engine:
        who = _reviewer(engine, user)
        if pair is not None or decision is not None:
            if pair is None or decision is None:
                raise InvalidInput("Give both --pair A B and --decision match|non-match.")
            probability = None
            if not isinstance(who, str):  # a reviewer decides on the pairs of the queue
                probability = _queued(engine, pair)
            with session_scope(engine) as session:
                review_decision(
                    session, who, pair[0], pair[1], decision, note=note,
                    match_probability=probability, queued=probability is not None,
                )  # fmt: skip
            console.print(
                f"Recorded {decision} for {pair[0]} and {pair[1]}; "
                "it applies from the next `uncounted link run`."
            )
            return
        review = latest_saved_review(
            _runs_dir(), lambda: record_lists(engine), lambda: decisions_frame(engine)
        )
        may_see = isinstance(who, str) or sees_identities(who)
        with session_scope(engine) as session:
            page = review_page(
                review, lambda ids: review_details(session, who, ids), may_see, per_page=limit
            )
    if not page.pairs:
        err_console.print("Nothing to review between the thresholds.")
        out.emit(pl.DataFrame({"record_l": [], "record_r": [], "match_probability": []}))
        return
    table = page.table()
    if not out.wants_table:
        out.emit(table)
        return
    for row in table.iter_rows(named=True):
        _render_pair(row)


def _read_encoded(path: Path) -> pl.DataFrame:
    import polars as pl

    try:
        return pl.read_parquet(path)
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file.") from None
    except (OSError, pl.exceptions.ComputeError) as exc:
        raise InvalidInput(
            f"{path} cannot be read as an encoded file (Parquet): {str(exc).splitlines()[0]}"
        ) from None


def _reviewer(engine: Engine, user: str | None) -> Principal | str:
    """The user the review runs as (``None``: the operator on the server, who sees all)."""
    from uncounted.store.db import session_scope
    from uncounted.store.users import principal_named

    if user is None:
        return "cli:link review"
    with session_scope(engine) as session:
        return principal_named(session, user)


def _render_pair(row: dict[str, Any]) -> None:
    """One pair: both records field by field with the agreement, then what a link changes."""
    import polars as pl

    fields = [k[: -len("_agreement")] for k in row if k.endswith("_agreement")]
    side = pl.DataFrame(
        {
            "field": fields,
            str(row["record_l"]): [row[f"{f}_l"] for f in fields],
            str(row["record_r"]): [row[f"{f}_r"] for f in fields],
            "agreement": [row[f"{f}_agreement"] for f in fields],
        }
    )
    delta = row["delta_estimate"]
    moves = "cannot be refitted" if delta is None else f"{delta:+,.1f}"
    render_frame(
        side,
        "table",
        f"Match probability {row['match_probability']:.3f} (weight "
        f"{row['match_weight']:+.2f}); {row['history_l']} + {row['history_r']}: linking moves "
        f"the estimate {moves}",
    )


@link_app.command("encode")
def encode_cmd(
    file: Path = typer.Argument(..., help="The agency's records (CSV/Parquet/JSONL)."),
    secret_file: Path = typer.Option(..., help="File holding the shared secret (>= 16 bytes)."),
    out: Path = typer.Option(..., help="Encoded Parquet file to write and share."),
    project: str = typer.Option(
        "",
        help="Name of the linkage project (every agency uses the same): keys differ per project.",
    ),
    hardening: str = typer.Option(
        "balanced", help="Name filter hardening: balanced, xor or none (same for every agency)."
    ),
) -> None:
    """Encode an agency's own records with the shared secret; share only the output."""
    from uncounted.linkage import prepare_records
    from uncounted.linkage.privacy import HARDENINGS, Hardening, encode_records

    secret = _read_secret(secret_file)
    with _steps() as step:
        step("normalising")
        prepared = prepare_records(read_input_table(file))
        step("encoding")
        if hardening not in HARDENINGS:
            raise InvalidInput(f"Unknown hardening {hardening!r}; use {', '.join(HARDENINGS)}.")
        scheme: Hardening = hardening  # type: ignore[assignment]
        encoded = encode_records(prepared, secret, project=project, hardening=scheme)
    out.parent.mkdir(parents=True, exist_ok=True)
    encoded.write_parquet(out)
    console.print(f"Wrote {encoded.height:,} encoded records to {out}")


def register(app: typer.Typer) -> None:
    """Add ``link run|review|encode`` to the CLI."""
    app.add_typer(link_app, name="link")
