"""Tests for forecast.extract: an extract written and read back equals the frames it was
written from, and the packaged extract equals the upstream frames."""

import pandas as pd

from forecast.data import EXTRACT_COLUMNS, load_extract, write_extract
from tests.data_helpers import PACKAGED, assert_frames_equal


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


def test_extract_fixture_frames(fx):
    tf = load_extract(fx / "extract_ok.csv")
    assert list(tf.compute.columns) == ["name", "date", "year", "log10_value", "source"]
    assert list(tf.imagenet.columns) == ["name", "date", "year", "log10_compute", "performance", "source"]
    assert tf.imagenet.iloc[0][["log10_compute", "performance"]].tolist() == [19.0, 1.2]
    assert tf.meta["frontier_rule"] is None  # no ATTRIBUTION.md beside a hand-made extract


def test_identical_duplicates_dropped_and_counted(fx):
    tf = load_extract(fx / "extract_identical_duplicate.csv")
    assert tf.meta["dropped"]["compute"] == {"identical duplicate": 1}
    assert tf.meta["rows"]["compute"] == 1
