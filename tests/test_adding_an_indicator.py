"""Adding a justice indicator is one catalogue entry and one function (issue #19, item 3).

A toy J18 (the next free id) — suspects charged among those reported, period basis — is
added the way a new indicator would be: an entry appended to (a copy of) ``catalogue.yaml``
and one function registered with ``@indicator("J18")``. Nothing else is touched, and J18
shows up in the library's table, the CLI's table and JSON (and ``uncounted metrics``), the
web page and its JSON twin, the metric page, and the report."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

import uncounted.metrics.catalogue as catalogue
from uncounted.cli.main import main
from uncounted.demo import DEMO_PASSWORD, build_demo, demo_keyring, demo_url
from uncounted.errors import InvalidInput
from uncounted.justice import JusticeData, indicators
from uncounted.justice.registry import REGISTRY, Inputs, Parts, Variants, indicator, tag
from uncounted.metrics import load_catalogue
from uncounted.report import build_report
from uncounted.settings import Settings
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.web import create_app

#: The toy's id: J18 today, the next free J number once the catalogue holds a real J18.
TOY = f"J{1 + max(int(m.id[1:]) for m in load_catalogue() if m.id.startswith('J'))}"

J18_ENTRY = f"""
  - id: {TOY}
    title: Suspects charged among those reported
    definition: A toy indicator of the tests, the share of reported suspects who were charged.
    numerator: Suspects charged in the period
    denominator: Suspects reported in the period
    unit: proportion
    variants: ["charged / reported"]
    disaggregations: [jurisdiction, year]
    interval: Wilson score interval
    sources: [none (a test fixture)]
    module: uncounted.justice.indicators
"""


def _j18(inputs: Inputs, variants: Variants) -> Parts:
    """J18: suspects charged / suspects reported in the period (Wilson)."""
    frame = inputs.share(inputs.suspects, "report_on", "charge_on", "period")
    return [tag(frame, "proportion", "wilson", variants[0])]


@pytest.fixture()
def j18_entry(tmp_path: Path) -> Iterator[None]:
    """The catalogue extended with the J18 entry, for one test."""
    extended = tmp_path / "catalogue.yaml"
    extended.write_text(catalogue.CATALOGUE.read_text("utf-8").rstrip() + "\n" + J18_ENTRY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(catalogue, "CATALOGUE", extended)
        load_catalogue.cache_clear()
        yield
    load_catalogue.cache_clear()


@pytest.fixture()
def toy_j18(j18_entry: None) -> Iterator[None]:
    """The J18 entry and its function."""
    indicator(TOY)(_j18)
    yield
    REGISTRY.pop(TOY)


@pytest.fixture()
def demo_settings(cli_env: Path) -> Settings:
    settings = Settings(data_dir=cli_env)
    build_demo(settings, WorldConfig(seed=11, n_victims=300), link=False)
    return settings


@pytest.fixture()
def small_world_tables() -> dict[str, pl.DataFrame]:
    world = simulate_world(WorldConfig(seed=3, n_victims=100))
    return world.frames


def _cli(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


def test_j18_is_computed_after_the_others(toy_j18):
    world = simulate_world(WorldConfig(seed=3, n_victims=400))
    data = JusticeData.from_tables(world.frames, as_of=world.config.end)
    table = indicators(data, period="2024", by=["jurisdiction"])
    j18 = table.filter(pl.col("indicator") == TOY)
    assert set(j18["variant"]) == {"charged / reported"}
    assert j18.height == table["jurisdiction"].n_unique()
    # suspects reported in 2024 (J3's denominator), charged in 2024 (J4 "all" numerator)
    j3 = table.filter(pl.col("indicator") == "J3").sort("jurisdiction")
    j4 = table.filter((pl.col("indicator") == "J4") & (pl.col("variant") == "all"))
    j4 = j4.sort("jurisdiction")
    assert j18.sort("jurisdiction")["denominator"].to_list() == j3["denominator"].to_list()
    assert j18.sort("jurisdiction")["numerator"].to_list() == j4["numerator"].to_list()
    # catalogue order: J18 comes last within each jurisdiction
    last = table.group_by("jurisdiction", maintain_order=True).agg(pl.col("indicator").last())
    assert set(last["indicator"]) == {TOY}


def test_j18_in_the_cli_and_the_web_page(toy_j18, demo_settings):
    rows = json.loads(_cli("indicators", "--demo", "--format", "json"))["rows"]
    assert [r["variant"] for r in rows if r["indicator"] == TOY] == ["charged / reported"]
    assert rows[-1]["indicator"] == TOY
    assert TOY in _cli("indicators", "--demo", "--period", "2024")
    assert TOY in [r["id"] for r in json.loads(_cli("metrics", "--format", "json"))["rows"]]

    app = create_app(
        demo_settings,
        database_url=demo_url(demo_settings),
        keyring=demo_keyring(demo_settings),
    )
    client = TestClient(app)
    page = client.get("/signin").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post(
        "/signin",
        data={"username": "viewer", "password": DEMO_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    twin = client.get("/api/indicators?by=jurisdiction").json()
    j18 = [r for r in twin["indicators"] if r["indicator"] == TOY]
    assert j18 and {r["title"] for r in j18} == {"Suspects charged among those reported"}
    html = client.get("/indicators").text
    assert f"/metrics/{TOY}" in html and "Suspects charged among those reported" in html
    assert "charged / reported" in client.get(f"/api/metrics/{TOY}").text


def test_j18_in_the_report(toy_j18):
    world = simulate_world(WorldConfig(seed=7, n_victims=300))
    report = build_report(world.frames, n_bootstrap=5)
    assert report.justice.row(TOY, "charged / reported") is not None
    twin = report.to_dict()
    assert TOY in json.dumps(twin)
    html = report.to_html()
    assert f'data-indicator="{TOY}"' in html and f"Justice indicators J1–{TOY}" in html
    assert 'data-variant="charged / reported"' in html


def test_an_entry_without_a_function_says_what_to_do(j18_entry, small_world_tables):
    with pytest.raises(InvalidInput, match=rf"{TOY} .*register one with @"):
        indicators(JusticeData.from_tables(small_world_tables))


def test_the_packaged_catalogue_is_back_after_the_toy():
    assert TOY not in [m.id for m in load_catalogue()]
    assert TOY not in REGISTRY
