"""Payment files without the optional columns: the typologies that need them are switched off,
the others score exactly as they would on the full file with those typologies disabled."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from uncounted.cli.main import main
from uncounted.errors import InvalidInput
from uncounted.screening import ColumnMapping, ScreeningConfig, screen, screen_file
from uncounted.simulate import simulate_payments


@pytest.fixture(scope="module")
def payments() -> pl.DataFrame:
    """Simulated traffic in CSV form (timestamps as ISO 8601 text with a zone)."""
    world = simulate_payments(300, 10, days=120, random_state=11)
    return world.payments.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _disabled(*names: str) -> ScreeningConfig:
    config = ScreeningConfig()
    rules = config.rules.model_copy(
        update={n: getattr(config.rules, n).model_copy(update={"enabled": False}) for n in names}
    )
    return config.model_copy(update={"rules": rules})


def _write(frame: pl.DataFrame, path: Path) -> Path:
    frame.write_csv(path)
    return path


def test_ten_columns_without_merchant_category(payments: pl.DataFrame, tmp_path: Path) -> None:
    full = _write(payments, tmp_path / "full.csv")
    ten = _write(payments.drop("merchant_category"), tmp_path / "ten.csv")
    result = screen_file(ten)
    assert list(result.switched_off) == ["risky_merchants"]
    assert "merchant_category" in result.switched_off["risky_merchants"]
    expected = screen_file(full, _disabled("risky_merchants"))
    assert expected.switched_off == {}
    assert_frame_equal(result.indicators, expected.indicators)
    assert_frame_equal(result.alerts, expected.alerts)
    assert result.alerts.height > 0
    assert "risky_merchants" not in set(result.indicators["indicator"])
    # The full file does fire it, so switching it off is a real difference.
    assert "risky_merchants" in set(screen_file(full).indicators["indicator"])


def test_minimum_columns(payments: pl.DataFrame, tmp_path: Path) -> None:
    nine = _write(payments.drop("merchant_category", "description"), tmp_path / "nine.csv")
    result = screen_file(nine)
    assert set(result.switched_off) == {"risky_merchants", "innocuous_descriptions"}
    expected = screen_file(
        _write(payments, tmp_path / "full.csv"),
        _disabled("risky_merchants", "innocuous_descriptions"),
    )
    assert_frame_equal(result.alerts, expected.alerts)
    assert result.to_dict()["switched_off"] == result.switched_off


def test_a_disabled_typology_is_not_reported_as_switched_off(
    payments: pl.DataFrame, tmp_path: Path
) -> None:
    ten = _write(payments.drop("merchant_category"), tmp_path / "ten.csv")
    assert screen_file(ten, _disabled("risky_merchants")).switched_off == {}


def test_an_explicitly_mapped_column_must_exist(payments: pl.DataFrame, tmp_path: Path) -> None:
    ten = _write(payments.drop("merchant_category"), tmp_path / "ten.csv")
    with pytest.raises(InvalidInput, match="merchant_category"):
        screen_file(ten, mapping=ColumnMapping(merchant_category="mcc"))
    # Set to None, it is simply absent.
    result = screen_file(ten, mapping=ColumnMapping(merchant_category=None))
    assert list(result.switched_off) == ["risky_merchants"]


def test_in_memory_frame_without_optional_columns() -> None:
    world = simulate_payments(300, 10, days=120, random_state=11)
    result = screen(world.payments.drop("description"))
    assert list(result.switched_off) == ["innocuous_descriptions"]
    assert "innocuous_descriptions" not in set(result.indicators["indicator"])


def test_cli_names_the_switched_off_typology(
    payments: pl.DataFrame,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ten = _write(payments.drop("merchant_category"), tmp_path / "ten.csv")
    out = tmp_path / "alerts.csv"
    assert main(["screen", str(ten), "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "risky_merchants switched off" in " ".join(said.err.split())  # a warning: stderr
    assert "alert(s) written" in " ".join(said.out.split())
    assert pl.read_csv(out).height > 0
