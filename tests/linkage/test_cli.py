"""``uncounted link run|review|encode`` and ``estimate --from-db --link`` on a stored world,
with every read of identities and every decision in the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

from uncounted.cli.main import main
from uncounted.settings import get_settings
from uncounted.simulate import WorldConfig, simulate_world
from uncounted.simulate.agency_records import agency_records
from uncounted.store.bulk import insert_frames
from uncounted.store.db import init_database, session_scope
from uncounted.store.linkage_records import agency_record_frames, decisions_frame
from uncounted.store.tables import AuditEvent
from uncounted.store.users import create_user

pytestmark = pytest.mark.slow


@pytest.fixture
def stored(tmp_path, monkeypatch):
    """A database holding the agencies' own records of a small world (not yet linked)."""
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UNCOUNTED_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    world = simulate_world(WorldConfig(seed=7, n_victims=1500, frailty_sd=0.3))
    records = agency_records(world, seed=7).records
    engine = init_database(get_settings())
    agencies = world.frames["agencies"]
    insert_frames(engine, {"agencies": agencies, **agency_record_frames(records, agencies)})
    yield engine, records
    engine.dispose()
    get_settings.cache_clear()


def _events(engine, action):
    with session_scope(engine) as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_run_review_decide_and_rerun(stored, tmp_path, capsys):
    engine, records = stored
    assert main(["link", "run"]) == 0
    out = capsys.readouterr().out
    assert "individuals" in out
    runs = sorted((tmp_path / "data" / "linkage").iterdir())
    model = json.loads((runs[-1] / "model.json").read_text())
    assert model["link_type"] == "dedupe_only" and model["comparisons"]
    summary = json.loads((runs[-1] / "summary.json").read_text())
    assert summary["records"] == records["record_id"].n_unique()
    reads = _events(engine, "read")
    assert {e.record_id for e in reads} == {f"agency:{a}" for a in records["agency"].unique()}
    assert all(e.resource == "person_identities" and "given_name" in e.fields for e in reads)

    assert main(["link", "review", "--limit", "2"]) == 0
    shown = capsys.readouterr().out
    assert "Match probability" in shown and "given_name" in shown
    assert main(["link", "review", "--limit", "2", "--format", "json"]) == 0
    queue = json.loads(capsys.readouterr().out)["rows"]
    assert len(queue) == 2 and {"record_l", "record_r", "given_name_l", "given_name_r"} <= set(
        queue[0]
    )
    # ordered by the expected change in the estimate, with the evidence beside it
    expected = [row["expected_change"] for row in queue]
    assert expected == sorted(expected, reverse=True)
    assert {"match_weight", "delta_estimate", "given_name_agreement"} <= set(queue[0])
    with session_scope(engine) as session:
        create_user(session, "ana", "a long enough password 1", "analyst")
    assert main(["link", "review", "--limit", "2", "--format", "json", "--user", "ana"]) == 0
    masked = json.loads(capsys.readouterr().out)["rows"]
    assert {masked[0]["given_name_l"], masked[0]["family_name_r"]} <= {"•••", None}
    assert masked[0]["given_name_agreement"] == queue[0]["given_name_agreement"]
    assert masked[0]["sex_l"] == queue[0]["sex_l"]  # not an identifying field
    with session_scope(engine) as session:  # caseworkers do not review (store/access.py)
        create_user(session, "cw", "a long enough password 1", "caseworker", 1)
    assert main(["link", "review", "--limit", "2", "--format", "json", "--user", "cw"]) != 0
    capsys.readouterr()
    assert main(["link", "review", "--limit", "2", "--format", "csv", "--bom"]) == 0
    assert capsys.readouterr().out.startswith("\ufeffrecord_l,record_r,match_probability")
    pairs = pl.read_parquet(runs[-1] / "pairs.parquet")
    band = pairs.filter(pl.col("match_probability").is_between(0.5, 0.9, closed="left"))
    assert band.height, "the world should leave some pairs to review"
    a, b = int(band["unique_id_l"][0]), int(band["unique_id_r"][0])
    assert main(["link", "review", "--pair", str(a), str(b), "--decision", "match"]) == 0
    assert decisions_frame(engine).height == 1
    created = _events(engine, "create")
    assert any(e.resource == "linkage_decisions" for e in created)
    assert len(_events(engine, "read")) > len(reads)  # the reviewer's reads are audited

    assert main(["link", "run"]) == 0
    capsys.readouterr()
    latest = sorted((tmp_path / "data" / "linkage").iterdir())[-1]
    again = pl.read_parquet(latest / "pairs.parquet")
    decided = again.filter(pl.col("decision") == "match")
    assert decided.height == 1 and decided["match_probability"][0] == 1.0
    clusters = pl.read_parquet(latest / "clusters.parquet")
    together = clusters.filter(pl.col("unique_id").is_in([str(a), str(b)]))
    assert together["cluster"].n_unique() == 1

    assert main(["link", "review", "--pair", str(a), str(a), "--decision", "match"]) != 0
    # a signed-in reviewer decides only on the pairs the latest run left for review
    linked = again.filter(pl.col("decision").is_null(), pl.col("match_probability") >= 0.9)
    x, y = int(linked["unique_id_l"][0]), int(linked["unique_id_r"][0])
    capsys.readouterr()
    decide = ["link", "review", "--decision", "non-match", "--user", "ana", "--pair"]
    assert main([*decide, str(x), str(y)]) == 4
    assert "not a pair of the review queue" in capsys.readouterr().err
    assert main([*decide, str(a), str(b)]) == 0  # a decided pair may be changed
    assert decisions_frame(engine)["decision"].to_list() == ["non-match"]


def test_estimate_from_db_with_linkage(stored, capsys):
    # two national lists (Philippines, Thailand) never share a person: the fit says so
    code = main(["estimate", "--from-db", "--link", "--method", "loglinear",
                 "--criterion", "bic", "--link-draws", "10", "--format", "json"])  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    # the CLI says a warning once, in words, on stderr (never Python's raw warning)
    assert captured.err.count("PNP:TH-DSI") == 1 and "SparseDataWarning" not in captured.err
    data = json.loads(captured.out)
    assert data["ci_low"] <= 1500 <= data["ci_high"]
    assert [row["threshold"] for row in data["sensitivity"]] == [0.5, 0.7, 0.9, 0.97, 0.99]
    u = data["linkage_uncertainty"]
    assert u["draws"] == 10 and len(u["per_draw"]) == 10
    assert u["total_ci_low"] <= u["linkage_ci_low"] <= u["linkage_ci_high"] <= u["total_ci_high"]
    # a small file: the pairs no blocking rule compares are drawn too, so no caveat
    assert 0.5 < u["blocking_recall"] <= 1.0 and u["never_compared"] >= 0
    assert u["never_compared_drawn"] is True and u["caveat"] == ""


def test_encode_and_link_encoded_files(stored, tmp_path, capsys):
    _, records = stored
    secret = tmp_path / "secret.key"
    secret.write_bytes(b"a-secret-shared-by-the-agencies-42")
    files = []
    for agency, group in records.group_by("agency"):
        src = tmp_path / f"{agency[0]}.csv"
        group.drop("person").write_csv(src)
        out = tmp_path / f"{agency[0]}.enc.parquet"
        assert main(["link", "encode", str(src), "--secret-file", str(secret),
                     "--out", str(out)]) == 0  # fmt: skip
        files += ["--encoded", str(out)]
    capsys.readouterr()
    assert main(["link", "run", *files]) == 0
    assert "individuals" in capsys.readouterr().out
    # a file that is not an encoded one (or from an older version) is named, not a stack trace
    first = Path(files[1])
    pl.read_parquet(first).drop("name_bf_scheme").write_parquet(tmp_path / "old.parquet")
    (tmp_path / "notes.parquet").write_text("not parquet", "utf-8")
    for bad, words in (("old.parquet", "not an encoded file"), ("notes.parquet", "cannot be read")):
        code = main(["link", "run", "--encoded", str(tmp_path / bad), *files[2:]])
        err = " ".join(capsys.readouterr().err.split())
        assert code != 0 and bad in err and words in err, err


def test_two_runs_on_the_same_records_give_the_same_linkage(stored, tmp_path, capsys):
    """Training samples pairs (``u`` by random sampling, EM on a sample of blocked pairs):
    with the seed of the settings, two runs of ``link run`` save the same model, pairs and
    clusters, byte for byte in content."""
    assert main(["link", "run"]) == 0
    assert main(["link", "run"]) == 0
    capsys.readouterr()
    first, second = sorted((tmp_path / "data" / "linkage").iterdir())[-2:]
    assert first != second
    model = [json.loads((run / "model.json").read_text()) for run in (first, second)]
    assert model[0] == model[1]
    for name in ("pairs.parquet", "clusters.parquet"):
        a, b = (pl.read_parquet(run / name) for run in (first, second))
        assert a.height > 0 and a.equals(b), name
