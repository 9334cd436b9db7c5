"""Agencies' person records for linkage, clerical review decisions — read and written with an
audit trail.

Linkage needs identifying fields (names, birth dates, phones), which are encrypted at rest:
reading them here decrypts them (``store/crypto.py``) and writes an audit event **in the same
transaction**: one ``read`` event per agency for a linkage run (who, when, which agency's
records, how many, which fields), and one per record shown to a reviewer. Decisions are
created through :func:`uncounted.store.audit.create`, so each is audited too.

A signed-in reviewer (a :class:`~uncounted.store.access.Principal`) needs the ``linkage``
resource of ``store/access.py``: reading it to see the queue's records
(:func:`review_details`), creating it to record a decision and updating it to change one
(:func:`review_decision`). The operator on the server (a plain string) is not narrowed.

Records are the ``persons`` rows an agency delivered (``source_agency_id`` set), one row per
list membership (a person recorded in two periods appears twice, with the same
``record_id``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from uncounted.errors import InvalidInput
from uncounted.store import audit
from uncounted.store.access import Action, Principal, Resource, check
from uncounted.store.tables import (
    Agency,
    LinkageDecision,
    ListMembership,
    Person,
    PersonIdentity,
)
from uncounted.store.tombstones import live

__all__ = [
    "IDENTITY_FIELDS",
    "agency_record_frames",
    "decisions_frame",
    "linkage_records",
    "record_decision",
    "record_lists",
    "review_decision",
    "review_details",
]

#: Identifying fields read for linkage (and recorded as read in the audit log).
IDENTITY_FIELDS: tuple[str, ...] = ("given_name", "family_name", "birth_date", "phone", "address")

_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "agency": pl.String(),
    "period": pl.String(),
    "recorded_on": pl.Date(),
    "sex": pl.String(),
    "age": pl.Int64(),
    "citizenship": pl.String(),
    "region": pl.String(),
    "given_name": pl.String(),
    "family_name": pl.String(),
    "birth_date": pl.String(),
    "phone": pl.String(),
    "place": pl.String(),
}


def linkage_records(session: Session, who: Principal | str) -> pl.DataFrame:
    """Every agency-delivered person record with its list memberships and identity.

    Columns: ``record_id`` (the person id), ``agency`` (code), ``period``, ``recorded_on``,
    ``sex``, ``age``, ``citizenship``, ``region`` (the agency's country), ``given_name``,
    ``family_name``, ``birth_date`` (ISO date), ``phone``, ``place`` (the stored address:
    home province or district). Audited: one read event per agency.
    """
    query = (
        select(
            Person.id,
            Agency.code,
            ListMembership.period,
            ListMembership.recorded_on,
            Person.sex,
            Person.age_at_identification,
            Person.citizenship,
            Agency.country,
            PersonIdentity.given_name,
            PersonIdentity.family_name,
            PersonIdentity.birth_date,
            PersonIdentity.phone,
            PersonIdentity.address,
        )
        .join(Agency, Agency.id == Person.source_agency_id)
        .join(ListMembership, ListMembership.person_id == Person.id)
        .outerjoin(PersonIdentity, PersonIdentity.person_id == Person.id)
        .where(Person.source_agency_id.is_not(None), live(ListMembership))
        .order_by(Person.id, ListMembership.period)
    )
    rows = [
        (str(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12])
        for r in session.execute(query)
    ]
    frame = pl.DataFrame(rows, schema=_SCHEMA, orient="row")
    counts = frame.unique("record_id").group_by("agency").len().sort("agency")
    for agency, n in counts.iter_rows():
        audit.record(
            session,
            who,
            audit.AuditAction.READ,
            "person_identities",
            f"agency:{agency}",
            fields=list(IDENTITY_FIELDS),
            detail=f"linkage: read the identifying fields of {n} record(s) of {agency}",
        )
    return frame


def review_details(
    session: Session, who: Principal | str, record_ids: Sequence[int]
) -> pl.DataFrame:
    """The identifying and analytic fields of ``record_ids`` for a reviewer (each audited).

    A signed-in reviewer needs to read ``linkage`` (:class:`AccessDenied` otherwise); the caller
    masks names for roles that may not see them (``linkage.review.mask_names``)."""
    if isinstance(who, Principal):
        check(who, Resource.LINKAGE, Action.READ)
    query = (
        select(
            Person.id,
            Agency.code,
            Person.sex,
            Person.age_at_identification,
            Person.citizenship,
            PersonIdentity.given_name,
            PersonIdentity.family_name,
            PersonIdentity.birth_date,
            PersonIdentity.phone,
            PersonIdentity.address,
        )
        .join(Agency, Agency.id == Person.source_agency_id, isouter=True)
        .outerjoin(PersonIdentity, PersonIdentity.person_id == Person.id)
        .where(Person.id.in_(list(record_ids)), live(Person))
    )
    rows = list(session.execute(query))
    for row in rows:
        audit.record_read(session, who, "person_identities", str(row[0]), list(IDENTITY_FIELDS))
    names = [
        "record_id",
        "agency",
        "sex",
        "age",
        "citizenship",
        "given_name",
        "family_name",
        "birth_date",
        "phone",
        "place",
    ]
    return pl.DataFrame(
        [(str(r[0]), *r[1:]) for r in rows],
        schema={n: pl.Int64() if n == "age" else pl.String() for n in names},
        orient="row",
    )


def record_decision(
    session: Session,
    who: Principal | str,
    record_l: int,
    record_r: int,
    decision: str,
    *,
    match_probability: float | None = None,
    note: str | None = None,
) -> LinkageDecision:
    """Store (or replace) a reviewer's decision on a pair of records, audited."""
    if decision not in ("match", "non-match"):
        raise InvalidInput(f"A review decision is match or non-match, not {decision!r}.")
    if record_l == record_r:
        raise InvalidInput("A review decision needs two different records.")
    low, high = sorted((int(record_l), int(record_r)))
    for pid in (low, high):
        if session.get(Person, pid) is None:
            raise InvalidInput(f"No person record {pid}; check the ids in the review queue.")
    name = who.username if isinstance(who, Principal) else who
    existing = session.scalars(
        select(LinkageDecision).where(
            LinkageDecision.person_id_l == low, LinkageDecision.person_id_r == high
        )
    ).first()
    if existing is not None:
        audit.update(
            session,
            who,
            existing,
            {
                "decision": decision,
                "note": note,
                "decided_by": name,
                "decided_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            },
        )
        return existing
    created = LinkageDecision(
        person_id_l=low,
        person_id_r=high,
        decision=decision,
        match_probability=match_probability,
        decided_by=name,
        note=note,
    )
    audit.create(session, who, created)
    return created


def review_decision(
    session: Session,
    who: Principal | str,
    record_l: int,
    record_r: int,
    decision: str,
    *,
    match_probability: float | None = None,
    note: str | None = None,
    queued: bool = False,
) -> LinkageDecision:
    """A reviewer's decision on a pair of the review queue (:func:`record_decision`), for a
    signed-in reviewer only when their role may create (and, to change one, update) linkage
    decisions. A blank note is stored as none.

    A signed-in reviewer decides only on what linkage compared: two live records that agencies
    delivered on their lists (the records a linkage run reads), and, for a new decision, a pair
    the latest run left for review (``queued``, which the caller checks against the saved run:
    ``linkage.queue.SavedReview.probability``); a pair already decided may be changed. A
    *match* makes two records of one agency merge candidates, so a decision on any other pair
    of ids would put a pair no run proposed before caseworkers. The operator on the server (a
    plain string) is not narrowed."""
    if isinstance(who, Principal):
        check(who, Resource.LINKAGE, Action.CREATE)
        low, high = sorted((int(record_l), int(record_r)))
        existing = session.scalars(
            select(LinkageDecision.id).where(
                LinkageDecision.person_id_l == low, LinkageDecision.person_id_r == high
            )
        ).first()
        if existing is not None:
            check(who, Resource.LINKAGE, Action.UPDATE)
        _listed_records(session, low, high)
        if existing is None and not queued:
            raise InvalidInput(
                f"Records {low} and {high} are not a pair of the review queue; decide on the "
                "pairs the latest linkage run left for review."
            )
    text = (note or "").strip() or None
    return record_decision(
        session, who, record_l, record_r, decision, match_probability=match_probability, note=text
    )


def _listed_records(session: Session, *ids: int) -> None:
    """:class:`InvalidInput` unless each of ``ids`` is a live record an agency delivered on
    its list (a source agency and a live list membership): what linkage runs compare."""
    if len(set(ids)) < len(ids):
        raise InvalidInput("A review decision needs two different records.")
    for pid in ids:
        listed = select(ListMembership.id).where(
            ListMembership.person_id == pid,
            ListMembership.person_id.in_(
                select(Person.id).where(Person.source_agency_id.is_not(None), live(Person))
            ),
            live(ListMembership),
        )
        if session.scalar(listed.limit(1)) is None:
            raise InvalidInput(
                f"No person record {pid} on an agency's list; check the ids in the review queue."
            )


def record_lists(engine: Engine) -> pl.DataFrame:
    """Each agency-delivered record's list memberships, without identifying fields:
    ``record_id``, ``agency`` (code), ``period``, ``sex``, ``age``, ``citizenship`` (what the
    review queue's impact and an estimate from a saved linkage run need)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Person.id,
                Agency.code,
                ListMembership.period,
                Person.sex,
                Person.age_at_identification,
                Person.citizenship,
            )
            .join(Agency, Agency.id == Person.source_agency_id)
            .join(ListMembership, ListMembership.person_id == Person.id)
            .where(Person.source_agency_id.is_not(None))
        ).fetchall()
    return pl.DataFrame(
        [(str(r[0]), *r[1:]) for r in rows],
        schema={
            "record_id": pl.String,
            "agency": pl.String,
            "period": pl.String,
            "sex": pl.String,
            "age": pl.Int64,
            "citizenship": pl.String,
        },
        orient="row",
    )


def decisions_frame(engine: Engine) -> pl.DataFrame:
    """Stored decisions as ``unique_id_l``, ``unique_id_r`` (record ids), ``decision``."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                LinkageDecision.person_id_l, LinkageDecision.person_id_r, LinkageDecision.decision
            ).where(live(LinkageDecision))
        ).fetchall()
    return pl.DataFrame(
        [(str(a), str(b), d) for a, b, d in rows],
        schema={"unique_id_l": pl.String, "unique_id_r": pl.String, "decision": pl.String},
        orient="row",
    )


def agency_record_frames(
    records: pl.DataFrame,
    agencies: pl.DataFrame,
    *,
    first_person_id: int = 1,
    first_membership_id: int = 1,
    linkage_only: bool = False,
) -> dict[str, pl.DataFrame]:
    """Frames for :func:`uncounted.store.bulk.insert_frames` storing agencies' raw records
    (``uncounted.simulate.agency_records``) as an agency's import stores them: ``persons``
    (one per record, with ``source_agency_id`` and the record id as ``external_id``),
    ``person_identities`` and ``list_memberships`` (on the agency's own list).

    ``agencies`` needs ``id`` and ``code``; ``records`` the columns of
    :class:`~uncounted.simulate.agency_records.AgencyRecords`, in the order to store them.
    Person and membership ids start at ``first_person_id`` and ``first_membership_id`` (past
    the rows a store already holds); ``linkage_only`` marks the memberships as records for
    linkage of people the store already counts (see
    :class:`~uncounted.store.tables.ListMembership`).
    """
    ids = agencies.select(pl.col("code").alias("agency"), pl.col("id").alias("source_agency_id"))
    recs = (
        records.join(ids, on="agency", how="left", maintain_order="left")
        .with_row_index("id", offset=first_person_id)
        .with_columns(pl.col("id").cast(pl.Int64))
    )
    if recs["source_agency_id"].null_count():
        raise InvalidInput("Every record's agency must be one of the stored agencies.")
    persons = recs.select(
        "id",
        "source_agency_id",
        pl.col("record_id").alias("external_id"),
        pl.col("sex").fill_null("Unknown"),
        (pl.col("recorded_on").dt.year() - pl.col("age")).alias("birth_year"),
        pl.col("age").alias("age_at_identification"),
        "citizenship",
    )
    identities = recs.select(
        pl.col("id").alias("person_id"),
        "given_name",
        "family_name",
        pl.lit(None, dtype=pl.String).alias("other_names"),
        pl.col("birth_date").cast(pl.String),
        pl.lit(None, dtype=pl.String).alias("identity_number"),
        "phone",
        pl.lit(None, dtype=pl.String).alias("email"),
        pl.col("place").alias("address"),
    )
    memberships = (
        recs.select(
            pl.col("id").alias("person_id"),
            pl.col("source_agency_id").alias("agency_id"),
            "period",
            "recorded_on",
            pl.lit(linkage_only).alias("linkage_only"),
        )
        .with_row_index("id", offset=first_membership_id)
        .with_columns(pl.col("id").cast(pl.Int64))
    )
    return {"persons": persons, "person_identities": identities, "list_memberships": memberships}
