"""k-anonymity by generalisation and record suppression (Sweeney 2002; Samarati 2001).

A released table is **k-anonymous** over its quasi-identifiers (attributes someone could know
about a person from elsewhere: sex, age, citizenship, country, year) when every combination of
their values that appears, appears at least ``k`` times. The Counter-Trafficking Data
Collaborative publishes with k = 11.

Each quasi-identifier has a generalisation hierarchy, from exact to fully suppressed (e.g. age
band → coarse band → withheld). We search the whole lattice of hierarchy levels for the
**least costly** combination — cost ``Σ_q w_q · level_q``, with weights saying which attributes
matter most to users (country of exploitation above sex, by default); ties broken by fewer
suppressed records — whose equivalence classes smaller than ``k`` hold at most
``max_suppression`` of the records (Samarati's minimal generalisation with weighted
information loss), then suppress (drop) those records. The result is checked, not assumed:
:func:`smallest_class` recounts it.

k-anonymity protects against re-identification by linkage on the quasi-identifiers; it does
not stop attribute disclosure when everyone in a class shares a sensitive value
(l-diversity), and it assumes the attacker knows no more than the quasi-identifiers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from uncounted.errors import InvalidInput

#: A hierarchy: functions from the exact column to each coarser level (level 0 = exact).
Hierarchy = Sequence[Callable[[pl.Expr], pl.Expr]]


def suppressed(_: pl.Expr) -> pl.Expr:
    """The top of every hierarchy: the value is withheld."""
    return pl.lit(None, dtype=pl.String)


def exact(column: pl.Expr) -> pl.Expr:
    """The bottom of every hierarchy: the value as it is."""
    return column.cast(pl.String)


@dataclass(frozen=True)
class Anonymisation:
    """The released rows and how they were made k-anonymous."""

    rows: pl.DataFrame
    k: int
    levels: dict[str, int]
    suppressed_records: int
    input_records: int

    @property
    def suppression_share(self) -> float:
        """Share of the input records withheld from the release."""
        return self.suppressed_records / self.input_records if self.input_records else 0.0


def smallest_class(rows: pl.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """Size of the smallest equivalence class over the quasi-identifiers (0 for no rows)."""
    if rows.height == 0:
        return 0
    sizes = rows.group_by(list(quasi_identifiers)).len()
    return int(sizes["len"].min())  # type: ignore[arg-type]


def k_anonymise(
    records: pl.DataFrame,
    hierarchies: dict[str, Hierarchy],
    k: int = 11,
    max_suppression: float = 0.05,
    weights: dict[str, float] | None = None,
) -> Anonymisation:
    """The least-generalised k-anonymous release of ``records`` (see the module doc).

    Raises :class:`InvalidInput` when no combination of levels meets ``k`` within
    ``max_suppression`` — the caller must then refuse to publish.
    """
    if k < 2:
        raise InvalidInput("k must be at least 2 for a release to be k-anonymous.")
    if not 0 <= max_suppression < 1:
        raise InvalidInput("max_suppression must be a share between 0 and 1.")
    missing = [q for q in hierarchies if q not in records.columns]
    if missing:
        raise InvalidInput(f"Quasi-identifier column(s) missing: {', '.join(missing)}.")
    qis = list(hierarchies)
    w = [float((weights or {}).get(q, 1.0)) for q in qis]
    n = records.height
    allowed = int(max_suppression * n)
    best: tuple[float, int, tuple[int, ...]] | None = None
    ranges = [range(len(hierarchies[q])) for q in qis]

    def cost(levels: tuple[int, ...]) -> float:
        return sum(wq * lv for wq, lv in zip(w, levels, strict=True))

    for levels in sorted(itertools.product(*ranges), key=cost):
        if best is not None and cost(levels) > best[0]:
            break
        view = records.with_columns(  # with_columns broadcasts a withheld (literal) level
            [hierarchies[q][lv](pl.col(q)).alias(q) for q, lv in zip(qis, levels, strict=True)]
        ).select(qis)
        small = view.group_by(qis).len().filter(pl.col("len") < k)["len"].sum()
        if small <= allowed and (best is None or small < best[1]):
            best = (cost(levels), int(small), levels)
    if best is None:
        raise InvalidInput(
            f"No generalisation of {', '.join(qis)} makes these {n} records {k}-anonymous "
            f"while withholding at most {max_suppression:.0%} of them; refusing to publish. "
            "Publish aggregate tables only, or lower the detail of the release."
        )
    levels = best[2]
    released = records.with_columns(
        [hierarchies[q][lv](pl.col(q)).alias(q) for q, lv in zip(qis, levels, strict=True)]
    )
    released = released.filter(pl.len().over(qis) >= k)
    return Anonymisation(
        rows=released,
        k=k,
        levels=dict(zip(qis, levels, strict=True)),
        suppressed_records=n - released.height,
        input_records=n,
    )


__all__ = [
    "Anonymisation",
    "Hierarchy",
    "exact",
    "k_anonymise",
    "smallest_class",
    "suppressed",
]
