"""Find a person by name or identity number, in the caller's scope, audited.

The query is normalised and turned into blind-index tokens exactly as stored names are
(:mod:`uncounted.store.person_index`); the people holding any of those tokens are looked up
**within** :func:`~uncounted.store.access.person_filter` for reading identities, so a
caseworker finds only the people of their agency's own and shared cases, the people their
agency recorded, and people referred to it under an accepted referral with consent — exactly
whose names the case pages would show them. Analysts and viewers, who never see names, may not
search by them.

Ranking: an identity-number match first, then the number of the query's words the person's
names match (by spelling or by romanisation key), then exact spellings, then the person id.

Each result shows the person's name, the cases of theirs the caller may open (reference and
owning agency) and the agency that recorded them. A search is a read of personal data: it is
audited with who searched, how many people were found and an HMAC of the query under the
index key (never the query in clear), and each name shown is audited as a read of that
person's identity, as on a case page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from uncounted.errors import InvalidInput
from uncounted.store import audit
from uncounted.store.access import Action, Principal, Resource, check, person_filter, scope_filter
from uncounted.store.crypto import engine_index_key
from uncounted.store.person_index import NUMBER, ROMANISED, WORD, query_values, token
from uncounted.store.tables import (
    Agency,
    Case,
    CasePerson,
    Person,
    PersonIdentity,
    PersonIndexToken,
)

#: Results shown at most (the rest is counted as "more").
LIMIT = 50
#: Longest query accepted, in characters.
MAX_QUERY = 200


@dataclass(frozen=True)
class PersonHit:
    """One person found: who, why, and where the caller may open their record."""

    person_id: int
    name: str
    identity_number_matched: bool
    words_matched: int
    exact_words: int
    agency: str | None  # the agency that recorded the person
    cases: list[dict[str, Any]] = field(default_factory=list)  # id, reference, agency, role

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**vars(self), "cases": [dict(c) for c in self.cases]}


@dataclass(frozen=True)
class PersonSearch:
    """The people a query found, best first."""

    words: int  # words of the query looked up as names
    hits: list[PersonHit]
    total: int  # people found in scope (``hits`` holds the first :data:`LIMIT`)

    @property
    def more(self) -> bool:
        """Whether more people matched than are shown."""
        return self.total > len(self.hits)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "words": self.words,
            "total": self.total,
            "more": self.more,
            "hits": [h.to_dict() for h in self.hits],
        }


def _rank(
    found: dict[int, set[str]],
    words: dict[str, int],
    keys: dict[str, set[int]],
    numbers: set[str],
) -> list[tuple[int, bool, int, int]]:
    """(person id, number matched, words matched, exact words), best first.

    ``words``: token → index of the query word; ``keys``: token → indexes of the query words
    with that romanisation key; ``numbers``: identity-number tokens.
    """
    ranked = []
    for pid, tokens in found.items():
        exact = {words[t] for t in tokens if t in words}
        close = {i for t in tokens if t in keys for i in keys[t]}
        ranked.append((pid, bool(tokens & numbers), len(exact | close), len(exact)))
    ranked.sort(key=lambda r: (not r[1], -r[2], -r[3], r[0]))
    return ranked


def search_persons(session: Session, who: Principal, text: str, limit: int = LIMIT) -> PersonSearch:
    """The people in ``who``'s scope whose names or identity number match ``text`` (none for a
    blank query); :class:`AccessDenied` for a role that may not read names,
    :class:`InvalidInput` for a query longer than :data:`MAX_QUERY`."""
    check(who, Resource.IDENTITIES, Action.READ)
    query = (text or "").strip()
    if not query:  # nothing asked, nothing read
        return PersonSearch(0, [], 0)
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"A search is at most {MAX_QUERY} characters; shorten it.")
    key = engine_index_key(session.get_bind().dialect)
    values = query_values(query)
    words = {token(key, WORD, w): i for i, w in enumerate(values.words)}
    keys: dict[str, set[int]] = defaultdict(set)
    for i, k in enumerate(values.keys):
        if k:
            keys[token(key, ROMANISED, k)].add(i)
    numbers = {token(key, NUMBER, n) for n in values.numbers}
    index = PersonIndexToken
    in_scope = select(Person.id).where(person_filter(who, Resource.IDENTITIES, Action.READ))
    found: dict[int, set[str]] = defaultdict(set)
    hits = session.execute(
        select(index.person_id, index.token).where(
            index.token.in_([*words, *keys, *numbers]), index.person_id.in_(in_scope)
        )
    )
    for pid, tok in hits:
        found[int(pid)].add(tok)
    ranked = _rank(found, words, keys, numbers)
    shown = ranked[:limit]
    people = _describe(session, who, [r[0] for r in shown])
    hits_shown = []
    for pid, number, matched, exact in shown:
        name, agency, cases, _read = people[pid]
        hits_shown.append(PersonHit(pid, name, number, matched, exact, agency, cases))
    result = PersonSearch(len(values.words), hits_shown, len(ranked))
    _audit(session, who, key, query, result, {pid: people[pid][3] for pid in people})
    return result


def _describe(
    session: Session, who: Principal, person_ids: list[int]
) -> dict[int, tuple[str, str | None, list[dict[str, Any]], list[str]]]:
    """Name, recording agency, visible cases and the identifying fields shown (for the
    audit) of each person."""
    if not person_ids:
        return {}
    agencies = {i: c for i, c in session.execute(select(Agency.id, Agency.code))}
    names: dict[int, str] = {}
    read: dict[int, list[str]] = {}
    rows = session.execute(
        select(
            Person.id,
            Person.source_agency_id,
            PersonIdentity.given_name,
            PersonIdentity.family_name,
            PersonIdentity.other_names,
        )
        .outerjoin(PersonIdentity, PersonIdentity.person_id == Person.id)
        .where(Person.id.in_(person_ids))
    ).all()
    recorded: dict[int, str | None] = {}
    for pid, source, given, family, other in rows:
        name = " ".join(n for n in (given, family) if n) or other or f"P-{pid}"
        if other and (given or family):
            name = f"{name} ({other})"
        names[pid] = name
        shown = (("family_name", family), ("given_name", given), ("other_names", other))
        read[pid] = [field for field, value in shown if value]
        recorded[pid] = agencies.get(source) if source is not None else None
    cases: dict[int, list[dict[str, Any]]] = defaultdict(list)
    visible = session.execute(
        select(
            CasePerson.person_id, CasePerson.role, Case.id, Case.reference, Case.owning_agency_id
        )
        .join(Case, Case.id == CasePerson.case_id)
        .where(CasePerson.person_id.in_(person_ids), scope_filter(who, Resource.CASES))
        .order_by(Case.opened_on.desc(), Case.id)
    )
    for pid, role, case_id, reference, owner in visible:
        cases[pid].append(
            {"id": case_id, "reference": reference, "agency": agencies.get(owner), "role": role}
        )
    return {pid: (names[pid], recorded[pid], cases[pid], read[pid]) for pid in person_ids}


def _audit(
    session: Session,
    who: Principal,
    key: bytes,
    query: str,
    result: PersonSearch,
    read: dict[int, list[str]],
) -> None:
    digest = token(key, "query", " ".join(query.casefold().split()))[:16]
    audit.record(
        session,
        who,
        audit.AuditAction.READ,
        "person_index",
        fields=["given_name", "family_name", "other_names", "identity_number"],
        detail=f"person search, {result.total} found; query HMAC {digest}",
    )
    for hit in result.hits:  # each name shown, with the fields it was made of
        if read.get(hit.person_id):
            audit.record_read(
                session, who, "person_identities", str(hit.person_id), read[hit.person_id]
            )


__all__ = ["LIMIT", "MAX_QUERY", "PersonHit", "PersonSearch", "search_persons"]
