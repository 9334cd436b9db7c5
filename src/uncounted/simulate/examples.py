"""The example input files of ``examples/``: small, synthetic, one for every command that reads
a file, regenerated with a fixed seed.

Regenerate them from the repository root with::

    python -m uncounted.simulate.examples examples

Every file comes from a simulator whose truth is known (a synthetic world, capture histories,
venue surveys, an indicator panel, payment traffic, a migrant-worker survey), so the numbers
the commands print on them are realistic but describe nobody. :func:`write_examples` writes
them; a test checks that the committed files equal a fresh regeneration.
"""

from __future__ import annotations

import datetime as dt
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from uncounted.simulate.agency_records import population_records
from uncounted.simulate.capture import simulate_lists
from uncounted.simulate.migrants import simulate_migrant_survey
from uncounted.simulate.panels import simulate_indicator_panel
from uncounted.simulate.payments import simulate_payments
from uncounted.simulate.venues import simulate_venue_survey
from uncounted.simulate.world import WorldConfig, simulate_world

#: The seed of every example file.
SEED = 7

#: Each example file and what it shows (the lines of ``examples/README.md``).
EXAMPLES: dict[str, str] = {
    "agencies.csv": "the agencies of the example world, in the standard layout "
    "(`uncounted import examples/agencies.csv`; import it first).",
    "pnp-cases.xlsx": "the police's (PNP) cases and the people in them, in HTCDS v2 names, "
    "one sheet per record type (`--source PNP --mapping htcds`).",
    "ngo-register.csv": "a shelter NGO's own victim register (its own column names, codes, "
    "dd/mm/yyyy dates, ISO alpha-3 nationalities) ...",
    "ngo-mapping.yaml": "... and the mapping that reads it as persons and list memberships "
    "(`--mapping examples/ngo-mapping.yaml`).",
    "lists.csv": "a capture-history table of four agencies' lists (one 0/1 column per list and "
    "`count`) for `uncounted estimate`; 1 200 people really exist.",
    "zone.yaml": "an exploitation-free zone definition for `uncounted zone assess` (the "
    "demo's Cambodia and Thailand).",
    "survey-baseline.csv": "undercover venue visits before a programme (true share of minors "
    "about 8 %), for `uncounted survey estimate|compare`.",
    "survey-endline.csv": "the same survey after it (true share about 3 %).",
    "did-panel.csv": "an indicator per area and year, half the areas in a programme from "
    "2023 (planted effect -2), for `uncounted did`.",
    "sustainability.csv": "institutions rated on the shipped sustainability checklist at two "
    "dates, for `uncounted sustainability`.",
    "migrant-survey.csv": "a survey of migrant workers (destination, sector, recruitment, ... "
    "forced labour), for `uncounted drivers`.",
    "payments.csv": "four months of a payment provider's traffic (cards and transfers, the "
    "eleven canonical columns) with planted offenders, for `uncounted screen`.",
    "bank-transfers.csv": "a bank's transfer-only file in its own column names and channel "
    "labels, without a merchant category column ...",
    "bank-mapping.yaml": "... and the column mapping that reads it (`--mapping`).",
    "quarterly-instrument.yaml": "a variant of the survivor instrument with quarterly "
    "visits in the first year (`uncounted survivors due --instrument`): a schedule of its "
    "own on the same assessments.",
    "link-ngo.csv": "a shelter NGO's own records of people (names spelt its way, birth dates, "
    "phones; 1 500 people really exist) for `uncounted link encode` ...",
    "link-labour.csv": "... and a labour inspectorate's records of some of the same people; "
    "encoded, they link without sharing a name (`uncounted link run --encoded`).",
    "shared.key": "an example shared secret for `link encode` (never use it for real data).",
}


def _alpha3() -> dict[str, str]:
    import pycountry

    return {c.alpha_2: c.alpha_3 for c in pycountry.countries}


_ALPHA3 = _alpha3()

NGO_MAPPING = """\
# How the shelter's own register (ngo-register.csv) maps to Uncounted's standard fields.
# Each row is a person, and also that person's entry on the shelter's list for the year.
source: NGO-SEA
record_types: [persons, list_memberships]
date_format: "%d/%m/%Y"
persons:
  columns:
    external_id: Client No
    given_name: First name
    family_name: Surname
    sex: Gender
    birth_year: Year of birth
    citizenship: Nationality      # ISO 3166 alpha-3 codes are converted
  values:
    sex: {F: Female, M: Male}
list_memberships:
  columns:
    person: Client No
    period: Reporting year
    recorded_on: Date admitted
"""


def _cells(path: Path) -> list[list[tuple[object, ...]]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]
    finally:
        book.close()


def _save_if_changed(book: Any, path: Path) -> None:
    """Save a workbook unless ``path`` already holds the same cells (an XLSX carries its write
    time, so saving anew would change the file's bytes on every regeneration)."""
    fresh = path.with_name("new-" + path.name)
    book.save(fresh)
    if path.exists() and _cells(path) == _cells(fresh):
        fresh.unlink()
    else:
        fresh.replace(path)


def _world_files(folder: Path) -> None:
    world = simulate_world(WorldConfig(seed=SEED, n_victims=400))
    f = world.frames
    agencies = f["agencies"]
    agencies.drop("id").write_csv(folder / "agencies.csv")

    # The police's cases and the people in them, as an HTCDS workbook.
    jur = f["jurisdictions"].select(
        pl.col("id").alias("jurisdiction_id"),
        pl.coalesce("subdivision", "country").alias("jurisdiction"),
    )
    pnp = int(agencies.filter(pl.col("code") == "PNP")["id"][0])
    cases = (
        f["cases"]
        .filter(pl.col("source_agency_id") == pnp)
        .join(jur, on="jurisdiction_id")
        .sort("id")
        .head(12)
    )
    roles = (
        f["case_persons"]
        .join(cases.select(pl.col("id").alias("case_id"), "external_id"), on="case_id")
        .rename({"external_id": "case"})
    )
    people = (
        roles.join(f["persons"].rename({"id": "person_id"}), on="person_id", suffix="_p")
        .join(f["person_identities"], on="person_id")
        .sort("id")
    )
    book_cases = cases.select(
        cas_ID=pl.col("external_id"),
        cas_Status=pl.col("status"),
        cas_TypeOfExploitation=pl.col("exploitation_type"),
        cas_Jurisdiction=pl.col("jurisdiction"),
        cas_OpenedDate=pl.col("opened_on"),
        cas_ClosedDate=pl.col("closed_on"),
    )
    book_persons = people.select(
        prs_ID=pl.lit("P-") + pl.col("person_id").cast(pl.String),
        prs_Gender=pl.col("sex"),
        prs_BirthYear=pl.col("birth_year"),
        prs_Nationality=pl.col("citizenship"),
        prs_FirstName=pl.col("given_name"),
        prs_LastName=pl.col("family_name"),
        cas_ID=pl.col("case"),
        prs_RoleInCase=pl.col("role").replace({"victim": "Victim", "suspect": "Perpetrator"}),
        vic_TypeOfExploitation=pl.col("exploitation_type"),
        vic_MinorAtExploitation=pl.col("minor_at_exploitation"),
        per_RoleInProcess=pl.col("role_in_process"),
    )
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.worksheets[0])
    for title, frame in (("cases", book_cases), ("persons", book_persons)):
        ws = book.create_sheet(title)
        ws.append(frame.columns)
        for row in frame.iter_rows():
            ws.append(list(row))
    _save_if_changed(book, folder / "pnp-cases.xlsx")

    # A shelter NGO's own register: its own column names, codes and date format.
    ngo = int(agencies.filter(pl.col("code") == "NGO-SEA")["id"][0])
    register = (
        f["list_memberships"]
        .filter(pl.col("agency_id") == ngo)
        .join(f["persons"].rename({"id": "person_id"}), on="person_id")
        .join(f["person_identities"], on="person_id")
        .sort("id")
        .head(40)
    )
    frame = register.select(
        pl.lit("SH-").add(pl.col("person_id").cast(pl.String).str.zfill(4)).alias("Client No"),
        pl.col("given_name").alias("First name"),
        pl.col("family_name").fill_null("").alias("Surname"),
        pl.col("sex").replace_strict({"Female": "F", "Male": "M"}).alias("Gender"),
        pl.col("birth_year").alias("Year of birth"),
        pl.col("citizenship").replace_strict(_ALPHA3, default=None).alias("Nationality"),
        pl.col("recorded_on").dt.to_string("%d/%m/%Y").alias("Date admitted"),
        pl.col("period").alias("Reporting year"),
    )
    frame.write_csv(folder / "ngo-register.csv")
    (folder / "ngo-mapping.yaml").write_text(NGO_MAPPING, "utf-8")


ZONE = """\
# An exploitation-free zone and the metrics its partners agreed on (ids from
# `uncounted metrics`); assessed on the demo's justice data by `uncounted zone assess`.
name: Mekong fishing corridor
jurisdictions: [KH, TH]
period: "2024"
metrics:
  - {id: J5, variant: trafficking, operator: ">=", threshold: 0.5, judge_on: lower}
  - {id: J3, variant: all, threshold: 0.3, scope: zone}
  - {id: J14, variant: protective measures, threshold: 0.5, required: false}
"""

BANK_MAPPING = """\
# The bank's own column names (bank-transfers.csv) for `uncounted screen --mapping`.
# The file has no merchant category (no card payments): screening runs without the
# typology that needs one, and says so.
transaction_id: txn_ref
timestamp: booked_at
sender_id: customer_no
sender_country: customer_country
beneficiary_id: payee_account
beneficiary_country: payee_country
amount: amount
currency: ccy
channel: product
description: narrative
channel_values: {IFTI: remittance, NPP: bank_transfer, WALLET: e_wallet}
"""

SHARED_KEY = "example-shared-secret-for-the-examples-only-never-for-real-data\n"


def _link_files(folder: Path) -> None:
    """Two agencies' own records of people (one row per record, names spelt their own way)."""
    records = population_records(1500, seed=SEED).records.drop("person")
    for agency, name in (("NGO-SEA", "link-ngo.csv"), ("LAB-INSP", "link-labour.csv")):
        records.filter(pl.col("agency") == agency).write_csv(folder / name)


def _capture_histories(folder: Path) -> None:
    lists = simulate_lists(
        "dependent", population=1200, probabilities=(0.25, 0.2, 0.3, 0.15), seed=SEED
    )
    names = {"A": "police", "B": "ngo", "C": "labour", "D": "iom"}
    lists.table.rename(names).write_csv(folder / "lists.csv")


def _evaluation_files(folder: Path) -> None:
    for name, share, seed in (("baseline", 0.08, SEED), ("endline", 0.03, SEED + 1)):
        survey = simulate_venue_survey(
            share, strata=3, venues_per_stratum=60, sampled_per_stratum=12, seed=seed
        )
        survey.observations.with_columns(
            pl.col("weight").round(4), pl.col("minutes_to_offer").round(0)
        ).write_csv(folder / f"survey-{name}.csv")
    panel = simulate_indicator_panel(
        areas=16, periods=7, start=5, effect=-2.0, trend=0.3, noise=0.8, seed=SEED
    )
    panel.with_columns(pl.col("period") + 2018, pl.col("value").round(2)).write_csv(
        folder / "did-panel.csv"
    )
    rng = np.random.default_rng(SEED)
    criteria = [
        "budget.line",
        "budget.costs_covered",
        "staff.dedicated",
        "staff.training",
        "staff.retention",
        "procedure.sop",
        "procedure.referral",
        "leadership.champion",
        "data.recording",
        "partnership.mou",
    ]
    rows = []
    for institution, progress in (
        ("PH anti-trafficking police unit", 0.8),
        ("PH prosecutors' task force", 0.5),
        ("Provincial social welfare office", 0.2),
    ):
        before = rng.integers(0, 2, len(criteria))
        after = np.minimum(before + (rng.random(len(criteria)) < progress), 2)
        for when, levels in (("2023-01-15", before), ("2024-12-10", after)):
            rows += [(institution, when, c, int(v)) for c, v in zip(criteria, levels, strict=True)]
    pl.DataFrame(
        rows, schema=["institution", "assessed_on", "criterion", "level"], orient="row"
    ).write_csv(folder / "sustainability.csv")
    simulate_migrant_survey(600, seed=SEED).write_csv(folder / "migrant-survey.csv")


def _payment_files(folder: Path) -> None:
    world = simulate_payments(100, 5, days=120, start=dt.date(2024, 4, 1), random_state=SEED)
    payments = world.payments.with_columns(
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ"), pl.col("amount").round(2)
    )
    payments.write_csv(folder / "payments.csv")
    labels = {"remittance": "IFTI", "bank_transfer": "NPP", "e_wallet": "WALLET"}
    payments.filter(pl.col("channel") != "card").select(
        txn_ref=pl.col("transaction_id"),
        booked_at=pl.col("timestamp"),
        customer_no=pl.col("sender_id"),
        customer_country=pl.col("sender_country"),
        payee_account=pl.col("beneficiary_id"),
        payee_country=pl.col("beneficiary_country"),
        amount=pl.col("amount"),
        ccy=pl.col("currency"),
        product=pl.col("channel").replace_strict(labels),
        narrative=pl.col("description"),
    ).write_csv(folder / "bank-transfers.csv")
    (folder / "bank-mapping.yaml").write_text(BANK_MAPPING, "utf-8")


def _instrument_variant(folder: Path) -> None:
    text = (
        resources.files("uncounted.survivors")
        .joinpath("instruments/default.yaml")
        .read_text("utf-8")
    )
    start = text.index("id: uncounted-restoration-v1")
    body = text[start:]
    for old, new in (
        ('version: "1.0"', 'version: "1.0-quarterly"'),
        (
            "visits_months: [0, 6, 12]  # intake, six months, one year",
            "visits_months: [0, 3, 6, 9, 12]  # quarterly in the first year",
        ),
    ):
        if old not in body:
            raise RuntimeError(f"the default instrument changed: {old!r} is gone")
        body = body.replace(old, new)
    header = (
        "# A variant of Uncounted's default survivor-restoration instrument: the same items and\n"
        "# scoring, visited every quarter in the first year. Only the schedule changed, so it\n"
        "# keeps the id and reads the assessments stored with the default instrument; a variant\n"
        "# that changes items, scale or scoring needs an id of its own.\n"
    )
    (folder / "quarterly-instrument.yaml").write_text(header + body, "utf-8")


def write_examples(folder: str | Path) -> list[Path]:
    """Write every example file into ``folder`` (created if needed); return their paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    _world_files(out)
    _link_files(out)
    _capture_histories(out)
    (out / "zone.yaml").write_text(ZONE, "utf-8")
    _evaluation_files(out)
    _payment_files(out)
    _instrument_variant(out)
    (out / "shared.key").write_text(SHARED_KEY, "utf-8")
    (out / "README.md").write_text(readme(), "utf-8")
    return [out / name for name in (*EXAMPLES, "README.md")]


def readme() -> str:
    """``examples/README.md``: one line per file, and how to regenerate them."""
    lines = [
        "# Example files",
        "",
        "Small synthetic inputs for every command that reads a file. They describe nobody:",
        "each comes from a simulator of Uncounted whose truth is known. The README and the",
        "pages in `docs/` use them, from the repository root.",
        "",
        "| file | what it shows |",
        "| --- | --- |",
        *(f"| `{name}` | {text} |" for name, text in EXAMPLES.items()),
        "",
        "Regenerate them (seed " + str(SEED) + ", the same files every time) with:",
        "",
        "```sh",
        ".venv/bin/python -m uncounted.simulate.examples examples",
        "```",
        "",
        "`duediligence/` is written by hand, not simulated: a partner register, statement scores,",
        "a risk table of published facts (each row cited) and a statement's text, for",
        "`uncounted partners` (its own `README.md` says what each file shows).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m uncounted.simulate.examples [FOLDER]`` (default ``examples``)."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_examples(args[0] if args else "examples"):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["EXAMPLES", "SEED", "main", "readme", "write_examples"]
