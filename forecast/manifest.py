"""The run manifest: one typed record of a run, written and read here and nowhere else.

Every run directory holds ``manifest.json``: what kind of run it is, its status, the seed, the
resolved configuration, the hashes of its prior and data files, library versions, backend and
devices, and its outcome (for a fit, the convergence verdict). It is written last, atomically,
so a directory with a FINISHED manifest is complete (calibration.md, IO-4).
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from forecast.errors import ForecastInputError
from forecast.gate import ConvergenceVerdict

MANIFEST = "manifest.json"
RunKind = Literal["fit", "simulate", "sbc", "backtest", "forms"]
RunStatus = Literal["RUNNING", "FINISHED", "UNCONVERGED"]
_VERSIONED = ("forecast", "jax", "jaxlib", "numpyro", "arviz", "arviz-base", "arviz-stats", "numpy", "pandas", "xarray")


class Environment(BaseModel):
    """Where a run ran: Python, library versions, git commit, JAX backend, devices and numerics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    python: str
    platform: str
    versions: dict[str, str | None]
    git_commit: str | None
    # tracked files changed since that commit (None: not a git checkout, or an older manifest)
    git_dirty: bool | None = None
    backend: str
    devices: list[str]
    device_kind: str
    jax_enable_x64: bool
    jax_threefry_partitionable: bool
    jax_default_matmul_precision: str | None

    @classmethod
    def current(cls) -> Environment:
        """This process's environment (imports JAX)."""
        import jax

        return cls(
            python=sys.version.split()[0],
            platform=platform.platform(),
            versions={name: _version(name) for name in _VERSIONED},
            git_commit=_git(["rev-parse", "HEAD"]) or None,
            git_dirty=_git_dirty(),
            backend=jax.default_backend(),
            devices=[str(d) for d in jax.devices()],
            device_kind=jax.devices()[0].device_kind,
            jax_enable_x64=bool(jax.config.jax_enable_x64),
            jax_threefry_partitionable=bool(jax.config.jax_threefry_partitionable),
            jax_default_matmul_precision=jax.config.jax_default_matmul_precision,
        )


class FileRecord(BaseModel):
    """A config file a run read: where it was and the sha256 of its bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    sha256: str


class RunManifest(BaseModel):
    """The typed content of ``manifest.json``.

    Attributes
    ----------
    kind, run_id, status
        What the run is; ``RUNNING`` only while it is being written.
    seed
        Root PRNG seed of everything random in the run.
    config
        Resolved settings (sampler, engine, scenario, ...), JSON-ready.
    priors
        The prior/scenario files read, by role (``trends``, ``scenarios``, ...).
    data
        Data provenance: path, file hashes, rows, drops by reason, vintage, frontier rule.
    chain_method
        The chain method NUTS actually used (after any fallback).
    convergence
        A fit's :class:`~forecast.gate.ConvergenceVerdict`.
    results
        Kind-specific outcomes (SBC verdict and timings, simulation attributes, ...).
    """

    model_config = ConfigDict(extra="forbid")

    kind: RunKind
    run_id: str
    status: RunStatus = "RUNNING"
    started_at: str
    finished_at: str | None = None
    argv: list[str]
    environment: Environment
    seed: int
    config: dict[str, Any] = {}
    priors: dict[str, FileRecord] = {}
    data: dict[str, Any] | None = None
    chain_method: str | None = None
    convergence: ConvergenceVerdict | None = None
    results: dict[str, Any] = {}

    @classmethod
    def start(cls, kind: RunKind, run_id: str, *, seed: int, **fields: Any) -> RunManifest:
        """A RUNNING manifest stamped with the start time, argv and this process's environment."""
        return cls(
            kind=kind,
            run_id=run_id,
            seed=seed,
            started_at=_now(),
            argv=list(sys.argv),
            environment=Environment.current(),
            **fields,
        )

    def finish(self, status: RunStatus = "FINISHED", **fields: Any) -> RunManifest:
        """A copy with the final status, the end time and any further fields set."""
        return self.model_copy(update={"status": status, "finished_at": _now(), **fields})

    def write(self, run_dir: Path) -> Path:
        """Write ``<run_dir>/manifest.json`` atomically."""
        from forecast.runs import atomic_write_text

        return atomic_write_text(Path(run_dir) / MANIFEST, self.model_dump_json(indent=2) + "\n")

    @classmethod
    def read(cls, run_dir: Path) -> RunManifest:
        """Read and validate ``<run_dir>/manifest.json``.

        Raises
        ------
        ForecastInputError
            No manifest (not a finished run), unreadable JSON, or a manifest of another version.
        """
        path = Path(run_dir) / MANIFEST
        if not path.is_file():
            raise ForecastInputError(
                f"{run_dir}: no {MANIFEST}; not a finished run", "pass a directory written by 'forecast fit'"
            )
        try:
            return cls.model_validate(json.loads(path.read_text()))
        except json.JSONDecodeError as exc:
            raise ForecastInputError(f"{path}: unreadable manifest ({exc})", "re-run it") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err.get("loc", ()))
            raise ForecastInputError(
                f"{path}: manifest field '{where}': {err.get('msg')}",
                "the run was written by another version of forecast; re-run it",
            ) from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git(args: list[str]) -> str | None:
    """Output of ``git ARGS`` in the package's checkout (``None`` outside one)."""
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _git_dirty() -> bool | None:
    """Whether tracked files differ from the commit (a run from uncommitted code says so)."""
    status = _git(["status", "--porcelain", "--untracked-files=no"])
    return None if status is None else bool(status)


__all__ = ["MANIFEST", "Environment", "FileRecord", "RunKind", "RunManifest", "RunStatus"]
