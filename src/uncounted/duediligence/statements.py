"""Score modern slavery statements from reviewers' criterion scores, with inter-rater agreement.

Input: one row per (partner, statement, framework, criterion) with the first reviewer's
``score`` (0–3, see :data:`~uncounted.duediligence.criteria.SCALE`), the ``evidence`` quoted
and its ``location`` (page or paragraph), and optionally a second reviewer's
``second_score``.

Formulas
--------
* **Statement score** (per partner, statement and framework), in percent::

      score = 100 · Σ_c s_c / (3 · C)

  over the framework's ``C`` criteria (7 for s16 of the Australian Act, 6 for s54(5) of the UK
  Act), with the first reviewer's score ``s_c``; a criterion nobody scored counts as ``0``
  (not addressed), so a partial review can never look better than the statement is.
* **Agreement** of the two reviewers, pooled over every criterion both scored in a framework:
  Cohen's quadratic-weighted kappa (Cohen 1968, *Psychological Bulletin* 70:213–220) on the
  ordinal scale 0–3, computed by :func:`uncounted.survivors.weighted_kappa`, and the share of
  exact agreement. Two scores two or more points apart are a **disagreement** to reconcile
  before a decision is taken on them.

The first reviewer's score is the score of record; the second reviewer's is for agreement only
(a review protocol, not a published standard: it keeps one accountable reviewer per score).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from uncounted.duediligence.criteria import SCALE, framework
from uncounted.errors import InvalidInput
from uncounted.survivors import weighted_kappa

#: Columns of a statement assessment frame (``second_*`` may be null).
SCORE_COLUMNS: tuple[str, ...] = (
    "partner",
    "statement",
    "framework",
    "criterion",
    "score",
    "evidence",
    "location",
    "reviewer",
    "second_score",
    "second_reviewer",
)
#: Two reviewers' scores this far apart (or more) must be reconciled.
DISAGREEMENT = 2


@dataclass(frozen=True)
class StatementScores:
    """Scored statements: one row per statement, per criterion, and agreement per framework."""

    statements: pl.DataFrame  # partner, statement, framework, score, scored, criteria, ...
    criteria: pl.DataFrame  # one row per criterion of every statement (missing ones as 0)
    agreement: pl.DataFrame  # framework, pairs, exact, kappa

    def to_dict(self) -> dict[str, Any]:
        """The scores as plain data."""
        return {
            "statements": self.statements.to_dicts(),
            "criteria": self.criteria.to_dicts(),
            "agreement": self.agreement.to_dicts(),
        }


def _check(scores: pl.DataFrame) -> None:
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise InvalidInput(
            f"Statement scores lack the columns {missing}; see docs/duediligence.md for the schema."
        )
    bad = scores.filter(~pl.col("score").is_in(list(SCALE)))
    if bad.height:
        raise InvalidInput(f"Scores must be one of {SCALE}; found {bad['score'].to_list()[:5]}.")


def _complete(scores: pl.DataFrame) -> pl.DataFrame:
    """Every criterion of each assessed statement's framework, unscored ones as score 0."""
    rows: list[dict[str, Any]] = []
    given = {
        (r["partner"], r["statement"], r["framework"], r["criterion"]): r for r in scores.to_dicts()
    }
    keys = scores.select("partner", "statement", "framework").unique().sort(pl.all())
    for partner, statement, fw_id in keys.iter_rows():
        fw = framework(fw_id)
        for c in fw.criteria:
            r = given.get((partner, statement, fw_id, c.id))
            rows.append(
                {
                    "partner": partner,
                    "statement": statement,
                    "framework": fw_id,
                    "criterion": c.id,
                    "provision": c.provision,
                    "label": c.label,
                    "role": c.role,
                    "scored": r is not None,
                    "score": r["score"] if r else 0,
                    "evidence": r["evidence"] if r else None,
                    "location": r["location"] if r else None,
                    "reviewer": r["reviewer"] if r else None,
                    "second_score": r["second_score"] if r else None,
                    "second_reviewer": r["second_reviewer"] if r else None,
                }
            )
        unknown = {k[3] for k in given if k[:3] == (partner, statement, fw_id)} - {
            c.id for c in fw.criteria
        }
        if unknown:
            raise InvalidInput(
                f"{partner} {statement}: {sorted(unknown)} are not criteria of {fw_id}."
            )
    schema = {"partner": pl.String, "statement": pl.String, "framework": pl.String,
              "criterion": pl.String, "provision": pl.String, "label": pl.String,
              "role": pl.String, "scored": pl.Boolean, "score": pl.Int64,
              "evidence": pl.String, "location": pl.String, "reviewer": pl.String,
              "second_score": pl.Int64, "second_reviewer": pl.String}  # fmt: skip
    # a full schema, so that a store with no statements yet gives an empty table, not a crash
    return pl.DataFrame(rows, schema=schema)


def _agreement(criteria: pl.DataFrame) -> pl.DataFrame:
    rows = []
    paired = criteria.filter(pl.col("scored") & pl.col("second_score").is_not_null())
    for fw_id in sorted(criteria["framework"].unique().to_list()):
        own = paired.filter(pl.col("framework") == fw_id)
        a = own["score"].to_numpy()
        b = own["second_score"].to_numpy()
        kappa: float | None = None
        if a.size >= 2:
            try:
                kappa = weighted_kappa(a, b, categories=SCALE, weights="quadratic")
            except InvalidInput:
                kappa = None  # both reviewers used one category: kappa is undefined
        exact = float(np.mean(a == b)) if a.size else None
        rows.append({"framework": fw_id, "pairs": int(a.size), "exact": exact, "kappa": kappa})
    return pl.DataFrame(
        rows,
        schema={"framework": pl.String, "pairs": pl.Int64, "exact": pl.Float64,
                "kappa": pl.Float64},
    )  # fmt: skip


def score_statements(scores: pl.DataFrame) -> StatementScores:
    """Score every statement in ``scores`` (columns :data:`SCORE_COLUMNS`; formulas above)."""
    _check(scores)
    criteria = _complete(scores).with_columns(
        disagreement=(pl.col("score") - pl.col("second_score")).abs().fill_null(0) >= DISAGREEMENT
    )
    statements = (
        criteria.group_by("partner", "statement", "framework", maintain_order=True)
        .agg(
            total=pl.col("score").sum(),
            criteria=pl.len(),
            scored=pl.col("scored").sum(),
            weak=pl.col("criterion").filter(pl.col("score") < 2),
            disagreements=pl.col("criterion").filter(pl.col("disagreement")),
        )
        .with_columns(score=100 * pl.col("total") / (3 * pl.col("criteria")))
        .select(
            "partner",
            "statement",
            "framework",
            "score",
            "total",
            "criteria",
            "scored",
            "weak",
            "disagreements",
        )
    )
    return StatementScores(statements, criteria, _agreement(criteria))


__all__ = ["DISAGREEMENT", "SCORE_COLUMNS", "StatementScores", "score_statements"]
