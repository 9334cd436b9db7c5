"""``uncounted estimate``: how many victims, including those no agency has seen.

Without ``--method`` (and without ``--criterion``/``--interactions``) it shows the panel: the
number observed, Chao's lower bound, several methods side by side with what each assumes, the
spread across them and the heterogeneity diagnostics. ``--method`` gives one method, as before.

FILE is an aggregated capture-history table (one 0/1 column per list and a ``count`` column,
the layout of the reference datasets), or, with ``--records``, one row per person and list.
``--from-db`` estimates from the list memberships stored in the case database (or the demo
database with ``--demo``), optionally ``--strata sex,minor,citizenship,year``.
``--from-db --link`` first links the agencies' own records of each person (``uncounted link``)
and reports how the estimate moves with the match threshold (strata: sex, minor, citizenship,
region, year) and, over ``--link-draws`` plausible linkages, an interval that includes linkage
error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import typer

from uncounted.cli._common import (
    DATABASE_HELP,
    DEMO_HELP,
    check_format,
    console,
    open_engine,
    progress_bar,
    read_input_table,
    render_frame,
    render_json,
)
from uncounted.errors import InvalidInput
from uncounted.prevalence import CaptureHistories
from uncounted.prevalence.methods import estimate_json, make_estimator, methods

if TYPE_CHECKING:
    from uncounted.prevalence.panel import PanelResult


def _settings(pairs: list[str] | None) -> dict[str, Any]:
    """``--set NAME=VALUE`` pairs as settings (VALUE read as JSON when it parses: 3, 0.5,
    true, null, ["A:B"]; else as text)."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--set takes NAME=VALUE, e.g. --set burnin=2000; got {pair!r}.")
        try:
            out[name.strip()] = json.loads(text)
        except ValueError:
            out[name.strip()] = text
    return out


def estimate(
    file: Path | None = typer.Argument(None, help="Capture histories (CSV/Parquet/JSONL)."),
    method: str | None = typer.Option(
        None,
        help=f"One of {', '.join(methods())}, or panel (the default: several side by side). "
        "loglinear is the independence model; add --criterion aic to search.",
    ),
    heterogeneity: str | None = typer.Option(
        None, help="chao, poisson, darroch, gamma or normal (--method heterogeneity)."
    ),
    criterion: str | None = typer.Option(None, help="aic or bic: search the log-linear models."),
    interactions: str | None = typer.Option(None, help="A fixed model, e.g. A:B,B:C."),
    ci: str | None = typer.Option(None, help="profile, wald, bootstrap (stepwise), lognormal."),
    seed: int | None = typer.Option(None, help="Seed for bootstrap and sampler."),
    settings: list[str] | None = typer.Option(
        None, "--set", help="Another setting of the method, NAME=VALUE (repeatable)."
    ),
    n_boot: int = typer.Option(1000, help="Bootstrap replicates (stepwise, --ci bootstrap)."),
    records: bool = typer.Option(False, "--records", help="FILE has one row per person+list."),
    person_column: str = typer.Option("person_id", help="Person column of --records."),
    list_column: str = typer.Option("list", help="List column of --records."),
    from_db: bool = typer.Option(False, "--from-db", help="Use the stored list memberships."),
    link: bool = typer.Option(
        False, "--link", help="With --from-db: link agencies' records first (uncounted link)."
    ),
    link_draws: int = typer.Option(
        50,
        help="With --link: plausible linkages drawn to carry linkage error into the interval "
        "(0: none).",
    ),
    strata: str | None = typer.Option(None, help="Stratify, e.g. sex,year (records/--from-db)."),
    database_url: str | None = typer.Option(None, help=DATABASE_HELP),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Estimate the population (observed + unseen) with an interval and the model used."""
    check_format(fmt)
    terms = [t.strip() for t in interactions.split(",") if t.strip()] if interactions else None
    by = [s.strip() for s in strata.split(",") if s.strip()] if strata else []
    extra = _settings(settings)
    single = criterion or terms or heterogeneity or by or link or extra
    if method is None:
        method = ("heterogeneity" if heterogeneity else "loglinear") if single else "panel"
    panel = method == "panel"

    def make() -> Any:
        return make_estimator(
            "loglinear" if panel else method,
            criterion=criterion,
            interactions=terms,
            ci=ci,
            seed=seed,
            n_boot=n_boot,
            heterogeneity=heterogeneity,
            settings=extra,
        )

    make()  # reject bad settings before reading any data
    if from_db == (file is not None):
        raise InvalidInput("Give either a FILE or --from-db.")
    if from_db and link:
        from uncounted.cli.link import estimate_linked_from_db, render_linked
        from uncounted.linkage import LinkageSettings

        cfg = LinkageSettings(uncertainty_draws=link_draws)
        cfg.validate()
        with open_engine(database_url, demo) as engine:
            render_linked(estimate_linked_from_db(engine, make, by, cfg)[1], fmt)
        return
    if from_db:
        from uncounted.prevalence.stratified import membership_records
        from uncounted.store.frames import list_memberships_frame

        with open_engine(database_url, demo) as engine:
            frame = membership_records(list_memberships_frame(engine), by)
        person_column, list_column = "person_id", "list"
    else:
        assert file is not None
        frame = read_input_table(file)
    if by:
        if not (records or from_db):
            raise InvalidInput("--strata needs individual records (--records or --from-db).")
        from uncounted.prevalence.stratified import estimate_by_strata, strata_unit

        result = estimate_by_strata(
            frame,
            by,
            make,
            person_column=person_column,
            list_column=list_column,
            unit=strata_unit(by) if from_db else "people",
        )
        if fmt == "json":
            render_json({"method": method, **result.to_dict()})
            return
        render_frame(result.strata, "table", f"Estimates by {', '.join(by)}")
        console.print(
            f"Total {result.total:,.0f} {result.unit} (95 % {result.ci_low:,.0f}–"
            f"{result.ci_high:,.0f}); {result.observed:,} observed. {result.unit_note}"
            + (
                ""
                if result.complete
                else f" Too sparse to estimate: {'; '.join(result.sparse_strata)} "
                "(counted as observed: the total is a lower bound for them)."
            )
        )
        return
    if records or from_db:
        histories = CaptureHistories.from_records(frame, person_column, list_column, str(file))
    else:
        histories = CaptureHistories.from_frame(frame, source=str(file))
    if panel:
        from uncounted.prevalence.panel import estimate_panel

        with progress_bar(total=False) as bar:  # on stderr; several fits take a while
            bar.add_task(f"Fitting the panel of methods on {histories.n_lists} lists", total=None)
            panel_result = estimate_panel(histories, seed=seed, emit=False)
        _render_panel(panel_result, fmt)
        return
    est = make()
    with progress_bar(total=False) as bar:  # on stderr; the sampler and bootstrap take a while
        bar.add_task(f"Fitting {method} on {histories.n_lists} lists", total=None)
        payload = estimate_json(est, histories)
    if fmt == "json":
        render_json(payload)
        return
    render_frame(est.summary, "table", f"Population estimate ({method})")
    for warning in [*payload["warnings"], *payload["diagnostics"]["messages"]]:
        console.print(f"[yellow]Caveat:[/] {warning}")
    for key, text in est.assumptions.items():
        if key != "summary":
            console.print(f"Assumes ({key.replace('_', ' ')}): {text}.")
    # Only the log-linear search learns a ranking; other estimators raise NotFitted for it.
    ranking = vars(est).get("ranking_")
    if isinstance(ranking, pl.DataFrame):
        render_frame(ranking.head(5), "table", "Best models of the search")


def _render_panel(result: PanelResult, fmt: str) -> None:
    """Print the panel: the methods' table, then observed, lower bound, spread, caveats."""
    from uncounted.prevalence.panel import round_sig

    if fmt == "json":
        render_json(result.to_dict())
        return
    render_frame(result.summary, "table", "Population estimates by method (* recommended)")
    lb = result.lower_bound
    console.print(f"Observed on at least one list (a hard floor): {result.observed:,}")
    if lb is not None and lb.estimate is not None:
        console.print(f"Chao's lower bound (Mth Chao): {round_sig(lb.estimate):,.0f}")
    console.print(result.spread_sentence())
    console.print(result.to_dict()["caveat"])
    for message in result.diagnostics.get("messages", []):
        console.print(f"[yellow]Heterogeneity:[/] {message}")


def register(app: typer.Typer) -> None:
    """Add ``estimate`` to the CLI."""
    app.command("estimate")(estimate)
