"""Tables as they come from a notebook: Polars, pandas, PyArrow, a dict of columns or a list
of row dicts, all turned into one Polars DataFrame (the form the analyses work on)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from uncounted.errors import InvalidInput


def as_frame(data: Any, what: str = "a table") -> pl.DataFrame | None:
    """``data`` as a Polars DataFrame, or None when it is not a table of a known kind.

    ``what`` names the expected table in the error raised when a table cannot be read.
    """
    kind = type(data).__module__.split(".")[0]
    try:
        if isinstance(data, pl.DataFrame):
            return data
        if isinstance(data, pl.LazyFrame):
            return data.collect()
        if kind == "pandas" and hasattr(data, "columns"):
            return pl.from_pandas(data.reset_index(drop=True))
        if kind == "pyarrow" and hasattr(data, "column_names"):
            converted = pl.from_arrow(data)
            return converted if isinstance(converted, pl.DataFrame) else None
        if isinstance(data, Mapping) and data:
            return pl.DataFrame({str(k): list(v) for k, v in data.items()})
        if isinstance(data, list) and data and all(isinstance(r, Mapping) for r in data):
            return pl.DataFrame(data)
    except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"The {type(data).__name__} given as {what} cannot be read: {exc}"
        ) from None
    return None


def require_frame(data: Any, what: str) -> pl.DataFrame:
    """``data`` as a Polars DataFrame, or :class:`InvalidInput` saying what is expected."""
    frame = as_frame(data, what)
    if frame is None:
        raise InvalidInput(
            f"Expected {what} as a Polars or pandas DataFrame (or a dict of columns), got "
            f"{type(data).__name__}."
        )
    return frame


__all__ = ["as_frame", "require_frame"]
