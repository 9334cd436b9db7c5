"""An import keeps the person search's blind index: new people are found, renamed people are
found under their new name only (``store.importing.upsert`` refreshes the index)."""

from __future__ import annotations

from tests.ingest.conftest import TODAY
from uncounted.ingest import import_file
from uncounted.store.access import Principal, Role
from uncounted.store.db import session_scope
from uncounted.store.person_index import is_stale
from uncounted.store.person_search import search_persons

ADMIN = Principal(None, "ana", Role.ADMIN)


def _names(engine, text: str) -> list[str]:
    with session_scope(engine) as s:
        return [h.name for h in search_persons(s, ADMIN, text).hits]


def test_imported_people_are_found_and_a_rename_moves_them(loaded, write):
    assert _names(loaded, "ana") == ["Ana"]
    assert _names(loaded, "bo") == ["Bo"]
    path = write("persons.csv", "external_id,given_name,identity_number\nP1,Anabel,x-77 1\n")
    import_file(loaded, path, source="PNP", today=TODAY)
    assert _names(loaded, "ana") == []
    assert _names(loaded, "ANABEL") == ["Anabel"]
    assert _names(loaded, "X771") == ["Anabel"]
    with loaded.connect() as conn:
        assert not is_stale(conn)
