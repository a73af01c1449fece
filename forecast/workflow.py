"""Library-level jobs behind the CLI: fit a run, diagnose a run.

Each function validates its inputs before any computation, writes its run directory atomically
(:func:`forecast.runs.staged_dir`) and returns plain Python objects; :mod:`forecast.cli` only
parses arguments and prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecast.errors import ForecastInputError
from forecast.runs import (
    MANIFEST,
    base_manifest,
    finish_manifest,
    new_run_id,
    read_manifest,
    staged_dir,
    write_json,
)

#: Published doubling times (months) from the Dutch advisory request, for side-by-side tables.
PUBLISHED_DOUBLING_MONTHS = {"algorithmic": 9.0, "hardware": 30.0, "spending": 7.0, "compute": None}


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit_run` produced."""

    run_dir: Path
    doubling: pd.DataFrame
    gate_failures: list[str]
    manifest: dict


def doubling_table(dt) -> pd.DataFrame:
    """Posterior median and 90% interval of each doubling time (months) and growth (OOM/yr)."""
    post = dt["posterior"]
    rows = []
    for comp in post["doubling_months"]["component"].values:
        months = post["doubling_months"].sel(component=comp).values.ravel()
        growth = post["growth"].sel(component=comp).values.ravel()
        q = pd.Series(months).quantile([0.05, 0.5, 0.95]).to_numpy()
        g = pd.Series(growth).quantile([0.05, 0.5, 0.95]).to_numpy()
        rows.append(
            {
                "component": str(comp),
                "doubling_months_median": q[1],
                "doubling_months_q05": q[0],
                "doubling_months_q95": q[2],
                "growth_oom_per_year_median": g[1],
                "growth_oom_per_year_q05": g[0],
                "growth_oom_per_year_q95": g[2],
                "published_months": PUBLISHED_DOUBLING_MONTHS.get(str(comp)),
            }
        )
    return pd.DataFrame(rows).set_index("component")


def fit_run(
    *,
    data_path: Path | None,
    priors_path: Path | None,
    chains: int,
    draws: int,
    warmup: int,
    seed: int,
    runs_dir: Path,
    run_id: str | None = None,
    frontier_method: str = "epoch_flag",
    target_accept: float = 0.98,
    chain_method: str = "auto",
    as_of: float | None = None,
    progress=None,
) -> FitResult:
    """Load data and priors, fit the trend model and write ``runs/<run-id>/``.

    Parameters
    ----------
    data_path
        ``None`` for the packaged extract, a directory laid out like ``../shared/data``, or an
        extract CSV.
    priors_path
        ``None`` for ``priors/trends.toml``.
    chains, draws, warmup, seed, target_accept, chain_method
        Sampler settings; ``seed`` is the root of every PRNG key in the run.
    runs_dir, run_id
        Where to write; the id defaults to a fresh timestamped one.
    frontier_method
        Frontier-model selection rule (recorded in the manifest).
    as_of
        Optional decimal year: fit only on data dated up to it (backtests).
    progress
        Optional callable ``progress(phase: str)`` for the CLI's spinner.

    Returns
    -------
    FitResult
    """
    from forecast.data import FrontierRule, load_data
    from forecast.model import REQUIRED_PRIORS
    from forecast.priors import load_priors

    say = progress or (lambda phase: None)
    say("validating priors")
    priors = load_priors(priors_path, required=REQUIRED_PRIORS)
    try:
        from forecast.infer import SamplerConfig

        config = SamplerConfig(
            chains=chains, draws=draws, warmup=warmup, target_accept=target_accept, chain_method=chain_method
        )
    except ValueError as exc:
        raise ForecastInputError(f"sampler settings: {exc}", "see 'forecast fit --help'") from None
    say("loading data")
    frames = load_data(data_path, rule=FrontierRule(method=frontier_method))
    if as_of is not None:
        from forecast.data import truncate

        frames = truncate(frames, as_of)

    import jax

    from forecast.infer import check_convergence, fit
    from forecast.model import model_data

    data, scaling = model_data(frames)
    run_id = run_id or new_run_id("fit")
    manifest = base_manifest("fit", run_id)
    manifest.update(
        {
            "seed": seed,
            "sampler": config.to_dict(),
            "priors": {"path": priors.path, "sha256": priors.sha256, "specs": priors.to_dict()},
            "data": {**frames.meta, "path": str(data_path) if data_path else "packaged extract", "as_of": as_of},
            "scaling": {"ref_year": scaling.ref_year, "t_mean": scaling.t_mean, "x_mean": scaling.x_mean, "y_mean": scaling.y_mean, "y_sd": scaling.y_sd},
        }
    )
    with staged_dir(Path(runs_dir) / run_id) as stage:
        say("sampling (compile, warm-up, draws)")
        dt = fit(data, priors, config, key=jax.random.key(seed))
        manifest["chain_method_effective"] = dt.attrs["chain_method"]
        dt.attrs.update({"run_id": run_id, "ref_year": scaling.ref_year, "seed": seed})
        say("diagnostics")
        gate = check_convergence(dt, max_tree_depth=config.max_tree_depth)
        say("writing")
        dt.to_netcdf(stage / "posterior.nc")
        gate.table.to_csv(stage / "summary.csv")
        table = doubling_table(dt)
        table.to_csv(stage / "doubling_times.csv")
        manifest["convergence"] = {
            "passed": gate.passed,
            "failures": gate.failures,
            "divergences": gate.divergences,
            "treedepth_share": gate.treedepth_share,
            "bfmi": gate.bfmi,
        }
        manifest = finish_manifest(manifest, "FINISHED" if gate.passed else "UNCONVERGED")
        write_json(stage / MANIFEST, manifest)
    return FitResult(Path(runs_dir) / run_id, table, gate.failures, manifest)


def load_posterior(run_dir: Path):
    """Open ``posterior.nc`` of a run as a DataTree (loaded into memory)."""
    import arviz as az

    path = Path(run_dir) / "posterior.nc"
    if not path.is_file():
        raise ForecastInputError(f"{run_dir}: no posterior.nc", "pass a run written by 'forecast fit'")
    dt = az.from_netcdf(path)
    loaded = dt.load()
    dt.close()
    return loaded


@dataclass(frozen=True)
class DiagnoseResult:
    """Outcome of :func:`diagnose_run`."""

    table: pd.DataFrame
    failures: list[str]
    plots: list[Path]
    divergences: int
    bfmi: list[float]


def diagnose_run(run_dir: Path, *, plots: bool = True) -> DiagnoseResult:
    """Recompute the convergence gate of a run and (optionally) write diagnostic PNGs.

    Plots go to ``<run>/diagnostics/`` (trace, rank, posterior predictive), written to a staging
    directory and renamed, so a failure leaves the run as it was.
    """
    from forecast.infer import check_convergence

    manifest = read_manifest(run_dir)
    dt = load_posterior(run_dir)
    depth = manifest.get("sampler", {}).get("max_tree_depth", 10)
    gate = check_convergence(dt, max_tree_depth=depth)
    written: list[Path] = []
    if plots:
        from forecast.plots import diagnostic_plots

        target = Path(run_dir) / "diagnostics"
        if target.exists():
            import shutil

            shutil.rmtree(target)
        with staged_dir(target) as stage:
            names = diagnostic_plots(dt, stage)
        written = [target / n for n in names]
    return DiagnoseResult(gate.table, gate.failures, written, gate.divergences, gate.bfmi)


def dumps(obj) -> str:
    """JSON for the terminal."""
    return json.dumps(obj, indent=2, default=str)
