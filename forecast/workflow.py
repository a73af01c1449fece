"""Library-level jobs behind the CLI: fit, diagnose, simulate, the published-figures table and
the main job (:func:`main_run`), plus prediction from a fit.

Each job validates every input before any computation, writes its run directory atomically
(:func:`forecast.runs.atomic_dir`), records a typed :class:`~forecast.manifest.RunManifest` and
returns plain Python objects; :mod:`forecast.cli` only parses arguments and prints.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecast.errors import ForecastInputError, checked_settings
from forecast.gate import ConvergenceVerdict
from forecast.manifest import FileRecord, RunManifest
from forecast.reference import PUBLISHED_DOUBLING_MONTHS
from forecast.runs import atomic_dir, atomic_write_csv, new_run_id

#: Scenarios the main job and ``forecast seeds`` simulate.
#: The main job's scenarios: the trend line, the three reference scenarios (imposed, not forecast)
#: and the structural forecast with its two named conditions.
MAIN_SCENARIOS = ("trend", "conservative", "central", "explosive", "structural", "caps_bind_early", "feedback")
#: The scenario whose fan, group shares and labour outcomes the main job prints: the forecast.
MAIN_FORECAST = "structural"
#: Rows of the Sobol design of the main job's sensitivity table (11 x this many kernel paths).
MAIN_SENSITIVITY_N = 4096
#: Years of the labour-outcome table the main job shows.
MAIN_MACRO_YEARS = (2025, 2030, 2035, 2040)
Progress = Callable[[str], None] | None


def progress_callback(progress: Progress) -> Callable[[str], None]:
    """``progress`` itself, or a callback that ignores the phases when there is none."""
    return progress or (lambda phase: None)


def doubling_table(dt) -> pd.DataFrame:
    """Posterior median and 90% interval of each doubling time (months) and growth (OOM/yr)."""
    post = dt["posterior"]
    rows = []
    for comp in post["doubling_months"]["component"].values:
        months = pd.Series(post["doubling_months"].sel(component=comp).values.ravel()).quantile([0.05, 0.5, 0.95])
        growth = pd.Series(post["growth"].sel(component=comp).values.ravel()).quantile([0.05, 0.5, 0.95])
        rows.append(
            {
                "component": str(comp),
                "doubling_months_median": months.iloc[1],
                "doubling_months_q05": months.iloc[0],
                "doubling_months_q95": months.iloc[2],
                "growth_oom_per_year_median": growth.iloc[1],
                "growth_oom_per_year_q05": growth.iloc[0],
                "growth_oom_per_year_q95": growth.iloc[2],
                "published_months": PUBLISHED_DOUBLING_MONTHS.get(str(comp)),
            }
        )
    return pd.DataFrame(rows).set_index("component")


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit_run` produced."""

    run_dir: Path
    doubling: pd.DataFrame
    verdict: ConvergenceVerdict
    manifest: RunManifest


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
    target_accept: float | None = None,
    chain_method: str = "auto",
    as_of: float | None = None,
    progress: Progress = None,
) -> FitResult:
    """Load data and priors, fit the trend model and write ``runs/<run-id>/``.

    Parameters
    ----------
    data_path
        ``None`` for the packaged extract, a directory laid out like ``../shared/data``, or an
        extract CSV.
    priors_path
        ``None`` for the packaged ``priors/trends.toml``.
    chains, draws, warmup, seed, target_accept, chain_method
        Sampler settings (``target_accept=None``: :class:`~forecast.infer.SamplerConfig`'s
        default); ``seed`` is the root of every PRNG key in the run.
    runs_dir, run_id
        Where to write; the id defaults to a fresh timestamped one.
    frontier_method
        Frontier-model selection rule (recorded in the manifest).
    as_of
        Optional decimal year: fit only on data dated up to it (backtests).
    progress
        Optional callable ``progress(phase)`` for the CLI's spinner.

    Returns
    -------
    FitResult
        Written files: ``posterior.nc`` (its root attrs carry the run's configuration, so the
        file describes itself), ``summary.csv``, ``doubling_times.csv``, ``manifest.json``.
    """
    from forecast.data import FrontierRule, load_data, truncate
    from forecast.infer import SamplerConfig
    from forecast.model import load_trend_priors

    say = progress_callback(progress)
    say("validating priors")
    priors = load_trend_priors(priors_path)
    config = checked_settings(
        SamplerConfig,
        "fit",
        chains=chains,
        draws=draws,
        warmup=warmup,
        **({} if target_accept is None else {"target_accept": target_accept}),
        chain_method=chain_method,
    )
    say("loading data")
    frames = load_data(data_path, rule=FrontierRule(method=frontier_method))
    if as_of is not None:
        frames = truncate(frames, as_of)

    import jax

    from forecast.gate import check_convergence
    from forecast.infer import GATED_VARS, fit
    from forecast.model import model_data

    data, scaling = model_data(frames)
    run_id = run_id or new_run_id("fit")
    run_config = {
        "sampler": config.to_dict(),
        "priors_specs": priors.to_dict(),
        "scaling": {
            "ref_year": scaling.ref_year,
            "t_mean": scaling.t_mean,
            "x_mean": scaling.x_mean,
            "y_mean": scaling.y_mean,
            "y_sd": scaling.y_sd,
        },
    }
    data_record = {**frames.meta, "path": str(data_path) if data_path else "packaged extract", "as_of": as_of}
    manifest = RunManifest.start(
        "fit",
        run_id,
        seed=seed,
        config=run_config,
        data=data_record,
        priors={"trends": FileRecord(path=priors.path, sha256=priors.sha256)},
    )
    with atomic_dir(Path(runs_dir) / run_id) as stage:
        say("sampling (compile, warm-up, draws)")
        dt = fit(data, priors, config, key=jax.random.key(seed))
        dt.attrs.update(
            {
                "run_id": run_id,
                "ref_year": scaling.ref_year,
                "seed": seed,
                "run_config": json.dumps(
                    {
                        **run_config,
                        "seed": seed,
                        "priors_path": priors.path,
                        "priors_sha256": priors.sha256,
                        "data": data_record,
                    },
                    default=str,
                ),
            }
        )
        say("diagnostics")
        verdict = check_convergence(dt, GATED_VARS, max_tree_depth=config.max_tree_depth)
        say("writing")
        dt.to_netcdf(stage / "posterior.nc")
        verdict.table.to_csv(stage / "summary.csv")
        table = doubling_table(dt)
        table.to_csv(stage / "doubling_times.csv")
        manifest = manifest.finish(
            "FINISHED" if verdict.passed else "UNCONVERGED", convergence=verdict, chain_method=dt.attrs["chain_method"]
        )
        manifest.write(stage)
    return FitResult(Path(runs_dir) / run_id, table, verdict, manifest)


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


def posterior_config(dt) -> dict:
    """The configuration a posterior file carries in its root attrs (seed, sampler, priors, data)."""
    if "run_config" not in dt.attrs:
        raise ForecastInputError("posterior.nc: no 'run_config' attribute", "refit with this version of forecast")
    return json.loads(dt.attrs["run_config"])


@dataclass(frozen=True)
class DiagnoseResult:
    """Outcome of :func:`diagnose_run`: the verdict (with its table) and the plots written."""

    verdict: ConvergenceVerdict
    plots: list[Path]


def diagnose_run(run_dir: Path, *, plots: bool = True) -> DiagnoseResult:
    """Recompute the convergence gate of a run and (optionally) write diagnostic PNGs.

    Plots go to ``<run>/diagnostics/``, swapped in whole only when every plot is written.
    """
    from forecast.gate import check_convergence
    from forecast.infer import GATED_VARS

    manifest = RunManifest.read(run_dir)
    dt = load_posterior(run_dir)
    verdict = check_convergence(
        dt, GATED_VARS, max_tree_depth=manifest.config.get("sampler", {}).get("max_tree_depth", 10)
    )
    written: list[Path] = []
    if plots:
        from forecast.plots import diagnostic_plots

        target = Path(run_dir) / "diagnostics"
        with atomic_dir(target, replace=True) as stage:
            names = diagnostic_plots(dt, stage)
        written = [target / n for n in names]
    return DiagnoseResult(verdict, written)


def check_fit_run(run_dir: Path, allow_unconverged: bool) -> RunManifest:
    """The manifest of a finished fit run; an input error for anything else or an unconverged fit."""
    manifest = RunManifest.read(run_dir)
    if manifest.kind != "fit":
        raise ForecastInputError(
            f"{run_dir}: not a fit run (kind {manifest.kind!r})", "pass a run written by 'forecast fit'"
        )
    if manifest.status == "UNCONVERGED" and not allow_unconverged:
        reasons = "; ".join(manifest.convergence.failures[:3]) if manifest.convergence else "unknown"
        raise ForecastInputError(
            f"{run_dir}: the posterior failed the convergence gate ({reasons})",
            "refit with more draws, or pass --allow-unconverged to use it anyway",
        )
    if manifest.status not in ("FINISHED", "UNCONVERGED"):
        raise ForecastInputError(f"{run_dir}: run status is {manifest.status!r}", "re-run the fit")
    return manifest


@dataclass(frozen=True)
class MainResult:
    """What the main job produced."""

    fit: FitResult
    diagnosis: DiagnoseResult
    simulation: object  # forecast.projection.SimulateResult
    seeds: pd.DataFrame
    macro: pd.DataFrame
    report: Path
    screenshot: Path | None


def main_run(
    *,
    data_path: Path | None,
    priors_path: Path | None,
    chains: int,
    draws: int,
    warmup: int,
    seed: int,
    paths: int,
    until_year: int,
    region: str,
    scenarios_path: Path | None,
    runs_dir: Path,
    progress: Progress = None,
) -> MainResult:
    """The main job: fit -> diagnose -> simulate the main scenarios -> published figures -> report.

    The fit is used even when it fails the convergence gate (the report says so on top); the
    caller decides the exit code from ``fit.verdict``.
    """
    say = progress_callback(progress)
    fit = fit_run(
        data_path=data_path,
        priors_path=priors_path,
        chains=chains,
        draws=draws,
        warmup=warmup,
        seed=seed,
        runs_dir=runs_dir,
        progress=progress,
    )
    say("diagnostics and plots")
    diagnosis = diagnose_run(fit.run_dir, plots=True)
    from forecast.projection import simulate_run

    sim = simulate_run(
        fit.run_dir,
        scenarios=MAIN_SCENARIOS,
        paths=paths,
        until_year=until_year,
        seed=seed,
        scenarios_path=scenarios_path,
        allow_unconverged=True,
        region=region,
        progress=progress,
        sensitivity_n=MAIN_SENSITIVITY_N,
    )
    say("published-figures table and report")
    from forecast.report import build_report, screenshot
    from forecast.seeds import seeds_table
    from forecast.summaries import macro_table

    seeds = seeds_table(sim.posterior, sim.results, sim.automation)
    atomic_write_csv(fit.run_dir / "seeds.csv", seeds)
    macro = macro_table(sim.results[MAIN_FORECAST])
    macro = macro[macro["year"].isin(MAIN_MACRO_YEARS)]
    checks = pd.read_csv(fit.run_dir / "automation" / "label_check.csv", dtype={"group": "str"})
    report = build_report(
        fit.run_dir,
        automation_checks=checks,
        automation_verdict=sim.automation_fit.verdict,
        labour_checks=sim.labour_checks,
        posterior=sim.posterior,
        simulations=sim.results,
        seeds=seeds,
        verdict=diagnosis.verdict,
        manifest=fit.manifest,
        diagnostic_pngs=diagnosis.plots,
        sensitivity=sim.sensitivity,
        extra_tables={f"Adoption and labour outcomes ({region}, {MAIN_FORECAST} forecast)": macro},
    )
    say("screenshot of the report")
    return MainResult(fit, diagnosis, sim, seeds, macro, report, screenshot(report))


def predict_run(run_dir: Path, *, dates: list[str], seed: int, series: tuple[str, ...] = ("compute", "spending")):
    """Predictive quantiles of frontier log10 compute / cost for release dates, from a fit run.

    The data and priors are those the posterior file records it was fitted to.
    """
    try:
        parsed = pd.to_datetime(pd.Series(dates), format="%Y-%m-%d")
    except ValueError:
        raise ForecastInputError(
            f"--dates {','.join(dates)}: not ISO dates (YYYY-MM-DD)", "use ISO dates like 2026-01-01,2027-06-30"
        ) from None
    if ((parsed.dt.year < 2000) | (parsed.dt.year > 2100)).any():
        raise ForecastInputError(
            f"--dates {','.join(dates)}: outside 2000..2100", "pass release dates between 2000 and 2100"
        )
    check_fit_run(run_dir, allow_unconverged=True)
    from forecast.data import FrontierRule, load_data, truncate
    from forecast.model import load_trend_priors, model_data

    dt = load_posterior(run_dir)
    config = posterior_config(dt)
    priors = load_trend_priors(config["priors_path"])
    data_meta = config["data"]
    data_path = None if data_meta.get("path") in (None, "packaged extract") else Path(data_meta["path"])
    rule = FrontierRule.from_dict(data_meta["frontier_rule"]) if data_meta.get("frontier_rule") else FrontierRule()
    frames = load_data(data_path, rule=rule)
    if data_meta.get("as_of") is not None:
        frames = truncate(frames, data_meta["as_of"])
    data, _ = model_data(frames)
    import jax

    from forecast.backtest import predict

    return predict(dt, list(parsed.dt.strftime("%Y-%m-%d")), priors, data, key=jax.random.key(seed), series=series)


__all__ = [
    "DiagnoseResult",
    "FitResult",
    "MAIN_FORECAST",
    "MAIN_SCENARIOS",
    "MAIN_SENSITIVITY_N",
    "MainResult",
    "check_fit_run",
    "diagnose_run",
    "doubling_table",
    "fit_run",
    "load_posterior",
    "main_run",
    "posterior_config",
    "predict_run",
]
