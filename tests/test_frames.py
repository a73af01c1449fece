"""Tests for forecast.frames: the frontier rule, decimal years and the shared frame steps."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.errors import ConfigError, DataError
from forecast.frames import RELISTED, FrontierRule, Ledger, dedupe, drop_relisted, top_n_mask, version_stem, work_frame


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


def test_version_stem_strips_only_version_qualifiers():
    assert version_stem("GPT-4 (Jun 2023)") == "GPT-4"
    assert version_stem("Claude 3.5 Sonnet (October 2024)") == "Claude 3.5 Sonnet"
    assert version_stem("Model (2024-06)") == version_stem("Model (v1.5)") == "Model"
    for name in ("GPT-2 (355M)", "PaLM (540B)", "MEGNet (molecule model)", "DeepSpeech2 (English)"):
        assert version_stem(name) == name


def test_drop_relisted_keeps_the_preferred_listing_and_counts_the_rest():
    dates = pd.Series(pd.to_datetime(["2023-03-15", "2023-03-15", "2023-03-15", "2024-01-01"]))
    names = ["M (Jun 2023)", "M (Mar 2023)", "N", "M (Jan 2024)"]
    w = work_frame(names, dates, {"v": [25.0, 25.0, 25.0, 25.0], "cost": [np.nan, 7.5, 7.0, 8.0]}, [2, 3, 4, 5])
    ledger = Ledger()
    out = drop_relisted(w, "v", ledger, "compute", prefer="cost")
    # N has another base name; M (Jan 2024) another date: both kept
    assert list(out["name"]) == ["M (Mar 2023)", "N", "M (Jan 2024)"]
    assert ledger.dropped == {"compute": {RELISTED: 1}}
    # without a preference the first listing in the file is kept
    assert list(drop_relisted(w, "v", Ledger(), "compute")["name"])[0] == "M (Jun 2023)"
    # a different value is a different model
    w.loc[0, "v"] = 24.0
    assert len(drop_relisted(w, "v", Ledger(), "compute", prefer="cost")) == 4
