"""One row per identified victim in the CTDC layout, generalised for release.

Built from the case tables (never from ``person_identities``): the columns are those of the
Counter-Trafficking Data Collaborative's public dataset, so a bundle can be read by anyone who
reads CTDC data (and imported back with ``uncounted import --mapping ctdc``).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from uncounted.errors import InvalidInput
from uncounted.publish.kanonymity import Hierarchy, exact, suppressed

#: CTDC age bands (``ageBroad``), with their lower bounds.
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "0--8"),
    (9, "9--17"),
    (18, "18--20"),
    (21, "21--23"),
    (24, "24--26"),
    (27, "27--29"),
    (30, "30--38"),
    (39, "39--47"),
    (48, "48+"),
)
_COARSE = {
    "0--8": "0--17",
    "9--17": "0--17",
    "18--20": "18--29",
    "21--23": "18--29",
    "24--26": "18--29",
    "27--29": "18--29",
    "30--38": "30--47",
    "39--47": "30--47",
    "48+": "48+",
}

EXPLOITATION_FLAGS = {
    "isSexualExploit": "SexualExploitation",
    "isForcedLabour": "ForcedLabour",
    "isForcedMarriage": "ForcedMarriage",
    "isOtherExploit": "Other",
}
CONTROL_FLAGS = {
    "meansOfControlDebtBondage": "DebtBondage",
    "meansOfControlTakesEarnings": "TakesEarnings",
    "meansOfControlThreats": "Threats",
    "meansOfControlPhysicalAbuse": "PhysicalAbuse",
    "meansOfControlSexualAbuse": "SexualAbuse",
    "meansOfControlRestrictsMovement": "RestrictsMovement",
    "meansOfControlWithholdsDocuments": "WithholdsDocuments",
}
QUASI_IDENTIFIERS = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatusAtExploit",
    "citizenship",
    "CountryOfExploitation",
)

#: Column -> meaning, for the bundle's data dictionary.
DICTIONARY: dict[str, str] = {
    "yearOfRegistration": "Year the victim was identified (or the case opened); may be a range",
    "gender": "Sex/gender (HTCDS prs_Gender); empty when withheld",
    "ageBroad": "Age at identification, CTDC band (or a coarser band); empty when withheld",
    "majorityStatusAtExploit": "Minor or Adult at exploitation; empty when withheld",
    "citizenship": "ISO 3166-1 alpha-2; empty when withheld or too rare to publish",
    "CountryOfExploitation": "ISO 3166-1 alpha-2; empty when withheld or too rare",
    **{
        flag: f"1 if the exploitation included {code}, else 0"
        for flag, code in EXPLOITATION_FLAGS.items()
    },
    **{
        flag: f"1 if the means of control included {code}, else 0"
        for flag, code in CONTROL_FLAGS.items()
    },
    "typeOfLabour": "Forced-labour industry (HTCDS vic_ForcedLabourIndustry), if any",
    "typeOfSex": "Type of sexual exploitation (HTCDS vic_TypeOfSexExploitation), if any",
}


#: How much each quasi-identifier matters to users of the data (cost of generalising it).
WEIGHTS: dict[str, float] = {
    "CountryOfExploitation": 4.0,
    "yearOfRegistration": 2.0,
    "citizenship": 2.0,
    "majorityStatusAtExploit": 2.0,
    "ageBroad": 1.0,
    "gender": 1.5,
}


def _age_band() -> pl.Expr:
    age = pl.col("age_at_identification")
    band = pl.lit(None, dtype=pl.String)
    for low, label in AGE_BANDS:
        band = pl.when(age >= low).then(pl.lit(label)).otherwise(band)
    return pl.when(age.is_null()).then(None).otherwise(band)


def victim_rows(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per victim (their first case), CTDC columns, nothing identifying."""
    for name in ("case_persons", "persons", "cases", "jurisdictions"):
        if name not in tables:
            raise InvalidInput(f"Publishing needs the {name!r} table.")
    places = tables["jurisdictions"].select(
        pl.col("id").alias("jurisdiction_id"), pl.col("country").alias("CountryOfExploitation")
    )
    cases = (
        tables["cases"]
        .select(
            pl.col("id").alias("case_id"),
            "jurisdiction_id",
            "opened_on",
            pl.col("exploitation_type").alias("case_type"),
        )
        .join(places, on="jurisdiction_id", how="left")
    )
    banded = "age_band" in tables["persons"].columns  # a band recorded as such (CTDC ageBroad)
    persons = tables["persons"].select(
        pl.col("id").alias("person_id"),
        "sex",
        "age_at_identification",
        "citizenship",
        pl.col("age_band") if banded else pl.lit(None, pl.String).alias("age_band"),
    )
    victims = (
        tables["case_persons"]
        .filter(pl.col("role") == "victim")
        .join(cases, on="case_id", how="inner")
        .sort("opened_on", "case_id")
        .unique("person_id", keep="first", maintain_order=True)
        .join(persons, on="person_id", how="left")
    )
    etype = pl.coalesce("exploitation_type", "case_type")
    # every exploitation type of a victim (exploitation_types when there are several)
    several = "exploitation_types" in victims.columns and isinstance(
        victims.schema["exploitation_types"], pl.List
    )
    kinds = (
        pl.when(pl.col("exploitation_types").is_not_null())
        .then(pl.col("exploitation_types"))
        .otherwise(pl.concat_list(etype))
        if several
        else pl.concat_list(etype)
    )
    controls = pl.col("methods_of_control").fill_null([])
    return victims.select(
        pl.col("opened_on").dt.year().cast(pl.String).alias("yearOfRegistration"),
        pl.col("sex").alias("gender"),
        pl.coalesce(_age_band(), pl.col("age_band")).alias("ageBroad"),
        pl.when(pl.col("minor_at_exploitation").is_null())
        .then(None)
        .when(pl.col("minor_at_exploitation"))
        .then(pl.lit("Minor"))
        .otherwise(pl.lit("Adult"))
        .alias("majorityStatusAtExploit"),
        "citizenship",
        "CountryOfExploitation",
        *[
            kinds.list.contains(code).cast(pl.Int8).alias(flag)
            for flag, code in EXPLOITATION_FLAGS.items()
        ],
        *[
            controls.list.contains(code).cast(pl.Int8).alias(flag)
            for flag, code in CONTROL_FLAGS.items()
        ],
        pl.col("forced_labour_industry").alias("typeOfLabour"),
        pl.col("sex_exploitation_type").alias("typeOfSex"),
    )


def _common_only(values: set[str]) -> Hierarchy:
    def keep(column: pl.Expr) -> pl.Expr:
        col = column.cast(pl.String)
        return pl.when(col.is_in(sorted(values))).then(col).otherwise(None)

    return (exact, keep, suppressed)


def _two_year(column: pl.Expr) -> pl.Expr:
    year = column.cast(pl.Int32, strict=False)
    start = year - (year % 2)
    return pl.concat_str([start.cast(pl.String), (start + 1).cast(pl.String)], separator="-")


def _coarse_age(column: pl.Expr) -> pl.Expr:
    return column.cast(pl.String).replace_strict(_COARSE, default=None)


def hierarchies(rows: pl.DataFrame, k: int) -> dict[str, Hierarchy]:
    """Generalisation hierarchies of the quasi-identifiers; countries seen fewer than ``k``
    times overall are withheld at the middle level."""

    def common(column: str) -> set[str]:
        counts = rows.group_by(column).len().filter(pl.col("len") >= k).drop_nulls()
        return set(counts[column].cast(pl.String).to_list())

    return {
        "yearOfRegistration": (exact, _two_year, suppressed),
        "gender": (exact, suppressed),
        "ageBroad": (exact, _coarse_age, suppressed),
        "majorityStatusAtExploit": (exact, suppressed),
        "citizenship": _common_only(common("citizenship")),
        "CountryOfExploitation": _common_only(common("CountryOfExploitation")),
    }


__all__ = [
    "AGE_BANDS",
    "CONTROL_FLAGS",
    "DICTIONARY",
    "EXPLOITATION_FLAGS",
    "QUASI_IDENTIFIERS",
    "WEIGHTS",
    "hierarchies",
    "victim_rows",
]
