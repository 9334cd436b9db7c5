"""Screen payments: prepare, run every typology, score, rank and explain.

:func:`screen` is the one call behind ``uncounted screen``; it works on a canonical payment
frame (see :mod:`.mapping`) held in memory or scanned lazily from a file, with Polars'
streaming engine for the one pass over all payments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from uncounted.screening.alerts import build_alerts
from uncounted.screening.config import ScreeningConfig
from uncounted.screening.inputs import Prepared, party_profiles, prepare
from uncounted.screening.mapping import ColumnMapping, read_payments, validate_frame
from uncounted.screening.scoring import score_parties
from uncounted.screening.typologies import INDICATOR_SCHEMA, indicators, links


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (timestamps as ISO 8601 text)."""

        def rows(df: pl.DataFrame) -> list[dict[str, Any]]:
            return df.with_columns(pl.selectors.datetime().dt.to_string()).to_dicts()

        return {
            "n_alerts": self.alerts.height,
            "alerts": rows(self.alerts),
            "scores": rows(self.scores),
            "indicators": rows(self.indicators),
        }

    def to_frame(self) -> pl.DataFrame:
        """The ranked, explained alerts (also ``scores`` and ``indicators``)."""
        return self.alerts


def finish(
    fired: pl.DataFrame, links: pl.DataFrame, profiles: pl.DataFrame, config: ScreeningConfig
) -> ScreeningResult:
    """Score and explain indicators computed by any engine (Polars or Spark)."""
    fired = fired.select([pl.col(c).cast(t) for c, t in INDICATOR_SCHEMA.items()]).sort(
        ["party_role", "party_id", "indicator"]
    )
    fired, scores = score_parties(fired, links, config)
    return ScreeningResult(fired, scores, build_alerts(fired, scores, profiles, config))


def _rules(prepared: Prepared, config: ScreeningConfig) -> ScreeningResult:
    fired = indicators(prepared, config).collect()
    pairs = links(prepared).collect()
    return finish(fired, pairs, party_profiles(prepared), config)


def screen(
    payments: pl.DataFrame | pl.LazyFrame, config: ScreeningConfig | None = None
) -> ScreeningResult:
    """Run every enabled typology over canonical payments and rank the alerts."""
    config = config or ScreeningConfig()
    prepared = prepare(validate_frame(payments), config).materialize()
    return _rules(prepared, config)


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
    return screen(read_payments(path, mapping, currencies=list(config.fx_rates)), config)


__all__ = [
    "ScreeningResult",
    "finish",
    "screen",
    "screen_file",
]
