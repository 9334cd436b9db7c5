"""The prevalence section of the evidence report: multiple systems estimates, by stratum.

The lists are the agencies' lists of known victims (``list_memberships``, one row per person
and list, people already linked across lists). For each stratum — all people, each year of
recording, each sex — the capture histories are built with
:meth:`~uncounted.prevalence.CaptureHistories.from_records` and the population estimated
with :class:`~uncounted.prevalence.StepwiseEstimator` (SparseMSE's stepwise log-linear model,
meant for sparse lists). On all people the same histories are also fitted with the other
estimators — including Rcapture's heterogeneity models (Mth Darroch with AIC-chosen pairs, the
panel's recommendation, and Chao's lower bound) — each with what it assumes, to show how much
the answer depends on the method; the heterogeneity diagnostics are listed below them.
Caveats the estimators raise (sparse cells, convergence) are shown beside their estimate; a
stratum that cannot be estimated says why instead of showing a number.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from uncounted.errors import InvalidInput, UncountedError, UncountedWarning
from uncounted.justice.measures import Window
from uncounted.linkage import LinkedEstimate
from uncounted.prevalence import CaptureHistories, PopulationEstimator, StepwiseEstimator
from uncounted.prevalence.diagnostics import check_heterogeneity
from uncounted.prevalence.registry import get_spec
from uncounted.report.charts import Interval, interval_chart

#: Columns of the estimate tables.
COLUMNS: dict[str, pl.DataType] = {
    "stratum": pl.String(),
    "method": pl.String(),
    "lists": pl.Int64(),
    "observed": pl.Int64(),
    "estimate": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "ci_method": pl.String(),
    "model": pl.String(),
    "note": pl.String(),
}


@dataclass(frozen=True)
class PrevalenceSection:
    """Estimates per stratum, the comparison of methods, and the linkage note."""

    strata: pl.DataFrame
    methods: pl.DataFrame
    lists: tuple[str, ...]
    linkage_note: str
    charts: dict[str, str]
    sensitivity: pl.DataFrame | None = None
    heterogeneity: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "strata": self.strata.to_dicts(),
            "methods": self.methods.to_dicts(),
            "heterogeneity_warnings": list(self.heterogeneity),
            "lists": list(self.lists),
            "linkage_note": self.linkage_note,
            "linkage_sensitivity": None
            if self.sensitivity is None
            else self.sensitivity.to_dicts(),
        }

    def overall(self) -> dict[str, Any] | None:
        """The primary estimate over all people, if it could be made."""
        hit = self.strata.filter(pl.col("stratum") == "all")
        return hit.row(0, named=True) if hit.height else None


def caveats(caught: list[warnings.WarningMessage]) -> str | None:
    """The statistical caveats among ``caught`` (our own warning categories), joined; numerical
    noise from other libraries is left out of the report."""
    ours = [str(w.message) for w in caught if issubclass(w.category, UncountedWarning)]
    return "; ".join(dict.fromkeys(ours)) or None


def memberships_for(
    tables: dict[str, pl.DataFrame], period: str | None, jurisdiction: str | None
) -> pl.DataFrame:
    """Memberships with ``list`` (agency code), ``year`` and ``sex``, filtered.

    ``period`` keeps memberships recorded in the period; ``jurisdiction`` keeps the lists of
    agencies based in that country (``agencies.country``).
    """
    members = tables.get("list_memberships")
    if members is None or members.is_empty():
        return pl.DataFrame(schema={"person_id": pl.Int64, "list": pl.String})
    agencies = tables.get("agencies")
    if "list" not in members.columns:
        if agencies is None:
            raise InvalidInput(
                "list_memberships has no 'list' column: pass the agencies table too "
                "(or build the frames with uncounted.report.report_tables)."
            )
        members = members.join(
            agencies.select(pl.col("id").alias("agency_id"), pl.col("code").alias("list")),
            on="agency_id",
            how="left",
        )
    if "sex" not in members.columns and "persons" in tables:
        members = members.join(
            tables["persons"].select(pl.col("id").alias("person_id"), "sex"),
            on="person_id",
            how="left",
        )
    if "recorded_on" in members.columns:
        members = members.filter(Window.parse(period).contains("recorded_on"))
        members = members.with_columns(
            pl.col("recorded_on").dt.year().cast(pl.String).alias("year")
        )
    elif "period" in members.columns:
        members = members.with_columns(pl.col("period").str.slice(0, 4).alias("year"))
    if jurisdiction is not None:
        if agencies is None or "country" not in agencies.columns:
            raise InvalidInput("Filtering lists by jurisdiction needs the agencies table.")
        local = agencies.filter(pl.col("country") == jurisdiction)["code"]
        members = members.filter(pl.col("list").is_in(local.implode()))
    return members


def _fit(
    stratum: str, estimator: PopulationEstimator, histories: CaptureHistories, label: str
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(stratum=stratum, method=label, lists=histories.n_lists)
    row["observed"] = histories.n_observed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator.fit(histories)
        except UncountedError as exc:
            row["note"] = f"not estimable: {exc}"
            return row
    low, high = estimator.ci_
    assumes = f"Assumes: {estimator.assumptions['summary']}"
    note = caveats(caught)
    row.update(
        estimate=float(estimator.population_),
        ci_low=float(low),
        ci_high=float(high),
        ci_method=estimator.ci_method_,
        model=estimator.summary["model"][0],
        note=f"{assumes} {note}" if note else assumes,
    )
    return row


def _histories(members: pl.DataFrame, name: str) -> CaptureHistories | str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return CaptureHistories.from_records(members, "person_id", "list", source=name)
    except UncountedError as exc:
        return f"not estimable: {exc}"


def _strata(members: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    out = [("all", members)]
    for column, prefix in (("year", "year "), ("sex", "")):
        if column in members.columns and members[column].drop_nulls().n_unique() > 1:
            for (value,), part in sorted(members.group_by(column), key=lambda kv: str(kv[0][0])):
                if value is not None:
                    out.append((f"{prefix}{value}", part))
    return out


#: The comparison of methods on all people: (label, registered method, settings). A method
#: that takes fewer lists than there are (Chapman) is fitted on the largest lists.
COMPARISON: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("stepwise (SparseMSE), Wald", "stepwise", {}),
    (
        "Mth Darroch + AIC pairs (recommended)",
        "heterogeneity",
        {"heterogeneity": "darroch", "criterion": "aic"},
    ),
    ("Mth Chao (lower bound)", "heterogeneity", {"heterogeneity": "chao"}),
    ("log-linear, BIC-selected", "loglinear", {"criterion": "bic"}),
    ("log-linear, AIC-selected", "loglinear", {"criterion": "aic"}),
    ("log-linear, independence", "loglinear", {}),
    ("Chapman", "chapman", {}),
)

#: Added to :data:`COMPARISON` with ``lcmcr`` (slow: a sampler).
LCMCR: tuple[str, str, dict[str, Any]] = ("latent class (LCMCR)", "lcmcr", {"random_state": 1})


def compared_methods(lcmcr: bool = False) -> list[str]:
    """The registered methods the report fits, in order, each once (for the appendix)."""
    chosen = [*COMPARISON, LCMCR] if lcmcr else list(COMPARISON)
    return list(dict.fromkeys(method for _label, method, _settings in chosen))


def _comparison(
    histories: CaptureHistories, lcmcr: bool
) -> list[tuple[str, PopulationEstimator, CaptureHistories]]:
    sizes = histories.list_sizes
    chosen: list[tuple[str, PopulationEstimator, CaptureHistories]] = []
    for label, method, settings in [*COMPARISON, LCMCR] if lcmcr else COMPARISON:
        spec = get_spec(method)
        most = spec.n_lists[1]
        h, text = histories, label
        if most is not None and histories.n_lists >= most:  # e.g. Chapman: the largest two
            largest = sorted(sizes, key=lambda k: (-sizes[k], k))[:most]
            h, text = histories.subset(largest), f"{label} ({', '.join(largest)})"
        chosen.append((text, spec.cls(**settings), h))
    return chosen


NOT_LINKED = (
    "The lists were taken as already linked: each person has one identifier across lists, "
    "so the sensitivity of the estimates to the linkage threshold is not shown (link the "
    "agencies' records with `uncounted report --link` to add it)."
)


def _sensitivity(linkage: LinkedEstimate) -> pl.DataFrame:
    """The linkage's sensitivity table with the chosen threshold marked."""
    table = linkage.sensitivity
    if "note" not in table.columns:
        table = table.with_columns(pl.lit(None, pl.String).alias("note"))
    return (
        table.select(
            pl.col("threshold").cast(pl.Float64),
            pl.col("individuals").cast(pl.Int64),
            pl.col("estimate").cast(pl.Float64),
            pl.col("ci_low").cast(pl.Float64),
            pl.col("ci_high").cast(pl.Float64),
            pl.col("note").cast(pl.String).replace("", None),
        )
        .with_columns((pl.col("threshold") == linkage.threshold).alias("chosen"))
        .sort("threshold")
    )


def prevalence_section(
    members: pl.DataFrame,
    *,
    lcmcr: bool = False,
    linkage: LinkedEstimate | None = None,
    progress: Callable[[str], None] | None = None,
) -> PrevalenceSection:
    """Estimates per stratum (stepwise) and across methods (all people) from memberships.

    With ``linkage`` (records linked by :mod:`uncounted.linkage`, re-clustered at several
    match thresholds) its sensitivity table is shown as a table and a chart; without it the
    report says the lists were taken as already linked.
    """
    sensitivity = None if linkage is None else _sensitivity(linkage)
    note = (
        NOT_LINKED
        if linkage is None
        else f"The agencies' {linkage.records:,} records were linked by probabilistic record "
        f"linkage into {linkage.individuals:,} individuals at match probability "
        f"{linkage.threshold:g}. The table below shows how the number of individuals and the "
        "estimate move with the match threshold: a missed link splits one person in two "
        "(raising the estimate), a false link merges two (lowering it)."
    )
    rows: list[dict[str, Any]] = []
    compare: list[dict[str, Any]] = []
    heterogeneity: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    if members.is_empty():
        row = dict.fromkeys(COLUMNS)
        row.update(
            stratum="all",
            note="not estimable: no agency list records anyone for this period and "
            "jurisdiction (the lists are those of agencies based in the jurisdiction).",
        )
        rows.append(row)
    for name, part in _strata(members) if members.height else []:
        histories = _histories(part, f"lists, {name}")
        if isinstance(histories, str):
            row = dict.fromkeys(COLUMNS)
            row.update(stratum=name, method="stepwise (SparseMSE), Wald", note=histories)
            rows.append(row)
            continue
        if progress is not None:
            progress(f"prevalence: {name}")
        rows.append(_fit(name, StepwiseEstimator(), histories, "stepwise (SparseMSE), Wald"))
        if name == "all":
            lists = histories.lists
            for label, estimator, h in _comparison(histories, lcmcr):
                compare.append(_fit(name, estimator, h, label))
            heterogeneity = tuple(check_heterogeneity(histories, emit=False).messages)
    strata = pl.DataFrame(rows, schema=COLUMNS, orient="row")
    methods = pl.DataFrame(compare, schema=COLUMNS, orient="row")
    charts = {
        "strata": interval_chart(
            "Estimated number of victims, by stratum (stepwise log-linear)",
            [
                Interval(str(r["stratum"]), r["estimate"], r["ci_low"], r["ci_high"], r["observed"])
                for r in strata.iter_rows(named=True)
            ],
            marker_label="people on at least one list",
            value_label="estimate",
        ),
        "methods": interval_chart(
            "The same lists, different methods (all people)",
            [
                Interval(str(r["method"]), r["estimate"], r["ci_low"], r["ci_high"], r["observed"])
                for r in methods.iter_rows(named=True)
            ],
            marker_label="people on at least one list",
            value_label="estimate",
        ),
    }
    if sensitivity is not None:
        charts["sensitivity"] = interval_chart(
            "Estimate by linkage match threshold",
            [
                Interval(
                    f"threshold {r['threshold']:g}" + (" (chosen)" if r["chosen"] else ""),
                    r["estimate"],
                    r["ci_low"],
                    r["ci_high"],
                    r["individuals"],
                )
                for r in sensitivity.iter_rows(named=True)
            ],
            marker_label="individuals after linkage",
            value_label="estimate",
        )
    return PrevalenceSection(strata, methods, lists, note, charts, sensitivity, heterogeneity)


__all__ = [
    "COLUMNS",
    "COMPARISON",
    "NOT_LINKED",
    "PrevalenceSection",
    "caveats",
    "compared_methods",
    "memberships_for",
    "prevalence_section",
]
