"""The case store: the only package that touches the case database.

``tables`` declares the schema, ``db`` makes engines and runs the Alembic migrations,
``bulk`` writes whole frames atomically and ``frames`` reads records back as Polars frames
for the analysis packages.
"""

from uncounted.store.bulk import insert_frames
from uncounted.store.db import (
    current_revision,
    engine_from_settings,
    init_database,
    make_engine,
    session_scope,
    upgrade,
)
from uncounted.store.frames import justice_events_frame, list_memberships_frame, read_table

__all__ = [
    "current_revision",
    "engine_from_settings",
    "init_database",
    "insert_frames",
    "justice_events_frame",
    "list_memberships_frame",
    "make_engine",
    "read_table",
    "session_scope",
    "upgrade",
]
