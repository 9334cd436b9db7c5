"""Train a Splink model on prepared records and score candidate pairs.

The backend is Splink's own (``DuckDBAPI`` in process by default, ``SparkAPI`` when
``LinkageSettings.backend == "spark"``); nothing here re-implements or wraps an engine
beyond choosing one. The trained model (Splink's JSON settings with its ``m`` and ``u``
probabilities) is returned with the scored pairs, so each run can save it beside its results
and be re-scored later with exactly the same parameters.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from uncounted.errors import InvalidInput
from uncounted.linkage.blocking import (
    MAX_PAIRS,
    OUTSIDE_CANDIDATES,
    OUTSIDE_FLOOR,
    BlockingRecall,
    estimate_blocking_recall,
    outside_pairs,
    rule_agreements,
)
from uncounted.linkage.model import (
    NO_SHARED_WORD,
    SHARED_WORD,
    LinkageSettings,
    splink_settings,
    training_rules,
)

__all__ = ["ScoredPairs", "condition_on_names", "rules_recall", "score_pairs", "train_model"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ScoredPairs:
    """Candidate pairs with their match probability, and the model that scored them.

    ``pairs`` columns: ``unique_id_l``, ``unique_id_r``, ``match_probability``,
    ``match_weight`` (only pairs at or above ``settings.prediction_floor``).
    ``model`` is Splink's settings dictionary including the trained parameters
    (``json.dumps`` it to save it with the run). ``timings`` are seconds per step.
    ``blocking`` is the estimated share of true pairs the blocking rules compare, and
    ``outside`` the pairs of different lists that no rule compares, scored by the same model
    (``unique_id_l``, ``unique_id_r``, ``match_probability``; at or above
    :data:`~uncounted.linkage.blocking.OUTSIDE_FLOOR`), for files of at most
    ``settings.compare_all_max_records`` records when plausible linkages are drawn (see
    :mod:`uncounted.linkage.blocking`); ``None`` otherwise.
    """

    pairs: pl.DataFrame
    model: dict[str, Any]
    n_records: int
    settings: LinkageSettings
    timings: dict[str, float] = field(default_factory=dict)
    blocking: BlockingRecall | None = None
    outside: pl.DataFrame | None = None


def _db_api(settings: LinkageSettings) -> Any:
    if settings.backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise InvalidInput(
            "The Spark backend needs PySpark: pip install 'uncounted[spark]', or use "
            "backend='duckdb'."
        ) from exc
    from splink import SparkAPI
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(str(settings.extra.get("master") or "local[*]"))
        .appName("uncounted-linkage")
        .config("spark.jars", similarity_jar_location())  # Splink's string-similarity UDFs
        .config("spark.sql.shuffle.partitions", str(settings.spark_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", str(settings.extra.get("driver_memory", "4g")))
        .getOrCreate()
    )
    # a session started before (by other code in this process) keeps its own jars: add
    # Splink's, without which its string similarities are unknown functions
    jar = similarity_jar_location()
    if jar not in spark.sparkContext.getConf().get("spark.jars", ""):
        spark.sql(f"ADD JAR '{jar}'")
    checkpoints = settings.extra.get("checkpoint_dir") or tempfile.mkdtemp(
        prefix="uncounted-spark-"
    )
    spark.sparkContext.setCheckpointDir(str(checkpoints))
    return SparkAPI(
        spark_session=spark, break_lineage_method=settings.extra.get("break_lineage", "parquet")
    )  # type: ignore[no-untyped-call]


def _floor_m(model: dict[str, Any], floor: float) -> dict[str, Any]:
    """Raise trained ``m`` probabilities below ``floor`` to it (renormalised per comparison).

    EM sets ``m = 0`` for a disagreement it never saw among matches (say, citizenship), which
    would make one wrongly recorded field veto a match outright; a floor keeps it a strong
    but finite piece of evidence.
    """
    for comparison in model["comparisons"]:
        # a level EM never saw keeps no m (Splink leaves it out); floor the others
        levels = [
            lv
            for lv in comparison["comparison_levels"]
            if not lv.get("is_null_level") and isinstance(lv.get("m_probability"), (int, float))
        ]
        ms = [lv["m_probability"] for lv in levels]
        if not ms:
            continue
        raised = [max(float(m), floor) for m in ms]
        total = sum(raised)
        for lv, m in zip(levels, raised, strict=True):
            lv["m_probability"] = m / total
    return model


def _register(db_api: Any, prepared: pl.DataFrame, settings: LinkageSettings) -> Any:
    if settings.backend == "spark":
        frame = db_api.spark.createDataFrame(prepared.to_pandas())
        return db_api.register(frame, table_name="records")
    return db_api.register(prepared.to_arrow(), table_name="records")


def _expectation_maximisation(
    linker: Any, rules: dict[str, Any], cfg: LinkageSettings, step: Progress
) -> list[str]:
    """One EM session per rule of ``rules["em"]``; returns the columns whose session failed. A
    rule that blocks no pair (no two records share its column, e.g. no agency recorded phones)
    is passed over: the comparison it leaves out keeps Splink's default ``m``, and the other
    sessions train the rest. When every session fails there is nothing to train on, and
    :class:`InvalidInput` says so."""
    from splink.internals.exceptions import EMTrainingException

    failed: list[str] = []
    for column, rule in rules["em"].items():
        step("expectation maximisation")
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=cfg.em_max_pairs
            )
        except EMTrainingException:
            failed.append(column)
    if len(failed) == len(rules["em"]):
        raise InvalidInput(
            "The records hold too few pairs to train the linkage model (no two records share "
            f"{' or '.join(failed)}); link more records, or records that carry phone numbers "
            "or birth dates."
        )
    return failed


def train_model(
    linker: Any, cfg: LinkageSettings, step: Progress, prepared: pl.DataFrame | None = None
) -> dict[str, Any]:
    """Train ``linker``'s model and return it (Splink's JSON settings, ``m`` floored,
    probabilities rounded): ``u`` by random sampling (``cfg.u_max_pairs``, seeded with
    ``cfg.seed``); a starting prior from the earlier rules at an assumed recall of 0.7; one EM
    session per EM blocking rule (at most ``cfg.em_max_pairs`` pairs each); then the prior
    from the deterministic rules at ``cfg.deterministic_recall``, or, when that is ``None``,
    at the recall :func:`rules_recall` computes from the trained ``m`` and the completeness of
    ``prepared``'s fields (``prepared`` is then needed). When no record holds a phone, the
    phone session cannot train: the birth comparison (trained only there) keeps its starting
    ``m`` and the prior still comes from the rules (the phone rule's share of the recall is
    zero). When another session could not train (phones recorded but none shared, say),
    some ``m`` keep their starting values, and the prior stays where training left it."""
    rules = training_rules()
    step("estimating u by random sampling")
    linker.training.estimate_u_using_random_sampling(max_pairs=cfg.u_max_pairs, seed=cfg.seed)
    step("estimating a starting prior")
    linker.training.estimate_probability_two_random_records_match(
        rules["fallback"] if cfg.deterministic_recall is None else rules["deterministic"],
        recall=cfg.deterministic_recall or 0.7,
    )
    failed = _expectation_maximisation(linker, rules, cfg, step)
    model = _floor_m(linker.misc.save_model_to_json(), cfg.m_floor)
    if failed == ["phone"] and prepared is not None and _blank(prepared, "phone"):
        # no record holds a phone: the phone rule's recall is zero whatever its m, and the
        # birth comparison keeps its starting m (closer to the truth, measured, than EM on
        # pairs blocked on a name: see benchmarks/HISTORY.md)
        failed = []
    if cfg.deterministic_recall is None and not failed:
        if prepared is None:
            raise InvalidInput("train_model needs the prepared records to estimate the prior.")
        step("estimating the prior from deterministic rules")
        linker.training.estimate_probability_two_random_records_match(
            rules["deterministic"], recall=rules_recall(model, prepared)
        )
        model["probability_two_random_records_match"] = linker.misc.save_model_to_json()[
            "probability_two_random_records_match"
        ]
    return _rounded(condition_on_names(model))


def _blank(prepared: pl.DataFrame, column: str) -> bool:
    """Whether no record holds ``column`` (absent, or null in every record)."""
    return column not in prepared.columns or prepared.get_column(column).null_count() == (
        prepared.height
    )


def _first_m(model: dict[str, Any], comparison: str) -> float:
    """``m`` of a comparison's first level after its null level (its strongest agreement)."""
    for c in model["comparisons"]:
        if c["output_column_name"] == comparison:
            for lv in c["comparison_levels"]:
                if not lv.get("is_null_level"):
                    return float(lv.get("m_probability") or 0.0)
    return 0.0


def rules_recall(model: dict[str, Any], prepared: pl.DataFrame) -> float:
    """The share of true pairs the deterministic rules find, from the trained model.

    The prior match probability is Splink's count of pairs the deterministic rules find divided
    by their recall. The rules are precise (same name key and birth date; same phone), so
    their recall is what the trained ``m`` of their levels says, times the chance that both
    records hold the fields: ``r_date = c(name)² m(same name key) · c(birth year)² m(same
    date)`` and ``r_phone = c(phone)² m(same phone)``, with ``c`` the share of records holding
    the field (each ``m`` is Splink's, given that the comparison's null level does not
    apply), and ``recall = 1 − (1 − r_date)(1 − r_phone)`` (the two taken as independent).
    Kept within [0.02, 1]. A fixed guess (0.7 before) over-stated the prior wherever dates
    and phones are often missing: under heavy noise these rules find about 28 % of true
    pairs.
    """
    n = max(prepared.height, 1)

    def held(column: str) -> float:
        if column not in prepared.columns:
            return 0.0
        return float(prepared.get_column(column).is_not_null().sum()) / n

    r_date = (
        held("name_key") ** 2
        * _first_m(model, "name")
        * held("birth_year") ** 2
        * _first_m(model, "birth")
    )
    r_phone = held("phone") ** 2 * _first_m(model, "phone")
    return min(1.0, max(0.02, 1.0 - (1.0 - r_date) * (1.0 - r_phone)))


def condition_on_names(model: dict[str, Any]) -> dict[str, Any]:
    """``m`` and ``u`` of the levels split by name agreement, made conditional on it.

    A comparison whose levels come in two halves (labels ending in
    :data:`~uncounted.linkage.model.SHARED_WORD` and
    :data:`~uncounted.linkage.model.NO_SHARED_WORD`: the home, see
    :func:`~uncounted.linkage.model._home_comparison`) is trained like any other; here each
    half's ``m`` and ``u`` are divided by the half's total, ``P(level | a word shared)`` and
    ``P(level | no word shared)``. The name comparison already weighs whether a word is
    shared; the home then weighs only what it adds, so a shared origin is not counted twice.
    The probabilities of such a comparison no longer sum to one over all its levels (each
    half does), which scoring does not need.
    """
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        halves = [
            [lv for lv in levels if str(lv.get("label_for_charts", "")).endswith(suffix)]
            for suffix in (SHARED_WORD, NO_SHARED_WORD)
        ]
        if not halves[0] or len(halves[0]) + len(halves[1]) != len(levels):
            continue
        for half in halves:
            for key in ("m_probability", "u_probability"):
                values = [lv.get(key) for lv in half]
                if not all(isinstance(v, (int, float)) for v in values):
                    continue
                total = sum(float(v) for v in values)
                for lv, v in zip(half, values, strict=True):
                    lv[key] = float(v) / total
    return model


#: Significant digits kept of trained probabilities (see :func:`_rounded`).
DIGITS = 10


def _rounded(model: dict[str, Any]) -> dict[str, Any]:
    """Trained probabilities rounded to :data:`DIGITS` significant digits.

    DuckDB sums in parallel, in an order that varies from run to run, so the last bits of
    the EM estimates (about 1e-16) differed between two runs on the same records with the
    same seed; rounded, the same records give the same model, pairs and clusters.
    """

    def r(x: float) -> float:
        return float(f"{x:.{DIGITS}g}")

    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            for key in ("m_probability", "u_probability"):
                if isinstance(level.get(key), (int, float)):
                    level[key] = r(float(level[key]))
    prior = model.get("probability_two_random_records_match")
    if prior is not None:
        model["probability_two_random_records_match"] = r(float(prior))
    return model


def _predicted_pairs(predicted: Any) -> pl.DataFrame:
    """Splink's predictions as ``unique_id_l``, ``unique_id_r`` (strings),
    ``match_probability``, ``match_weight``, sorted (DuckDB's row order varies from run to
    run)."""
    frame = pl.from_arrow(predicted.as_pyarrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.select(
        pl.col("unique_id_l").cast(pl.String),
        pl.col("unique_id_r").cast(pl.String),
        pl.col("match_probability").cast(pl.Float64),
        pl.col("match_weight").cast(pl.Float64),
    ).sort("unique_id_l", "unique_id_r")


def score_pairs(
    prepared: pl.DataFrame,
    settings: LinkageSettings | None = None,
    *,
    encoded: bool = False,
    model: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> ScoredPairs:
    """Train (unless ``model`` is given) and score every blocked pair of ``prepared``.

    ``prepared`` comes from :func:`~uncounted.linkage.normalise.prepare_records` (or, with
    ``encoded=True``, from :func:`~uncounted.linkage.privacy.encode_records`). Training:
    :func:`train_model`.
    """
    from splink import Linker

    cfg = settings or LinkageSettings()
    cfg.validate()
    if prepared.height < 2:
        raise InvalidInput("Linkage needs at least two records.")
    step = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    if encoded:
        # files encoded before the typo-tolerant blocking keys existed: those rules block
        # nothing for them, everything else links as before
        prepared = prepared.with_columns(
            pl.lit(None, dtype=dtype).alias(column)
            for column, dtype in (("name_prefixes", pl.List(pl.Int64)), ("prefix_key", pl.Int64))
            if column not in prepared.columns
        )
    t0 = time.perf_counter()
    db_api = _db_api(cfg)
    table = _register(db_api, prepared, cfg)
    if encoded:
        from uncounted.linkage.privacy import encoding_of

        hardening, words = encoding_of(prepared)
        shape = splink_settings(True, hardening, words)
    else:
        shape = splink_settings()
    linker = Linker(table, model or shape, log_level=logging.ERROR)
    timings["register"] = time.perf_counter() - t0
    if model is None:
        t = time.perf_counter()
        trained = train_model(linker, cfg, step, prepared)
        timings["train"] = time.perf_counter() - t
        linker = Linker(table, trained, log_level=logging.ERROR)
    t = time.perf_counter()
    step("scoring blocked pairs")
    predicted = linker.inference.predict(threshold_match_probability=cfg.prediction_floor)
    pairs = _predicted_pairs(predicted)
    timings["predict"] = time.perf_counter() - t
    saved = linker.misc.save_model_to_json()
    saved.pop("linker_uid", None)  # random per Linker: the same model would save differently
    t = time.perf_counter()
    sample = pairs if pairs.height <= MAX_PAIRS else pairs.sample(MAX_PAIRS, seed=cfg.seed)
    blocking = estimate_blocking_recall(rule_agreements(prepared, sample))
    outside = None
    if cfg.uncertainty_draws and 2 <= prepared.height <= cfg.compare_all_max_records:
        step("scoring the pairs no blocking rule compares")
        every = Linker(
            table,
            {**saved, "blocking_rules_to_generate_predictions": [OUTSIDE_CANDIDATES]},
            log_level=logging.ERROR,
        )
        scored_all = every.inference.predict(threshold_match_probability=OUTSIDE_FLOOR)
        outside = outside_pairs(prepared, _predicted_pairs(scored_all))
    timings["blocking"] = time.perf_counter() - t
    return ScoredPairs(pairs, saved, prepared.height, cfg, timings, blocking, outside)
