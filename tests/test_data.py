"""Tests for forecast.data, the entry points of the data layer: load_data's dispatch,
truncate, and that the data layer never imports JAX. The modules behind it have their own
test files (test_tables, test_frames, test_upstream, test_extract, test_validate)."""

import subprocess
import sys

import pytest

from forecast.data import load_data, load_extract, truncate
from forecast.errors import DataError
from tests.data_helpers import ROOT


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


def test_truncate(fx):
    tf = truncate(load_extract(fx / "extract_ok.csv"), 2020.5)
    assert tf.meta["rows"]["compute"] == 1 and tf.meta["as_of"] == 2020.5
    assert tf.meta["dropped"]["compute"]["after as_of"] == 1
    assert tf.meta["rows"]["eci"] == 0


@pytest.mark.parametrize("module", ["data", "tables", "frames", "chips", "upstream", "extract", "validate"])
def test_data_modules_do_not_import_jax(module):
    code = f"import sys, forecast.{module}; assert 'jax' not in sys.modules, 'jax imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
