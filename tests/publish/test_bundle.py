"""The open-data bundle: k verified on what was written, no identifier anywhere, suppressed
cells not derivable, and a refusal leaves nothing behind."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.publish import (
    AGGREGATES,
    QUASI_IDENTIFIERS,
    smallest_class,
    verify_bundle,
    write_bundle,
)
from uncounted.simulate import WorldConfig, simulate_world


@pytest.fixture(scope="module")
def world():
    return simulate_world(WorldConfig(seed=5, n_victims=6000))


@pytest.fixture(scope="module")
def bundle(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("pub") / "bundle"
    return write_bundle(world.frames, out, k=11)


def test_bundle_files(bundle):
    names = {p.relative_to(bundle.path).as_posix() for p in bundle.path.rglob("*") if p.is_file()}
    assert {"victims.csv", "README.md", "data_dictionary.csv", "manifest.json"} <= names
    assert "tables/victims_by_country_and_year.csv" in names
    manifest = json.loads((bundle.path / "manifest.json").read_text())
    assert manifest["k"] == 11 and "victims.csv" in manifest["files"]
    readme = (bundle.path / "README.md").read_text()
    assert "11-anonymous" in readme and "l-diversity" in readme


def test_every_quasi_identifier_combination_occurs_k_times(bundle):
    victims = pl.read_csv(bundle.path / "victims.csv", infer_schema_length=0)
    assert victims.height == bundle.anonymisation.rows.height > 0
    assert smallest_class(victims, list(QUASI_IDENTIFIERS)) >= 11
    verify_bundle(bundle.path, 11)


def test_no_identifier_anywhere(world, bundle):
    """No name, birth date, identity number or phone of any stored person appears in any file
    of the bundle, as a whole value or a word."""
    ids = world.frames["person_identities"]
    values = set()
    for column in ("given_name", "family_name", "birth_date", "identity_number", "phone"):
        values |= {v for v in ids[column].drop_nulls().to_list() if v}
    text = "\n".join(p.read_text("utf-8") for p in bundle.path.rglob("*") if p.is_file())
    words = set(re.findall(r"[\w+\-]+", text))
    leaked = {v for v in values if v in words or (" " in v and v in text)}
    assert not leaked


def test_suppressed_cells_are_not_derivable(bundle):
    for table in bundle.tables.values():
        for lo, hi in table.ranges.values():
            assert hi - lo >= 1
        assert (table.withheld | ~table.primary).all()


def test_verify_catches_a_small_group(bundle, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for p in bundle.path.rglob("*"):
        target = broken / p.relative_to(bundle.path)
        if p.is_dir():
            target.mkdir()
        else:
            target.write_bytes(p.read_bytes())
    victims = pl.read_csv(broken / "victims.csv", infer_schema_length=0)
    odd = victims.head(1).with_columns(pl.lit("1999").alias("yearOfRegistration"))
    pl.concat([victims, odd]).write_csv(broken / "victims.csv")
    with pytest.raises(InvalidInput, match="group of 1"):
        verify_bundle(broken, 11)


def test_verify_catches_a_derivable_cell(bundle, tmp_path):
    """A withheld cell alone in its row is its row's total minus the row's published cells:
    verification must refuse. (The bundle's tables count the rows of victims.csv, whose groups
    are all of k or more, so none of their cells is withheld: the broken copy withholds one.)"""
    broken = tmp_path / "derivable"
    (broken / "tables").mkdir(parents=True)
    for p in bundle.path.rglob("*.csv"):
        (broken / p.relative_to(bundle.path)).write_bytes(p.read_bytes())
    name = next(iter(AGGREGATES))
    row, col = AGGREGATES[name]
    body = pl.read_csv(broken / "tables" / f"{name}.csv", infer_schema_length=0)
    r_key, c_key = body.filter(pl.col("count") != "0").select(row, col).row(0)
    hit = (pl.col(row) == r_key) & (pl.col(col) == c_key)
    body = body.with_columns(
        pl.when(hit).then(pl.lit(None)).otherwise(pl.col("count")).alias("count"),
        pl.when(hit).then(pl.lit("primary")).otherwise(pl.col("status")).alias("status"),
    )
    body.write_csv(broken / "tables" / f"{name}.csv")
    with pytest.raises(InvalidInput, match="can be derived"):
        verify_bundle(broken, 11)


def test_tables_count_the_published_rows_so_differencing_reveals_nothing(bundle):
    """Exact tables beside victims.csv gave, country by country, margin minus published rows =
    how many victims were withheld (and, subtracting the cells, their year, sex and
    citizenship). The tables and margins now count the rows of victims.csv."""
    assert bundle.anonymisation.suppressed_records > 0
    victims = pl.read_csv(bundle.path / "victims.csv", infer_schema_length=0)
    for name, (row, _) in AGGREGATES.items():
        margins = pl.read_csv(bundle.path / "tables" / f"{name}_margins.csv")
        published = victims[row].fill_null("(withheld or not recorded)").value_counts()
        expected = dict(published.iter_rows())
        got = dict(margins.filter(pl.col("margin") == row).select("value", "total").iter_rows())
        assert got == expected
        assert margins.filter(pl.col("margin") == "all")["total"][0] == victims.height
        body = pl.read_csv(bundle.path / "tables" / f"{name}.csv")
        assert body["count"].sum() == victims.height


def test_verify_catches_tables_of_all_victims(bundle, tmp_path):
    """A country's total one above its rows in victims.csv: one withheld victim, refused."""
    broken = tmp_path / "differencing"
    (broken / "tables").mkdir(parents=True)
    for p in bundle.path.rglob("*.csv"):
        (broken / p.relative_to(bundle.path)).write_bytes(p.read_bytes())
    name = next(iter(AGGREGATES))
    path = broken / "tables" / f"{name}_margins.csv"
    margins = pl.read_csv(path, infer_schema_length=0)
    first = pl.int_range(pl.len()) == 0
    margins.with_columns(
        pl.when(first).then(pl.col("total").cast(pl.Int64) + 1).otherwise(pl.col("total"))
    ).write_csv(path)
    with pytest.raises(InvalidInput, match=r"does not count the rows of victims\.csv"):
        verify_bundle(broken, 11)


def test_a_k_below_the_configured_minimum_is_refused(world, tmp_path):
    out = tmp_path / "small-k"
    with pytest.raises(InvalidInput, match="below the smallest k allowed here"):
        write_bundle(world.frames, out, k=3, min_k=5)
    assert not out.exists()


def test_refusal_leaves_nothing(world, tmp_path):
    out = tmp_path / "refused"
    with pytest.raises(InvalidInput, match="refusing to publish"):
        write_bundle(world.frames, out, k=5000, max_suppression=0.0)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_will_not_overwrite(bundle, world):
    with pytest.raises(InvalidInput, match="not empty"):
        write_bundle(world.frames, bundle.path)
