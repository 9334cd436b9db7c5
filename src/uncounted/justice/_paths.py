"""The machinery behind the stage paths: packed keys, earliest events, order-keeping lookups.

- A (case, person) pair is one integer, ``case_id · 2³² + person_id``: grouping on one
  column is much faster than on two.
- Each event gets ``_order = (day − first day) · 2³⁴ + row``: its minimum over a set of
  events is the earliest one (ties: the first row), and the low bits give back its row, so
  one hash aggregation finds every stage's first event and a gather reads what happened.
- :func:`attach` is a left join that keeps the left order, by binary search.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

from uncounted.justice.data import JusticeData

ROW_BITS = 34  # event rows are packed below the day: up to 17 billion events
_ROW_MASK = (1 << ROW_BITS) - 1


def memo(name: str, data: JusticeData, build: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """``data.derived[name]``, built once (the tables of a :class:`JusticeData` never change)."""
    if name not in data.derived:
        data.derived[name] = build()
    return data.derived[name]


def key() -> pl.Expr:
    """One integer per (case, person)."""
    return (pl.col("case_id") * (1 << 32) + pl.col("person_id")).alias("_key")


def case_person() -> list[pl.Expr]:
    """``case_id`` and ``person_id`` back from ``_key``."""
    return [
        (pl.col("_key") // (1 << 32)).alias("case_id"),
        (pl.col("_key") & ((1 << 32) - 1)).alias("person_id"),
    ]


def event_codes(data: JusticeData, codes: Mapping[str, int], victim_code: int) -> pl.DataFrame:
    """Per event, in the events' order: ``_key``, ``_stage`` (``codes``, else −1), ``_order``
    and ``_victim``: true when ``case_persons`` lists the person as a victim in the case, or,
    unlisted, for an event coded ``victim_code`` (identification) with a person."""
    victims = data.case_persons.filter(pl.col("role") == "victim").select(key())["_key"]
    stage = pl.col("stage").replace_strict(dict(codes), default=-1, return_dtype=pl.Int8)
    day = pl.col("occurred_on").cast(pl.Int32).cast(pl.Int64)
    order = (day - day.min()) * (1 << ROW_BITS) + pl.int_range(pl.len(), dtype=pl.Int64)
    return (
        data.events.lazy()
        .select(
            key(),
            stage.alias("_stage"),
            order.alias("_order"),
            pl.col("person_id").is_not_null().alias("_person"),
        )
        .with_columns(
            (
                pl.col("_key").is_in(victims.implode()).fill_null(False)
                | ((pl.col("_stage") == victim_code) & pl.col("_person"))
            ).alias("_victim")
        )
        .drop("_person")
        .collect()
    )


def first_orders(events: pl.DataFrame, victim: bool, codes: Mapping[str, int]) -> pl.DataFrame:
    """Per (case, person) of the role, sorted by ``_key``: for each stage in ``codes`` the
    ``_order`` of its earliest event (null if never reached), and ``_first`` over them all."""
    role = pl.col("_victim") if victim else ~pl.col("_victim")
    return (
        events.lazy()
        .filter(role & pl.col("_key").is_not_null() & pl.col("_stage").is_in(list(codes.values())))
        .group_by("_key")
        .agg(
            pl.when(pl.col("_stage") == code).then(pl.col("_order")).min().alias(name)
            for name, code in codes.items()
        )
        .with_columns(pl.min_horizontal(list(codes)).alias("_first"))
        .sort("_key")
        .collect()
    )


def row(stage: str) -> pl.Expr:
    """The event row of a stage's ``_order`` value (null stays null)."""
    return pl.col(stage) & _ROW_MASK


def date(stage: str, first_day: int, name: str) -> pl.Expr:
    """The event date of a stage's ``_order`` value (null stays null)."""
    day = pl.col(stage) // (1 << ROW_BITS) + first_day
    return day.cast(pl.Int32).cast(pl.Date).alias(name)


def first_day(data: JusticeData) -> int:
    """The earliest event day (days since 1970-01-01), the origin of ``_order``."""
    day = data.events["occurred_on"].cast(pl.Int32).min()
    return int(day) if isinstance(day, int) else 0


def attach(paths: pl.DataFrame, table: pl.DataFrame, on: str) -> pl.DataFrame:
    """``paths`` left-joined to ``table`` on ``on`` (unique in ``table``), rows kept in order.

    A binary search in ``table`` sorted by ``on`` stands in for the hash join, which takes
    about twice as long when it has to keep the left order (and unordered paths would make
    the first-suspect attributes of ``case_paths`` arbitrary).
    """
    table = table.filter(pl.col(on).is_not_null())  # null keys never match in a join
    if table.is_empty() or table.schema[on] != paths.schema[on]:
        return paths.join(table, on=on, how="left", maintain_order="left")
    if not table[on].is_sorted():
        table = table.sort(on)
    ids, query = table[on], paths[on]
    pos = ids.search_sorted(query, side="left").clip(upper_bound=table.height - 1)
    index = pl.select(pl.when(ids.gather(pos) == query).then(pos)).to_series()
    return paths.hstack(table.drop(on).select(pl.all().gather(index)))


__all__ = [
    "ROW_BITS",
    "attach",
    "case_person",
    "date",
    "event_codes",
    "first_day",
    "first_orders",
    "key",
    "memo",
    "row",
]
