"""Shared helpers of the data-layer tests (no JAX: those tests must stay light)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.data import TrendFrames

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "forecast" / "curated" / "extract.csv"


def assert_frames_equal(a: TrendFrames, b: TrendFrames) -> None:
    """Every series frame of ``a`` equals that of ``b`` (values, dtypes, order)."""
    for series, df in a.frames().items():
        pd.testing.assert_frame_equal(df, getattr(b, series), obj=series)
