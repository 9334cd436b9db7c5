"""Shared fixtures for tests against published reference values.

The reference datasets live beside the checkout in ``../shared/data/mse`` (CI puts
``shared/`` beside the clone too); their README lists the published numbers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from uncounted.prevalence import CaptureHistories

MSE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mse"


@pytest.fixture(scope="session")
def mse_dir() -> Path:
    """The folder of reference MSE datasets; skips (with the reason) when it is absent on a
    developer's machine, and fails in CI, where ``shared/`` must be beside the clone."""
    if not MSE_DIR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"reference data folder {MSE_DIR} is absent in CI")
        pytest.skip(f"reference data folder {MSE_DIR} is absent (expected ../shared/data/mse)")
    return MSE_DIR


def load_histories(mse_dir: Path, name: str) -> CaptureHistories:
    """Load ``<mse_dir>/<name>.csv`` (0/1 list columns + ``count``) as CaptureHistories."""
    df = pl.read_csv(mse_dir / f"{name}.csv")
    return CaptureHistories.from_frame(df, count_column="count", source=f"{name}.csv")


@pytest.fixture(scope="session")
def load_mse(mse_dir: Path) -> Callable[[str], CaptureHistories]:
    """``load_mse("UKdat")`` -> CaptureHistories of that reference dataset."""

    def _load(name: str) -> CaptureHistories:
        return load_histories(mse_dir, name)

    return _load
