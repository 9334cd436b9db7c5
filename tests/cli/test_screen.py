"""``uncounted screen PAYMENTS --out alerts.csv``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from uncounted.cli.main import main
from uncounted.simulate.payments import simulate_payments


def test_screen_command_writes_ranked_alerts(tmp_path: Path) -> None:
    world = simulate_payments(1500, 15, random_state=3)
    src = tmp_path / "payments.parquet"
    world.payments.write_parquet(src)
    out, ind = tmp_path / "alerts.csv", tmp_path / "indicators.csv"
    assert main(["screen", str(src), "--out", str(out), "--indicators", str(ind)]) == 0
    alerts = pl.read_csv(out)
    assert alerts.columns[:4] == ["rank", "party_role", "party_id", "score"]
    senders = alerts.filter(pl.col("party_role") == "sender")
    assert senders["rank"].to_list() == list(range(1, senders.height + 1))
    assert len(set(senders["party_id"]) & world.offender_ids) >= 12
    assert pl.read_csv(ind).height > alerts.height


def test_screen_command_reports_bad_rows(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "p.csv"
    src.write_text(
        "transaction_id,timestamp,sender_id,sender_country,beneficiary_id,beneficiary_country,"
        "amount,currency,channel,description,merchant_category\n"
        "T1,yesterday,S1,AU,B1,PH,50,AUD,remittance,,\n"
    )
    assert main(["screen", str(src), "--out", str(tmp_path / "a.csv")]) == 4
    assert "bad row" in capsys.readouterr().err


def test_screen_command_with_rules_file(tmp_path: Path) -> None:
    world = simulate_payments(500, 5, random_state=4)
    src = tmp_path / "payments.parquet"
    world.payments.write_parquet(src)
    rules = tmp_path / "rules.yaml"
    rules.write_text("sender_threshold: 100\nbeneficiary_threshold: 100\n")
    out = tmp_path / "alerts.csv"
    assert main(["screen", str(src), "--config", str(rules), "--out", str(out)]) == 0
    assert pl.read_csv(out).height == 0


def test_screen_output_formats(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Alerts by the file's extension; stdout holds only the result, in the chosen format."""
    import json

    world = simulate_payments(800, 8, random_state=5)
    src = tmp_path / "payments.parquet"
    world.payments.write_parquet(src)
    out = tmp_path / "alerts.parquet"
    assert main(["screen", str(src), "--output", str(out), "--format", "json"]) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert payload["n_alerts"] == pl.read_parquet(out).height == len(payload["rows"]) > 0
    assert "alert(s) written" in captured.err
    assert main(["screen", str(src), "--out", str(tmp_path / "a.csv"), "--bom"]) == 0
    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbfrank,")
    assert main(["screen", str(src), "--out", str(tmp_path / "a.txt")]) == 4


@pytest.mark.slow
def test_screen_on_spark_from_the_cli(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """--spark-master runs the Spark typologies on canonical Parquet: the same alerts."""
    import shutil

    if shutil.which("java") is None:  # pragma: no cover - CI installs Java
        pytest.skip("Spark needs Java (apt-get install default-jre-headless)")
    from uncounted.screening import read_payments

    world = simulate_payments(600, 6, random_state=7)
    raw = tmp_path / "raw.parquet"
    world.payments.write_parquet(raw)
    canonical = tmp_path / "canonical.parquet"
    read_payments(raw).sink_parquet(canonical)
    local, spark = tmp_path / "local.csv", tmp_path / "spark.csv"
    assert main(["screen", str(canonical), "--out", str(local)]) == 0
    monkeypatch.setenv("UNCOUNTED_SPARK_MASTER", "local[1]")
    assert main(["screen", str(canonical), "--out", str(spark)]) == 0
    cols = ["rank", "party_role", "party_id", "score"]
    assert pl.read_csv(spark).select(cols).equals(pl.read_csv(local).select(cols))
    yaml_mapping = tmp_path / "m.yaml"
    yaml_mapping.write_text("amount: amount\n")
    assert (
        main(["screen", str(canonical), "--out", str(spark), "--mapping", str(yaml_mapping)]) == 9
    )
