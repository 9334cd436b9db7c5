"""The justice response: stage paths, impunity indicators, time to event, bottlenecks.

Everything here works on Polars frames (:class:`JusticeData`); ``uncounted.store.frames``
builds them from the case database, and :func:`uncounted.simulate.simulate_world` from a
synthetic world. See ``docs/justice.md`` and the metric catalogue (``docs/metrics.md``).
"""

from uncounted.justice.bottlenecks import Bottlenecks, bottlenecks
from uncounted.justice.data import JusticeData
from uncounted.justice.headlines import headlines
from uncounted.justice.indicators import empty_reason, indicators, no_interval_reason
from uncounted.justice.stages import case_paths, suspect_paths, victim_paths
from uncounted.justice.timing import (
    cumulative_incidence,
    delay_distribution,
    kaplan_meier,
)

__all__ = [
    "Bottlenecks",
    "JusticeData",
    "bottlenecks",
    "case_paths",
    "cumulative_incidence",
    "delay_distribution",
    "empty_reason",
    "headlines",
    "indicators",
    "kaplan_meier",
    "no_interval_reason",
    "suspect_paths",
    "victim_paths",
]
