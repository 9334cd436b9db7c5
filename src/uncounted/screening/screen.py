"""Screen payments: prepare, run every typology, score, rank and explain.

:func:`screen` is the one call behind ``uncounted screen``; it works on a canonical payment
frame (see :mod:`.mapping`) held in memory or scanned lazily from a file, with Polars'
streaming engine for the one pass over all payments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from uncounted.screening.alerts import build_alerts
from uncounted.screening.config import ScreeningConfig
from uncounted.screening.inputs import Prepared, party_profiles, prepare
from uncounted.screening.mapping import (
    OPTIONAL_COLUMNS,
    ColumnMapping,
    open_payments,
    validate_frame,
)
from uncounted.screening.scoring import score_parties
from uncounted.screening.typologies import (
    INDICATOR_SCHEMA,
    TYPOLOGY_COLUMNS,
    indicators,
    links,
)


def switch_off(
    config: ScreeningConfig, absent: Iterable[str]
) -> tuple[ScreeningConfig, dict[str, str]]:
    """``config`` with the typologies that need an ``absent`` column disabled, and the reason
    for each one switched off (typologies already disabled are not mentioned)."""
    missing = set(absent)
    off: dict[str, str] = {}
    for name, columns in TYPOLOGY_COLUMNS.items():
        lacking = [c for c in columns if c in missing]
        if lacking and getattr(config.rules, name).enabled:
            off[name] = (
                f"the payments have no {' or '.join(lacking)} column (name it in the column "
                "mapping to use this typology)"
            )
    if not off:
        return config, off
    rules = config.rules.model_copy(
        update={
            name: getattr(config.rules, name).model_copy(update={"enabled": False}) for name in off
        }
    )
    return config.model_copy(update={"rules": rules}), off


@dataclass(frozen=True)
class ScreeningResult:
    """What a screening run found.

    ``indicators``: every indicator fired (see :data:`INDICATOR_SCHEMA`); ``scores``: every
    party with at least one indicator, scored and ranked; ``alerts``: the parties at or
    above their threshold, explained, with draft summaries.
    """

    indicators: pl.DataFrame
    scores: pl.DataFrame
    alerts: pl.DataFrame
    switched_off: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (timestamps as ISO 8601 text)."""

        def rows(df: pl.DataFrame) -> list[dict[str, Any]]:
            return df.with_columns(pl.selectors.datetime().dt.to_string()).to_dicts()

        return {
            "n_alerts": self.alerts.height,
            "switched_off": dict(self.switched_off),
            "alerts": rows(self.alerts),
            "scores": rows(self.scores),
            "indicators": rows(self.indicators),
        }

    def to_frame(self) -> pl.DataFrame:
        """The ranked, explained alerts (also ``scores`` and ``indicators``)."""
        return self.alerts


def finish(
    fired: pl.DataFrame,
    links: pl.DataFrame,
    profiles: pl.DataFrame,
    config: ScreeningConfig,
    switched_off: dict[str, str] | None = None,
) -> ScreeningResult:
    """Score and explain indicators computed by any engine (Polars or Spark)."""
    fired = fired.select([pl.col(c).cast(t) for c, t in INDICATOR_SCHEMA.items()]).sort(
        ["party_role", "party_id", "indicator"]
    )
    fired, scores = score_parties(fired, links, config)
    alerts = build_alerts(fired, scores, profiles, config)
    return ScreeningResult(fired, scores, alerts, dict(switched_off or {}))


def _rules(
    prepared: Prepared, config: ScreeningConfig, switched_off: dict[str, str]
) -> ScreeningResult:
    fired = indicators(prepared, config).collect()
    pairs = links(prepared).collect()
    return finish(fired, pairs, party_profiles(prepared), config, switched_off)


def screen(
    payments: pl.DataFrame | pl.LazyFrame,
    config: ScreeningConfig | None = None,
    *,
    absent: Iterable[str] = (),
) -> ScreeningResult:
    """Run every enabled typology over canonical payments and rank the alerts.

    The optional columns (``description``, ``merchant_category``) may be missing from the
    frame, or named in ``absent`` when present but empty; the typologies that read them are
    switched off and listed in :attr:`ScreeningResult.switched_off`.
    """
    config = config or ScreeningConfig()
    schema = payments.lazy().collect_schema()
    missing = {*absent, *(c for c in OPTIONAL_COLUMNS if c not in schema)}
    config, off = switch_off(config, missing)
    prepared = prepare(validate_frame(payments), config).materialize()
    return _rules(prepared, config, off)


def screen_file(
    path: str | Path,
    config: ScreeningConfig | None = None,
    mapping: ColumnMapping | None = None,
) -> ScreeningResult:
    """Validate a payment file (CSV or Parquet) through ``mapping`` and screen it.

    A first streaming pass checks every row; if any is bad,
    :class:`~uncounted.errors.ImportRejected` lists the bad rows and no rule runs. (Fusing
    the check into the screening pass saved no time with Polars' streaming engine, which
    does not share the scan between queries, and doubled peak memory.)
    """
    config = config or ScreeningConfig()
    source = open_payments(path, mapping, currencies=list(config.fx_rates))
    source.check(source.rejected.collect(engine="streaming"))
    return screen(source.payments, config, absent=source.absent)


__all__ = [
    "TYPOLOGY_COLUMNS",
    "ScreeningResult",
    "finish",
    "screen",
    "screen_file",
    "switch_off",
]
