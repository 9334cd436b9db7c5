"""Due-diligence records: candidate partners, what they source, and their statement scores.

Every write checks ``partners`` access (``store/access.py``) and is audited in the same
transaction (``store/audit.py``); reads return Polars frames for ``uncounted.duediligence``.
A re-imported register updates a partner by its ``code`` and replaces its sourcing list; a
re-imported statement score updates the score of the same (partner, statement, framework,
criterion).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.errors import NotFound
from uncounted.store import audit
from uncounted.store.access import Action, Principal, Resource, check
from uncounted.store.tables import Partner, PartnerSourcing, StatementScore

PARTNER_FIELDS = ("business", "country", "sectors", "tier1_suppliers")
SOURCING_FIELDS = ("good", "country", "zone", "tier1_supplier")
SCORE_FIELDS = ("score", "evidence", "location", "reviewer", "second_score", "second_reviewer")


def partner_codes(session: Session, who: Principal | str) -> set[str]:
    """The codes of every partner in the register."""
    if isinstance(who, Principal):
        check(who, Resource.PARTNERS, Action.READ)
    return set(session.scalars(select(Partner.code)))


def save_register(
    session: Session,
    who: Principal | str,
    partners: Iterable[dict[str, Any]],
    sourcing: Iterable[dict[str, Any]],
) -> dict[str, int]:
    """Create or update partners (by ``code``) and replace the sourcing of each one given.

    ``partners``: dicts with ``code`` and :data:`PARTNER_FIELDS`; ``sourcing``: dicts with
    ``code`` and :data:`SOURCING_FIELDS`. Returns counts of partners created and updated and
    sourcing rows written.
    """
    if isinstance(who, Principal):
        check(who, Resource.PARTNERS, Action.CREATE)
        check(who, Resource.PARTNERS, Action.UPDATE)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "sourcing": 0}
    by_code: dict[str, Partner] = {}
    for p in partners:
        found = session.scalars(select(Partner).where(Partner.code == p["code"])).one_or_none()
        if found is None:
            found = Partner(code=p["code"], **{k: p[k] for k in PARTNER_FIELDS})
            audit.create(session, who, found)
            counts["created"] += 1
        elif audit.update(session, who, found, {k: p[k] for k in PARTNER_FIELDS}):
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
        by_code[p["code"]] = found
    for partner in by_code.values():
        old = session.scalars(
            select(PartnerSourcing).where(PartnerSourcing.partner_id == partner.id)
        ).all()
        for row in old:
            audit.delete(session, who, row)
    for s in sourcing:
        row = PartnerSourcing(
            partner_id=by_code[s["code"]].id, **{k: s[k] for k in SOURCING_FIELDS}
        )
        audit.create(session, who, row)
        counts["sourcing"] += 1
    return counts


def save_statement_scores(
    session: Session, who: Principal | str, rows: Iterable[dict[str, Any]]
) -> dict[str, int]:
    """Create or update criterion scores keyed by (partner code, statement, framework,
    criterion); each dict also holds :data:`SCORE_FIELDS`. Returns created/updated counts."""
    if isinstance(who, Principal):
        check(who, Resource.PARTNERS, Action.CREATE)
        check(who, Resource.PARTNERS, Action.UPDATE)
    ids = {code: pid for code, pid in session.execute(select(Partner.code, Partner.id))}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for r in rows:
        if r["partner"] not in ids:
            raise NotFound(
                f"There is no partner {r['partner']!r}; import the partner register first."
            )
        key = {
            "partner_id": ids[r["partner"]],
            "statement": r["statement"],
            "framework": r["framework"],
            "criterion": r["criterion"],
        }
        found = session.scalars(select(StatementScore).filter_by(**key)).one_or_none()
        if found is None:
            audit.create(session, who, StatementScore(**key, **{k: r[k] for k in SCORE_FIELDS}))
            counts["created"] += 1
        elif audit.update(session, who, found, {k: r[k] for k in SCORE_FIELDS}):
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts


def read_partners(session: Session, who: Principal) -> pl.DataFrame:
    """The register: ``partner, business, country, sectors, tier1_suppliers`` by code."""
    check(who, Resource.PARTNERS, Action.READ)
    rows = session.scalars(select(Partner).order_by(Partner.code)).all()
    return pl.DataFrame(
        [
            {
                "partner": p.code,
                "business": p.business,
                "country": p.country,
                "sectors": list(p.sectors),
                "tier1_suppliers": list(p.tier1_suppliers),
            }
            for p in rows
        ],
        schema={
            "partner": pl.String,
            "business": pl.String,
            "country": pl.String,
            "sectors": pl.List(pl.String),
            "tier1_suppliers": pl.List(pl.String),
        },
    )


def read_sourcing(session: Session, who: Principal) -> pl.DataFrame:
    """Every sourced good: ``partner, good, country, zone, tier1_supplier``."""
    check(who, Resource.PARTNERS, Action.READ)
    query = (
        select(Partner.code, *(getattr(PartnerSourcing, f) for f in SOURCING_FIELDS))
        .join(Partner, Partner.id == PartnerSourcing.partner_id)
        .order_by(Partner.code, PartnerSourcing.id)
    )
    return pl.DataFrame(
        [tuple(r) for r in session.execute(query)],
        schema={"partner": pl.String, **{f: pl.String for f in SOURCING_FIELDS}},
        orient="row",
    )


def read_statement_scores(session: Session, who: Principal) -> pl.DataFrame:
    """Every criterion score, in the columns of ``duediligence.SCORE_COLUMNS``."""
    check(who, Resource.PARTNERS, Action.READ)
    query = (
        select(
            Partner.code,
            StatementScore.statement,
            StatementScore.framework,
            StatementScore.criterion,
            *(getattr(StatementScore, f) for f in SCORE_FIELDS),
        )
        .join(Partner, Partner.id == StatementScore.partner_id)
        .order_by(Partner.code, StatementScore.statement, StatementScore.id)
    )
    text, number = pl.String, pl.Int64
    schema = {
        "partner": text,
        "statement": text,
        "framework": text,
        "criterion": text,
        "score": number,
        "evidence": text,
        "location": text,
        "reviewer": text,
        "second_score": number,
        "second_reviewer": text,
    }
    return pl.DataFrame([tuple(r) for r in session.execute(query)], schema=schema, orient="row")


__all__ = [
    "PARTNER_FIELDS",
    "SCORE_FIELDS",
    "SOURCING_FIELDS",
    "partner_codes",
    "read_partners",
    "read_sourcing",
    "read_statement_scores",
    "save_register",
    "save_statement_scores",
]
