"""Screening payments for online sexual exploitation of children.

Named, documented typologies (AUSTRAC 2019, FATF 2025, FINTRAC Project Shadow) run as
Polars lazy queries (or on PySpark, :mod:`uncounted.screening.spark`), scored per sender and
beneficiary, ranked and explained with a draft suspicious-matter summary. See
``docs/screening.md``.
"""

from __future__ import annotations

from uncounted.screening.alerts import build_alerts, draft_summary
from uncounted.screening.config import (
    DEFAULT_RULES_PATH,
    ScreeningConfig,
    dump_config,
    load_config,
)
from uncounted.screening.evaluation import AlertQuality, evaluate_alerts
from uncounted.screening.inputs import Prepared, prepare
from uncounted.screening.mapping import CHANNELS, COLUMNS, ColumnMapping, read_payments
from uncounted.screening.scoring import indicator_weights, score_parties
from uncounted.screening.screen import ScreeningResult, screen, screen_file
from uncounted.screening.typologies import INDICATOR_SCHEMA, TYPOLOGIES

__all__ = [
    "CHANNELS",
    "COLUMNS",
    "DEFAULT_RULES_PATH",
    "INDICATOR_SCHEMA",
    "TYPOLOGIES",
    "AlertQuality",
    "ColumnMapping",
    "Prepared",
    "ScreeningConfig",
    "ScreeningResult",
    "build_alerts",
    "draft_summary",
    "dump_config",
    "evaluate_alerts",
    "indicator_weights",
    "load_config",
    "prepare",
    "read_payments",
    "score_parties",
    "screen",
    "screen_file",
]
