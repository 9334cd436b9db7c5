"""How well could any classifier do on the linkage model's own comparison vectors?

The simulator knows who is who, so on its records we can ask what the *best possible*
decision on each blocked pair would reach, given only what the model compares. This is a
measurement aid: truth labels do not exist in real data, so nothing here belongs in the
library.

For records from ``population_records`` (six lists, heavy noise by default, as in
``bench_linkage.py``) the script trains the library's model (``train_model``), scores the
blocked pairs, keeps those it scores at ``--floor`` or above with each pair's comparison
vector (the levels of name, birth, sex, home and phone, told apart by their match weights)
and the true label. It prints:

- **blocking recall**: true pairs that any blocking rule compares / all true pairs — no
  classifier can link the rest — and what perfect decisions on the scored pairs reach once
  clusters close them transitively (the recall ceiling of the clusters);
- **oracle** — the exact posterior per distinct comparison vector, ``P(match | gamma)``
  estimated from the labels on the blocked pairs (the Bayes-optimal classifier on these
  features; with millions of pairs per few thousand vectors it barely over-fits);
- **oracle + name frequency** — the same with the number of records sharing the pair's
  commoner name key (in powers of two) added to the vector: what term-frequency adjustment
  could add at best;
- **oracle Fellegi–Sunter** — ``m`` and ``u`` per level taken from the labels (independence
  between comparisons kept): what perfect training of *this* model form reaches;
- **model** — the unsupervised model's own probabilities.

For each: pair-level precision and recall at probability 0.5 (the classifier alone, recall
out of all true pairs) and the recall at pair precision 0.95, then the clusters of the
library (``resolve_clusters``, one list holds a person once) at each of ``--thresholds``
and at ``--threshold``: pairwise precision, recall and B-cubed F1 — the figures
``bench_linkage.py`` reports. A last table gives the model's
calibration: in bins of its probability, how many pairs are true matches.

    PYTHONPATH=src .venv/bin/python benchmarks/linkage_ceiling.py [--size 200000] [--seed 1]
        [--noise heavy|default] [--threshold 0.9]
"""

from __future__ import annotations

import argparse
import logging
import resource
import time

import numpy as np
import polars as pl
from bench_linkage import SIX_LISTS

#: Splink 5 keeps each comparison's match weight (``mw_*``), not its level number; a level
#: is identified by its weight (two levels of one comparison with equal weights would merge).
GAMMAS = ("mw_name", "mw_birth", "mw_sex", "mw_home", "mw_phone")


def blocked_pairs(prepared: pl.DataFrame, threshold_floor: float | None) -> pl.DataFrame:
    """Blocked pairs the model scores at ``threshold_floor`` or above (all with ``None``),
    with their comparison vector and the model's probability."""
    from splink import DuckDBAPI, Linker

    from uncounted.linkage import LinkageSettings
    from uncounted.linkage.model import splink_settings
    from uncounted.linkage.run import train_model

    cfg = LinkageSettings()
    db_api = DuckDBAPI()
    table = db_api.register(prepared.to_arrow(), table_name="records")
    linker = Linker(table, splink_settings(), log_level=logging.ERROR)
    model = train_model(linker, cfg, lambda _m: None, prepared)
    model["retain_intermediate_calculation_columns"] = True
    linker = Linker(table, model, log_level=logging.ERROR)
    predicted = linker.inference.predict(threshold_match_probability=threshold_floor)
    cols = ", ".join(GAMMAS)
    sql = (
        f"select unique_id_l, unique_id_r, match_probability, {cols} from {predicted.physical_name}"
    )
    out = pl.from_arrow(linker.misc.query_sql(sql, output_type="splink_df").as_pyarrow_table())
    assert isinstance(out, pl.DataFrame)
    return out.with_columns(
        pl.col("unique_id_l").cast(pl.String),
        pl.col("unique_id_r").cast(pl.String),
        *(pl.col(g).cast(pl.Float64).round(6).rank("dense").cast(pl.Int16) for g in GAMMAS),
    )


def blocking_recall(prepared: pl.DataFrame, truth: pl.DataFrame) -> tuple[int, int]:
    """(true pairs, true pairs that agree on at least one of the library's blocking rules),
    each rule read from ``blocking_rules()`` (equality on its columns; an exploded array
    column agrees when the two arrays share an element)."""
    from uncounted.linkage.model import blocking_rules

    recs = prepared.join(truth, on="unique_id")
    pairs = recs.join(recs, on="person", suffix="_r").filter(
        pl.col("unique_id") < pl.col("unique_id_r")
    )
    hit = pl.lit(False)
    for rule in blocking_rules():
        exploded = set(getattr(rule, "_arrays_to_explode", None) or [])
        agree = pl.lit(True)
        for part in getattr(rule, "blocking_rules", [rule]):
            c = part.col_expression.raw_sql_expression
            if c in exploded:
                same = pl.col(c).list.set_intersection(pl.col(f"{c}_r")).list.len() > 0
            else:
                same = pl.col(c) == pl.col(f"{c}_r")
            agree = agree & same.fill_null(False)
        hit = hit | agree
    return pairs.height, int(pairs.select(hit.sum()).item())


def label(pairs: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    left = truth.rename({"unique_id": "unique_id_l", "person": "p_l"})
    right = truth.rename({"unique_id": "unique_id_r", "person": "p_r"})
    return (
        pairs.join(left, on="unique_id_l")
        .join(right, on="unique_id_r")
        .with_columns((pl.col("p_l") == pl.col("p_r")).alias("y"))
        .drop("p_l", "p_r")
    )


def exact_posterior(pairs: pl.DataFrame, keys: list[str]) -> pl.Series:
    return pairs.select(pl.col("y").cast(pl.Float64).mean().over(keys))["y"]


def fellegi_sunter(pairs: pl.DataFrame) -> pl.Series:
    """Posterior with ``m``, ``u`` per level and the prior from the labels (blocked pairs)."""
    y = pairs["y"].to_numpy()
    prior = y.mean()
    logit = np.full(pairs.height, np.log(prior / (1 - prior)))
    for g in GAMMAS:
        level = pairs[g].to_numpy()
        for v in np.unique(level):
            at = level == v
            m = (at & y).sum() / y.sum()
            u = (at & ~y).sum() / (~y).sum()
            logit[at] += np.log(max(m, 1e-9) / max(u, 1e-12))
    return pl.Series(1 / (1 + np.exp(-logit)))


def pair_level(
    pairs: pl.DataFrame, prob: pl.Series, t: float, true_total: int
) -> tuple[float, ...]:
    pred = (prob >= t).to_numpy()
    y = pairs["y"].to_numpy()
    tp = int((pred & y).sum())
    return tp / max(int(pred.sum()), 1), tp / true_total


def recall_at_precision(
    pairs: pl.DataFrame, prob: pl.Series, floor: float, true_total: int
) -> float:
    """Pair-level recall of the most permissive threshold whose precision is >= ``floor``."""
    order = np.argsort(-prob.to_numpy(), kind="stable")
    y = pairs["y"].to_numpy()[order]
    tp = np.cumsum(y)
    precision = tp / np.arange(1, y.size + 1)
    ok = np.nonzero(precision >= floor)[0]
    return float(tp[ok[-1]] / true_total) if ok.size else 0.0


def cluster_level(
    prepared: pl.DataFrame, pairs: pl.DataFrame, prob: pl.Series, t: float, truth: pl.DataFrame
) -> tuple[float, ...]:
    from uncounted.linkage import bcubed_accuracy, pairwise_accuracy, resolve_clusters

    scored = pairs.select("unique_id_l", "unique_id_r").with_columns(
        prob.alias("match_probability")
    )
    clusters = resolve_clusters(prepared, scored, t, same_list_threshold=max(t, 0.99))
    acc = pairwise_accuracy(clusters, truth)
    return acc.precision, acc.recall, bcubed_accuracy(clusters, truth).f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", default="heavy", choices=("heavy", "default"))
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument(
        "--thresholds",
        type=lambda text: [float(t) for t in text.split(",")],
        default=[0.3, 0.5, 0.7],
        help="Probabilities at which each classifier's pairs are clustered (besides --threshold).",
    )
    parser.add_argument(
        "--floor",
        type=float,
        default=0.001,
        help="Keep the pairs the model scores at this or above (the library keeps 0.01): "
        "a million records make tens of millions of blocked pairs, nearly all far below.",
    )
    args = parser.parse_args()

    from uncounted.linkage import prepare_records
    from uncounted.simulate.agency_records import RecordNoise, population_records

    start = time.perf_counter()
    noise = RecordNoise.heavy() if args.noise == "heavy" else RecordNoise()
    world = population_records(int(args.size / 1.05), seed=args.seed, noise=noise, lists=SIX_LISTS)
    records = world.records
    truth = records.select(pl.col("record_id").cast(pl.String).alias("unique_id"), "person")
    prepared = prepare_records(records)
    sizes = truth.group_by("person").len()["len"].to_numpy().astype(np.int64)
    true_total = int((sizes * (sizes - 1) // 2).sum())

    total, blocked = blocking_recall(prepared, truth)
    assert total == true_total
    pairs = label(blocked_pairs(prepared, args.floor), truth)
    print(
        f"{records.height} records, seed {args.seed}, noise {args.noise}: {true_total:,} true "
        f"pairs, {blocked:,} blocked — blocking recall {blocked / true_total:.3f}; "
        f"{pairs.height:,} pairs scored >= {args.floor} hold {int(pairs['y'].sum()):,} of them"
    )
    from uncounted.linkage import bcubed_accuracy, cluster_records, pairwise_accuracy

    # perfect decisions on the scored pairs, closed transitively: what blocking leaves
    closed = cluster_records(
        prepared["unique_id"], pairs.select("unique_id_l", "unique_id_r", match_probability="y"), 1
    )
    acc = pairwise_accuracy(closed, truth)
    print(
        f"every scored true pair linked, clusters closed transitively: recall {acc.recall:.3f}, "
        f"B-cubed F1 {bcubed_accuracy(closed, truth).f1:.3f}"
    )
    freq = prepared.group_by("name_key").len("n").drop_nulls()
    keyed = prepared.select("unique_id", "name_key").join(freq, on="name_key", how="left")
    nf = keyed.select("unique_id", pl.col("n").fill_null(1))
    pairs = (
        pairs.join(nf.rename({"unique_id": "unique_id_l", "n": "n_l"}), on="unique_id_l")
        .join(nf.rename({"unique_id": "unique_id_r", "n": "n_r"}), on="unique_id_r")
        .with_columns(
            pl.max_horizontal("n_l", "n_r").log(2).floor().cast(pl.Int8).alias("name_freq")
        )
    )
    models = {
        "oracle (exact posterior per vector)": exact_posterior(pairs, list(GAMMAS)),
        "oracle + name frequency": exact_posterior(pairs, [*GAMMAS, "name_freq"]),
        "oracle Fellegi-Sunter (m, u from labels)": fellegi_sunter(pairs),
        "model (unsupervised)": pairs["match_probability"],
    }
    print(
        f"{'classifier':42} {'pair P':>7} {'pair R':>7} {'R@P95':>6} | {'t':>4} {'clu P':>6} "
        f"{'clu R':>6} {'B3 F1':>6}"
    )
    for name, prob in models.items():
        p, r = pair_level(pairs, prob, 0.5, true_total)
        r95 = recall_at_precision(pairs, prob, 0.95, true_total)
        for t in sorted({*args.thresholds, args.threshold}):
            cp, cr, b3 = cluster_level(prepared, pairs, prob, t, truth)
            print(
                f"{name:42} {p:>7.3f} {r:>7.3f} {r95:>6.3f} | {t:>4} {cp:>6.3f} {cr:>6.3f} "
                f"{b3:>6.3f}"
            )
            name, p, r, r95 = "", float("nan"), float("nan"), float("nan")
    print("calibration of the model: bin of its probability, pairs, share of true matches")
    bins = np.array([0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97, 0.99, 0.999])
    at = np.searchsorted(bins, pairs["match_probability"].to_numpy(), side="right") - 1
    cal = (
        pairs.with_columns(pl.Series("bin", at))
        .group_by("bin")
        .agg(pl.len(), pl.col("y").mean().alias("true"))
    )
    for row in cal.sort("bin").iter_rows(named=True):
        lo = bins[row["bin"]]
        hi = bins[row["bin"] + 1] if row["bin"] + 1 < bins.size else 1.0
        print(f"  [{lo:.3f}, {hi:.3f})  {row['len']:>10,} {row['true']:>6.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.perf_counter() - start:.0f} s, peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
