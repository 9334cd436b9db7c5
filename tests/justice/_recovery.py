"""Shared by the recovery test and the coverage study: estimates vs the generator's truth."""

from __future__ import annotations

from typing import Any

import polars as pl

from uncounted.justice import JusticeData, kaplan_meier, suspect_paths
from uncounted.justice.intervals import wilson_interval
from uncounted.justice.timing import delay_distribution
from uncounted.simulate import World

KM_TRANSITIONS = {
    "p_investigation": ("report", "investigation"),
    "p_arrest": ("investigation", "arrest"),
    "p_charge": ("arrest", "charge"),
    "p_trial": ("charge", "trial"),
    "p_appeal": ("verdict", "appeal"),
}


def recovery(world: World) -> list[dict[str, Any]]:
    """One row per checked quantity: name, truth, estimate, lower, upper (95%)."""
    data = JusticeData.from_tables(world.frames, as_of=world.config.end)
    as_of = data.observed_to
    sp = suspect_paths(data)
    truth = world.truth.justice
    rows: list[dict[str, Any]] = []
    for name, (a, b) in KM_TRANSITIONS.items():
        started = sp.filter(pl.col(f"{a}_on").is_not_null())
        done = started[f"{b}_on"].is_not_null().to_numpy()
        end = started.select(
            pl.coalesce(f"{b}_on", pl.lit(as_of)).alias("e"), pl.col(f"{a}_on").alias("s")
        )
        t = (end["e"] - end["s"]).dt.total_days().to_numpy()
        p, lo, hi = kaplan_meier(t, done).conversion()
        rows.append({"name": name, "truth": getattr(truth, name), "estimate": p, "lower": lo,
                     "upper": hi})  # fmt: skip
    shares = {
        "p_trafficking_charge": (pl.col("charge_on").is_not_null(),
                                 pl.col("charge_offence") == "trafficking"),
        "p_convicted": (pl.col("verdict_on").is_not_null(),
                        pl.col("verdict_outcome") == "convicted"),
        "p_acquitted": (pl.col("verdict_on").is_not_null(),
                        pl.col("verdict_outcome") == "acquitted"),
        "p_custodial": (pl.col("sentence_on").is_not_null(), pl.col("custodial")),
        "p_upheld": (pl.col("appeal_on").is_not_null(), pl.col("appeal_outcome") == "upheld"),
    }  # fmt: skip
    for name, (den, num) in shares.items():
        sub = sp.filter(den)
        x, n = int(sub.select(num.sum()).item()), sub.height
        lo_, hi_ = wilson_interval([x], [n])
        rows.append({"name": name, "truth": getattr(truth, name), "estimate": x / n,
                     "lower": float(lo_[0]), "upper": float(hi_[0])})  # fmt: skip
    for key, median in truth.median_days.items():
        a, b = key.split("->")
        both = sp.filter(pl.col(f"{a}_on").is_not_null() & pl.col(f"{b}_on").is_not_null())
        d = (both[f"{b}_on"] - both[f"{a}_on"]).dt.total_days().to_numpy()
        w = both.select((pl.lit(as_of) - pl.col(f"{a}_on")).dt.total_days().alias("w"))
        w = w["w"].to_numpy()
        q, lo, hi = delay_distribution(d, w).quantile(0.5)
        # Delays are whole days (the generator rounds a gamma draw): allow half a day.
        rows.append({"name": f"median {key}", "truth": median, "estimate": q,
                     "lower": lo - 0.5, "upper": hi + 0.5})  # fmt: skip
    return rows
