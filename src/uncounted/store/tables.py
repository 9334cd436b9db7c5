"""The case database: SQLAlchemy 2 tables for agencies, people, cases and what happens to them.

Design rules (DESIGN.md §4.5): every field that is queried, joined or counted is a real column
(ids, dates, stage, agency, jurisdiction, sex, age, exploitation type); multi-select HTCDS
fields that are only displayed go in JSON. Identifying data about a person lives in its own
table, :class:`PersonIdentity`, apart from the analytic fields, so it can be encrypted at rest
and withheld from analysts.

Every record that arrives from an agency's file keeps ``source_agency_id`` + ``external_id``
(unique together), so re-imports update instead of duplicating.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from uncounted.store.crypto import EncryptedText

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names (for migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}  # noqa: RUF012


class Agency(Base):
    """An organisation that records victims or acts on cases (HTCDS ``org_``)."""

    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    org_type: Mapped[str] = mapped_column(String(40), index=True)  # HTCDS org_Type
    # ISO 3166-1 alpha-2; none for an international organisation (e.g. a data hub)
    country: Mapped[str | None] = mapped_column(String(2), index=True)


class Jurisdiction(Base):
    """A country, or a subdivision of one (ISO 3166-1 / ISO 3166-2)."""

    __tablename__ = "jurisdictions"
    __table_args__ = (UniqueConstraint("country", "subdivision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    subdivision: Mapped[str | None] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(200))


class Person(Base):
    """A person's analytic fields (no identifying data: see :class:`PersonIdentity`)."""

    __tablename__ = "persons"
    __table_args__ = (UniqueConstraint("source_agency_id", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    external_id: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(30), index=True, default="Unknown")  # prs_Gender
    birth_year: Mapped[int | None] = mapped_column(Integer)
    age_at_identification: Mapped[int | None] = mapped_column(Integer)
    citizenship: Mapped[str | None] = mapped_column(String(2), index=True)
    age_band: Mapped[str | None] = mapped_column(String(10))  # e.g. CTDC ageBroad "9--17"
    minor_at_identification: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )


def _secret(name: str) -> EncryptedText:
    return EncryptedText(f"person_identities.{name}")


class PersonIdentity(Base):
    """Identifying data of a person, encrypted at rest (``store/crypto.py``) and withheld."""

    __tablename__ = "person_identities"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    given_name: Mapped[str | None] = mapped_column(_secret("given_name"))
    family_name: Mapped[str | None] = mapped_column(_secret("family_name"))
    other_names: Mapped[str | None] = mapped_column(_secret("other_names"))
    birth_date: Mapped[str | None] = mapped_column(_secret("birth_date"))
    identity_number: Mapped[str | None] = mapped_column(_secret("identity_number"))
    phone: Mapped[str | None] = mapped_column(_secret("phone"))
    email: Mapped[str | None] = mapped_column(_secret("email"))
    address: Mapped[str | None] = mapped_column(_secret("address"))


class PersonIndexToken(Base):
    """One token of the person search's blind index: HMAC-SHA256 under the index key (not the
    data key) of a normalised name word, its romanisation key, or the normalised identity
    number of a person (``store/person_index.py``). The table holds no name or number in
    clear; ``key_id`` names the index key, so a changed key is noticed and the index rebuilt.
    """

    __tablename__ = "person_index"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True, index=True)
    key_id: Mapped[str] = mapped_column(String(8))


class Case(Base):
    """One proceeding in one country; cross-border cases are several linked proceedings."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("source_agency_id", "external_id"),
        # The case list, newest first, filtered and scoped, read from the index alone.
        Index(
            "ix_cases_newest",
            "opened_on",
            "id",
            "owning_agency_id",
            "status",
            "exploitation_type",
            "jurisdiction_id",
        ),
        # The same for a caseworker's own agency's cases.
        Index(
            "ix_cases_agency_newest",
            "owning_agency_id",
            "opened_on",
            "id",
            "status",
            "exploitation_type",
            "jurisdiction_id",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    external_id: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # HTCDS cas_Status
    exploitation_type: Mapped[str] = mapped_column(String(40), index=True)
    owning_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CaseJurisdiction(Base):
    """Other jurisdictions a case involves (recruitment, transit, exploitation)."""

    __tablename__ = "case_jurisdictions"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), default="exploitation")


class CaseLink(Base):
    """Link between the proceedings of one cross-border case in several countries."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "linked_case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    linked_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="cross_border")


class CaseShare(Base):
    """A case shared with another agency, whose caseworkers may then see and work on it."""

    __tablename__ = "case_shares"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    shared_on: Mapped[dt.date] = mapped_column(Date)


class CasePerson(Base):
    """A person's role in a case, with the HTCDS victim or perpetrator context."""

    __tablename__ = "case_persons"
    __table_args__ = (UniqueConstraint("case_id", "person_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), index=True)  # victim | suspect
    # victim context (HTCDS vic_*)
    trafficking_status: Mapped[str | None] = mapped_column(String(20))
    exploitation_type: Mapped[str | None] = mapped_column(String(40), index=True)  # the first
    # every type when there is not exactly one: [] recorded as none; None: see the column above
    exploitation_types: Mapped[list[str] | None] = mapped_column(JSON)
    forced_labour_industry: Mapped[str | None] = mapped_column(String(40))
    sex_exploitation_type: Mapped[str | None] = mapped_column(String(40))
    recruitment_method: Mapped[str | None] = mapped_column(String(40))
    minor_at_exploitation: Mapped[bool | None] = mapped_column(Boolean, index=True)
    methods_of_control: Mapped[list[str] | None] = mapped_column(JSON)  # None: not recorded
    # perpetrator context (HTCDS per_RoleInProcess)
    role_in_process: Mapped[str | None] = mapped_column(String(40))


class JusticeEvent(Base):
    """A dated stage reached by a suspect or a victim in a case (see ``domain.stages``)."""

    __tablename__ = "justice_events"
    __table_args__ = (
        UniqueConstraint("source_agency_id", "external_id"),
        # "has this case reached this stage?" from the index alone (case list's stage filter)
        Index("ix_justice_events_case_id_stage", "case_id", "stage"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    external_id: Mapped[str | None] = mapped_column(String(100))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))  # ix_justice_events_case_id_stage
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20), index=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date, index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    offence: Mapped[str | None] = mapped_column(String(20))
    sentence_months: Mapped[int | None] = mapped_column(Integer)
    custodial: Mapped[bool | None] = mapped_column(Boolean)
    protective_measures: Mapped[bool | None] = mapped_column(Boolean)
    compensation: Mapped[bool | None] = mapped_column(Boolean)
    joint_operation: Mapped[bool | None] = mapped_column(Boolean)


class Referral(Base):
    """A referral of a person between agencies or countries."""

    __tablename__ = "referrals"
    # "was this case referred to this agency?" (caseworker scope) from the index alone
    __table_args__ = (Index("ix_referrals_case_id_to_agency_id", "case_id", "to_agency_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    from_country: Mapped[str] = mapped_column(String(2))
    to_country: Mapped[str] = mapped_column(String(2))
    referred_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(40))  # cas_ReasonForIncomingReferral
    consent_recorded: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    # the service asked of the receiving agency (e.g. "shelter", "legal aid"); no personal data
    service: Mapped[str | None] = mapped_column(String(200))
    # the person's consent, as the receiving agency recorded it when accepting (who, when, how)
    consent_method: Mapped[str | None] = mapped_column(String(20))  # referral_consent_method
    consent_given_on: Mapped[dt.date | None] = mapped_column(Date)
    consent_recorded_by: Mapped[str | None] = mapped_column(String(80))
    consent_recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # the receiving agency's decision: who, when, and why it declined (free text: encrypted)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decline_reason: Mapped[str | None] = mapped_column(EncryptedText("referrals.decline_reason"))


class CaseNote(Base):
    """A caseworker's note on a case: free text, encrypted at rest, with its author and time.

    Append-only: a note is never edited or deleted (a correction is a new note), so the case's
    history stays as it was written (see ``store/case_notes.py``).
    """

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id_written_at", "case_id", "written_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))  # ix_case_notes_case_id_written_at
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[str] = mapped_column(String(80))  # the username when written
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    written_at: Mapped[dt.datetime] = mapped_column(DateTime)
    body: Mapped[str] = mapped_column(EncryptedText("case_notes.body"))


class AftercareStep(Base):
    """A step of aftercare, repatriation or reintegration for a survivor."""

    __tablename__ = "aftercare_steps"
    __table_args__ = (UniqueConstraint("source_agency_id", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    external_id: Mapped[str | None] = mapped_column(String(100))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    step: Mapped[str] = mapped_column(String(30), index=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    country: Mapped[str] = mapped_column(String(2))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))


class Assessment(Base):
    """A survivor-outcome assessment with an instrument on a date; scores in AssessmentItem."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(60))
    assessed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    assessor: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))


class AssessmentItem(Base):
    """One item (sub-domain) score of an assessment."""

    __tablename__ = "assessment_items"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    item: Mapped[str] = mapped_column(String(60), primary_key=True)
    score: Mapped[int | None] = mapped_column(Integer)


class ListMembership(Base):
    """Which agency's list recorded which person in which period (input to MSE).

    ``linkage_only`` marks an agency's raw record of someone the store already counts on the
    lists through a linked person record (the demo stores both: each true person on every
    list that saw them, and each agency's own records of them). Linkage reads it
    (``store/linkage_records.py``); the stored lists (``store/frames.list_memberships_frame``)
    leave it out, so nobody is counted twice.
    """

    __tablename__ = "list_memberships"
    __table_args__ = (UniqueConstraint("person_id", "agency_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    period: Mapped[str] = mapped_column(String(10), index=True)  # e.g. "2024" or "2024Q3"
    recorded_on: Mapped[dt.date | None] = mapped_column(Date)
    linkage_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class LinkageDecision(Base):
    """A reviewer's decision that two agency records are (not) the same person.

    Applied on every later linkage run: it overrides the model's match probability for that
    pair. The pair is stored with the lower person id first.
    """

    __tablename__ = "linkage_decisions"
    __table_args__ = (UniqueConstraint("person_id_l", "person_id_r"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id_l: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_id_r: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # match | non-match
    match_probability: Mapped[float | None] = mapped_column()
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    note: Mapped[str | None] = mapped_column(Text)


class RecordRemoval(Base):
    """A person, case or justice event taken out of every read: deleted (with a reason) or, for
    a person, merged into another record. One row per removed record; restoring deletes the row.

    A tombstone table rather than ``deleted_at`` columns on each table: the records keep their
    columns and the indexes the case list reads from alone (a record's id is in every index,
    so ``id NOT IN (removed ids)`` still needs no table row); one place lists what was removed
    for the administrator; the filter is the same for every kind (``store/tombstones.py``).
    """

    __tablename__ = "record_removals"
    __table_args__ = (UniqueConstraint("resource", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(String(40))  # persons | cases | justice_events
    record_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # deleted | merged
    reason: Mapped[str] = mapped_column(Text)
    removed_by: Mapped[str] = mapped_column(String(80))
    removed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    # for a merge: the ids of the rows moved onto the kept person, by table (to undo it)
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # for a merge: the pair's linkage decision before the merge recorded its own ``match``
    # (decision, match_probability, decided_by, decided_at, note), put back by the undo;
    # None: there was none, and the undo deletes the merge's
    prior_decision: Mapped[dict[str, Any] | None] = mapped_column()


class User(Base):
    """A person who signs in: role (admin, caseworker, analyst, viewer) and agency scope."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # argon2id; "secret": never copied into the audit log (store/audit.py)
    password_hash: Mapped[str] = mapped_column(String(200), info={"secret": True})
    role: Mapped[str] = mapped_column(String(20), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    # the web app's language for this user (web/locale); None: the browser's
    language: Mapped[str | None] = mapped_column(String(20))


class WebSession(Base):
    """A signed-in web session, held on the server so it can be ended: at sign-out, when the
    user's password or role changes, after an idle time and after an absolute lifetime.

    The cookie carries a random token; only its SHA-256 is stored, so a copy of the database
    does not hand out sessions.
    """

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PasswordReset(Base):
    """A one-time link an administrator made for a user to set a new password (the user
    forgot it, or it may be known to someone else). Only the SHA-256 of the link's token is
    stored; the row is deleted when the link is used, when a newer link is made for the
    same user, and is refused after ``expires_at``."""

    __tablename__ = "password_resets"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class SignInThrottle(Base):
    """Failed sign-ins per account, per address and per account-and-address, and how long the
    next attempt must wait (growing delays; see ``store/signin.py``).

    ``key`` is the SHA-256 of ``user:<name>``, ``address:<ip>`` or ``pair:<name>:<ip>``, so the
    table holds neither the names tried (sometimes a password typed in the wrong box) nor the
    addresses. ``known`` marks an account-and-address pair that has signed in successfully.
    """

    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[dt.datetime | None] = mapped_column(DateTime)
    not_before: Mapped[dt.datetime | None] = mapped_column(DateTime)
    known: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEvent(Base):
    """One audited action: who did what to which record, and which fields (before/after).

    Written in the same transaction as the action it records (see ``store/audit.py``).
    """

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(80))  # username, or "cli:<command>", "system"
    action: Mapped[str] = mapped_column(String(20), index=True)  # create|update|delete|read|...
    resource: Mapped[str] = mapped_column(String(40), index=True)  # table name
    record_id: Mapped[str | None] = mapped_column(String(100), index=True)
    fields: Mapped[list[str]] = mapped_column(default=list)
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
    detail: Mapped[str | None] = mapped_column(Text)


class ImportBatch(Base):
    """One import of one file: what it was, who loaded it, and how it ended."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    record_type: Mapped[str] = mapped_column(String(40))
    source_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    actor: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # loaded|partial|rejected|dry-run
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_created: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)


class Partner(Base):
    """A candidate business partner under due diligence (``uncounted.duediligence``).

    ``code`` is the programme's own reference; sectors and tier-1 suppliers are only shown.
    """

    __tablename__ = "dd_partners"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    business: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    sectors: Mapped[list[str]] = mapped_column(default=list)
    tier1_suppliers: Mapped[list[str]] = mapped_column(default=list)


class PartnerSourcing(Base):
    """One good a partner sources and where from (country, and a zone when inside one)."""

    __tablename__ = "dd_sourcing"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("dd_partners.id"), index=True)
    good: Mapped[str] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2), index=True)  # None: not disclosed
    zone: Mapped[str | None] = mapped_column(String(200))  # name of an exploitation-free zone
    tier1_supplier: Mapped[str | None] = mapped_column(String(200))


class StatementScore(Base):
    """A reviewer's score (0-3) of one criterion of a partner's modern slavery statement,
    with the evidence quoted and where it is, and a second reviewer's score for agreement."""

    __tablename__ = "dd_statement_scores"
    __table_args__ = (UniqueConstraint("partner_id", "statement", "framework", "criterion"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("dd_partners.id"), index=True)
    statement: Mapped[str] = mapped_column(String(40))  # e.g. "FY2024"
    framework: Mapped[str] = mapped_column(String(40))  # au-msa-2018-s16 | uk-msa-2015-s54
    criterion: Mapped[str] = mapped_column(String(20))  # e.g. AU-d
    score: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(100))  # page or paragraph
    reviewer: Mapped[str] = mapped_column(String(80))
    second_score: Mapped[int | None] = mapped_column(Integer)
    second_reviewer: Mapped[str | None] = mapped_column(String(80))


#: Tables in an order that respects foreign keys (for bulk loads and exports).
TABLE_ORDER: tuple[str, ...] = tuple(t.name for t in Base.metadata.sorted_tables)

__all__ = [
    "TABLE_ORDER",
    "AftercareStep",
    "Agency",
    "Assessment",
    "AssessmentItem",
    "AuditEvent",
    "Base",
    "Case",
    "CaseJurisdiction",
    "CaseLink",
    "CaseNote",
    "CasePerson",
    "CaseShare",
    "ImportBatch",
    "Jurisdiction",
    "JusticeEvent",
    "LinkageDecision",
    "ListMembership",
    "Partner",
    "PartnerSourcing",
    "PasswordReset",
    "Person",
    "PersonIdentity",
    "PersonIndexToken",
    "RecordRemoval",
    "Referral",
    "SignInThrottle",
    "StatementScore",
    "User",
    "WebSession",
]
