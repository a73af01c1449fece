"""Tests for forecast.validate, and the validation errors of the whole data layer: every
broken fixture fails with the file, line, column and value in a one-line message."""

import json

import pytest

from forecast.data import load_extract, validate_path
from forecast.errors import DataError
from tests.data_helpers import PACKAGED


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


@pytest.mark.parametrize(("name", "loader", "line", "column", "phrase"), BROKEN, ids=[b[0] for b in BROKEN])
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


def test_validate_paths_that_are_not_data(tmp_path):
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(DataError, match="not a directory or a .csv file"):
        validate_path(tmp_path / "x.txt")
    with pytest.raises(DataError, match="no such file"):
        validate_path(tmp_path / "missing")
    with pytest.raises(DataError, match="missing.csv: file not found"):
        validate_path(tmp_path / "missing.csv")
