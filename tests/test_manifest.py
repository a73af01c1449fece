"""The typed run manifest: written and read in one place, with clear errors for bad files."""

from __future__ import annotations

import json

import pytest

from forecast.errors import ForecastInputError
from forecast.gate import ConvergenceVerdict
from forecast.manifest import MANIFEST, Environment, FileRecord, RunManifest


def test_round_trip(tmp_path):
    verdict = ConvergenceVerdict(
        passed=True, failures=[], chains=2, divergences=0, treedepth_share=0.0, bfmi=[1.0, 0.9]
    )
    m = RunManifest.start(
        "fit",
        "fit-x",
        seed=7,
        config={"sampler": {"chains": 2}},
        priors={"trends": FileRecord(path="p.toml", sha256="0" * 64)},
    )
    assert m.status == "RUNNING" and m.finished_at is None
    done = m.finish("UNCONVERGED", convergence=verdict, chain_method="vectorized")
    done.write(tmp_path)
    back = RunManifest.read(tmp_path)
    assert back == done and back.status == "UNCONVERGED" and back.convergence.bfmi == [1.0, 0.9]
    assert isinstance(back.environment, Environment) and back.environment.jax_enable_x64
    assert not list(tmp_path.glob(".*"))  # no temp file left behind


def test_missing_unreadable_and_foreign_manifests(tmp_path):
    with pytest.raises(ForecastInputError, match="no manifest.json"):
        RunManifest.read(tmp_path)
    (tmp_path / MANIFEST).write_text("{not json")
    with pytest.raises(ForecastInputError, match="unreadable manifest"):
        RunManifest.read(tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"kind": "fit", "run_id": "x"}))
    with pytest.raises(ForecastInputError, match="manifest field") as err:
        RunManifest.read(tmp_path)
    assert "\n" not in str(err.value)


def test_environment_records_uncommitted_changes(monkeypatch):
    """A run from a working tree with changed tracked files says so beside the commit."""
    import forecast.manifest as M

    calls = {"rev-parse": "abc123", "status": " M forecast/model.py"}
    monkeypatch.setattr(M, "_git", lambda args: calls[args[0]])
    env = Environment.current()
    assert env.git_commit == "abc123" and env.git_dirty is True
    calls["status"] = ""
    assert Environment.current().git_dirty is False
    monkeypatch.setattr(M, "_git", lambda args: None)  # not a git checkout
    env = Environment.current()
    assert env.git_commit is None and env.git_dirty is None


def test_manifests_without_git_dirty_still_read(tmp_path):
    m = RunManifest.start("fit", "fit-old", seed=0).finish()
    raw = json.loads(m.model_dump_json())
    del raw["environment"]["git_dirty"]
    (tmp_path / MANIFEST).write_text(json.dumps(raw))
    assert RunManifest.read(tmp_path).environment.git_dirty is None
