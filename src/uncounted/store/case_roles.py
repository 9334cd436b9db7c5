"""Who a case's records may name: a person with a role in the case.

A justice event of a case, or a referral made from it, names a person who has a role in that
case (victim or suspect, ``case_persons``). The rule is one of the data, not of scope: an event
or a referral naming someone with no role in the case would put that person on the case's page,
in its indicators and on their survivor page without their being part of the case. It holds
for every way in and for every role: the forms (``store/recording.py``) and the import
(``ingest/``, the operator's too, where a role may also come from a person row of the same
file) ask :func:`roles_held`, and say why with :data:`NO_ROLE` or :func:`no_role_reason`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from uncounted.store.tables import CasePerson

#: Why a form refuses a person who has no role in the case.
NO_ROLE = "this person has no role in the case; add their role in the case first"

#: Cases looked up per query.
_IN = 5_000


def no_role_reason(person: str, case: str) -> str:
    """Why an import row naming ``person`` in ``case`` (the agency's ids) is refused."""
    return f"person {person} has no role in case {case}; add their role in the case first"


def roles_held(db: Connection | Session, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those of the (case id, person id) ``pairs`` where the person has a role in the case.

    One query per 5 000 cases (a case has few people, so all of its roles are read).
    """
    wanted = set(pairs)
    cases = sorted({case for case, _ in wanted})
    held: set[tuple[int, int]] = set()
    for start in range(0, len(cases), _IN):
        query = select(CasePerson.case_id, CasePerson.person_id).where(
            CasePerson.case_id.in_(cases[start : start + _IN])
        )
        held.update((int(c), int(p)) for c, p in db.execute(query))
    return held & wanted


__all__ = ["NO_ROLE", "no_role_reason", "roles_held"]
