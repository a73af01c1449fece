"""Tests for forecast.frames: the frontier rule, decimal years and the shared frame steps."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.errors import ConfigError, DataError
from forecast.frames import FrontierRule, Ledger, dedupe, top_n_mask, work_frame


def test_frontier_rule_validation():
    with pytest.raises(ConfigError, match="did you mean 'top_n'"):
        FrontierRule(method="top-n")
    with pytest.raises(ConfigError):
        FrontierRule(top_n=0)
    d = FrontierRule(method="top_n", top_n=7).to_dict()
    assert FrontierRule.from_dict(d) == FrontierRule(method="top_n", top_n=7)


def test_decimal_year(upstream):
    c = upstream.compute
    d = c["date"]
    expected = d.dt.year + (d.dt.day_of_year - 1) / np.where(d.dt.is_leap_year, 366, 365)
    np.testing.assert_allclose(c["year"], expected)


def test_top_n_mask_window_and_ties():
    year = np.array([2020.0, 2020.5, 2020.9, 2021.6])
    compute = np.array([5.0, 3.0, 3.0, 1.0])
    # 2020.9: 5 is bigger, the two 3s tie for second; 2021.6: only 2020.9 and itself are in
    # the trailing year, so 1 ranks second.
    assert top_n_mask(year, compute, 2, 1.0).tolist() == [True, True, True, True]
    assert top_n_mask(year, compute, 1, 1.0).tolist() == [True, False, False, False]


def test_dedupe_counts_identical_and_rejects_conflicting():
    dates = pd.Series(pd.to_datetime(["2020-01-01"] * 3))
    w = work_frame(["a", "a", "a"], dates, {"v": [1.0, 1.0, 1.0]}, [2, 3, 4])
    ledger = Ledger()
    assert len(dedupe(w, {"v": "V"}, Path("f.csv"), ledger, "compute")) == 1
    assert ledger.dropped == {"compute": {"identical duplicate": 2}}
    w = work_frame(["a", "a"], dates[:2], {"v": [1.0, 2.0]}, [2, 7])
    with pytest.raises(DataError, match=r"f.csv: line 7, column 'V': duplicate of line 2"):
        dedupe(w, {"v": "V"}, Path("f.csv"), Ledger(), "compute")
