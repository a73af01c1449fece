"""Run directories: atomic writing, lookup, listing and comparison.

Everything a run writes goes through :func:`atomic_dir` (a directory) or
:func:`atomic_write_text` (a file): the content is written beside its final place and renamed in
at the end, so an error or Ctrl-C leaves the old content or nothing, never half of something.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forecast.errors import ForecastInputError
from forecast.manifest import MANIFEST, RunManifest

DEFAULT_RUNS_DIR = Path("runs")


def new_run_id(kind: str = "fit") -> str:
    """A sortable, unique run id such as ``fit-20261123-101500-3f9a``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{kind}-{stamp}-{secrets.token_hex(2)}"


@contextlib.contextmanager
def atomic_dir(final: Path, *, replace: bool = False) -> Iterator[Path]:
    """Yield a staging directory that becomes ``final`` only if the block completes.

    Parameters
    ----------
    final
        The directory to create.
    replace
        If ``final`` exists: False (default) refuses with an input error before anything is
        written; True swaps the new content in (old -> aside, new -> final, aside removed), so a
        crash between the two renames still leaves one complete copy.

    Yields
    ------
    Path
        A hidden sibling directory to write into. On any exception, including
        ``KeyboardInterrupt``, it is removed and ``final`` is left as it was.
    """
    final = Path(final)
    if final.exists() and not replace:
        raise ForecastInputError(f"{final}: run directory already exists", "choose another --run-id or remove it")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".{final.name}.staging-{os.getpid()}"
    aside = final.parent / f".{final.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        if final.exists():
            final.rename(aside)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if aside.exists() and not final.exists():
            aside.rename(final)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same directory, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_csv(path: Path, frame, **to_csv) -> Path:
    """Write a DataFrame as CSV atomically (``to_csv`` keywords passed on, ``index=False`` by default)."""
    return atomic_write_text(path, frame.to_csv(**{"index": False, **to_csv}))


def resolve_run(ref: str | Path, runs_dir: Path = DEFAULT_RUNS_DIR, kind: str | None = "fit") -> Path:
    """Find a run by path, by id under ``runs_dir``, or ``latest`` (newest of ``kind``)."""
    ref = str(ref)
    if ref == "latest":
        candidates = sorted(p for p in Path(runs_dir).glob(f"{kind or ''}*") if p.is_dir() and (p / MANIFEST).is_file())
        if not candidates:
            raise ForecastInputError(f"{runs_dir}: no finished runs", "run 'forecast fit' first")
        return candidates[-1]
    for path in (Path(ref), Path(runs_dir) / ref):
        if path.is_dir():
            RunManifest.read(path)
            return path
    raise ForecastInputError(
        f"run '{ref}' not found (looked in . and {runs_dir})", "pass a run directory or id; see 'forecast runs list'"
    )


def list_runs(runs_dir: Path = DEFAULT_RUNS_DIR) -> list[dict[str, Any]]:
    """One summary dict per finished run under ``runs_dir`` (staging directories are skipped)."""
    out = []
    for path in sorted(Path(runs_dir).glob("*")):
        if not path.is_dir() or path.name.startswith(".") or not (path / MANIFEST).is_file():
            continue
        try:
            m = RunManifest.read(path)
        except ForecastInputError:
            continue
        out.append(
            {
                "run_id": m.run_id,
                "kind": m.kind,
                "status": m.status,
                "started_at": m.started_at[:19],
                "seed": m.seed,
                "draws": m.config.get("sampler", {}).get("draws"),
                "backend": m.environment.backend,
            }
        )
    return out


def _read_csv(path: Path):
    import pandas as pd

    return pd.read_csv(path) if path.is_file() else None


def show_run(run_dir: Path) -> dict[str, Any]:
    """Manifest summary, doubling-time table and simulated scenarios of a run."""
    m = RunManifest.read(run_dir)
    doubling = _read_csv(Path(run_dir) / "doubling_times.csv")
    if doubling is not None:
        doubling = doubling.set_index("component")
    sims = sorted(
        p.name for p in (Path(run_dir) / "simulations").glob("*") if p.is_dir() and not p.name.startswith(".")
    )
    data = m.data or {}
    summary = {
        "run_id": m.run_id,
        "status": m.status,
        "seed": m.seed,
        "sampler": m.config.get("sampler"),
        "chain_method": m.chain_method,
        "backend": m.environment.backend,
        "devices": m.environment.devices,
        "versions": m.environment.versions,
        "priors": {k: v.sha256 for k, v in m.priors.items()},
        "data_files": data.get("files"),
        "frontier_rule": data.get("frontier_rule"),
        "convergence": m.convergence.model_dump() if m.convergence else None,
        "simulations": sims,
    }
    return {"manifest_summary": summary, "doubling": doubling, "manifest": m}


def _run_quantities(run_dir: Path) -> dict[str, float]:
    values: dict[str, float] = {}
    doubling = _read_csv(Path(run_dir) / "doubling_times.csv")
    if doubling is not None:
        for _, row in doubling.iterrows():
            values[f"doubling months, {row['component']} (median)"] = float(row["doubling_months_median"])
    for sim in sorted((Path(run_dir) / "simulations").glob("*")):
        probs = _read_csv(sim / "probabilities.csv")
        if probs is not None and {"year", "factor_threshold_oom", "probability"} <= set(probs.columns):
            for _, row in probs[probs["year"] == 2030].iterrows():
                values[f"{sim.name}: P(2030 factor >= 1e{row['factor_threshold_oom']:.0f})"] = float(row["probability"])
        cross = _read_csv(sim / "crossing_years.csv")
        if cross is not None and {"share_threshold", "q50"} <= set(cross.columns):
            for _, row in cross.iterrows():
                values[f"{sim.name}: first year share >= {row['share_threshold']:.0%} (median)"] = float(row["q50"])
    return values


def compare_runs(first: Path, second: Path):
    """Doubling times, 2030 probabilities and crossing years of two runs, side by side."""
    import pandas as pd

    a, b = _run_quantities(first), _run_quantities(second)
    keys = list(dict.fromkeys([*a, *b]))
    if not keys:
        raise ForecastInputError(
            f"{first} and {second}: nothing to compare", "pass fit runs (with simulations, for probabilities)"
        )
    rows = [
        {"quantity": k, Path(first).name: a.get(k, float("nan")), Path(second).name: b.get(k, float("nan"))}
        for k in keys
    ]
    table = pd.DataFrame(rows)
    table["difference"] = table[Path(second).name] - table[Path(first).name]
    return table


__all__ = [
    "DEFAULT_RUNS_DIR",
    "atomic_dir",
    "atomic_write_csv",
    "atomic_write_text",
    "compare_runs",
    "list_runs",
    "new_run_id",
    "resolve_run",
    "show_run",
]
