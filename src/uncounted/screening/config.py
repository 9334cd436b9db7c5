"""Screening rules and their parameters, loadable from YAML.

Every parameter has a default; the shipped ``rules.yaml`` (next to this module) writes them
all out, with the source of each, so an analyst can copy it and tune it. Where a number was
published by a regulator the field's description says which; every other number is a
configurable default of ours, chosen on the synthetic traffic of
:mod:`uncounted.simulate.payments` and to be tuned on a bank's own data.

Sources
-------
- AUSTRAC (2019, updated 2022), *Combating the sexual exploitation of children for financial
  gain*, financial crime guide; and AUSTRAC's case study *Online transactions lead to
  convictions for child sex offences* ("frequent, low-value remittances ... valued between
  A$10 and A$100"; "to a common beneficiary ... sent by multiple Australia-based customers").
- FATF (2025), *Detecting, Disrupting and Investigating Online Child Sexual Exploitation*
  (live-streamed abuse payments of about EUR 10-200, often even-denominated; late-night or
  early-morning payments; descriptions such as "family support", "medical bills",
  "education").
- FINTRAC (2020, updated 2025), Operational alert *Laundering of proceeds from online child
  sexual exploitation* (Project Shadow): small, frequent transfers; main destinations the
  Philippines, Thailand, Colombia, the Dominican Republic and Mexico.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from uncounted.errors import ConfigurationError

#: The shipped default rules file (identical to ``ScreeningConfig()``; a test checks it).
DEFAULT_RULES_PATH = Path(__file__).with_name("rules.yaml")


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    weight: float = Field(1.0, ge=0, description="Points added to the party's risk score.")


class LowValueCorridorRule(_Rule):
    """Frequent low-value transfers to high-risk corridors (AUSTRAC 2019; FATF 2025)."""

    weight: float = 2.0
    min_count: int = Field(6, ge=1, description="Default of ours.")
    min_per_30_days: float = Field(
        2.0, gt=0, description="Transfers per 30 days over the active span; default of ours."
    )
    beneficiary_weight: float = Field(
        1.5, ge=0, description="Points for a beneficiary receiving such transfers."
    )
    max_median_amount: float = Field(
        150.0,
        gt=0,
        description=(
            "Median transfer at most this (reference currency); ours, between AUSTRAC's"
            " A$10-100 and FATF's EUR 10-200."
        ),
    )


class NightPaymentsRule(_Rule):
    """Payments at night or early morning in the sender's time zone (FATF 2025)."""

    weight: float = 1.5
    start_hour: int = Field(22, ge=0, le=23, description="Night starts (local hour); ours.")
    end_hour: int = Field(6, ge=0, le=23, description="Night ends (local hour, exclusive).")
    min_count: int = Field(4, ge=1, description="Default of ours.")
    min_share: float = Field(0.4, ge=0, le=1, description="Share of low-value corridor transfers.")


class ManyBeneficiariesRule(_Rule):
    """One sender paying many beneficiaries in high-risk countries (AUSTRAC 2019; FINTRAC)."""

    weight: float = 1.5
    min_beneficiaries: int = Field(3, ge=2, description="Distinct beneficiaries; ours.")


class ManySendersRule(_Rule):
    """Many senders paying one beneficiary (AUSTRAC case study: a common beneficiary)."""

    weight: float = Field(2.0, ge=0, description="Points for the beneficiary itself.")
    sender_weight: float = Field(
        1.0, ge=0, description="Points for each sender who pays such a beneficiary."
    )
    min_senders: int = Field(3, ge=2, description="Distinct senders; default of ours.")
    alerted_sender_weight: float = Field(
        1.5, ge=0, description="Points for a beneficiary per alerted sender who pays it."
    )
    alerted_sender_cap: int = Field(
        3, ge=1, description="Alerted senders counted at most (points capped); ours."
    )


class EscalationRule(_Rule):
    """Amounts escalating over time (AUSTRAC 2019: small, then higher and more frequent)."""

    weight: float = 1.0
    min_count: int = Field(8, ge=3, description="Default of ours.")
    min_correlation: float = Field(
        0.5, ge=-1, le=1, description="Pearson correlation of amount with time; ours."
    )
    min_ratio: float = Field(
        1.5, gt=0, description="Mean amount, second half over first half of the span; ours."
    )


class DescriptionRule(_Rule):
    """Innocuous descriptions on the transfers (AUSTRAC 2019; FATF 2025)."""

    weight: float = 1.0
    min_count: int = Field(3, ge=1, description="Default of ours.")
    keywords: list[str] = Field(
        default_factory=lambda: [
            # English (AUSTRAC: school fees, uniform, medical bills, gift, accommodation;
            # FATF: family support, medical bills, education)
            "school fee",
            "tuition",
            "uniform",
            "medical",
            "medicine",
            "hospital",
            "gift",
            "load",
            "accommodation",
            "education",
            "family support",
            "allowance",
            # Filipino / Tagalog
            "baon",
            "pang-gamot",
            "gamot",
            "regalo",
            "matrikula",
            # Spanish (Colombia, Mexico, Dominican Republic)
            "colegiatura",
            "matrícula",
            "uniforme",
            "medicina",
            "médico",
            "recarga",
            # Thai: tuition fee, gift, medical fee
            "ค่าเทอม",
            "ของขวัญ",
            "ค่ารักษา",
        ],
        description=(
            "Case-insensitive, matched at the start of a word; AUSTRAC/FATF examples plus"
            " our translations."
        ),
    )


class NewSenderRule(_Rule):
    """A new sender who starts the pattern at once (AUSTRAC 2019: new customers)."""

    weight: float = 1.0
    max_days_to_start: int = Field(
        14, ge=0, description="First corridor transfer within this many days of first seen."
    )
    window_days: int = Field(30, ge=1, description="Burst window after the first transfer.")
    min_count: int = Field(4, ge=1, description="Corridor transfers in the burst window.")
    min_history_days: int = Field(
        30, ge=0, description="Sender first seen at least this long after the data starts."
    )


class RiskyMerchantRule(_Rule):
    """Card purchases from webcam, streaming or VPN merchants alongside the transfers.

    AUSTRAC (2022 update, public statements): purchases of VPNs, spyware apps or video capture
    software combined with low-value transfers. The merchant categories are ours.
    """

    weight: float = 1.5
    categories: list[str] = Field(
        default_factory=lambda: [
            "4816",  # MCC computer network / information services (VPN providers)
            "5967",  # MCC direct marketing - inbound teleservices (adult content)
            "7273",  # MCC dating and escort services
            "vpn",
            "webcam",
            "live stream",
            "cam site",
            "video capture",
            "spyware",
        ],
        description="Exact MCC codes or case-insensitive substrings of the merchant category.",
    )
    min_purchases: int = Field(1, ge=1, description="Default of ours.")
    min_corridor_transfers: int = Field(
        3, ge=1, description="Low-value corridor transfers the sender must also make."
    )


class RoundAmountsRule(_Rule):
    """Even-denominated amounts (FATF 2025: payments often round)."""

    weight: float = 0.5
    unit: float = Field(10.0, gt=0, description="A round amount is a multiple of this.")
    min_count: int = Field(6, ge=1, description="Default of ours.")
    min_share: float = Field(0.8, ge=0, le=1, description="Default of ours.")


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low_value_corridor: LowValueCorridorRule = Field(default_factory=LowValueCorridorRule)
    night_payments: NightPaymentsRule = Field(default_factory=NightPaymentsRule)
    many_beneficiaries: ManyBeneficiariesRule = Field(default_factory=ManyBeneficiariesRule)
    many_senders: ManySendersRule = Field(default_factory=ManySendersRule)
    escalating_amounts: EscalationRule = Field(default_factory=EscalationRule)
    innocuous_descriptions: DescriptionRule = Field(default_factory=DescriptionRule)
    new_sender_burst: NewSenderRule = Field(default_factory=NewSenderRule)
    risky_merchants: RiskyMerchantRule = Field(default_factory=RiskyMerchantRule)
    round_amounts: RoundAmountsRule = Field(default_factory=RoundAmountsRule)


def _default_fx() -> dict[str, float]:
    # Approximate units of AUD per unit of currency (2024 averages); ours, to be replaced by
    # the bank's own rates.
    return {
        "AUD": 1.0,
        "USD": 1.52,
        "EUR": 1.64,
        "GBP": 1.94,
        "CAD": 1.11,
        "NZD": 0.91,
        "SGD": 1.13,
        "PHP": 0.026,
        "THB": 0.042,
        "COP": 0.00038,
        "MXN": 0.083,
        "DOP": 0.025,
    }


def _default_timezones() -> dict[str, str]:
    return {
        "AU": "Australia/Sydney",
        "NZ": "Pacific/Auckland",
        "CA": "America/Toronto",
        "US": "America/New_York",
        "GB": "Europe/London",
        "IE": "Europe/Dublin",
        "DE": "Europe/Berlin",
        "FR": "Europe/Paris",
        "NL": "Europe/Amsterdam",
        "SE": "Europe/Stockholm",
        "NO": "Europe/Oslo",
        "SG": "Asia/Singapore",
    }


class ScreeningConfig(BaseModel):
    """All screening parameters. ``ScreeningConfig()`` is the shipped default."""

    model_config = ConfigDict(extra="forbid")

    high_risk_countries: list[str] = Field(
        default_factory=lambda: ["PH", "TH", "CO", "MX", "DO"],
        description="ISO 3166 alpha-2, in priority order (FINTRAC Project Shadow).",
    )
    reference_currency: str = "AUD"
    fx_rates: dict[str, float] = Field(
        default_factory=_default_fx,
        description="Units of the reference currency per unit of each currency; ours.",
    )
    min_amount: float = Field(10.0, ge=0, description="AUSTRAC: from A$10.")
    max_amount: float = Field(500.0, gt=0, description="AUSTRAC: low value, under A$500.")
    transfer_channels: list[str] = Field(
        default_factory=lambda: ["remittance", "bank_transfer", "e_wallet"]
    )
    card_channel: str = "card"
    sender_timezones: dict[str, str] = Field(
        default_factory=_default_timezones,
        description="IANA time zone of senders by country, for the night rule.",
    )
    default_timezone: str = Field("UTC", description="For senders of other countries.")
    sender_threshold: float = Field(4.0, ge=0, description="Alert at or above; ours.")
    beneficiary_threshold: float = Field(3.0, ge=0, description="Alert at or above; ours.")
    rules: Rules = Field(default_factory=Rules)

    @field_validator("high_risk_countries")
    @classmethod
    def _iso2(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if len(c) != 2 or not c.isalpha()]
        if bad:
            raise ValueError(f"not ISO 3166 alpha-2 codes: {bad}")
        return [c.upper() for c in value]


def load_config(path: str | Path | None = None) -> ScreeningConfig:
    """Read a rules file (YAML); ``None`` gives the shipped default.

    Keys left out of the file keep their defaults. Raises ConfigurationError naming the
    file and every bad key.
    """
    if path is None:
        return ScreeningConfig()
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read rules file {p}: {exc}") from exc
    try:
        return ScreeningConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(
            f"rules file {p} is not valid ({problems}); compare it with {DEFAULT_RULES_PATH}."
        ) from exc


def dump_config(config: ScreeningConfig) -> str:
    """The configuration as YAML text (what ``rules.yaml`` holds for the default)."""
    return yaml.safe_dump(config.model_dump(), sort_keys=False, allow_unicode=True)


__all__ = [
    "DEFAULT_RULES_PATH",
    "DescriptionRule",
    "EscalationRule",
    "LowValueCorridorRule",
    "ManyBeneficiariesRule",
    "ManySendersRule",
    "NewSenderRule",
    "NightPaymentsRule",
    "RiskyMerchantRule",
    "RoundAmountsRule",
    "Rules",
    "ScreeningConfig",
    "dump_config",
    "load_config",
]
