"""Atomic writing of run directories and files, and run lookup."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.errors import ForecastInputError
from forecast.runs import atomic_dir, atomic_write_csv, atomic_write_text, new_run_id, resolve_run


def test_atomic_dir_appears_only_when_complete(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(RuntimeError), atomic_dir(target) as stage:
        (stage / "half.txt").write_text("x")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_dir(target) as stage:
        (stage / "whole.txt").write_text("x")
    assert [p.name for p in target.iterdir()] == ["whole.txt"] and len(list(tmp_path.iterdir())) == 1


def test_atomic_dir_refuses_or_replaces_an_existing_directory(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(ForecastInputError, match="already exists"), atomic_dir(target):
        pass
    with pytest.raises(KeyboardInterrupt), atomic_dir(target, replace=True) as stage:
        (stage / "new.txt").write_text("new")
        raise KeyboardInterrupt
    assert [p.name for p in target.iterdir()] == ["old.txt"]  # an interrupted replace keeps the old copy
    with atomic_dir(target, replace=True) as stage:
        (stage / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"] and len(list(tmp_path.iterdir())) == 1


def test_atomic_files(tmp_path):
    atomic_write_text(tmp_path / "a" / "b.txt", "hello")
    atomic_write_csv(tmp_path / "t.csv", pd.DataFrame({"x": [1, 2]}))
    assert (tmp_path / "a" / "b.txt").read_text() == "hello"
    assert pd.read_csv(tmp_path / "t.csv")["x"].tolist() == [1, 2]
    assert not list(tmp_path.rglob(".*"))


def test_resolve_run_errors(tmp_path):
    with pytest.raises(ForecastInputError, match="no finished runs"):
        resolve_run("latest", tmp_path)
    with pytest.raises(ForecastInputError, match="not found"):
        resolve_run("nope", tmp_path)
    assert new_run_id("fit").startswith("fit-") and new_run_id() != new_run_id()
