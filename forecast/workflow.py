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
MAIN_SCENARIOS = ("trend", "conservative", "central", "explosive")
#: Years of the labour-outcome table the main job shows.
MAIN_MACRO_YEARS = (2025, 2030, 2035, 2040)
Progress = Callable[[str], None] | None


def _say(progress: Progress) -> Callable[[str], None]:
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

    say = _say(progress)
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
class SimulateResult:
    """What :func:`simulate_run` produced: one result DataTree and output dir per scenario."""

    results: dict
    out_dirs: dict
    automation: object
    posterior: object


def simulate_run(
    run_dir: Path,
    *,
    scenarios,
    paths: int,
    until_year: int,
    seed: int,
    chunk_size: int = 100_000,
    scenarios_path: Path | None = None,
    automation_path: Path | None = None,
    allow_unconverged: bool = False,
    base_year: int = 2022,
    region: str | None = None,
    lag_years: int | None = None,
    dtype: str | None = None,
    progress: Progress = None,
) -> SimulateResult:
    """Carry a fitted posterior through the Monte Carlo engine for one or more scenarios.

    Outputs go to ``<run>/simulations/<scenario>/`` (NetCDF + CSV + manifest), each swapped in
    only when complete. All scenarios share the simulation key (common random numbers), so
    differences between scenarios are not Monte Carlo noise.

    Parameters
    ----------
    run_dir
        A fit run directory.
    scenarios
        Scenario names from the scenario file.
    paths, until_year, chunk_size, base_year, dtype
        Engine settings (:func:`forecast.simulate.simulate`).
    seed
        Root seed: the automation calibration uses ``fold_in(key, 0)``, the engine ``fold_in(key, 1)``,
        adoption ``fold_in(key, 2)`` and the macro priors ``fold_in(key, 3)``.
    scenarios_path, automation_path
        Optional TOML files; defaults are the packaged ``scenarios.toml`` and ``automation.toml``.
    allow_unconverged
        Use a posterior that failed the convergence gate.
    region
        ``"NL"``, ``"EU"`` or ``"US"`` adds the adoption and labour-market layer (occupation weights
        are US/BLS for every region, as the outputs say).
    lag_years
        Adoption lag for realised automation (default from ``priors/macro.toml``).

    Under ``jax.distributed`` (several processes), every process simulates its share of the
    paths and only process 0 writes the outputs.
    """
    from forecast import automation as auto_mod
    from forecast.scenarios import load_scenario

    say = _say(progress)
    if paths < 1:
        raise ForecastInputError(f"--paths {paths}: must be at least 1", "pass --paths 100000, say")
    if until_year <= base_year:
        raise ForecastInputError(
            f"--until {until_year}: must be after the base year {base_year}", f"pass --until {base_year + 8} or later"
        )
    if until_year > 2100:
        raise ForecastInputError(
            f"--until {until_year}: beyond 2100, where the trend model means nothing", "pass --until 2100 or earlier"
        )
    # Validate every config before touching JAX or the posterior.
    named = [load_scenario(name, scenarios_path) for name in scenarios]
    auto_priors = auto_mod.load_automation_priors(automation_path)
    occupations = auto_mod.load_occupations()
    macro_setup = _macro_setup(region) if region is not None else None
    check_fit_run(run_dir, allow_unconverged)

    import jax

    from forecast import simulate as sim_mod
    from forecast.summaries import write_outputs

    root = jax.random.key(seed)
    dt = load_posterior(run_dir)
    say("calibrating automation thresholds")
    automation = auto_mod.calibrate(occupations, auto_priors, key=jax.random.fold_in(root, 0))
    macro = None
    if macro_setup is not None:
        say(f"fitting adoption ({region})")
        macro = macro_setup(root, occupations, lag_years)
    results, out_dirs = {}, {}
    for scenario in named:
        say(f"simulating {scenario.name}: {paths:,} paths to {until_year}")
        result = sim_mod.simulate(
            dt,
            scenario,
            automation,
            paths=paths,
            until_year=until_year,
            key=jax.random.fold_in(root, 1),
            chunk_size=chunk_size,
            base_year=base_year,
            macro=macro,
            dtype=dtype,
        )
        results[scenario.name] = result
        if jax.process_index() != 0:
            continue
        target = Path(run_dir) / "simulations" / scenario.name
        with atomic_dir(target, replace=True) as stage:
            write_outputs(result, stage)
            config = {
                "paths": paths,
                "until_year": until_year,
                "base_year": base_year,
                "chunk_size": chunk_size,
                "scenario": scenario.name,
                "region": region,
                "lag_years": lag_years,
                "dtype": dtype,
            }
            RunManifest.start(
                "simulate",
                f"{Path(run_dir).name}/{scenario.name}",
                seed=seed,
                config=config,
                priors={"scenarios": FileRecord(path=scenario.source, sha256=scenario.source_sha256)},
            ).finish(results=dict(result.attrs)).write(stage)
        out_dirs[scenario.name] = target
    return SimulateResult(results, out_dirs, automation, dt)


def _macro_setup(region: str):
    """Validate the adoption and macro inputs of ``region`` now; return the function that fits them later."""
    from forecast import adoption as adopt_mod
    from forecast import macro as macro_mod

    if region not in adopt_mod.REGION_UNITS:
        raise ForecastInputError(f"--region {region}: unknown", f"use one of {', '.join(adopt_mod.REGION_UNITS)}")
    adoption_priors = adopt_mod.load_adoption_priors()
    macro_priors = macro_mod.load_macro_priors()
    adoption_table = adopt_mod.load_adoption()

    def fit(root, occupations, lag_years):
        import jax

        adoption_post = adopt_mod.fit_adoption(adoption_table, adoption_priors, key=jax.random.fold_in(root, 2))
        return macro_mod.prepare_macro(
            region,
            adoption_post,
            macro_priors,
            occupations,
            key=jax.random.fold_in(root, 3),
            lag_years=lag_years,
            priors_path=macro_mod.DEFAULT_PRIORS,
        )

    return fit


def seeds_run(
    run_dir: Path,
    *,
    paths: int,
    seed: int,
    chunk_size: int = 100_000,
    allow_unconverged: bool = False,
    progress: Progress = None,
):
    """The published-figures table for a fit run; also written to ``<run>/seeds.csv``.

    Returns
    -------
    (pandas.DataFrame, SimulateResult)
    """
    from forecast.seeds import seeds_table

    sim = simulate_run(
        run_dir,
        scenarios=MAIN_SCENARIOS,
        paths=paths,
        until_year=2030,
        seed=seed,
        chunk_size=chunk_size,
        allow_unconverged=allow_unconverged,
        progress=progress,
    )
    table = seeds_table(sim.posterior, sim.results, sim.automation)
    atomic_write_csv(Path(run_dir) / "seeds.csv", table)
    return table, sim


@dataclass(frozen=True)
class MainResult:
    """What the main job produced."""

    fit: FitResult
    diagnosis: DiagnoseResult
    simulation: SimulateResult
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
    say = _say(progress)
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
    )
    say("published-figures table and report")
    from forecast.report import build_report, screenshot
    from forecast.seeds import seeds_table
    from forecast.summaries import macro_table

    seeds = seeds_table(sim.posterior, sim.results, sim.automation)
    atomic_write_csv(fit.run_dir / "seeds.csv", seeds)
    macro = macro_table(sim.results["central"])
    macro = macro[macro["year"].isin(MAIN_MACRO_YEARS)]
    report = build_report(
        fit.run_dir,
        posterior=sim.posterior,
        simulations=sim.results,
        seeds=seeds,
        verdict=diagnosis.verdict,
        manifest=fit.manifest,
        diagnostic_pngs=diagnosis.plots,
        extra_tables={f"Adoption and labour outcomes ({region}, central scenario)": macro},
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
    "MAIN_SCENARIOS",
    "MainResult",
    "SimulateResult",
    "check_fit_run",
    "diagnose_run",
    "doubling_table",
    "fit_run",
    "load_posterior",
    "main_run",
    "posterior_config",
    "predict_run",
    "seeds_run",
    "simulate_run",
]
