"""Export → import is lossless: a synthetic world survives CSV, XLSX and HTCDS; CTDC reads back."""

from __future__ import annotations

import filecmp

import pytest

from uncounted.ingest import import_file, validate_file
from uncounted.ingest.export import export_records
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.store.bulk import insert_frames

from .conftest import TODAY


@pytest.fixture(scope="module")
def world():
    return simulate_world(WorldConfig(seed=11, n_victims=60))


def _same_folders(a, b) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_world_round_trips(engine, tmp_path, world, fmt, _template):
    import shutil

    from uncounted.store.db import make_engine

    insert_frames(engine, world.frames)
    first = tmp_path / "first"
    export_records(engine, first, "csv")
    if fmt == "xlsx":
        files = export_records(engine, tmp_path / "all.xlsx", "xlsx")
    else:
        files = sorted(first.iterdir())
    again = import_file(engine, files[0], today=TODAY) if fmt == "xlsx" else None
    if again is not None:  # the same records again change nothing
        assert again.rows_created == again.rows_updated == 0
    shutil.copyfile(_template, tmp_path / "fresh.sqlite")
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    if fmt == "xlsx":  # a dry run of the whole workbook resolves references between sheets
        assert validate_file(fresh, files[0], today=TODAY).rejected == []
        import_file(fresh, files[0], today=TODAY)
    else:
        from uncounted.ingest.records import LOAD_ORDER

        by_name = {p.stem: p for p in files}
        for name in LOAD_ORDER:
            import_file(fresh, by_name[name], today=TODAY)
    second = tmp_path / "second"
    export_records(fresh, second, "csv")
    fresh.dispose()
    _same_folders(first, second)


def test_htcds_export_imports_back_with_the_htcds_mapping(loaded, tmp_path):
    out = tmp_path / "htcds"
    files = export_records(loaded, out, "htcds")
    assert [p.name for p in files] == ["cases.csv", "persons.csv"]
    header = files[1].read_text("utf-8").splitlines()[0].split(",")
    assert header[:4] == ["prs_ID", "prs_SourceOrganisation", "prs_Gender", "prs_BirthYear"]
    assert "vic_MethodsOfControl" in header and "per_RoleInProcess" in header
    assert "Perpetrator" in files[1].read_text("utf-8")
    for path in files:
        result = import_file(loaded, path, mapping="htcds", today=TODAY)
        assert result.rows_created == result.rows_updated == 0, result.rejected


CTDC_CURRENT = (
    "yearOfRegistration,Datasource,gender,ageBroad,majorityStatus,majorityStatusAtExploit,"
    "citizenship,CountryOfExploitation,meansOfControlDebtBondage,meansOfControlPsychoactiveSubsta,"
    "isForcedLabour,isSexualExploit,typeOfLabourAgriculture,typeOfSexProstitution,"
    "recruiterRelationFamily\n"
    "2019,Case Management,Female,18--20,Adult,Minor,PHL,MY,1,0,0,1,0,1,1\n"
    "2020,Hotline,Male,30--38,Adult,Adult,KH,TH,-99,1,1,0,1,0,0\n"
)
CTDC_OLDER = CTDC_CURRENT.replace(
    "meansOfControlPsychoactiveSubsta", "meansOfControlPsychoactiveSubstances"
)


@pytest.mark.parametrize("text", [CTDC_CURRENT, CTDC_OLDER], ids=["current", "older"])
def test_ctdc_public_dataset_in_and_out(engine, write, tmp_path, text):
    path = write("ctdc.csv", text)  # no agency invented: the data hub CTDC is created
    result = import_file(engine, path, mapping="ctdc", today=TODAY)
    assert (result.rows_created, result.rejected) == (4, [])  # 2 cases + 2 victims
    assert result.ignored_columns == ("Datasource",)  # ageBroad, majorityStatus are kept
    (out,) = export_records(engine, tmp_path / "ctdc_out.csv", "ctdc")
    lines = out.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    first, second = rows
    assert (first["yearOfRegistration"], first["gender"], first["citizenship"]) == (
        "2019",
        "Female",
        "PH",
    )
    assert (first["CountryOfExploitation"], first["majorityStatusAtExploit"]) == ("MY", "Minor")
    assert (first["ageBroad"], first["majorityStatus"]) == ("18--20", "Adult")
    assert first["meansOfControlDebtBondage"] == "1" and first["isSexualExploit"] == "1"
    assert first["typeOfSexProstitution"] == "1" and first["recruiterRelationFamily"] == "1"
    assert second["meansOfControlPsychoactiveSubstances"] == "1"
    assert second["isForcedLabour"] == "1" and second["typeOfLabourAgriculture"] == "1"
    again = import_file(engine, out, mapping="ctdc", today=TODAY)
    assert again.rows_created == 0 and again.rows_updated == 0
