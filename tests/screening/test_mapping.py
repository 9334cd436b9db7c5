"""Reading payment files through a column mapping, and rejecting bad rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from uncounted.errors import ImportRejected, InvalidInput
from uncounted.screening import COLUMNS, ColumnMapping, ScreeningConfig, read_payments

HEADER = "id,ts,from,from_cc,to,to_cc,amt,ccy,chan,memo,mcc\n"
GOOD = "T1,2024-05-06T23:10:00+10:00,S1,AU,B1,PH,50,AUD,IFTI,school fees,\n"
MAPPING = ColumnMapping(
    transaction_id="id",
    timestamp="ts",
    sender_id="from",
    sender_country="from_cc",
    beneficiary_id="to",
    beneficiary_country="to_cc",
    amount="amt",
    currency="ccy",
    channel="chan",
    description="memo",
    merchant_category="mcc",
    channel_values={"IFTI": "remittance", "POS": "card"},
)
CURRENCIES = list(ScreeningConfig().fx_rates)


def test_csv_through_mapping(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(HEADER + GOOD + "T2,2024-05-07 08:00:00Z,S1,AU,M1,AU,12.5,AUD,POS,,4816\n")
    df = read_payments(path, MAPPING, currencies=CURRENCIES).collect()
    assert df.columns == list(COLUMNS)
    assert df["timestamp"].to_list()[0] == datetime.fromisoformat("2024-05-06T13:10:00+00:00")
    assert df["channel"].to_list() == ["remittance", "card"]
    assert df["sender_country"].to_list() == ["AU", "AU"]
    assert df["amount"].to_list() == [50.0, 12.5]


def test_every_bad_row_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    bad = (
        "T2,2024-05-06T23:10:00,S1,AU,B1,PH,50,AUD,IFTI,,\n"  # no offset: line 3
        "T3,2024-05-06T23:10:00+10:00,S1,AU,B1,PH,-5,XYZ,IFTI,,\n"  # amount, currency: line 4
        "T4,2024-05-06T23:10:00+10:00,,Australia,B1,ph,5,AUD,fax,,\n"  # line 5
    )
    path.write_text(HEADER + GOOD + bad)
    with pytest.raises(ImportRejected) as info:
        read_payments(path, MAPPING, currencies=CURRENCIES)
    found = {(r.line, r.column) for r in info.value.rows}
    assert found == {
        (3, "ts"),
        (4, "amt"),
        (4, "ccy"),
        (5, "from"),
        (5, "from_cc"),
        (5, "to_cc"),
        (5, "chan"),
    }
    assert "3 bad row(s)" in str(info.value)
    assert all(r.file == str(path) for r in info.value.rows)


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(HEADER.replace("ccy", "cur") + GOOD)
    with pytest.raises(InvalidInput, match=r"currency \(expected column 'ccy'\)"):
        read_payments(path, MAPPING)


def test_parquet_with_zone_aware_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pl.DataFrame(
        {
            "transaction_id": ["T1"],
            "timestamp": [datetime(2024, 5, 6, 23, 10)],
            "sender_id": ["S1"],
            "sender_country": ["AU"],
            "beneficiary_id": ["B1"],
            "beneficiary_country": ["PH"],
            "amount": [50.0],
            "currency": ["AUD"],
            "channel": ["remittance"],
        }
    ).with_columns(pl.col("timestamp").dt.replace_time_zone("Australia/Sydney")).write_parquet(path)
    mapping = ColumnMapping(description=None, merchant_category=None)
    df = read_payments(path, mapping).collect()
    assert df["timestamp"].dtype == pl.Datetime("us", "UTC")
    assert df["timestamp"].dt.hour().to_list() == [13]
    assert df["description"].to_list() == [None]


def test_parquet_naive_timestamps_need_a_zone(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    frame = pl.DataFrame({c: ["x"] for c in COLUMNS if c not in ("timestamp", "amount")})
    frame = frame.with_columns(timestamp=pl.lit(datetime(2024, 5, 6)), amount=pl.lit(1.0))
    frame.write_parquet(path)
    with pytest.raises(InvalidInput, match="assume_timezone"):
        read_payments(path)


def test_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    path.write_text("")
    with pytest.raises(InvalidInput, match=r"\.csv or \.parquet"):
        read_payments(path)
