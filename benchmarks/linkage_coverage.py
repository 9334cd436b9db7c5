"""Coverage study: does the interval with linkage error cover the true population?

Each replication simulates a world (``simulate.simulate_world``, a seed per replication),
the agencies' own noisy records of it (``simulate.agency_records``), links them with the
default Splink model, has a clerical reviewer decide a random sample of pairs scored between
0.05 and 0.99 (the truth answers), and estimates with the log-linear model searched by BIC:

- **true linkage** (baseline, same run): the estimator fitted on the true persons — its own
  interval's coverage, the ceiling linkage can reach;
- **threshold**: clustered at 0.9, the estimator's interval alone (what was reported before);
- **total**: :func:`uncounted.linkage.uncertainty.linkage_uncertainty` with the review sample,
  the estimated blocking recall and the pairs no blocking rule compares
  (:mod:`uncounted.linkage.blocking`);
- **total, compared pairs only** (the baseline, same run): the same without the pairs never
  compared, as the draws were before they were carried.

Coverage of the total interval is counted over all replications and over those where the
estimator itself covers with the true linkage (the goal: >= 90 % there).

    .venv/bin/python benchmarks/linkage_coverage.py [--reps 20] [--victims 2000] [--draws 50]
        [--reviewed 60] [--noise default|heavy]

CPU: one process, about 5 s per replication at 2 000 victims and 50 draws on one core.
"""

from __future__ import annotations

import argparse
import time
import warnings


def _replication(seed: int, victims: int, draws: int, reviewed: int, heavy: bool) -> dict:
    import polars as pl

    from uncounted.linkage import LinkageSettings, estimate_linked, link_records
    from uncounted.linkage.blocking import compared, rule_agreements
    from uncounted.linkage.normalise import prepare_records
    from uncounted.linkage.uncertainty import linkage_uncertainty
    from uncounted.prevalence import CaptureHistories, LogLinearEstimator
    from uncounted.simulate import WorldConfig, simulate_world
    from uncounted.simulate.agency_records import RecordNoise, agency_records

    world = simulate_world(WorldConfig(seed=seed, n_victims=victims, frailty_sd=0.3))
    noise = RecordNoise.heavy() if heavy else RecordNoise()
    records = agency_records(world, noise=noise, seed=seed).records
    truth = world.truth.population

    def make() -> LogLinearEstimator:
        return LogLinearEstimator(criterion="bic")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        true_hist = CaptureHistories.from_records(
            records.select(pl.col("person").cast(pl.String), pl.col("agency").alias("list")),
            "person",
            "list",
        )
        true_fit = make().fit(true_hist)
        run = link_records(records, LinkageSettings())
        # the true pairs the blocking rules compare (the truth, for the report only)
        true_pairs = (
            records.select(pl.col("record_id").cast(pl.String), "person")
            .unique("record_id")
            .pipe(lambda f: f.join(f, on="person", suffix="_r"))
            .filter(pl.col("record_id") < pl.col("record_id_r"))
            .select(
                pl.col("record_id").alias("unique_id_l"),
                pl.col("record_id_r").alias("unique_id_r"),
            )
        )
        prepared = prepare_records(records.unique("record_id", keep="first"))
        blocked = rule_agreements(prepared, true_pairs).select(compared()).to_series()
        ids = records.unique("record_id").select(pl.col("record_id").cast(pl.String), "person")
        band = (
            run.scored.pairs.filter(pl.col("match_probability").is_between(0.05, 0.99))
            .join(ids.rename({"record_id": "unique_id_l", "person": "p_l"}), on="unique_id_l")
            .join(ids.rename({"record_id": "unique_id_r", "person": "p_r"}), on="unique_id_r")
            .sort("unique_id_l", "unique_id_r")  # a join's row order varies from run to run
        )
        sample = band.sample(min(reviewed, band.height), seed=seed)
        decisions = sample.select(
            "unique_id_l",
            "unique_id_r",
            pl.when(pl.col("p_l") == pl.col("p_r"))
            .then(pl.lit("match"))
            .otherwise(pl.lit("non-match"))
            .alias("decision"),
        )
        t = time.perf_counter()
        linked = estimate_linked(
            records,
            run.scored.pairs,
            make,
            decisions=decisions,
            sensitivity_thresholds=(),
            draws=draws,
            random_state=seed,
            one_record_per_list=True,
            blocking=run.scored.blocking,
            outside=run.scored.outside,
        )
        seconds = time.perf_counter() - t
        before = linkage_uncertainty(
            records,
            run.scored.pairs,
            make,
            decisions=decisions,
            n_draws=draws,
            random_state=seed,
            one_record_per_list=True,
        )
    u = linked.uncertainty
    assert u is not None
    low, high = true_fit.ci_
    _, t_low, t_high = linked.total
    return {
        "seed": seed,
        "truth": truth,
        "true_linkage_covers": low <= truth <= high,
        "threshold_covers": t_low <= truth <= t_high,
        "total_covers": u.total_low <= truth <= u.total_high,
        "linkage_only_covers": u.linkage_low <= truth <= u.linkage_high,
        "before_covers": before.total_low <= truth <= before.total_high,
        "before": before.estimate,
        "true_estimate": true_fit.population_,
        "blocking_recall": blocked.mean(),
        "estimated_recall": u.blocking_recall,
        "estimate": u.estimate,
        "total": (u.total_low, u.total_high),
        "seconds_estimate": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--victims", type=int, default=2000)
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--reviewed", type=int, default=60)
    parser.add_argument("--noise", choices=["default", "heavy"], default="default")
    args = parser.parse_args()
    rows = []
    start = time.perf_counter()
    for rep in range(args.reps):
        row = _replication(
            100 + rep, args.victims, args.draws, args.reviewed, args.noise == "heavy"
        )
        rows.append(row)
        print(
            f"seed {row['seed']}: truth {row['truth']}, on the true linkage "
            f"{row['true_estimate']:.0f}, estimate {row['estimate']:.0f} (compared pairs only "
            f"{row['before']:.0f}) total {row['total'][0]:.0f}-{row['total'][1]:.0f}; blocking "
            f"recall {row['blocking_recall']:.3f}, estimated {row['estimated_recall'] or 0:.3f}; "
            f"covers: true linkage {row['true_linkage_covers']}, threshold "
            f"{row['threshold_covers']}, total {row['total_covers']}, compared pairs only "
            f"{row['before_covers']} ({row['seconds_estimate']:.1f} s)",
            flush=True,
        )
    n = len(rows)
    ok = [r for r in rows if r["true_linkage_covers"]]

    def share(key: str, among: list[dict]) -> str:
        return f"{sum(r[key] for r in among)}/{len(among)}"

    print(f"\n{n} replications, {args.victims} victims, noise {args.noise}, {args.draws} draws, "
          f"{args.reviewed} reviewed pairs, {time.perf_counter() - start:.0f} s")  # fmt: skip
    print(f"{'interval':<34}{'covers (all)':>14}{'where estimator covers':>26}")
    for key, label in (
        ("true_linkage_covers", "estimator on the true linkage"),
        ("threshold_covers", "estimator at threshold 0.9"),
        ("linkage_only_covers", "linkage only"),
        ("before_covers", "total, compared pairs only"),
        ("total_covers", "total (linkage and estimator)"),
    ):
        print(f"{label:<34}{share(key, rows):>14}{share(key, ok):>26}")


if __name__ == "__main__":
    main()
