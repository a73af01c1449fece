"""Tests for forecast.tables: reading CSV files with true line numbers, and the cell parsers."""

import hashlib

import numpy as np
import pytest

from forecast.data import TrendFrames, load_extract, validate_path
from forecast.errors import DataError
from forecast.tables import parse_flags, parse_numbers, read_header, read_table
from tests.data_helpers import assert_frames_equal


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


def test_read_table_lines_blank_lines_short_records_and_hashes(tmp_path):
    raw = b'a,b,c\n1,"two\nlines",3\n\n4,5\n6,7,8\n'
    path = tmp_path / "t.csv"
    path.write_bytes(raw)
    files: dict[str, str] = {}
    tab = read_table(path, ["a", "b"], ["c", "missing"], files)
    assert tab.header == ["a", "b", "c"]
    assert tab.df["_line"].tolist() == [2, 5, 6]  # the multi-line record starts on line 2
    assert tab.df["c"].tolist() == ["3", "", "8"]  # a short record has empty trailing cells
    assert "missing" not in tab.df
    assert files == {f"{tmp_path.name}/t.csv": hashlib.sha256(raw).hexdigest()}
    assert read_header(path) == ["a", "b", "c"]


def test_read_table_rejects_extra_fields_and_missing_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    msg = r"t.csv: line 3: record has 3 fields but the header has 2 \(first extra value '5'\)"
    with pytest.raises(DataError, match=msg):
        read_table(path, ["a"])
    with pytest.raises(DataError, match="file not found"):
        read_header(tmp_path / "missing.csv")


def test_parsers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('n,money,flag\nx,"$1,234.50",True\ny,,\nz,7,checked\n')
    tab = read_table(path, ["n", "money", "flag"])
    np.testing.assert_array_equal(parse_numbers(tab, "money", money=True), [1234.5, np.nan, 7.0])
    assert parse_flags(tab, "flag").tolist() == [True, False, True]
    with pytest.raises(DataError, match=r"line 2, column 'money': value '\$1,234.50' is not a"):
        parse_numbers(tab, "money")  # thousands separators only where money=True
    with pytest.raises(DataError, match=r"line 3, column 'money': the cell is empty"):
        parse_numbers(tab, "money", money=True, required=True)
