"""Capture histories: who was seen by which list, counted.

A capture history is a 0/1 pattern over the lists (1 = on that list). Multiple systems
estimation works on the table of observed patterns and how many people have each. The
all-zero pattern (people on no list) is what is estimated, so it must not be in the input.

Two ways in:

- :meth:`CaptureHistories.from_frame` — an aggregated table, one 0/1 column per list plus a
  count column (or, with ``count_column=None``, one row per person);
- :meth:`CaptureHistories.from_records` — one row per (person, list) membership, as a linkage
  step produces it.

Validation raises :class:`~uncounted.errors.InvalidCaptureHistories` with a sentence that
says what to fix; repairs (merged duplicate histories) and oddities (a list that recorded
nobody) are reported with :class:`~uncounted.errors.DataQualityWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from uncounted.errors import DataQualityWarning, InvalidCaptureHistories, InvalidInput

__all__ = ["CaptureHistories", "all_patterns", "as_histories"]


def all_patterns(n_lists: int) -> np.ndarray:
    """All ``2**L - 1`` non-empty 0/1 patterns over ``L`` lists, in a fixed order.

    Row ``c - 1`` is the binary expansion of ``c`` (``c = 1 .. 2**L - 1``) with the first list
    as the most significant bit, so the last row is "on every list".
    """
    codes = np.arange(1, 2**n_lists, dtype=np.int64)
    shifts = np.arange(n_lists - 1, -1, -1, dtype=np.int64)
    return ((codes[:, None] >> shifts[None, :]) & 1).astype(np.uint8)


def _codes(patterns: np.ndarray) -> np.ndarray:
    n_lists = patterns.shape[1]
    weights = 2 ** np.arange(n_lists - 1, -1, -1, dtype=np.int64)
    return np.asarray(patterns.astype(np.int64) @ weights, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class CaptureHistories:
    """Observed capture histories over named lists.

    Attributes:
        lists: list names, in column order.
        patterns: ``(k, L)`` uint8 array of 0/1, unique rows, no all-zero row.
        counts: ``(k,)`` int64 array, the number of people with each pattern (>= 0).

    Build one with :meth:`from_frame` or :meth:`from_records`; the constructor itself also
    validates, so a hand-built instance is as safe as a parsed one.
    """

    lists: tuple[str, ...]
    patterns: np.ndarray
    counts: np.ndarray
    source: str = field(default="<table>", compare=False)

    def __post_init__(self) -> None:
        lists = tuple(str(name) for name in self.lists)
        patterns = np.asarray(self.patterns)
        counts = np.asarray(self.counts)
        src = self.source
        if len(lists) < 2:
            raise InvalidCaptureHistories(
                f"{src}: multiple systems estimation needs at least 2 lists, got "
                f"{len(lists)} ({', '.join(lists) or 'none'}); add another list's column."
            )
        if len(set(lists)) != len(lists):
            dup = sorted({name for name in lists if lists.count(name) > 1})
            raise InvalidCaptureHistories(
                f"{src}: list names must be unique; repeated: {', '.join(dup)}."
            )
        if patterns.ndim != 2 or patterns.shape[1] != len(lists):
            raise InvalidCaptureHistories(
                f"{src}: patterns must be a (rows, {len(lists)}) array of 0/1, "
                f"got shape {patterns.shape}."
            )
        if counts.shape != (patterns.shape[0],):
            raise InvalidCaptureHistories(
                f"{src}: counts must have one value per pattern row "
                f"({patterns.shape[0]}), got shape {counts.shape}."
            )
        if patterns.size and not np.isin(patterns, (0, 1)).all():
            raise InvalidCaptureHistories(f"{src}: list columns must hold only 0 and 1.")
        counts_f = counts.astype(np.float64)
        if counts.size and (np.any(counts_f < 0) or np.any(counts_f != np.round(counts_f))):
            raise InvalidCaptureHistories(
                f"{src}: counts must be non-negative whole numbers of people."
            )
        patterns = patterns.astype(np.uint8)
        counts = counts.astype(np.int64)
        zero = patterns.sum(axis=1) == 0
        if np.any(counts[zero] > 0):
            raise InvalidCaptureHistories(
                f"{src}: the all-zero history (people on no list) has count "
                f"{int(counts[zero].sum())}; nobody can be observed on no list — remove that "
                "row (the number of unseen people is what is being estimated)."
            )
        patterns, counts = patterns[~zero], counts[~zero]
        codes = _codes(patterns) if patterns.size else np.zeros(0, dtype=np.int64)
        uniq, inverse = np.unique(codes, return_inverse=True)
        if uniq.size != codes.size:
            merged = np.zeros(uniq.size, dtype=np.int64)
            np.add.at(merged, inverse, counts)
            n_dup = int(codes.size - uniq.size)
            warnings.warn(
                f"{src}: {n_dup} duplicated capture histor{'y' if n_dup == 1 else 'ies'} "
                "merged by adding their counts; check the table was aggregated as intended.",
                DataQualityWarning,
                stacklevel=3,
            )
            order = np.argsort(uniq)
            codes, counts = uniq[order], merged[order]
        else:
            order = np.argsort(codes)
            codes, counts = codes[order], counts[order]
        shifts = np.arange(len(lists) - 1, -1, -1, dtype=np.int64)
        patterns = ((codes[:, None] >> shifts[None, :]) & 1).astype(np.uint8)
        if int(counts.sum()) == 0:
            raise InvalidCaptureHistories(
                f"{src}: nobody was observed (all counts are zero); there is nothing to "
                "estimate from."
            )
        patterns.setflags(write=False)
        counts.setflags(write=False)
        object.__setattr__(self, "lists", lists)
        object.__setattr__(self, "patterns", patterns)
        object.__setattr__(self, "counts", counts)
        empty = [name for name, size in self.list_sizes.items() if size == 0]
        if empty:
            warnings.warn(
                f"{src}: list{'s' if len(empty) > 1 else ''} {', '.join(empty)} recorded "
                "nobody; drop "
                f"{'them' if len(empty) > 1 else 'it'} (CaptureHistories.drop_lists) "
                "before estimating.",
                DataQualityWarning,
                stacklevel=3,
            )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaptureHistories):
            return NotImplemented
        return (
            self.lists == other.lists
            and np.array_equal(self.patterns, other.patterns)
            and np.array_equal(self.counts, other.counts)
        )

    def __hash__(self) -> int:
        return hash((self.lists, self.patterns.tobytes(), self.counts.tobytes()))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_frame(
        cls,
        df: pl.DataFrame,
        count_column: str | None = "count",
        lists: Sequence[str] | None = None,
        source: str = "<table>",
    ) -> CaptureHistories:
        """Read an aggregated table: one 0/1 column per list and a count column.

        With ``count_column=None`` every row is one person. ``lists`` picks and orders the
        list columns (default: every column except the count column).
        """
        if count_column is not None and count_column not in df.columns:
            raise InvalidCaptureHistories(
                f"{source}: no count column {count_column!r} (columns: "
                f"{', '.join(df.columns)}); name it, or pass count_column=None if each row "
                "is one person."
            )
        if lists is None:
            names = [c for c in df.columns if c != count_column]
        else:
            names = [str(c) for c in lists]
            missing = [c for c in names if c not in df.columns]
            if missing:
                raise InvalidCaptureHistories(
                    f"{source}: list column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(missing)} not found (columns: {', '.join(df.columns)})."
                )
            if count_column is not None and count_column in names:
                raise InvalidCaptureHistories(
                    f"{source}: {count_column!r} is the count column and cannot also be a list."
                )
        if len(names) < 2:
            raise InvalidCaptureHistories(
                f"{source}: multiple systems estimation needs at least 2 lists, got "
                f"{len(names)} ({', '.join(names) or 'none'}); add another list's column."
            )
        columns = []
        for name in names:
            col = df.get_column(name)
            if col.null_count():
                raise InvalidCaptureHistories(
                    f"{source}: list column {name!r} has {col.null_count()} empty value(s); "
                    "use 0 for 'not on this list'."
                )
            if col.dtype == pl.Boolean:
                col = col.cast(pl.Int64)
            if not col.dtype.is_numeric():
                raise InvalidCaptureHistories(
                    f"{source}: list column {name!r} must hold 0/1, got type {col.dtype}."
                )
            values = col.to_numpy().astype(np.float64)
            bad = ~np.isin(values, (0.0, 1.0))
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                raise InvalidCaptureHistories(
                    f"{source}: list column {name!r} must hold only 0 and 1; row {first + 1} "
                    f"has {col[first]!r}."
                )
            columns.append(values.astype(np.uint8))
        patterns = np.column_stack(columns) if columns else np.zeros((0, 0), np.uint8)
        if count_column is None:
            counts = np.ones(df.height, dtype=np.int64)
        else:
            ccol = df.get_column(count_column)
            if ccol.null_count():
                raise InvalidCaptureHistories(
                    f"{source}: count column {count_column!r} has {ccol.null_count()} empty "
                    "value(s); every history needs a count."
                )
            if not ccol.dtype.is_numeric():
                raise InvalidCaptureHistories(
                    f"{source}: count column {count_column!r} must be numeric, got {ccol.dtype}."
                )
            raw = ccol.to_numpy().astype(np.float64)
            neg = np.flatnonzero(raw < 0)
            if neg.size:
                raise InvalidCaptureHistories(
                    f"{source}: count column {count_column!r} has a negative count "
                    f"({ccol[int(neg[0])]} on row {int(neg[0]) + 1}); counts are numbers of "
                    "people."
                )
            frac = np.flatnonzero(~np.isfinite(raw) | (raw != np.round(raw)))
            if frac.size:
                raise InvalidCaptureHistories(
                    f"{source}: count column {count_column!r} has a non-whole count "
                    f"({ccol[int(frac[0])]} on row {int(frac[0]) + 1}); counts are whole "
                    "numbers of people."
                )
            counts = raw.astype(np.int64)
        if count_column is None:  # one row per person: repeated patterns are expected
            return _quiet_build(tuple(names), patterns, counts, source)
        return cls(tuple(names), patterns, counts, source=source)

    @classmethod
    def from_records(
        cls,
        df: pl.DataFrame,
        person_column: str,
        list_column: str,
        source: str = "<records>",
    ) -> CaptureHistories:
        """Read one row per (person, list) membership; lists are ordered by name.

        A person appearing twice on the same list counts once.
        """
        for col in (person_column, list_column):
            if col not in df.columns:
                raise InvalidCaptureHistories(
                    f"{source}: no column {col!r} (columns: {', '.join(df.columns)})."
                )
        sub = df.select(person_column, list_column)
        if sub.null_count().row(0) != (0, 0):
            raise InvalidCaptureHistories(
                f"{source}: {person_column!r} and {list_column!r} must not be empty; drop "
                "rows without a person id or a list."
            )
        sub = sub.unique().with_columns(pl.col(list_column).cast(pl.String))
        names = sorted(sub.get_column(list_column).unique().to_list())
        if len(names) < 2:
            raise InvalidCaptureHistories(
                f"{source}: multiple systems estimation needs at least 2 lists, found "
                f"{len(names)} ({', '.join(names) or 'none'}) in column {list_column!r}."
            )
        wide = (
            sub.with_columns(pl.lit(1, dtype=pl.UInt8).alias("__on"))
            .pivot(on=list_column, index=person_column, values="__on")
            .fill_null(0)
        )
        grouped = wide.group_by(names).agg(pl.len().alias("__count"))
        patterns = grouped.select(names).to_numpy().astype(np.uint8)
        counts = grouped.get_column("__count").to_numpy().astype(np.int64)
        return cls(tuple(names), patterns, counts, source=source)

    # ------------------------------------------------------------------ views
    @property
    def n_lists(self) -> int:
        """Number of lists ``L``."""
        return len(self.lists)

    @property
    def n_observed(self) -> int:
        """Number of people observed on at least one list."""
        return int(self.counts.sum())

    @property
    def list_sizes(self) -> dict[str, int]:
        """Number of people on each list."""
        sizes = self.counts @ self.patterns.astype(np.int64)
        return {name: int(size) for name, size in zip(self.lists, sizes, strict=True)}

    def complete(self) -> tuple[np.ndarray, np.ndarray]:
        """All ``2**L - 1`` observable patterns (order of :func:`all_patterns`) and counts.

        Patterns absent from the table get count 0.
        """
        full = all_patterns(self.n_lists)
        counts = np.zeros(full.shape[0], dtype=np.int64)
        counts[_codes(self.patterns) - 1] = self.counts
        return full, counts

    def to_frame(self, count_column: str = "count") -> pl.DataFrame:
        """The table as a Polars frame: one Int64 0/1 column per list plus the count."""
        data: dict[str, np.ndarray] = {
            name: self.patterns[:, j].astype(np.int64) for j, name in enumerate(self.lists)
        }
        data[count_column] = self.counts.copy()
        return pl.DataFrame(data)

    def subset(self, lists: Sequence[str]) -> CaptureHistories:
        """Keep only ``lists`` (in that order); people seen only on other lists drop out."""
        names = [str(x) for x in lists]
        unknown = [x for x in names if x not in self.lists]
        if unknown:
            raise InvalidCaptureHistories(
                f"{self.source}: unknown list{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(unknown)} (lists: {', '.join(self.lists)})."
            )
        idx = [self.lists.index(x) for x in names]
        pats = self.patterns[:, idx]
        keep = pats.sum(axis=1) > 0
        return _quiet_build(tuple(names), pats[keep], self.counts[keep], self.source)

    def drop_lists(self, lists: Sequence[str]) -> CaptureHistories:
        """Remove ``lists``; people seen only on them drop out."""
        drop = {str(x) for x in lists}
        unknown = sorted(drop - set(self.lists))
        if unknown:
            raise InvalidCaptureHistories(
                f"{self.source}: unknown list(s) {', '.join(unknown)} "
                f"(lists: {', '.join(self.lists)})."
            )
        return self.subset([x for x in self.lists if x not in drop])

    def merge_lists(self, groups: Mapping[str, Sequence[str]]) -> CaptureHistories:
        """Merge lists into one: ``{"PFNCA": ["PF", "NCA"]}`` puts a person on PFNCA if on
        either. The merged list takes the place of its first member; other lists keep order.
        """
        members: dict[str, str] = {}
        for new, olds in groups.items():
            if not olds:
                raise InvalidCaptureHistories(f"{self.source}: merged list {new!r} is empty.")
            for old in olds:
                if old not in self.lists:
                    raise InvalidCaptureHistories(
                        f"{self.source}: cannot merge unknown list {old!r} into {new!r} "
                        f"(lists: {', '.join(self.lists)})."
                    )
                if old in members:
                    raise InvalidCaptureHistories(
                        f"{self.source}: list {old!r} is in two merged groups."
                    )
                members[old] = new
        names: list[str] = []
        columns: list[np.ndarray] = []
        for j, name in enumerate(self.lists):
            target = members.get(name)
            if target is None:
                names.append(name)
                columns.append(self.patterns[:, j])
            elif target not in names:
                idx = [self.lists.index(o) for o in groups[target]]
                names.append(target)
                columns.append(self.patterns[:, idx].max(axis=1))
        return _quiet_build(tuple(names), np.column_stack(columns), self.counts, self.source)


def as_histories(data: Any, count_column: str | None = "count") -> CaptureHistories:
    """``data`` as :class:`CaptureHistories`: itself, or a table with one 0/1 column per list
    and a ``count`` column, given as a Polars or pandas DataFrame, a PyArrow table, a dict
    of columns (``{"A": [1, 0], "B": [1, 1], "count": [5, 7]}``) or a list of row dicts.

    Individual records (one row per person and list) need
    :meth:`CaptureHistories.from_records` first: the estimators cannot guess the columns.
    """
    from uncounted._tables import as_frame

    if isinstance(data, CaptureHistories):
        return data
    try:
        frame = as_frame(data, "capture histories")
    except InvalidInput as exc:
        raise InvalidCaptureHistories(str(exc)) from None
    if frame is None:
        raise InvalidCaptureHistories(
            f"Estimators need capture histories: a Polars or pandas DataFrame (or a dict of "
            f"columns) with one 0/1 column per list and a {count_column or 'count'!r} column, "
            f"or CaptureHistories (from_frame / from_records); got {type(data).__name__}."
        )
    return CaptureHistories.from_frame(frame, count_column=count_column, source="the table")


def _quiet_build(
    lists: tuple[str, ...], patterns: np.ndarray, counts: np.ndarray, source: str
) -> CaptureHistories:
    """Build after a deliberate transformation: merged rows are expected, not a data fault."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*duplicated capture histor", category=DataQualityWarning
        )
        return CaptureHistories(lists, patterns, counts, source=source)
