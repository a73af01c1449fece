"""Run directories: atomic creation, manifests and lookup.

A run is written into a hidden staging directory beside its final place and renamed at the end,
so an error or Ctrl-C leaves no half-written run behind. The manifest records what is needed to
reproduce the run: resolved config, seed, file hashes, library versions, backend and devices.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from forecast.errors import ForecastInputError

MANIFEST = "manifest.json"
DEFAULT_RUNS_DIR = Path("runs")


def new_run_id(kind: str = "fit") -> str:
    """A sortable, unique run id such as ``fit-20261123-101500-3f9a``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{kind}-{stamp}-{secrets.token_hex(2)}"


@contextlib.contextmanager
def staged_dir(final: Path) -> Iterator[Path]:
    """Yield a staging directory that becomes ``final`` only if the block completes.

    Parameters
    ----------
    final
        The directory to create. It must not exist yet.

    Yields
    ------
    Path
        A hidden sibling directory to write into. On any exception, including
        ``KeyboardInterrupt``, it is removed and nothing appears at ``final``.
    """
    final = Path(final)
    if final.exists():
        raise ForecastInputError(f"{final}: run directory already exists", "choose another --run-id or remove it")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".{final.name}.staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        yield staging
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (temp file in the same directory, fsync, rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def environment_info() -> dict[str, Any]:
    """Library versions, backend, devices and numeric settings of this process."""
    import jax

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": {
            name: _version(name)
            for name in ("forecast", "jax", "jaxlib", "numpyro", "arviz", "arviz-base", "arviz-stats", "numpy", "pandas", "xarray")
        },
        "git_commit": _git_commit(),
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "device_kind": jax.devices()[0].device_kind,
        "jax_enable_x64": bool(jax.config.jax_enable_x64),
        "jax_threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
        "jax_default_matmul_precision": jax.config.jax_default_matmul_precision,
    }


def base_manifest(kind: str, run_id: str, argv: list[str] | None = None) -> dict[str, Any]:
    """Manifest fields common to every run."""
    return {
        "kind": kind,
        "run_id": run_id,
        "status": "RUNNING",
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        "argv": list(sys.argv if argv is None else argv),
        "environment": environment_info(),
    }


def finish_manifest(manifest: dict[str, Any], status: str) -> dict[str, Any]:
    """Stamp the end time and final status."""
    return {**manifest, "status": status, "finished_at": dt.datetime.now(dt.UTC).isoformat()}


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """Read ``manifest.json`` of a run, or fail with a clear input error."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise ForecastInputError(f"{run_dir}: no {MANIFEST}; not a finished run", "pass a directory written by 'forecast fit'")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ForecastInputError(f"{path}: unreadable manifest ({exc})", "re-run the fit") from None


def resolve_run(ref: str | Path, runs_dir: Path = DEFAULT_RUNS_DIR, kind: str | None = "fit") -> Path:
    """Find a run by path, by id under ``runs_dir``, or ``latest`` (newest of ``kind``)."""
    ref = str(ref)
    if ref == "latest":
        candidates = sorted(
            p for p in Path(runs_dir).glob(f"{kind or ''}*") if p.is_dir() and (p / MANIFEST).is_file()
        )
        if not candidates:
            raise ForecastInputError(f"{runs_dir}: no finished runs", "run 'forecast fit' first")
        return candidates[-1]
    for path in (Path(ref), Path(runs_dir) / ref):
        if path.is_dir():
            read_manifest(path)
            return path
    raise ForecastInputError(f"run '{ref}' not found (looked in . and {runs_dir})", "pass a run directory or id; see 'forecast runs list'")


def list_runs(runs_dir: Path = DEFAULT_RUNS_DIR) -> list[dict[str, Any]]:
    """One summary dict per finished run under ``runs_dir`` (staging directories are skipped)."""
    out = []
    for path in sorted(Path(runs_dir).glob("*")):
        if not path.is_dir() or path.name.startswith(".") or not (path / MANIFEST).is_file():
            continue
        try:
            m = read_manifest(path)
        except ForecastInputError:
            continue
        out.append(
            {
                "run_id": m.get("run_id", path.name),
                "kind": m.get("kind"),
                "status": m.get("status"),
                "started_at": str(m.get("started_at", ""))[:19],
                "seed": m.get("seed"),
                "draws": (m.get("sampler") or {}).get("draws"),
                "backend": (m.get("environment") or {}).get("backend"),
            }
        )
    return out


def _read_csv(path: Path):
    import pandas as pd

    return pd.read_csv(path) if path.is_file() else None


def show_run(run_dir: Path) -> dict[str, Any]:
    """Manifest summary, doubling-time table and simulated scenarios of a run."""
    m = read_manifest(run_dir)
    doubling = _read_csv(Path(run_dir) / "doubling_times.csv")
    if doubling is not None:
        doubling = doubling.set_index("component")
    sims = sorted(p.name for p in (Path(run_dir) / "simulations").glob("*") if p.is_dir() and not p.name.startswith("."))
    summary = {
        "run_id": m.get("run_id"),
        "status": m.get("status"),
        "seed": m.get("seed"),
        "sampler": m.get("sampler"),
        "chain_method": m.get("chain_method_effective"),
        "backend": (m.get("environment") or {}).get("backend"),
        "devices": (m.get("environment") or {}).get("devices"),
        "versions": (m.get("environment") or {}).get("versions"),
        "priors_sha256": (m.get("priors") or {}).get("sha256"),
        "data_files": (m.get("data") or {}).get("files"),
        "frontier_rule": (m.get("data") or {}).get("frontier_rule"),
        "convergence": m.get("convergence"),
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
        raise ForecastInputError(f"{first} and {second}: nothing to compare", "pass fit runs (with simulations, for probabilities)")
    rows = [
        {"quantity": k, Path(first).name: a.get(k, float("nan")), Path(second).name: b.get(k, float("nan"))}
        for k in keys
    ]
    table = pd.DataFrame(rows)
    table["difference"] = table[Path(second).name] - table[Path(first).name]
    return table
