"""Synthetic files in the CTDC victim-level layouts, written from CTDC's published field lists.

No CTDC data is copied: the column names and value spellings are those of CTDC's codebook and
field lists (the k-anonymised Global Dataset of 2017-2021, 63 columns; the Global Synthetic
Dataset of 2024, 27 fields), and every row is drawn here at random. The rows reproduce the
patterns a real file has: both forced-labour and sexual-exploitation flags set, flag groups not
recorded (-99 or empty), rows with nothing recorded, citizenship NA (Namibia), 00 and -99 for an
unknown country, no country of exploitation, minors with age band 9--17, many 2016 rows. Each
:class:`CtdcFile` carries its own counts (by gender, by exploitation type...), counted from its
cells, which an import must reproduce. The tests and ``benchmarks/measure_ctdc.py`` use them.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass, field

GLOBAL_2020 = [
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "majorityEntry",
    "citizenship",
    *(
        f"meansOfControl{m}"
        for m in (
            "DebtBondage",
            "TakesEarnings",
            "RestrictsFinancialAccess",
            "Threats",
            "PsychologicalAbuse",
            "PhysicalAbuse",
            "SexualAbuse",
            "FalsePromises",
            "PsychoactiveSubstances",
            "RestrictsMovement",
            "RestrictsMedicalCare",
            "ExcessiveWorkingHours",
            "UsesChildren",
            "ThreatOfLawEnforcement",
            "WithholdsNecessities",
            "WithholdsDocuments",
            "Other",
            "NotSpecified",
            "Concatenated",
        )
    ),
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isSexAndLabour",
    "isForcedMarriage",
    "isForcedMilitary",
    "isOrganRemoval",
    "isSlaveryAndPractices",
    "typeOfExploitConcatenated",
    *(
        f"typeOfLabour{t}"
        for t in (
            "Agriculture",
            "Aquafarming",
            "Begging",
            "Construction",
            "DomesticWork",
            "Hospitality",
            "IllicitActivities",
            "Manufacturing",
            "MiningOrDrilling",
            "Peddling",
            "Transportation",
            "Other",
            "NotSpecified",
            "Concatenated",
        )
    ),
    "typeOfSexProstitution",
    "typeOfSexPornography",
    "typeOfSexRemoteInteractiveServices",
    "typeOfSexPrivateSexualServices",
    "typeOfSexConcatenated",
    "isAbduction",
    "RecruiterRelationship",
    "CountryOfExploitation",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
    "recruiterRelationUnknown",
]

SYNTHETIC_2024 = [
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "traffickMonths",
    "meansDebtBondageEarnings",
    "meansThreats",
    "meansAbusePsyPhySex",
    "meansFalsePromises",
    "meansDrugsAlcohol",
    "meansDenyBasicNeeds",
    "meansExcessiveWorkHours",
    "meansWithholdDocs",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "sectorOfLabourAgriculture",
    "sectorOfLabourConstruction",
    "sectorOfLabourDomesticWork",
    "sectorOfLabourHospitality",
    "sectorOfSexProstitution",
    "sectorOfSexPornography",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
]

AGE_BANDS = ["0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+"]
COUNTRIES_2 = ["US", "PH", "UA", "MD", "KH", "ID", "NA", "RO", "BY", "MM", "GH", "NG", "VN"]
COUNTRIES_3 = ["USA", "PHL", "UKR", "MDA", "KHM", "IDN", "NAM", "ROU", "BLR", "MMR", "GHA"]
#: exploitation types of the fixtures, as the file's flag column and the stored code
EXPLOIT = {
    "isSexualExploit": "SexualExploitation",
    "isForcedLabour": "ForcedLabour",
    "isOtherExploit": "Other",
    "isForcedMarriage": "ForcedMarriage",
}


@dataclass
class CtdcFile:
    """A file's text and what it holds, counted from its own cells."""

    text: str
    rows: int
    gender: Counter[str] = field(default_factory=Counter)
    exploitation: Counter[str] = field(default_factory=Counter)
    minors: int = 0
    unknown_place: int = 0
    namibians: int = 0


def _write(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def global_2020(n: int = 600, seed: int = 16) -> CtdcFile:
    """Rows in the 63-column k-anonymised Global Dataset layout (flags 1/0, -99 not recorded)."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    fx = CtdcFile("", n)
    for i in range(n):
        row = dict.fromkeys(GLOBAL_2020, "-99")
        row["yearOfRegistration"] = str(2016 if i % 3 == 0 else rng.randint(2002, 2019))
        row["Datasource"] = rng.choice(["Case Management", "Hotline"])
        if i % 50 == 7:  # nothing recorded but the year and the source
            rows.append(row)
            fx.unknown_place += 1
            fx.gender["Unknown"] += 1
            continue
        gender = rng.choices(["Female", "Male", "Transgender/NonConforming"], [70, 28, 2])[0]
        row["gender"] = gender
        fx.gender[
            {"Female": "Female", "Male": "Male"}.get(gender, "Transgender/NonConforming")
        ] += 1
        band = rng.choice([*AGE_BANDS, "-99"])
        row["ageBroad"] = band
        minor = band in {"0--8", "9--17"}
        row["majorityStatus"] = "-99" if band == "-99" else ("Minor" if minor else "Adult")
        fx.minors += int(minor)
        row["majorityStatusAtExploit"] = rng.choice(["Minor", "Adult", "-99"])
        row["majorityEntry"] = rng.choice(["Minor", "Adult", "-99"])
        row["citizenship"] = rng.choice([*COUNTRIES_2, "00", "-99"])
        fx.namibians += row["citizenship"] == "NA"
        place = rng.choice([*COUNTRIES_2, "00", "-99"])
        row["CountryOfExploitation"] = place
        fx.unknown_place += place in {"00", "-99"}
        kind = rng.choice(["sex", "labour", "both", "other", "marriage", "none"])
        if kind != "none":
            flags = {
                "isSexualExploit": kind in {"sex", "both"},
                "isForcedLabour": kind in {"labour", "both"},
                "isOtherExploit": kind == "other",
                "isForcedMarriage": kind == "marriage",
            }
            for column, on in flags.items():
                row[column] = "1" if on else "0"
                fx.exploitation[EXPLOIT[column]] += on
            row["isSexAndLabour"] = "1" if kind == "both" else "0"
            for column in ("isForcedMilitary", "isOrganRemoval", "isSlaveryAndPractices"):
                row[column] = "0"
            row["typeOfExploitConcatenated"] = {
                "sex": "Sexual exploitation",
                "labour": "Forced labour",
                "both": "Forced labour;Sexual exploitation",
                "other": "Other",
                "marriage": "Forced marriage",
            }[kind]
        if rng.random() < 0.5:  # means of control recorded for half the rows
            for column in GLOBAL_2020:
                if column.startswith("meansOfControl") and not column.endswith("Concatenated"):
                    row[column] = rng.choice(["0", "0", "1"])
        if kind in {"labour", "both"} and rng.random() < 0.7:
            for column in GLOBAL_2020:
                if column.startswith("typeOfLabour") and not column.endswith("Concatenated"):
                    row[column] = "0"
            row["typeOfLabourDomesticWork"] = "1"
        if kind in {"sex", "both"} and rng.random() < 0.7:
            for column in GLOBAL_2020:
                if column.startswith("typeOfSex") and not column.endswith("Concatenated"):
                    row[column] = "0"
            row["typeOfSexProstitution"] = "1"
        rows.append(row)
    fx.text = _write(GLOBAL_2020, rows)
    return fx


def synthetic_cut(n: int = 600, seed: int = 21) -> CtdcFile:
    """The Global Dataset's rows under column names cut to 32 characters (2021-2023 files)."""
    fx = global_2020(n, seed)
    header, _, body = fx.text.partition("\n")
    fx.text = ",".join(name[:32] for name in header.split(",")) + "\n" + body
    return fx


def synthetic_2024(n: int = 600, seed: int = 24) -> CtdcFile:
    """Rows in the 27-field Global Synthetic Dataset layout (flags 1 or empty, ISO alpha-3)."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    fx = CtdcFile("", n)
    labels = {
        "Woman": "Female",
        "Man": "Male",
        "Trans/Transgender/NonConforming": "Transgender/NonConforming",
    }
    for i in range(n):
        row = dict.fromkeys(SYNTHETIC_2024, "")
        row["yearOfRegistration"] = str(2016 if i % 4 == 0 else rng.randint(2002, 2022))
        gender = rng.choices([*labels, ""], [60, 35, 2, 3])[0]
        row["gender"] = gender
        fx.gender[labels.get(gender, "Unknown")] += 1
        band = rng.choice([*AGE_BANDS, ""])
        row["ageBroad"] = band
        fx.minors += band in {"0--8", "9--17"}
        row["citizenship"] = rng.choice([*COUNTRIES_3, ""])
        fx.namibians += row["citizenship"] == "NAM"
        row["CountryOfExploitation"] = rng.choice([*COUNTRIES_3, ""])
        fx.unknown_place += row["CountryOfExploitation"] == ""
        row["traffickMonths"] = rng.choice(
            ["0--12 (0-1 yr)", "13--24 (1-2 yrs)", "25+ (2+ yrs)", ""]
        )
        kind = rng.choice(["sex", "labour", "both", "other", "none"])
        for column, on in (
            ("isSexualExploit", kind in {"sex", "both"}),
            ("isForcedLabour", kind in {"labour", "both"}),
            ("isOtherExploit", kind == "other"),
        ):
            row[column] = "1" if on else ""
            fx.exploitation[EXPLOIT[column]] += on
        for column in SYNTHETIC_2024:
            if column.startswith(("means", "recruiterRelation")) and rng.random() < 0.3:
                row[column] = "1"
        if kind in {"labour", "both"}:
            row["sectorOfLabourConstruction"] = "1"
        rows.append(row)
    fx.text = _write(SYNTHETIC_2024, rows)
    return fx


__all__ = [
    "AGE_BANDS",
    "GLOBAL_2020",
    "SYNTHETIC_2024",
    "CtdcFile",
    "global_2020",
    "synthetic_2024",
    "synthetic_cut",
]
