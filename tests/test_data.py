"""Tests for forecast.data: upstream loading, the packaged extract, the frontier rule and
validation errors (file, line, column in every message)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.data import (
    EXTRACT_COLUMNS,
    FrontierRule,
    Ledger,
    TrendFrames,
    load_data,
    load_extract,
    load_upstream,
    read_eci,
    read_frontier_models,
    read_hardware_prices,
    read_imagenet,
    read_ml_hardware,
    read_training_costs,
    truncate,
    validate_path,
    write_extract,
)
from forecast.errors import ConfigError, DataError

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "forecast" / "data" / "extract.csv"


@pytest.fixture(scope="module")
def upstream(shared_data) -> TrendFrames:
    return load_upstream(shared_data)


@pytest.fixture
def fx(fixtures) -> Path:
    return fixtures / "data"


def assert_frames_equal(a: TrendFrames, b: TrendFrames) -> None:
    for series, df in a.frames().items():
        pd.testing.assert_frame_equal(df, getattr(b, series), obj=series)


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


def test_decimal_year(upstream):
    c = upstream.compute
    d = c["date"]
    expected = d.dt.year + (d.dt.day_of_year - 1) / np.where(d.dt.is_leap_year, 366, 365)
    np.testing.assert_allclose(c["year"], expected)


def test_extract_roundtrip_equals_upstream(upstream, tmp_path):
    path = write_extract(upstream, tmp_path / "extract.csv")
    assert list(pd.read_csv(path).columns) == list(EXTRACT_COLUMNS)
    assert_frames_equal(upstream, load_extract(path))


def test_packaged_extract_matches_upstream(upstream):
    packaged = load_extract()
    assert_frames_equal(upstream, packaged)
    assert PACKAGED.stat().st_size < 1_000_000
    assert packaged.meta["frontier_rule"] == upstream.meta["frontier_rule"]
    assert packaged.meta["build"]["files"] == upstream.meta["files"]
    attribution = (PACKAGED.parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for needle in ("CC BY 4.0", "Epoch AI", "Erdil", "arXiv:2212.05153", "7d8a035ca075"):
        assert needle in attribution


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


def test_top_n_rule_small_fixture(fx):
    rule = FrontierRule(method="top_n", top_n=2, window_years=1.0, start_year=2010.0)
    ledger = Ledger()
    compute, spending = read_frontier_models(fx / "models_top_n.csv", rule, ledger=ledger)
    # D (2015-10) ranks third behind C and B in its window; E (2016-09) ranks second behind C;
    # F is before start_year.
    assert list(compute["name"]) == ["A", "B", "C", "E"]
    assert list(spending["name"]) == ["A", "B", "C", "E"]
    assert ledger.dropped["compute"] == {"before start_year": 1, "not frontier (rule)": 1}


def test_frontier_rule_validation():
    with pytest.raises(ConfigError, match="did you mean 'top_n'"):
        FrontierRule(method="top-n")
    with pytest.raises(ConfigError):
        FrontierRule(top_n=0)
    d = FrontierRule(method="top_n", top_n=7).to_dict()
    assert FrontierRule.from_dict(d) == FrontierRule(method="top_n", top_n=7)


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


@pytest.mark.parametrize(
    "rel",
    [
        "epoch_ai_models/notable_ai_models.csv",
        "epoch_ai_models/large_scale_ai_models.csv",
        "epoch_ml_hardware/ml_hardware.csv",
        "epoch_ml_hardware/hardware_prices_2025-06-20.csv",
        "epoch_training_costs/model_costs.csv",
        "cv_algorithmic_progress/imagenet.csv",
        "epoch_capabilities_index/epoch_capabilities_index.csv",
    ],
)
def test_validate_single_upstream_files(shared_data, rel):
    summary = validate_path(shared_data / rel)
    rows = dict(summary["rows"])
    if rel.endswith("large_scale_ai_models.csv"):
        assert rows.pop("spending") == 0  # that table has no 2023-USD cost column
    assert rows and all(n > 0 for n in rows.values())
    json.dumps(summary)


def test_validate_directory_and_extract(shared_data):
    s = validate_path(shared_data)
    assert s["kind"] == "upstream" and s["rows"]["compute"] > 50 and s["vintage"]
    s = validate_path(PACKAGED)
    assert s["kind"] == "extract" and s["frontier_rule"]["method"] == "epoch_flag"


# ---------------------------------------------------------------------------------------------
# Dispatch, fixtures that load
# ---------------------------------------------------------------------------------------------


def test_load_data_dispatch(fx, tmp_path):
    assert load_data().meta["kind"] == "extract"
    assert load_data(fx / "extract_ok.csv").meta["rows"]["compute"] == 2
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(DataError, match="not a directory or a .csv file"):
        load_data(tmp_path / "x.txt")
    with pytest.raises(DataError, match="no such file"):
        load_data(tmp_path / "missing")
    with pytest.raises(DataError, match="file not found"):
        load_data(tmp_path / "missing.csv")


def test_extract_fixture_frames(fx):
    tf = load_extract(fx / "extract_ok.csv")
    assert list(tf.compute.columns) == ["name", "date", "year", "log10_value", "source"]
    assert list(tf.imagenet.columns) == [
        "name", "date", "year", "log10_compute", "performance", "source"
    ]
    assert tf.imagenet.iloc[0][["log10_compute", "performance"]].tolist() == [19.0, 1.2]
    assert tf.meta["frontier_rule"] is None  # no ATTRIBUTION.md beside a hand-made extract


def test_identical_duplicates_dropped_and_counted(fx):
    tf = load_extract(fx / "extract_identical_duplicate.csv")
    assert tf.meta["dropped"]["compute"] == {"identical duplicate": 1}
    assert tf.meta["rows"]["compute"] == 1
    ledger = Ledger()
    compute, _ = read_frontier_models(fx / "models_identical_duplicate.csv", ledger=ledger)
    assert ledger.dropped["compute"]["identical duplicate"] == 1
    assert list(compute["name"]) == ["Alpha", "Beta"]


def test_bom_and_crlf_accepted(fx, tmp_path):
    for name, loader in [("extract_ok.csv", load_extract), ("models_ok.csv", validate_path)]:
        text = (fx / name).read_bytes()
        crlf = tmp_path / name
        crlf.write_bytes(b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"))
        a, b = loader(fx / name), loader(crlf)
        if isinstance(a, TrendFrames):
            assert_frames_equal(a, b)
        else:
            assert a["rows"] == b["rows"] and a["dropped"] == b["dropped"]


def test_line_numbers_survive_bom_crlf_and_multiline_fields(fx, tmp_path):
    text = (fx / "models_multiline_bad_date.csv").read_bytes()
    crlf = tmp_path / "crlf_multiline.csv"
    crlf.write_bytes(b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"))
    with pytest.raises(DataError, match=r"line 5, column 'Publication date'"):
        validate_path(crlf)


def test_upstream_fixture_drops(fx):
    ledger = Ledger()
    cloud = read_hardware_prices(
        fx / "prices_ok.csv", fx / "chip_dataset_fixture.csv", ledger=ledger
    )
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


def test_truncate(fx):
    tf = truncate(load_extract(fx / "extract_ok.csv"), 2020.5)
    assert tf.meta["rows"]["compute"] == 1 and tf.meta["as_of"] == 2020.5
    assert tf.meta["dropped"]["compute"]["after as_of"] == 1
    assert tf.meta["rows"]["eci"] == 0


def test_data_module_does_not_import_jax():
    code = "import sys, forecast.data; assert 'jax' not in sys.modules, 'jax imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ---------------------------------------------------------------------------------------------
# Broken fixtures: each is one distinct failure
# ---------------------------------------------------------------------------------------------

COL_ONDEMAND = "Price per chip-hour (on-demand)"
BROKEN = [
    # (fixture, loader, line, column, a phrase of the message)
    ("empty.csv", "extract", 1, "series", "file is empty"),
    ("extract_header_only.csv", "extract", 2, "series", "no data rows"),
    ("extract_missing_column.csv", "extract", 1, "unit", "required column not found"),
    ("extract_renamed_column.csv", "extract", 1, "value", "did you mean 'values'"),
    ("extract_bad_date.csv", "extract", 3, "date", "not a valid date"),
    ("extract_future_date.csv", "extract", 3, "date", "in the future"),
    ("extract_pre1950_date.csv", "extract", 3, "date", "before 1950"),
    ("extract_non_numeric.csv", "extract", 3, "value", "'n/a' is not a number"),
    ("extract_thousands_separator.csv", "extract", 4, "value", "'1,000' is not a number"),
    ("extract_nan.csv", "extract", 3, "value", "'NaN' is not a number"),
    ("extract_inf.csv", "extract", 3, "value", "not a finite number"),
    ("extract_empty_value.csv", "extract", 3, "value", "is empty"),
    ("extract_empty_name.csv", "extract", 6, "name", "is empty"),
    ("extract_conflicting_duplicate.csv", "extract", 3, "value", "duplicate of line 2"),
    ("extract_bad_series.csv", "extract", 5, "series", "did you mean 'hardware_release'"),
    ("extract_bad_unit.csv", "extract", 3, "unit", "did you mean 'log10 FLOP'"),
    ("extract_unpaired.csv", "extract", 7, "series", "no matching imagenet_performance"),
    ("models_renamed_column.csv", "validate", 1, "Training compute (FLOP)", "did you mean"),
    ("models_multiline_bad_date.csv", "validate", 5, "Publication date", "not a valid date"),
    ("models_zero_compute.csv", "validate", 5, "Training compute (FLOP)", "must be positive"),
    ("models_negative_cost.csv", "validate", 7, "Training compute cost (2023 USD)", "positive"),
    ("models_bad_money.csv", "validate", 7, "Training compute cost (2023 USD)", "not a number"),
    ("models_bad_flag.csv", "validate", 6, "Frontier model", "not True or empty"),
    ("models_conflicting_duplicate.csv", "validate", 6, "Training compute (FLOP)", "duplicate"),
    ("hardware_renamed_price_column.csv", "validate", 1, "Release price (USD)", "did you mean"),
    ("prices_missing_price_column.csv", "validate", 1, COL_ONDEMAND, "not found"),
    ("prices_negative_price.csv", "validate", 3, COL_ONDEMAND, "positive"),
    ("imagenet_error_out_of_range.csv", "validate", 2, "top_1_error", "between 0 and 100"),
    ("imagenet_day_first_date.csv", "validate", 3, "publication_date", "M/D/YYYY"),
    ("imagenet_bad_extra_data.csv", "validate", 5, "extra_data", "not 0 or 1"),
    ("eci_non_numeric_score.csv", "validate", 2, "ECI Score", "'high' is not a number"),
]


@pytest.mark.parametrize(
    ("name", "loader", "line", "column", "phrase"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_broken_fixture(fx, name, loader, line, column, phrase):
    path = fx / name
    load = load_extract if loader == "extract" else validate_path
    with pytest.raises(DataError) as info:
        load(path)
    msg = str(info.value)
    assert name in msg
    assert f"line {line}" in msg
    assert f"'{column}'" in msg
    assert phrase in msg
    assert "\n" not in msg and "-> fix:" in msg


def test_enough_distinct_broken_fixtures():
    assert len({b[0] for b in BROKEN}) >= 15


def test_prices_need_chip_database_beside(fx, tmp_path):
    lone = tmp_path / "prices_ok.csv"
    lone.write_bytes((fx / "prices_ok.csv").read_bytes())
    with pytest.raises(DataError, match=r"prices_ok.csv: .*chip database \(chip_dataset\*.csv\)"):
        validate_path(lone)


def test_unrecognised_single_file(fx):
    with pytest.raises(DataError, match=r"unrecognised.csv: line 1: not a recognised data file"):
        validate_path(fx / "unrecognised.csv")
