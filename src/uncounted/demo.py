"""The demo: a synthetic world stored in its own SQLite file, and what it shows.

The headline estimate comes from **linked lists**: each agency's own raw records of the
victims it saw (``simulate.agency_records``: one record per sighting, names spelt each
agency's way, birth dates missing, nicknames, typos) are linked with the linkage model, the
linked individuals' capture histories estimated with the recommended method, and the result
shown beside the truth and beside the same method on the true lists (what perfect linkage
would give). Missed links split a person in two and push the estimate up; false links merge
two people and push it down.

The demo never touches the configured case database: it (re)builds ``demo.sqlite`` in the data
directory, so running it twice, or on a machine with real data, is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from uncounted.justice import JusticeData
from uncounted.justice import headlines as justice_headlines
from uncounted.linkage import LinkageSettings, estimate_from_records, pairwise_accuracy
from uncounted.prevalence import CaptureHistories
from uncounted.prevalence.methods import estimate_headline
from uncounted.settings import Settings, read_or_create_key_file
from uncounted.simulate import World, WorldConfig, simulate_world
from uncounted.simulate.agency_records import agency_records
from uncounted.simulate.capture import simulate_demo_lists
from uncounted.store.bulk import insert_frames
from uncounted.store.crypto import KeyRing
from uncounted.store.db import make_engine, session_scope, upgrade
from uncounted.store.users import create_user
from uncounted.survivors import default_instrument, restoration_headlines

#: Password of every demo user. The demo holds synthetic people only and lives in its own file
#: with its own key (``demo.key``); never use these accounts on real data.
DEMO_PASSWORD = "uncounted-demo"

#: Demo users: (username, role, agency id in the synthetic world or None).
DEMO_USERS: tuple[tuple[str, str, int | None], ...] = (
    ("admin", "admin", None),
    ("caseworker", "caseworker", 1),
    ("caseworker-th", "caseworker", 2),
    ("analyst", "analyst", None),
    ("viewer", "viewer", None),
)


@dataclass(frozen=True)
class DemoResult:
    """Where the demo database is, what went into it, and the world's truth."""

    database_url: str
    path: Path
    world: World
    rows: dict[str, int]
    headlines: dict[str, Any] = field(default_factory=dict)
    users: tuple[tuple[str, str, int | None], ...] = DEMO_USERS
    password: str = DEMO_PASSWORD


def demo_path(settings: Settings) -> Path:
    """The demo database file (``<data dir>/demo.sqlite``)."""
    return settings.ensure_data_dir() / "demo.sqlite"


def demo_keyring(settings: Settings) -> KeyRing:
    """The demo database's own data key (``<data dir>/demo.key``) and index key of the person
    search (``<data dir>/demo-index.key``), each created once, mode 0600."""
    folder = settings.ensure_data_dir()
    return KeyRing(
        read_or_create_key_file(folder / "demo.key"),
        index=read_or_create_key_file(folder / "demo-index.key"),
    )


def demo_secret(settings: Settings) -> bytes:
    """The demo's own session-signing key (``<data dir>/demo-secret.key``, created once, mode
    0600): the demo runs with no configured keys and never uses the real ones."""
    return read_or_create_key_file(settings.ensure_data_dir() / "demo-secret.key")


def demo_url(settings: Settings) -> str:
    """SQLAlchemy URL of the demo database."""
    return f"sqlite:///{demo_path(settings).resolve()}"


def build_demo(
    settings: Settings,
    config: WorldConfig | None = None,
    progress: Callable[[str, int], None] | None = None,
    *,
    link: bool = True,
) -> DemoResult:
    """Simulate a world, store it in a fresh demo database, and return a summary.

    With ``link`` (the default), the summary's headline estimate comes from linking the
    agencies' raw records (:func:`linked_headline`, about a minute on two cores); without
    it, only from the true lists (for tests and the web app, which need the store only)."""
    path = demo_path(settings)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = demo_url(settings)
    engine = make_engine(url, demo_keyring(settings))
    try:
        upgrade(engine)
        world = simulate_world(config)
        rows = insert_frames(engine, world.frames, progress=progress)
        with session_scope(engine) as session:
            for username, role, agency in DEMO_USERS:
                create_user(session, username, DEMO_PASSWORD, role, agency, by="demo")
    finally:
        engine.dispose()
    justice = JusticeData.from_tables(world.frames, as_of=world.config.end)
    headlines: dict[str, Any] = dict(justice_headlines(justice))
    headlines.update(
        restoration_headlines(
            world.frames["assessments"],
            world.frames["assessment_items"],
            default_instrument(),
            world.truth.restoration_rate,
        )
    )
    if link:
        headlines.update(linked_headline(world))
    memberships = world.frames["list_memberships"].with_columns(pl.col("agency_id").cast(pl.String))
    lists = CaptureHistories.from_records(memberships, "person_id", "agency_id", "demo lists")
    contrast = simulate_demo_lists(
        population=world.truth.population, frailty_sd=0.0, seed=world.config.seed
    )
    headlines.update(
        estimate_headline(
            lists,
            world.truth.population,
            CaptureHistories.from_frame(contrast.table, source="low-heterogeneity world"),
            contrast.population,
        )
    )
    return DemoResult(database_url=url, path=path, world=world, rows=rows, headlines=headlines)


#: Thresholds at which the demo re-clusters its linkage to show how the estimate moves.
DEMO_SENSITIVITY: tuple[float, ...] = (0.5, 0.9, 0.99)


def linked_headline(world: World) -> dict[str, str]:
    """Summary lines of the estimate from the agencies' linked raw records, beside the truth.

    The records are :func:`~uncounted.simulate.agency_records.agency_records` of ``world``
    (seeded with the world's seed); linkage at the default settings (match probability 0.9),
    the recommended panel method (Mth Darroch + pairs by AIC) on the linked lists, with
    linkage error carried into its interval by plausible linkages drawn from the match
    probabilities (:func:`~uncounted.linkage.uncertainty.linkage_uncertainty`); the single
    linkage's own estimate is shown beside it. Pairwise
    precision and recall of the linkage are measured against the truth the simulator kept.
    """
    from uncounted.prevalence.panel import PANEL, RECOMMENDED, round_sig

    raw = agency_records(world, seed=world.config.seed).records
    make = PANEL[RECOMMENDED][1]
    records = raw.with_columns(pl.col("birth_date").cast(pl.String))
    run, linked = estimate_from_records(
        records,
        lambda: make(None),
        settings=LinkageSettings(sensitivity_thresholds=DEMO_SENSITIVITY),
    )
    accuracy = pairwise_accuracy(
        run.clusters, raw.select(pl.col("record_id").alias("unique_id"), "person")
    )
    est, low, high = (round_sig(x) or 0.0 for x in linked.total)
    lines = {
        "estimate from the agencies' linked records (headline)": (
            f"{linked.records:,} records linked into {linked.individuals:,} individuals"
        ),
    }
    one_linkage = f"{est:,.0f} ({low:,.0f}–{high:,.0f})"
    u = linked.uncertainty
    if u is not None:
        # The headline carries linkage error: missed links make people look less often
        # caught and the estimate too high; one linkage's interval does not know that.
        lines[f"  {PANEL[RECOMMENDED][0]}, with linkage error"] = (
            f"{round_sig(u.estimate) or 0:,.0f} "
            f"({round_sig(u.total_low) or 0:,.0f}–{round_sig(u.total_high) or 0:,.0f})"
        )
        lines[f"  linkage error alone ({u.draws.height} plausible linkages)"] = (
            f"{round_sig(u.linkage_low) or 0:,.0f}–{round_sig(u.linkage_high) or 0:,.0f}"
        )
        lines[
            f"  one linkage at match probability {linked.threshold} (interval without "
            "linkage error)"
        ] = one_linkage
    else:
        lines[f"  {PANEL[RECOMMENDED][0]}"] = one_linkage
    lines["  true number of victims (known only in this synthetic world)"] = (
        f"{world.truth.population:,}"
    )
    lines["  linkage accuracy (pairwise precision / recall)"] = (
        f"{accuracy.precision:.3f} / {accuracy.recall:.3f}"
    )
    for row in linked.sensitivity.iter_rows(named=True):
        if row["estimate"] is not None and row["threshold"] != linked.threshold:
            lines[f"  at match probability {row['threshold']}"] = (
                f"{round_sig(row['estimate']) or 0:,.0f} ({row['individuals']:,} individuals)"
            )
    lines["  the panel below: the same lists linked perfectly"] = "(the true lists, for comparison)"
    return lines


__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "DemoResult",
    "build_demo",
    "demo_keyring",
    "demo_path",
    "demo_secret",
    "demo_url",
    "linked_headline",
]
