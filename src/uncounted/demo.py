"""The demo: a synthetic world stored in its own SQLite file, and what it shows.

The demo never touches the configured case database: it (re)builds ``demo.sqlite`` in the data
directory, so running it twice, or on a machine with real data, is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uncounted.settings import Settings
from uncounted.simulate import World, WorldConfig, simulate_world
from uncounted.store.bulk import insert_frames
from uncounted.store.db import make_engine, upgrade


@dataclass(frozen=True)
class DemoResult:
    """Where the demo database is, what went into it, and the world's truth."""

    database_url: str
    path: Path
    world: World
    rows: dict[str, int]
    headlines: dict[str, Any] = field(default_factory=dict)


def demo_path(settings: Settings) -> Path:
    """The demo database file (``<data dir>/demo.sqlite``)."""
    return settings.ensure_data_dir() / "demo.sqlite"


def build_demo(
    settings: Settings,
    config: WorldConfig | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> DemoResult:
    """Simulate a world, store it in a fresh demo database, and return a summary."""
    path = demo_path(settings)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path.resolve()}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        world = simulate_world(config)
        rows = insert_frames(engine, world.frames, progress=progress)
    finally:
        engine.dispose()
    return DemoResult(database_url=url, path=path, world=world, rows=rows)


__all__ = ["DemoResult", "build_demo", "demo_path"]
