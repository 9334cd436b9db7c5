"""Normalised identifiers: what linkage compares instead of the names as typed.

The name steps 1-3 live in :mod:`uncounted.domain.names` (shared with the person search).

Every agency spells the same Khmer, Thai or Burmese name its own way. Before comparison each
name goes through:

1. Unicode normalisation (NFKD), diacritics (combining marks) removed, case folded, anything
   but letters and spaces dropped, spaces collapsed;
2. leading honorifics and titles removed when a name remains ("Ma", "Daw", "Ko", "U", "Mg",
   "Nong", "Khun", "Neang", "Mr", "Mrs", "Ms", ...);
3. a **romanisation key**: the name with its spaces removed, then common alternative
   romanisations folded to one spelling (``kh→k``, ``ph→p``, ``th→t``, ``ch/j→c``,
   ``v/w→u``, ``y→i``, ``ee→i``, ``ea→ia``, ``oo→u``, ``ou→o``, ``r→l``, ``rn→n``) and
   doubled letters collapsed — a phonetic key written for Southeast Asian romanisation
   (double metaphone and Soundex are built for English spelling and fold the wrong things);
4. the **name key**: the romanisation keys of given and family name, sorted, so a record with
   the names in swapped order has the same key;
5. **prefixes** for blocking: the first three letters of each word's key, and of the given
   and the family key (sorted). A typo or a variant spelling seldom reaches the start of a
   word, so two records whose names both carry one still share a prefix.

A birth date of 1 January is read as "year only" (many registration systems write an unknown
day and month that way): its year is kept, the date is not compared. Birth year is taken from
the birth date when known, otherwise the year of recording minus
the age; phone numbers keep their last 8 digits.
"""

from __future__ import annotations

import polars as pl

from uncounted.domain.names import HONORIFICS, clean_name, romanisation_key
from uncounted.errors import InvalidInput

__all__ = [
    "HONORIFICS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "clean_name",
    "prepare_records",
    "romanisation_key",
]

#: Columns :func:`prepare_records` needs (values may be null except the first three).
REQUIRED_COLUMNS: tuple[str, ...] = ("record_id", "agency", "given_name", "family_name")

#: Columns an agency's records may lack, and their type when absent (all null): each feeds
#: one comparison (or the birth year, from ``age`` and ``recorded_on``).
OPTIONAL_COLUMNS: dict[str, pl.DataType] = {
    "recorded_on": pl.Date(),
    "birth_date": pl.Date(),
    "age": pl.Int64(),
    "sex": pl.String(),
    "citizenship": pl.String(),
    "place": pl.String(),
    "phone": pl.String(),
}


def _as_date(records: pl.DataFrame, column: str) -> pl.Expr:
    """A date column from a date, datetime or ISO ``YYYY-MM-DD`` text column (bad text: null)."""
    if records.schema[column] == pl.String:
        return pl.col(column).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if records.schema[column] == pl.Null:
        return pl.col(column).cast(pl.Date)
    return pl.col(column).cast(pl.Date)


def prepare_records(records: pl.DataFrame) -> pl.DataFrame:
    """The comparison columns linkage uses, one row per record, ``unique_id`` = record_id.

    Output columns: ``unique_id``, ``agency``, ``given_key``, ``family_key``, ``name_key``
    (sorted keys, order-free), ``name_first`` and ``name_second`` (the two keys in
    alphabetical order), ``name_tokens`` (keys of every word), ``name_prefixes`` (the first
    three letters of each of those keys) and ``prefix_key`` (the first three letters of the
    given and the family key, sorted) — typo-tolerant blocking keys —, ``birth_date`` (ISO
    string), ``birth_year``, ``sex``, ``citizenship``, ``place``, ``phone``.

    Only :data:`REQUIRED_COLUMNS` must be present; each of :data:`OPTIONAL_COLUMNS` that is
    absent is taken as blank in every record.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
    if missing:
        raise InvalidInput(
            f"Records for linkage lack the column(s) {', '.join(missing)}; rename or add them "
            f"(needed: {', '.join(REQUIRED_COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)})."
        )
    # An absent optional column is all null: its comparison says nothing for or against a
    # match, as for a record that leaves the field blank.
    records = records.with_columns(
        pl.lit(None, dtype=dtype).alias(c)
        for c, dtype in OPTIONAL_COLUMNS.items()
        if c not in records.columns
    )
    if records.get_column("record_id").n_unique() != records.height:
        raise InvalidInput("record_id must be unique across all agencies' records.")
    records = records.with_columns(
        _as_date(records, "birth_date"), _as_date(records, "recorded_on")
    )
    given = clean_name(pl.col("given_name").cast(pl.String))
    family = clean_name(pl.col("family_name").cast(pl.String))
    birth = pl.col("birth_date").cast(pl.Date)
    keyed = records.with_columns(
        romanisation_key(given).alias("given_key"),
        romanisation_key(family).alias("family_key"),
        pl.concat_str([given, family], separator=" ", ignore_nulls=True)
        .str.split(" ")
        .list.eval(romanisation_key(pl.element()).filter(pl.element() != ""))
        .list.unique()
        .list.sort()
        .alias("name_tokens"),
    ).with_columns(
        pl.when(pl.col("name_tokens").list.len() > 0).then(pl.col("name_tokens")),
    )
    return keyed.select(
        pl.col("record_id").cast(pl.String).alias("unique_id"),
        pl.col("agency").cast(pl.String),
        "given_key",
        "family_key",
        pl.concat_list("given_key", "family_key")
        .list.drop_nulls()
        .list.sort()
        .list.join(" ")
        .replace("", None)
        .alias("name_key"),
        pl.min_horizontal("given_key", "family_key").alias("name_first"),
        pl.when(pl.col("given_key").is_not_null() & pl.col("family_key").is_not_null())
        .then(pl.max_horizontal("given_key", "family_key"))
        .alias("name_second"),
        "name_tokens",
        # typo-tolerant blocking keys: a typo or a variant spelling rarely touches the first
        # three letters of a name word (the simulator's, like most, spare the first letter)
        pl.col("name_tokens")
        .list.eval(pl.element().str.slice(0, 3))
        .list.unique()
        .list.sort()
        .alias("name_prefixes"),
        pl.concat_list(pl.col("given_key").str.slice(0, 3), pl.col("family_key").str.slice(0, 3))
        .list.drop_nulls()
        .list.sort()
        .list.join(" ")
        .replace("", None)
        .alias("prefix_key"),
        pl.when((birth.dt.month() == 1) & (birth.dt.day() == 1))
        .then(None)
        .otherwise(birth.dt.to_string("%Y-%m-%d"))
        .alias("birth_date"),
        pl.coalesce(birth.dt.year(), pl.col("recorded_on").cast(pl.Date).dt.year() - pl.col("age"))
        .cast(pl.Int64)
        .alias("birth_year"),
        pl.col("sex").cast(pl.String).replace({"Unknown": None}),
        pl.col("citizenship").cast(pl.String),
        pl.col("place").cast(pl.String),
        pl.col("phone").cast(pl.String).str.replace_all(r"\D", "").str.slice(-8).alias("phone"),
    )
