"""The demo: a synthetic world stored in its own SQLite file, and what it shows.

The headline estimate comes from **linked lists**: each agency's own raw records of the
victims it saw (``simulate.agency_records``: one record per sighting, names spelt each
agency's way, birth dates missing, nicknames, typos), stored in the demo database, are linked
with the linkage model, the linked individuals' capture histories estimated with the
recommended method, and the result shown beside the truth and beside the same method on the
true lists (what perfect linkage would give). Missed links split a person in two and push the
estimate up; false links merge two people and push it down.

The demo database holds the world twice over, kept apart so that nothing is counted twice:
the world's people (one row per true person, already linked: on every list that saw them, in
cases, assessed as survivors), which the dashboards, the justice indicators, the survivors'
pages and the stored lists' estimate read; and each agency's raw records of the people it
saw (:func:`demo_agency_records`), stored as an agency's import stores its records —
``persons`` with the agency as ``source_agency_id``, encrypted identities, the person search's
index, and one ``list_memberships`` row each on the agency's own list, marked
``linkage_only`` — which ``uncounted link run --demo`` links and the stored lists leave out.
The headline is computed from those stored records, read back (audited) the way ``link run``
reads them.

The demo never touches the configured case database: it (re)builds ``demo.sqlite`` in the data
directory, so running it twice, or on a machine with real data, is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine

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
from uncounted.store.linkage_records import (
    agency_record_frames,
    decisions_frame,
    linkage_records,
)
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
    #: The truth behind the stored agency records: ``unique_id`` (the record's person id in
    #: the demo database, as text: the ids ``link run`` clusters) and ``person`` (the world's
    #: person). Known only to the simulator; never stored.
    record_truth: pl.DataFrame = field(default_factory=pl.DataFrame)
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
    """Simulate a world, store it and the agencies' raw records of it in a fresh demo database,
    and return a summary.

    The raw records are always stored (``uncounted link run --demo`` links them). With
    ``link`` (the default), the summary's headline estimate comes from linking them, read
    back from the store (:func:`linked_headline`, about a minute on two cores); without it,
    only from the true lists (for tests and the web app, which need the store only)."""
    path = demo_path(settings)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = demo_url(settings)
    engine = make_engine(url, demo_keyring(settings))
    headlines: dict[str, Any] = {}
    try:
        upgrade(engine)
        world = simulate_world(config)
        frames, truth = _with_agency_records(world)
        rows = insert_frames(engine, frames, progress=progress)
        with session_scope(engine) as session:
            for username, role, agency in DEMO_USERS:
                create_user(session, username, DEMO_PASSWORD, role, agency, by="demo")
        if link:
            linked = linked_headline(world, engine, truth)
    finally:
        engine.dispose()
    justice = JusticeData.from_tables(world.frames, as_of=world.config.end)
    headlines.update(justice_headlines(justice))
    headlines.update(
        restoration_headlines(
            world.frames["assessments"],
            world.frames["assessment_items"],
            default_instrument(),
            world.truth.restoration_rate,
        )
    )
    if link:
        headlines.update(linked)
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
    return DemoResult(
        database_url=url,
        path=path,
        world=world,
        rows=rows,
        headlines=headlines,
        record_truth=truth,
    )


def demo_agency_records(world: World) -> pl.DataFrame:
    """The agencies' raw records of ``world`` as the demo stores them.

    :func:`~uncounted.simulate.agency_records.agency_records` (seeded with the world's seed:
    one record per sighting, with the default noise), each agency's records in an order of
    their own (shuffled, seeded) and numbered ``<agency>-00001``, … in that order, so that
    neither a record's id nor its place in the store tells which true person it is. The
    ``person`` column is the truth (not stored)."""
    raw = agency_records(world, seed=world.config.seed).records
    rng = np.random.default_rng([world.config.seed, 1])
    order = world.frames["agencies"].select(pl.col("code").alias("agency"), pl.col("id"))
    return (
        raw.with_columns(pl.Series("_shuffle", rng.permutation(raw.height)))
        .join(order, on="agency", how="left")
        .sort("id", "_shuffle")
        .with_columns(
            (
                pl.col("agency")
                + "-"
                + (pl.int_range(pl.len()).over("agency") + 1).cast(pl.String).str.zfill(5)
            ).alias("record_id")
        )
        .drop("_shuffle", "id")
    )


def _with_agency_records(world: World) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The world's frames with the agencies' raw records added (persons, identities and
    ``linkage_only`` list memberships after the world's own rows), and the truth behind
    them (``unique_id`` = stored person id as text, ``person``)."""
    f = world.frames
    records = demo_agency_records(world)
    stored = agency_record_frames(
        records,
        f["agencies"],
        first_person_id=int(f["persons"]["id"].to_numpy().max(initial=0)) + 1,
        first_membership_id=int(f["list_memberships"]["id"].to_numpy().max(initial=0)) + 1,
        linkage_only=True,
    )
    frames = dict(f)
    for name, extra in stored.items():
        own = f[name]
        if name == "list_memberships":
            own = own.with_columns(pl.lit(False).alias("linkage_only"))
        frames[name] = pl.concat([own, extra], how="diagonal_relaxed")
    truth = pl.DataFrame(
        {
            "unique_id": stored["persons"]["id"].cast(pl.String),
            "person": records["person"],
        }
    )
    return frames, truth


#: Thresholds at which the demo re-clusters its linkage to show how the estimate moves.
DEMO_SENSITIVITY: tuple[float, ...] = (0.5, 0.9, 0.99)


def linked_headline(world: World, engine: Engine, truth: pl.DataFrame) -> dict[str, str]:
    """Summary lines of the estimate from the agencies' linked raw records, beside the truth.

    The records are read from the demo store exactly as ``uncounted link run`` reads them
    (:func:`~uncounted.store.linkage_records.linkage_records`: the agencies' person records
    with their identities decrypted, each agency's read in the audit log, with any stored
    review decisions applied), so the headline and the command link the same records the same
    way. Linkage at the default settings (match probability 0.9), the recommended panel
    method (Mth Darroch + pairs by AIC) on the linked lists, with linkage error carried into
    its interval by plausible linkages drawn from the match probabilities
    (:func:`~uncounted.linkage.uncertainty.linkage_uncertainty`); the single linkage's own
    estimate is shown beside it. Pairwise precision and recall of the linkage are measured
    against ``truth`` (``unique_id``, ``person``: :attr:`DemoResult.record_truth`).
    """
    from uncounted.prevalence.panel import PANEL, RECOMMENDED, round_sig

    with session_scope(engine) as session:
        records = linkage_records(session, "demo")
    make = PANEL[RECOMMENDED][1]
    run, linked = estimate_from_records(
        records,
        lambda: make(None),
        settings=LinkageSettings(sensitivity_thresholds=DEMO_SENSITIVITY),
        decisions=decisions_frame(engine),
    )
    accuracy = pairwise_accuracy(run.clusters, truth)
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
        if u.blocking_recall is not None:
            lines["  true pairs the blocking rules compare (estimated)"] = (
                f"{u.blocking_recall:.0%}"
                + ("; the rest drawn too" if u.never_compared_drawn else "; the rest not drawn")
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
    "demo_agency_records",
    "demo_keyring",
    "demo_path",
    "demo_secret",
    "demo_url",
    "linked_headline",
]
