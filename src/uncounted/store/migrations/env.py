"""Alembic environment: runs migrations on the engine handed over by ``uncounted.store.db``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from uncounted.store.tables import Base

config = context.config
target_metadata = Base.metadata

engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` command line: take the URL from the config
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
