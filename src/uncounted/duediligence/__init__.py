"""Due diligence of candidate business partners: modern slavery statements, supply-chain risk
and a decision sheet per partner.

* ``criteria`` — the statement criteria as data (Australia's Modern Slavery Act 2018 s16(1),
  the UK Modern Slavery Act 2015 s54(5)).
* ``statements`` — statement scores from reviewers' criterion scores, with kappa agreement.
* ``prescreen`` — passages of a statement's text that may answer each criterion (no score).
* ``risk`` — risk of each sourced good from a user's risk table and certified zones.
* ``decision`` — the decision rules, one sheet per partner, and the portfolio.
"""

from uncounted.duediligence.criteria import (
    DEFAULT_FRAMEWORK,
    SCALE,
    Criterion,
    Framework,
    framework,
    frameworks,
)
from uncounted.duediligence.decision import (
    CONDITIONS,
    ELIGIBLE,
    NOT_YET,
    Decision,
    PortfolioReview,
    decide,
    decide_all,
    portfolio,
    review_portfolio,
)
from uncounted.duediligence.prescreen import Passage, kind_of, passages, suggest
from uncounted.duediligence.risk import (
    GLOBAL_PREVALENCE_PER_1000,
    RISK_COLUMNS,
    SOURCING_COLUMNS,
    ZoneCertificate,
    assess_sourcing,
    base_level,
    worst_level,
)
from uncounted.duediligence.statements import (
    DISAGREEMENT,
    SCORE_COLUMNS,
    StatementScores,
    score_statements,
)

__all__ = [
    "CONDITIONS",
    "DEFAULT_FRAMEWORK",
    "DISAGREEMENT",
    "ELIGIBLE",
    "GLOBAL_PREVALENCE_PER_1000",
    "NOT_YET",
    "RISK_COLUMNS",
    "SCALE",
    "SCORE_COLUMNS",
    "SOURCING_COLUMNS",
    "Criterion",
    "Decision",
    "Framework",
    "Passage",
    "PortfolioReview",
    "StatementScores",
    "ZoneCertificate",
    "assess_sourcing",
    "base_level",
    "decide",
    "decide_all",
    "framework",
    "frameworks",
    "kind_of",
    "passages",
    "portfolio",
    "review_portfolio",
    "score_statements",
    "suggest",
    "worst_level",
]
