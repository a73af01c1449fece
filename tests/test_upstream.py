"""Tests for forecast.upstream and forecast.chips: the upstream readers, the frontier rule on
real and small tables, and the drops each reader counts."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.data import (
    FrontierRule,
    Ledger,
    load_upstream,
    read_eci,
    read_frontier_models,
    read_hardware_prices,
    read_imagenet,
    read_ml_hardware,
    read_training_costs,
)
from forecast.errors import DataError
from forecast.frames import RELISTED

# ---------------------------------------------------------------------------------------------
# Real upstream data
# ---------------------------------------------------------------------------------------------


def test_upstream_sizes_and_values(upstream):
    tf = upstream
    c = tf.compute
    assert len(c) > 50
    assert c["year"].between(2010, 2025.5).all()
    recent = c.loc[c["year"] >= 2020, "log10_value"]
    assert len(recent) > 20 and recent.between(20, 28).all()
    assert tf.spending["log10_value"].between(0, 10).all() and len(tf.spending) > 30
    assert 40 <= len(tf.hardware_release) <= 60
    assert tf.hardware_release["log10_value"].between(8, 11.5).all()
    assert len(tf.hardware_cloud) > 100
    assert tf.hardware_cloud["log10_value"].between(15, 19).all()
    assert 60 <= len(tf.imagenet) <= 76
    assert tf.imagenet["performance"].between(0, 3).all()
    assert tf.imagenet["log10_compute"].between(15, 23).all()
    assert 50 <= len(tf.eci) <= 109
    assert tf.eci["performance"].between(50, 170).all()
    for series, df in tf.frames().items():
        assert not df.isna().any().any(), series
        assert not df.duplicated(["name", "date"]).any(), series
        assert df["date"].is_monotonic_increasing, series
        assert df["year"].dtype == np.float64 and pd.api.types.is_datetime64_any_dtype(df["date"])
        assert pd.api.types.is_string_dtype(df["name"])
        assert pd.api.types.is_string_dtype(df["source"])
        assert df["date"].max() <= pd.Timestamp("2025-06-30"), series


def test_upstream_meta(upstream):
    m = upstream.meta
    assert m["frontier_rule"] == FrontierRule().to_dict()
    assert m["spending_series"] == "frontier_table"
    assert m["rows"] == {s: len(df) for s, df in upstream.frames().items()}
    assert set(m["dropped"]) == set(m["rows"])
    assert m["dropped"]["compute"]["before start_year"] > 0
    assert m["dropped"]["compute"]["no training compute"] > 0
    # SOURCE.md's hand-added ECI rows fall after the local trim; the count is still reported.
    assert m["dropped"]["eci"]["hand-added by the mirror author (SOURCE.md)"] == 0
    assert len(m["files"]) == 6 and all(len(h) == 64 for h in m["files"].values())
    assert m["vintage"] == max(v for v in m["vintage_by_series"].values())
    json.dumps(m)  # the run manifest stores it


def test_top_n_rule_on_upstream(shared_data):
    rule = FrontierRule(method="top_n", top_n=5, window_years=1.0, start_year=2012.0)
    tf = load_upstream(shared_data, rule, models_file="notable_ai_models.csv")
    assert tf.meta["frontier_rule"]["method"] == "top_n"
    assert tf.meta["frontier_rule"]["top_n"] == 5
    assert tf.meta["models_file"] == "epoch_ai_models/notable_ai_models.csv"
    assert tf.meta["dropped"]["compute"]["not frontier (rule)"] > 0
    assert tf.compute["year"].min() >= 2012.0
    assert len(tf.compute) > 50
    # Each selected model is in the top 5 of its trailing window within the full table.
    compute_all, _ = read_frontier_models(
        shared_data / "epoch_ai_models" / "notable_ai_models.csv",
        FrontierRule(method="top_n", top_n=10**6, start_year=1950.0),
    )
    for row in tf.compute.sample(10, random_state=0).itertuples():
        window = compute_all[(compute_all.year <= row.year) & (compute_all.year > row.year - 1.0)]
        assert (window.log10_value > row.log10_value).sum() < 5


@pytest.mark.parametrize(
    "file_name",
    [
        "frontier_ai_models.csv",
        "notable_ai_models.csv",
        "large_scale_ai_models.csv",
        "all_ml_systems_full_view_2025-06-20.csv",
    ],
)
def test_read_frontier_models_all_tables(shared_data, file_name):
    path = shared_data / "epoch_ai_models" / file_name
    ledger = Ledger()
    compute, spending = read_frontier_models(path, FrontierRule(method="top_n"), ledger=ledger)
    assert len(compute) > 50
    assert compute["log10_value"].between(13, 28).all()
    if file_name == "large_scale_ai_models.csv":  # no 2023-USD cost column in this table
        assert spending.empty and ledger.dropped["spending"]
    else:  # all_ml_systems has "$6770000.00" strings; they must parse
        assert len(spending) > 30 and spending["log10_value"].between(0, 10).all()


def test_epoch_flag_needs_flag_column(shared_data):
    path = shared_data / "epoch_ai_models" / "large_scale_ai_models.csv"
    with pytest.raises(DataError, match=r"line 1, column 'Frontier model'.*top_n"):
        read_frontier_models(path)


def test_training_costs_alternative(shared_data):
    tf = load_upstream(shared_data, spending="training_costs")
    assert tf.meta["spending_series"] == "training_costs"
    assert "Cottier" in tf.meta["spending_unit"]
    assert 70 <= len(tf.spending) <= 82
    assert tf.spending["log10_value"].between(1, 10).all()
    direct = read_training_costs(
        shared_data / "epoch_training_costs" / "model_costs.csv",
        shared_data / "epoch_ai_models" / "all_ml_systems_full_view_2025-06-20.csv",
    )
    assert len(direct) == 82


def test_upstream_single_readers(shared_data):
    hw = read_ml_hardware(shared_data / "epoch_ml_hardware" / "ml_hardware.csv")
    assert len(hw) == 51
    h100 = hw.loc[hw["name"] == "NVIDIA H100 SXM5 80GB", "log10_value"].item()
    assert h100 == pytest.approx(np.log10(6.691e13 / 33600))
    cloud = read_hardware_prices(
        shared_data / "epoch_ml_hardware" / "hardware_prices_2025-06-20.csv",
        shared_data / "epoch_ml_hardware" / "chip_dataset_grid_view_2025-06-20.csv",
    )
    assert cloud["name"].str.contains(" @ ").all()
    img = read_imagenet(shared_data / "cv_algorithmic_progress" / "imagenet.csv")
    alexnet = img.loc[img["name"] == "AlexNet"].iloc[0]
    acc = 1 - img_top1("AlexNet", shared_data) / 100
    assert alexnet["performance"] == pytest.approx(np.log(acc / (1 - acc)))
    assert alexnet["date"] == pd.Timestamp("2012-09-01")
    eci = read_eci(shared_data / "epoch_capabilities_index" / "epoch_capabilities_index.csv")
    assert eci["name"].str.startswith("claude-3-7-sonnet-20250219").sum() == 1


def img_top1(name: str, shared_data: Path) -> float:
    raw = pd.read_csv(shared_data / "cv_algorithmic_progress" / "imagenet.csv")
    return float(raw.loc[raw["model_name"] == name, "top_1_error"].iloc[0])


# ---------------------------------------------------------------------------------------------
# Small fixtures
# ---------------------------------------------------------------------------------------------


def test_top_n_rule_small_fixture(fx):
    rule = FrontierRule(method="top_n", top_n=2, window_years=1.0, start_year=2010.0)
    ledger = Ledger()
    compute, spending = read_frontier_models(fx / "models_top_n.csv", rule, ledger=ledger)
    # D (2015-10) ranks third behind C and B in its window; E (2016-09) ranks second behind C;
    # F is before start_year.
    assert list(compute["name"]) == ["A", "B", "C", "E"]
    assert list(spending["name"]) == ["A", "B", "C", "E"]
    assert ledger.dropped["compute"] == {"before start_year": 1, "not frontier (rule)": 1}


def test_identical_duplicates_dropped_and_counted(fx):
    ledger = Ledger()
    compute, _ = read_frontier_models(fx / "models_identical_duplicate.csv", ledger=ledger)
    assert ledger.dropped["compute"]["identical duplicate"] == 1
    assert list(compute["name"]) == ["Alpha", "Beta"]


def test_relisted_versions_count_once(fx):
    """Same model under two version qualifiers, same date and compute: one row, the one with a cost.

    Kept: a model re-released on another date (Sigma v1/v2), other base names with equal compute
    on the same date (Kappa, Lambda), and parenthesised parts that are not versions (Mu 355M/774M).
    """
    ledger = Ledger()
    compute, spending = read_frontier_models(fx / "models_relisted.csv", ledger=ledger)
    assert list(compute["name"]) == [
        "Mu (355M)",
        "Mu (774M)",
        "Sigma (v1)",
        "Sigma (v2)",
        "Omega (Mar 2023)",
        "Kappa",
        "Lambda",
    ]
    assert ledger.dropped["compute"] == {RELISTED: 1}
    # the re-listing has no cost, so spending drops it as such, and every cost row pairs with compute
    assert ledger.dropped["spending"] == {"no training cost (2023 USD)": 1}
    assert set(zip(spending["name"], spending["date"], strict=True)) <= set(
        zip(compute["name"], compute["date"], strict=True)
    )
    assert len(compute) + sum(ledger.dropped["compute"].values()) == 8


def test_upstream_gpt4_listed_once(upstream):
    gpt4 = upstream.compute[upstream.compute["name"].str.startswith("GPT-4 (")]
    assert list(gpt4["name"]) == ["GPT-4 (Mar 2023)"]
    assert upstream.meta["dropped"]["compute"][RELISTED] == 1
    paired = upstream.compute.merge(upstream.spending, on=["name", "date"])
    assert len(paired) == len(upstream.spending)  # every cost row has its compute row


def test_upstream_fixture_drops(fx):
    ledger = Ledger()
    cloud = read_hardware_prices(fx / "prices_ok.csv", fx / "chip_dataset_fixture.csv", ledger=ledger)
    assert len(cloud) == 1
    assert cloud["name"].item() == "Chip X @ Cloud Y"
    # quotes 2.0, 2.0 and 4.0 USD/h are averaged in log space
    expected = np.mean(np.log10(1e13 * 3600 / np.array([2.0, 2.0, 4.0])))
    assert cloud["log10_value"].item() == pytest.approx(expected)
    assert ledger.dropped["hardware_cloud"] == {
        "no on-demand price": 1,
        "chip not in the chip database": 1,
        "averaged with other quotes (same chip, vendor, date)": 2,
    }
    ledger = Ledger()
    img = read_imagenet(fx / "imagenet_ok.csv", ledger=ledger)
    assert sorted(img["name"]) == ["Harm [224px test]", "Harm [320px test]", "SPPNet"]
    assert ledger.dropped["imagenet"] == {"extra training data (extra_data=1)": 1}
    ledger = Ledger()
    eci = read_eci(fx / "eci_ok.csv", ledger=ledger)
    assert list(eci["name"]) == ["lm-1"]
    assert ledger.dropped["eci"] == {
        "hand-added by the mirror author (SOURCE.md)": 1,
        "no ECI score": 1,
        "another version of the same model (same score, compute)": 1,
    }
