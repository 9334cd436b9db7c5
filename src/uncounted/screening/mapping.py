"""Read payment files (CSV, Parquet) through a column mapping into the canonical schema.

The canonical payment frame has one row per payment:

==================== =========================== =============================================
column               type                        meaning
==================== =========================== =============================================
transaction_id       String                      unique id of the payment
timestamp            Datetime(us, UTC)           when it was made (input must carry a zone)
sender_id            String                      the paying customer
sender_country       String (ISO 3166 alpha-2)   where the sender lives
beneficiary_id       String                      payee (the merchant, for card payments)
beneficiary_country  String (ISO 3166 alpha-2)   where the payee is
amount               Float64                     in ``currency``, positive
currency             String (ISO 4217)           must have a rate in the rules' ``fx_rates``
channel              String                      remittance, card, bank_transfer or e_wallet
description          String (nullable)           free text entered by the sender
merchant_category    String (nullable)           MCC code or category name, card payments
==================== =========================== =============================================

``description`` and ``merchant_category`` are optional: a file without them (many bank files
carry transfers only) is read with those columns empty, and :attr:`PaymentSource.absent`
names them so that the typologies that need them are switched off, not silently starved.

Bad rows are never dropped silently: :func:`read_payments` raises
:class:`~uncounted.errors.ImportRejected` listing each one (file, line, column, value,
reason), up to ``max_rejected`` of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from uncounted.errors import ImportRejected, InvalidInput, RejectedRow

#: Canonical channel names.
CHANNELS: tuple[str, ...] = ("remittance", "card", "bank_transfer", "e_wallet")

#: Canonical columns, in order.
COLUMNS: tuple[str, ...] = (
    "transaction_id",
    "timestamp",
    "sender_id",
    "sender_country",
    "beneficiary_id",
    "beneficiary_country",
    "amount",
    "currency",
    "channel",
    "description",
    "merchant_category",
)

#: Columns a file may lack; each feeds only some typologies (see ``typologies.TYPOLOGY_COLUMNS``).
OPTIONAL_COLUMNS: tuple[str, ...] = ("description", "merchant_category")
_OPTIONAL = OPTIONAL_COLUMNS


class ColumnMapping(BaseModel):
    """Which input column holds each canonical field (defaults: the canonical names).

    ``description`` and ``merchant_category`` may be ``None`` when the file has no such
    column; left at their defaults, they are also treated as absent when the file lacks them
    (a column named explicitly must exist). ``channel_values`` maps the file's own channel
    labels to canonical ones, e.g. ``{"IFTI": "remittance", "POS": "card"}``.
    ``assume_timezone`` (IANA name) is used only for Parquet timestamps stored without a zone.
    """

    model_config = ConfigDict(extra="forbid")

    transaction_id: str = "transaction_id"
    timestamp: str = "timestamp"
    sender_id: str = "sender_id"
    sender_country: str = "sender_country"
    beneficiary_id: str = "beneficiary_id"
    beneficiary_country: str = "beneficiary_country"
    amount: str = "amount"
    currency: str = "currency"
    channel: str = "channel"
    description: str | None = "description"
    merchant_category: str | None = "merchant_category"
    channel_values: dict[str, str] = Field(default_factory=dict)
    assume_timezone: str | None = None

    def source(self, column: str) -> str | None:
        """The input column for a canonical column."""
        value: str | None = getattr(self, column)
        return value


def channel_variants() -> dict[str, str]:
    """Common spellings of the canonical channels ("Bank Transfer", "E-WALLET", ...).

    Looked up per row (a hash lookup, much cheaper than normalising every string); other
    labels must be mapped with ``ColumnMapping.channel_values``.
    """
    out: dict[str, str] = {}
    for canonical in CHANNELS:
        names = {canonical, canonical.replace("_", " "), canonical.replace("_", "-")}
        names.add(canonical.replace("_", ""))
        for name in names:
            for form in (name, name.upper(), name.title(), name.capitalize()):
                out[form] = canonical
    out["eWallet"] = "e_wallet"
    return out


def _scan(path: Path) -> tuple[pl.LazyFrame, int]:
    """Scan the file; return the frame and the offset from row index to line number."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise InvalidInput(f"payment file {path} does not exist; check the path.")
    if suffix == ".csv":
        return pl.scan_csv(path, infer_schema=False), 2
    if suffix in (".parquet", ".pq"):
        return pl.scan_parquet(path), 1
    raise InvalidInput(f"cannot read {path}: give a .csv or .parquet payment file.")


def _timestamp_expr(name: str, dtype: pl.DataType, mapping: ColumnMapping, path: Path) -> pl.Expr:
    col = pl.col(name)
    if dtype == pl.String:
        return (
            col.str.strip_chars()
            .str.replace(" ", "T")
            .str.replace("Z$", "+00:00")
            .str.to_datetime(format="%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC", strict=False)
        )
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            return col.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        if mapping.assume_timezone is None:
            raise InvalidInput(
                f"{path}: column {name!r} holds timestamps without a time zone; store them "
                "with one, or set assume_timezone in the column mapping."
            )
        return (
            col.dt.replace_time_zone(mapping.assume_timezone)
            .dt.convert_time_zone("UTC")
            .dt.cast_time_unit("us")
        )
    raise InvalidInput(f"{path}: column {name!r} is {dtype}, not a timestamp or text.")


def _typed(lf: pl.LazyFrame, schema: pl.Schema, mapping: ColumnMapping, path: Path) -> pl.LazyFrame:
    """The input plus typed canonical columns named ``__<column>`` (raw ones kept for errors)."""
    exprs: list[pl.Expr] = []
    for column in COLUMNS:
        src = mapping.source(column)
        if src is None:
            exprs.append(pl.lit(None, dtype=pl.String).alias(f"__{column}"))
            continue
        raw = pl.col(src)
        if column == "timestamp":
            expr = _timestamp_expr(src, schema[src], mapping, path)
        elif column == "amount":
            expr = raw.cast(pl.Float64, strict=False)
        elif column == "channel":
            variants = channel_variants()
            lookup = {
                **variants,
                **{k: variants.get(v, v) for k, v in mapping.channel_values.items()},
            }
            expr = raw.cast(pl.String).replace(lookup)
        else:
            expr = raw.cast(pl.String)
        exprs.append(expr.alias(f"__{column}"))
    return lf.with_row_index("_row").with_columns(exprs)


def _country_codes() -> list[str]:
    import pycountry

    return sorted({c.alpha_2 for c in pycountry.countries} | {"XK"})  # XK: Kosovo (user code)


def _checks(currencies: list[str] | None) -> dict[str, tuple[pl.Expr, str]]:
    def missing(c: str) -> pl.Expr:
        return pl.col(f"__{c}").is_null() | (pl.col(f"__{c}").str.len_bytes() == 0)

    codes = _country_codes()
    checks: dict[str, tuple[pl.Expr, str]] = {
        "transaction_id": (missing("transaction_id"), "missing transaction id"),
        "timestamp": (
            pl.col("__timestamp").is_null(),
            "not an ISO 8601 timestamp with a time zone offset (e.g. 2024-03-01T22:15:00+10:00)",
        ),
        "sender_id": (missing("sender_id"), "missing sender id"),
        "sender_country": (
            pl.col("__sender_country").is_null() | ~pl.col("__sender_country").is_in(codes),
            "not an ISO 3166 alpha-2 country code in upper case (e.g. AU)",
        ),
        "beneficiary_id": (missing("beneficiary_id"), "missing beneficiary id"),
        "beneficiary_country": (
            pl.col("__beneficiary_country").is_null()
            | ~pl.col("__beneficiary_country").is_in(codes),
            "not an ISO 3166 alpha-2 country code in upper case (e.g. PH)",
        ),
        "amount": (
            pl.col("__amount").is_null()
            | ~(pl.col("__amount") > 0)
            | pl.col("__amount").is_infinite(),
            "not a positive number",
        ),
        "channel": (
            pl.col("__channel").is_null() | ~pl.col("__channel").is_in(list(CHANNELS)),
            f"channel must be one of {', '.join(CHANNELS)} (map others with channel_values)",
        ),
    }
    if currencies is not None:
        checks["currency"] = (
            pl.col("__currency").is_null() | ~pl.col("__currency").is_in(currencies),
            "not a currency with an exchange rate in the rules file (ISO 4217 in upper case;"
            " add others to fx_rates)",
        )
    return checks


@dataclass(frozen=True)
class PaymentSource:
    """A payment file opened lazily: the canonical frame and the query for its bad rows.

    Nothing is read until a query is collected, so a caller can run the validation in the
    same streaming pass as its own work (see :func:`~uncounted.screening.screen_file`)
    and then call :meth:`check` on the collected ``rejected`` rows. ``absent``: the
    optional columns the file does not have (they are empty in ``payments``).
    """

    path: Path
    mapping: ColumnMapping
    payments: pl.LazyFrame
    rejected: pl.LazyFrame
    max_rejected: int
    line_offset: int
    reasons: dict[str, str]
    absent: tuple[str, ...] = ()

    def check(self, rejected: pl.DataFrame) -> None:
        """Raise :class:`ImportRejected` listing every bad cell of the collected bad rows."""
        if not rejected.height:
            return
        rows: list[RejectedRow] = []
        for rec in rejected.iter_rows(named=True):
            for c, reason in self.reasons.items():
                if rec[f"_bad_{c}"]:
                    raw = rec.get(f"_raw_{c}")
                    rows.append(
                        RejectedRow(
                            file=str(self.path),
                            line=int(rec["_row"]) + self.line_offset,
                            column=self.mapping.source(c) or c,
                            value="" if raw is None else str(raw),
                            reason=reason,
                        )
                    )
        shown = "; ".join(str(r) for r in rows[:3])
        more = (
            f" (showing the first {self.max_rejected})"
            if rejected.height >= self.max_rejected
            else ""
        )
        raise ImportRejected(
            f"{self.path}: {rejected.height} bad row(s){more}, nothing screened. First: "
            f"{shown}. Fix the rows or the column mapping.",
            rows,
        )


def open_payments(
    path: str | Path,
    mapping: ColumnMapping | None = None,
    *,
    currencies: list[str] | None = None,
    max_rejected: int = 1000,
) -> PaymentSource:
    """Open a payment file lazily through ``mapping``; checks the columns exist, reads no row."""
    p = Path(path)
    mapping = mapping or ColumnMapping()
    lf, offset = _scan(p)
    schema = lf.collect_schema()
    # An optional column left at its default name and missing from the file is simply absent;
    # one the mapping names explicitly must be there (a typo should not switch a rule off).
    optional_absent = tuple(
        c
        for c in OPTIONAL_COLUMNS
        if c not in mapping.model_fields_set and mapping.source(c) not in schema
    )
    if optional_absent:
        mapping = mapping.model_copy(update=dict.fromkeys(optional_absent))
    wanted = {c: mapping.source(c) for c in COLUMNS}
    absent = sorted(
        f"{c} (expected column {src!r})"
        for c, src in wanted.items()
        if src is not None and src not in schema
    )
    if absent:
        raise InvalidInput(
            f"{p}: missing columns: {'; '.join(absent)}. Columns present: "
            f"{', '.join(schema.names())}. Fix the column mapping."
        )
    typed = _typed(lf, schema, mapping, p)
    checks = _checks(currencies)
    any_bad = pl.any_horizontal([cond for cond, _ in checks.values()])
    rejected = (
        typed.filter(any_bad)
        .select(
            "_row",
            *[cond.alias(f"_bad_{c}") for c, (cond, _) in checks.items()],
            *[
                pl.col(src).cast(pl.String).alias(f"_raw_{c}")
                for c in checks
                if (src := mapping.source(c)) is not None
            ],
        )
        .head(max_rejected)
    )
    return PaymentSource(
        path=p,
        mapping=mapping,
        payments=typed.select([pl.col(f"__{c}").alias(c) for c in COLUMNS]),
        rejected=rejected,
        max_rejected=max_rejected,
        line_offset=offset,
        reasons={c: reason for c, (_, reason) in checks.items()},
        absent=tuple(c for c in OPTIONAL_COLUMNS if mapping.source(c) is None),
    )


def read_payments(
    path: str | Path,
    mapping: ColumnMapping | None = None,
    *,
    currencies: list[str] | None = None,
    max_rejected: int = 1000,
) -> pl.LazyFrame:
    """Validate a payment file and return it lazily in the canonical schema.

    One streaming pass checks every row; if any is bad, nothing is returned and
    :class:`ImportRejected` carries up to ``max_rejected`` bad rows, every bad cell of
    each (line numbers count the CSV header as line 1; for Parquet they are 1-based row
    numbers). ``currencies``, when given, is the list of currencies with an exchange rate.
    """
    source = open_payments(path, mapping, currencies=currencies, max_rejected=max_rejected)
    source.check(source.rejected.collect(engine="streaming"))
    return source.payments


def validate_frame(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Check that an in-memory frame already has the canonical columns and types."""
    lf = frame.lazy()
    schema = lf.collect_schema()
    missing = [c for c in COLUMNS if c not in schema and c not in _OPTIONAL]
    if missing:
        raise InvalidInput(f"payment frame lacks columns {missing}; use read_payments().")
    ts = schema["timestamp"]
    if not isinstance(ts, pl.Datetime) or ts.time_zone is None:
        raise InvalidInput("payment frame column 'timestamp' must be a time-zone-aware Datetime.")
    extra = [pl.lit(None, dtype=pl.String).alias(c) for c in _OPTIONAL if c not in schema]
    return (
        lf.with_columns(extra)
        .with_columns(
            pl.col("timestamp").dt.convert_time_zone("UTC").dt.cast_time_unit("us"),
            pl.col("amount").cast(pl.Float64),
        )
        .select(COLUMNS)
    )


__all__ = [
    "CHANNELS",
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "ColumnMapping",
    "PaymentSource",
    "channel_variants",
    "open_payments",
    "read_payments",
    "validate_frame",
]
