"""The rules file: shipped default, partial overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from uncounted.errors import ConfigurationError
from uncounted.screening import DEFAULT_RULES_PATH, ScreeningConfig, dump_config, load_config


def test_shipped_rules_file_is_the_default() -> None:
    assert load_config(DEFAULT_RULES_PATH) == ScreeningConfig()
    assert load_config(None) == ScreeningConfig()


def test_partial_file_keeps_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("high_risk_countries: [ph, th]\nrules:\n  night_payments:\n    min_count: 9\n")
    config = load_config(path)
    assert config.high_risk_countries == ["PH", "TH"]
    assert config.rules.night_payments.min_count == 9
    assert config.rules.night_payments.start_hour == 22


def test_round_trip() -> None:
    import yaml

    config = ScreeningConfig.model_validate({"sender_threshold": 5.5})
    assert ScreeningConfig.model_validate(yaml.safe_load(dump_config(config))) == config


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("rules:\n  night_payment:\n    min_count: 3\n", "night_payment"),
        ("high_risk_countries: [Philippines]\n", "alpha-2"),
        ("rules:\n  night_payments:\n    start_hour: 25\n", "start_hour"),
    ],
)
def test_bad_rules_file_names_the_key(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=needle):
        load_config(path)


def test_missing_rules_file() -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_config("/nonexistent/rules.yaml")
