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


#: Scenarios the main job and ``forecast seeds`` simulate.
MAIN_SCENARIOS = ("trend", "conservative", "central", "explosive")


@dataclass(frozen=True)
class SimulateResult:
    """What :func:`simulate_run` produced: one result DataTree and output dir per scenario."""

    results: dict
    out_dirs: dict
    automation: object
    posterior: object


def _check_fit_run(run_dir: Path, allow_unconverged: bool) -> dict:
    manifest = read_manifest(run_dir)
    if manifest.get("kind") != "fit":
        raise ForecastInputError(f"{run_dir}: not a fit run (kind {manifest.get('kind')!r})", "pass a run written by 'forecast fit'")
    if manifest.get("status") == "UNCONVERGED" and not allow_unconverged:
        raise ForecastInputError(
            f"{run_dir}: the posterior failed the convergence gate ({'; '.join(manifest.get('convergence', {}).get('failures', [])[:3])})",
            "refit with more draws, or pass --allow-unconverged to use it anyway",
        )
    if manifest.get("status") not in ("FINISHED", "UNCONVERGED"):
        raise ForecastInputError(f"{run_dir}: run status is {manifest.get('status')!r}", "re-run the fit")
    return manifest


def simulate_run(
    run_dir: Path,
    *,
    scenarios: tuple[str, ...] | list[str],
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
    progress=None,
) -> SimulateResult:
    """Carry a fitted posterior through the Monte Carlo engine for one or more scenarios.

    Outputs go to ``<run>/simulations/<scenario>/`` (NetCDF + CSV + manifest), each written to a
    staging directory and swapped in only when complete. All scenarios share the simulation key
    (common random numbers), so differences between scenarios are not Monte Carlo noise.

    Parameters
    ----------
    run_dir
        A fit run directory.
    scenarios
        Scenario names from the scenario file.
    paths, until_year, chunk_size, base_year
        Engine settings; ``until_year`` must be after ``base_year``.
    seed
        Root seed: the automation calibration uses ``fold_in(key, 0)``, the engine ``fold_in(key, 1)``.
    scenarios_path, automation_path
        Optional TOML files; defaults are ``priors/scenarios.toml`` and ``priors/automation.toml``.
    allow_unconverged
        Use a posterior that failed the convergence gate.
    region
        ``"NL"``, ``"EU"`` or ``"US"`` adds the adoption and labour-market layer (adoption fitted
        to Eurostat; occupation weights are US/BLS for every region, as the outputs say).
    lag_years
        Adoption lag for realised automation (default from ``priors/macro.toml``).
    dtype
        ``"float32"`` or ``"float64"`` path state; default float64 on CPU, float32 on GPU.

    Under ``jax.distributed`` (several processes), every process simulates its share of the
    paths and only process 0 writes the outputs.
    """
    import shutil

    from forecast import automation as auto_mod
    from forecast import simulate as sim_mod

    say = progress or (lambda phase: None)
    if paths < 1:
        raise ForecastInputError(f"--paths {paths}: must be at least 1", "pass --paths 100000, say")
    if until_year <= base_year:
        raise ForecastInputError(f"--until {until_year}: must be after the base year {base_year}", f"pass --until {base_year + 8} or later")
    if until_year > 2100:
        raise ForecastInputError(f"--until {until_year}: beyond 2100, where the trend model means nothing", "pass --until 2100 or earlier")
    # Validate every config before touching JAX or the posterior.
    named = [sim_mod.load_scenario(name, scenarios_path) for name in scenarios]
    auto_priors = auto_mod.load_automation_priors(automation_path)
    occupations = auto_mod.load_occupations()
    if region is not None:
        from forecast import adoption as adopt_mod
        from forecast import macro as macro_mod

        if region not in adopt_mod.REGION_UNITS:
            raise ForecastInputError(f"--region {region}: unknown", f"use one of {', '.join(adopt_mod.REGION_UNITS)}")
        adoption_priors = adopt_mod.load_adoption_priors()
        macro_priors = macro_mod.load_macro_priors()
        adoption_table = adopt_mod.load_adoption()
    _check_fit_run(run_dir, allow_unconverged)

    import jax

    root = jax.random.key(seed)
    dt = load_posterior(run_dir)
    say("calibrating automation thresholds")
    automation = auto_mod.calibrate(occupations, auto_priors, key=jax.random.fold_in(root, 0))
    macro = None
    if region is not None:
        say(f"fitting adoption ({region})")
        adoption_post = adopt_mod.fit_adoption(adoption_table, adoption_priors, key=jax.random.fold_in(root, 2))
        macro = macro_mod.prepare_macro(
            region, adoption_post, macro_priors, occupations, key=jax.random.fold_in(root, 3),
            lag_years=lag_years, priors_path=macro_mod.DEFAULT_PRIORS,
        )
    results, out_dirs = {}, {}
    for scenario in named:
        say(f"simulating {scenario.name}: {paths:,} paths to {until_year}")
        result = sim_mod.simulate(
            dt, scenario, automation, paths=paths, until_year=until_year, key=jax.random.fold_in(root, 1),
            chunk_size=chunk_size, base_year=base_year, macro=macro, dtype=dtype,
        )
        if jax.process_index() != 0:
            results[scenario.name] = result
            continue
        target = Path(run_dir) / "simulations" / scenario.name
        target.parent.mkdir(exist_ok=True)
        aside = target.with_name(f".{scenario.name}.old")
        with staged_dir(target.with_name(f"{scenario.name}.new")) as stage:
            sim_mod.write_outputs(result, stage)
            manifest = base_manifest("simulate", f"{Path(run_dir).name}/{scenario.name}")
            manifest.update(
                {"seed": seed, "paths": paths, "until_year": until_year, "chunk_size": chunk_size, "scenario": scenario.name,
                 "region": region, "lag_years": lag_years,
                 "result_attrs": {k: v for k, v in result.attrs.items()}}
            )
            write_json(stage / MANIFEST, finish_manifest(manifest, "FINISHED"))
        # swap in: old -> aside, new -> target, drop aside (a crash in between leaves a complete copy)
        if target.exists():
            target.rename(aside)
        target.with_name(f"{scenario.name}.new").rename(target)
        shutil.rmtree(aside, ignore_errors=True)
        results[scenario.name], out_dirs[scenario.name] = result, target
    return SimulateResult(results, out_dirs, automation, dt)


def seeds_run(run_dir: Path, *, paths: int, seed: int, chunk_size: int = 100_000, allow_unconverged: bool = False, progress=None):
    """The published-figures table for a fit run; also written to ``<run>/seeds.csv``.

    Returns
    -------
    (pandas.DataFrame, SimulateResult)
    """
    sim = simulate_run(
        run_dir, scenarios=MAIN_SCENARIOS, paths=paths, until_year=2030, seed=seed, chunk_size=chunk_size,
        allow_unconverged=allow_unconverged, progress=progress,
    )
    from forecast import simulate as sim_mod

    table = sim_mod.seeds_table(sim.posterior, sim.results, sim.automation)
    tmp = Path(run_dir) / ".seeds.csv.tmp"
    table.to_csv(tmp, index=False)
    tmp.replace(Path(run_dir) / "seeds.csv")
    return table, sim


def calibrate_run(
    *,
    runs_dir: Path,
    seed: int,
    simulations: int = 1000,
    scale: float = 1.0,
    warmup: int = 500,
    draws: int = 1000,
    thin: int = 10,
    chunk_size: int = 50,
    priors_path: Path | None = None,
    progress=None,
):
    """Simulation-based calibration of the trend model, written to ``runs/sbc-<id>/``.

    Returns
    -------
    (SBCResult, Path)
    """
    from forecast.model import REQUIRED_PRIORS
    from forecast.priors import load_priors

    priors = load_priors(priors_path, required=REQUIRED_PRIORS)
    from forecast.calibrate import SBCConfig, plot_sbc_ecdf, run_sbc

    try:
        config = SBCConfig(simulations=simulations, scale=scale, warmup=warmup, draws=draws, thin=thin, chunk_size=chunk_size)
    except ValueError as exc:
        raise ForecastInputError(f"calibration settings: {exc}", "see 'forecast calibrate --help'") from None
    import jax

    run_id = new_run_id("sbc")
    manifest = base_manifest("sbc", run_id)
    manifest.update({"seed": seed, "config": config.__dict__ if hasattr(config, "__dict__") else str(config),
                     "priors": {"path": priors.path, "sha256": priors.sha256}})
    with staged_dir(Path(runs_dir) / run_id) as stage:
        result = run_sbc(priors, config, key=jax.random.key(seed), progress=progress)
        for name in ("ranks", "pit", "tests", "fits"):
            getattr(result, name).to_csv(stage / f"{name}.csv")
        plot_sbc_ecdf(result, stage / "sbc_ecdf.png", n_simulations=simulations)
        manifest.update({"passed": result.passed, "failures": result.failures, "timing": result.timing,
                         "divergent_share": result.divergent_share, "dropped": result.dropped})
        write_json(stage / MANIFEST, finish_manifest(manifest, "FINISHED"))
    return result, Path(runs_dir) / run_id


def backtest_run(
    *,
    runs_dir: Path,
    seed: int,
    origins: range,
    horizons: tuple[int, ...],
    chains: int = 2,
    draws: int = 500,
    warmup: int = 500,
    data_path: Path | None = None,
    priors_path: Path | None = None,
    progress=None,
):
    """Rolling-origin backtest against OLS extrapolation, written to ``runs/backtest-<id>/``.

    Returns
    -------
    (BacktestResult, Path)
    """
    if len(origins) == 0 or min(origins) < 2012 or max(origins) > 2025:
        raise ForecastInputError(f"--origins {origins.start}:{origins.stop - 1}: must lie in 2012..2025", "pass e.g. --origins 2016:2023")
    if not horizons or min(horizons) < 1 or max(horizons) > 10:
        raise ForecastInputError(f"--horizons {horizons}: must lie in 1..10 years", "pass e.g. --horizons 1:3")
    from forecast.infer import SamplerConfig

    try:
        sampler = SamplerConfig(chains=chains, draws=draws, warmup=warmup)
    except ValueError as exc:
        raise ForecastInputError(f"sampler settings: {exc}", "see 'forecast backtest --help'") from None
    import jax

    from forecast.backtest import backtest, plot_backtest

    run_id = new_run_id("backtest")
    manifest = base_manifest("backtest", run_id)
    manifest.update({"seed": seed, "origins": list(origins), "horizons": list(horizons), "sampler": sampler.to_dict()})
    with staged_dir(Path(runs_dir) / run_id) as stage:
        result = backtest(data_path, origins, horizons, key=jax.random.key(seed), priors_path=priors_path,
                          sampler=sampler, progress=progress)
        result.scores.to_csv(stage / "scores.csv", index=False)
        result.summary(by=("series",)).to_csv(stage / "summary_series.csv", index=False)
        result.summary(by=("series", "horizon")).to_csv(stage / "summary_series_horizon.csv", index=False)
        plot_backtest(result, stage / "backtest.png")
        write_json(stage / MANIFEST, finish_manifest(manifest, "FINISHED"))
    return result, Path(runs_dir) / run_id


def predict_run(run_dir: Path, *, dates: list[str], seed: int, series: tuple[str, ...] = ("compute", "spending")):
    """Predictive quantiles of frontier log10 compute / cost for release dates, from a fit run."""
    import pandas as pd

    try:
        parsed = pd.to_datetime(pd.Series(dates), format="%Y-%m-%d")
    except ValueError:
        raise ForecastInputError(f"--dates {','.join(dates)}: not ISO dates (YYYY-MM-DD)", "use ISO dates like 2026-01-01,2027-06-30") from None
    if ((parsed.dt.year < 2000) | (parsed.dt.year > 2100)).any():
        raise ForecastInputError(f"--dates {','.join(dates)}: outside 2000..2100", "pass release dates between 2000 and 2100")
    manifest = _check_fit_run(run_dir, allow_unconverged=True)
    from forecast.data import FrontierRule, load_data, truncate
    from forecast.model import REQUIRED_PRIORS, model_data
    from forecast.priors import load_priors

    priors = load_priors(manifest["priors"]["path"], required=REQUIRED_PRIORS)
    data_meta = manifest.get("data", {})
    data_path = data_meta.get("path")
    data_path = None if data_path in (None, "packaged extract") else Path(data_path)
    rule = FrontierRule.from_dict(data_meta["frontier_rule"]) if "frontier_rule" in data_meta else FrontierRule()
    frames = load_data(data_path, rule=rule)
    if data_meta.get("as_of") is not None:
        frames = truncate(frames, data_meta["as_of"])
    data, _ = model_data(frames)
    import jax

    from forecast.backtest import predict

    return predict(load_posterior(run_dir), list(parsed.dt.strftime("%Y-%m-%d")), priors, data,
                   key=jax.random.key(seed), series=series)
