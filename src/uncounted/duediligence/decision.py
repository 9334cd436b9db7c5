"""The decision sheet of a candidate partner and the portfolio of all partners.

The policy this serves asks a government to enter development partnerships only with
businesses that carry out human rights due diligence of their supply chains. The rules read
the partner's latest assessed statement (on the Australian s16 criteria when it was assessed
on them, else the UK s54(5) areas) and the risk of each sourced good (``risk.py``)::

    not yet eligible       no statement assessed; or the due-diligence criterion (s16(1)(d) /
                           s54(5)(c)) scores below ``min_criterion`` (2, "partly described");
                           or a good is at high risk while the risks criterion (s16(1)(c) /
                           s54(5)(d)) scores below ``min_criterion``
    eligible with conditions   otherwise, when any criterion scores below ``min_criterion``,
                           the statement scores below ``min_score`` (50 %), a good is at high
                           or unknown risk, a zone is not certified, or two reviewers disagree
    eligible               none of the above

Each trigger adds a red flag and, where the partner can act on it, a requirement to meet before
an agreement. The thresholds are the programme's choice (keyword arguments), not a published
standard; the criteria are the Acts' (``criteria.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from uncounted.duediligence.criteria import DEFAULT_FRAMEWORK, framework
from uncounted.duediligence.risk import ZoneCertificate, assess_sourcing, worst_level
from uncounted.duediligence.statements import StatementScores, score_statements
from uncounted.errors import NotFound

NOT_YET = "not yet eligible"
CONDITIONS = "eligible with conditions"
ELIGIBLE = "eligible"


@dataclass(frozen=True)
class Decision:
    """One partner's decision sheet: status, statement score, risks, flags, requirements."""

    partner: str
    business: str
    country: str
    sectors: list[str]
    tier1_suppliers: list[str]
    status: str
    statement: dict[str, Any] | None
    criteria: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    supply_chain_risk: str | None
    red_flags: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The sheet as plain data (what the page, the JSON twin and the report show)."""
        return {
            "partner": self.partner,
            "business": self.business,
            "country": self.country,
            "sectors": self.sectors,
            "tier1_suppliers": self.tier1_suppliers,
            "status": self.status,
            "statement": self.statement,
            "criteria": self.criteria,
            "risks": self.risks,
            "supply_chain_risk": self.supply_chain_risk,
            "red_flags": self.red_flags,
            "requirements": self.requirements,
        }


def _latest(scores: StatementScores, partner: str) -> dict[str, Any] | None:
    own = scores.statements.filter(pl.col("partner") == partner)
    if own.height == 0:
        return None
    latest = own.sort("statement")["statement"][-1]
    own = own.filter(pl.col("statement") == latest)
    preferred = own.filter(pl.col("framework") == DEFAULT_FRAMEWORK)
    row = (preferred if preferred.height else own).row(0, named=True)
    return dict(row)


def decide(
    partner: dict[str, Any],
    scores: StatementScores,
    risks: pl.DataFrame,
    *,
    min_criterion: int = 2,
    min_score: float = 50.0,
) -> Decision:
    """The decision sheet of ``partner`` (a register row: partner, business, country, ...)."""
    code = str(partner["partner"])
    statement = _latest(scores, code)
    own_risks = risks.filter(pl.col("partner") == code).to_dicts() if risks.height else []
    flags: list[str] = []
    needs: list[str] = []
    blocking = False
    criteria: list[dict[str, Any]] = []
    for r in own_risks:
        flags.extend(r.get("flags") or [])
        if r["level"] == "high":
            needs.append(
                f"Show supplier-level due diligence (audit, certification or traceability) "
                f"for {r['good']} from {r['country']}."
            )
        elif r["level"] == "unknown":
            needs.append(
                f"Disclose the origin of {r['good']} or supply evidence of its labour risk"
                + (f" in {r['country']}." if r["country"] else ".")
            )
    high_risk = any(r["level"] == "high" for r in own_risks)
    if statement is None:
        blocking = True
        flags.append("no modern slavery statement assessed")
        needs.append(
            "Provide a modern slavery statement addressing the seven criteria of s16(1) of the "
            "Modern Slavery Act 2018 (Cth), to be assessed before an agreement."
        )
    else:
        fw = framework(statement["framework"])
        criteria = scores.criteria.filter(
            (pl.col("partner") == code)
            & (pl.col("statement") == statement["statement"])
            & (pl.col("framework") == fw.id)
        ).to_dicts()
        by_id = {c["criterion"]: c for c in criteria}
        for c in criteria:
            if c["score"] < min_criterion:
                flags.append(f"{c['criterion']} ({c['provision']}) scored {c['score']}/3")
                needs.append(f"Describe in the statement: {c['label']} ({c['provision']}).")
            if c.get("disagreement"):
                flags.append(
                    f"reviewers disagree on {c['criterion']} ({c['score']} vs "
                    f"{c['second_score']}): reconcile before deciding"
                )
        dd = [by_id[c.id]["score"] for c in fw.with_role("due_diligence") if c.id in by_id]
        if dd and max(dd) < min_criterion:
            blocking = True
            flags.append("no evidence of human rights due diligence of the supply chain")
        risk_scores = [by_id[c.id]["score"] for c in fw.with_role("risks") if c.id in by_id]
        if high_risk and risk_scores and max(risk_scores) < min_criterion:
            blocking = True
            flags.append("sources a high-risk good but does not describe its risks")
        if statement["score"] < min_score:
            flags.append(f"statement score {statement['score']:.0f}% is below {min_score:.0f}%")
    if blocking:
        status = NOT_YET
    elif flags:
        status = CONDITIONS
    else:
        status = ELIGIBLE
    return Decision(
        partner=code,
        business=str(partner["business"]),
        country=str(partner["country"]),
        sectors=list(partner.get("sectors") or []),
        tier1_suppliers=list(partner.get("tier1_suppliers") or []),
        status=status,
        statement=statement,
        criteria=criteria,
        risks=own_risks,
        supply_chain_risk=worst_level([r["level"] for r in own_risks]),
        red_flags=list(dict.fromkeys(flags)),
        requirements=list(dict.fromkeys(needs)),
    )


def portfolio(decisions: list[Decision]) -> pl.DataFrame:
    """One row per partner: status, statement score, worst risk, counts of flags and needs."""
    rows = [
        {
            "partner": d.partner,
            "business": d.business,
            "country": d.country,
            "status": d.status,
            "statement": d.statement["statement"] if d.statement else None,
            "statement_score": d.statement["score"] if d.statement else None,
            "supply_chain_risk": d.supply_chain_risk,
            "goods": len(d.risks),
            "red_flags": len(d.red_flags),
            "requirements": len(d.requirements),
        }
        for d in decisions
    ]
    schema = {"partner": pl.String, "business": pl.String, "country": pl.String,
              "status": pl.String, "statement": pl.String, "statement_score": pl.Float64,
              "supply_chain_risk": pl.String, "goods": pl.Int64, "red_flags": pl.Int64,
              "requirements": pl.Int64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def decide_all(
    partners: pl.DataFrame,
    scores: StatementScores,
    risks: pl.DataFrame,
    *,
    min_criterion: int = 2,
    min_score: float = 50.0,
) -> list[Decision]:
    """The decision sheet of every partner in ``partners`` (one row per partner)."""
    return [
        decide(p, scores, risks, min_criterion=min_criterion, min_score=min_score)
        for p in partners.to_dicts()
    ]


@dataclass(frozen=True)
class PortfolioReview:
    """Everything about the partners at once: scores, risks, one sheet each, the portfolio."""

    scores: StatementScores
    risks: pl.DataFrame
    decisions: list[Decision]
    table: pl.DataFrame

    def decision(self, partner: str) -> Decision:
        """The sheet of ``partner``; raises :class:`NotFound` when it is not in the register."""
        for d in self.decisions:
            if d.partner == partner:
                return d
        raise NotFound(
            f"There is no partner {partner!r} in the register; see `uncounted partners portfolio`."
        )

    def to_dict(self) -> dict[str, Any]:
        """The portfolio, each sheet and the reviewers' agreement as plain data."""
        return {
            "portfolio": self.table.to_dicts(),
            "agreement": self.scores.agreement.to_dicts(),
            "decisions": [d.to_dict() for d in self.decisions],
        }


def review_portfolio(
    partners: pl.DataFrame,
    sourcing: pl.DataFrame,
    statement_scores: pl.DataFrame,
    risk_table: pl.DataFrame,
    certificates: list[ZoneCertificate] | None = None,
    *,
    min_criterion: int = 2,
    min_score: float = 50.0,
) -> PortfolioReview:
    """Score the statements, rate each sourced good and decide on every partner."""
    scores = score_statements(statement_scores)
    risks = assess_sourcing(sourcing, risk_table, certificates)
    decisions = decide_all(
        partners, scores, risks, min_criterion=min_criterion, min_score=min_score
    )
    return PortfolioReview(scores, risks, decisions, portfolio(decisions))


__all__ = [
    "CONDITIONS",
    "ELIGIBLE",
    "NOT_YET",
    "Decision",
    "PortfolioReview",
    "decide",
    "decide_all",
    "portfolio",
    "review_portfolio",
]
