"""Projection jobs: carry a fit run's posterior through the automation model and the Monte Carlo
engine for named scenarios (``forecast simulate``), and the published-figures table
(``forecast seeds``). Outputs go into the fit run's directory, each swapped in whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from forecast.errors import ForecastInputError
from forecast.manifest import FileRecord, RunManifest
from forecast.runs import atomic_dir, atomic_write_csv
from forecast.workflow import MAIN_SCENARIOS, Progress, check_fit_run, load_posterior, progress_callback


@dataclass(frozen=True)
class SimulateResult:
    """What :func:`simulate_run` produced: one result DataTree and output dir per scenario."""

    results: dict
    out_dirs: dict
    automation: object
    posterior: object
    automation_fit: object = None
    labour_checks: object = None  # forecast.backcast.LabourChecks (with a region)
    sensitivity: object = None  # pandas.DataFrame of Sobol indices (forecast.sensitivity), when asked for


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
    lag_years: float | None = None,
    dtype: str | None = None,
    progress: Progress = None,
    sensitivity_n: int | None = None,
    forms_dir: Path | None = None,
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
        Root seed: the automation model's fit uses ``fold_in(key, 0)``, the engine ``fold_in(key, 1)``,
        adoption ``fold_in(key, 2)``, the macro priors ``fold_in(key, 3)``, the automation
        evidence check ``fold_in(key, 4)`` and the labour backcast ``fold_in(key, 5)``.
    scenarios_path, automation_path
        Optional TOML files; defaults are the packaged ``scenarios.toml`` and ``automation.toml``.
    allow_unconverged
        Use a posterior that failed the convergence gate.
    region
        ``"NL"``, ``"EU"`` or ``"US"`` adds the adoption and labour-market layer (occupation weights
        are US/BLS for every region, as the outputs say).
    lag_years
        Fixes the adoption lag of realised automation (default: its prior in ``priors/macro.toml``).
    sensitivity_n
        Rows of the Sobol design (:func:`forecast.sensitivity.structural_sensitivity`, key
        ``fold_in(key, 6)``) for the first forecast scenario; ``None``: no sensitivity table.
        Written to ``<run>/simulations/sensitivity/``.
    forms_dir
        A forms directory (``forecast forms``, :func:`forecast.mixture.fit_forms`): the engine then
        runs the stacked mixture of growth forms (:func:`forecast.mixture.mixture_trend`, key
        ``fold_in(key, 7)``) instead of the run's constant-form posterior, and writes to
        ``<run>/simulations/<scenario>-mixture/``; ``allow_unconverged`` also admits forms that
        failed their convergence gate. The automation model, the labour backcast and the
        sensitivity table stay on the run's posterior.

    Under ``jax.distributed`` (several processes), every process simulates its share of the
    paths and only process 0 writes the outputs.
    """
    from forecast import automation as auto_mod
    from forecast.occupations import load_occupations
    from forecast.scenarios import load_scenario
    from forecast.tasks import load_task_evidence

    say = progress_callback(progress)
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
    occupations = load_occupations()
    evidence = load_task_evidence(groups=list(occupations["group"]))
    macro_setup = _macro_setup(region) if region is not None else None
    check_fit_run(run_dir, allow_unconverged)
    forms = None
    if forms_dir is not None:
        from forecast.mixture import forms_record, load_forms

        # read (and check) the forms directory once, before any work
        forms = load_forms(forms_dir, allow_unconverged=allow_unconverged)
        forms_attrs = forms_record(forms_dir)

    import jax

    from forecast import simulate as sim_mod
    from forecast.posterior import trend_draws
    from forecast.summaries import write_outputs

    root = jax.random.key(seed)
    dt = load_posterior(run_dir)
    say("fitting task requirements (automation model)")
    automation_fit = automation_run(run_dir, occupations, evidence, auto_priors, trend_draws(dt), seed=seed)
    automation = automation_fit.posterior
    macro = macro_by_region = None
    if macro_setup is not None:
        say(f"fitting adoption ({region})")
        macro_by_region = macro_setup(root, occupations, lag_years)
        macro = macro_by_region[region]
    engine_trend, suffix = dt, ""
    if forms is not None:
        from forecast.mixture import MIXTURE_DRAWS, mixture_trend

        say(f"stacking the growth forms of {forms_dir}")
        engine_trend = mixture_trend(forms, trend_draws(dt), MIXTURE_DRAWS, key=jax.random.fold_in(root, 7))
        suffix = "-mixture"
    results, out_dirs = {}, {}
    for scenario in named:
        say(f"simulating {scenario.name}: {paths:,} paths to {until_year}")
        result = sim_mod.simulate(
            engine_trend,
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
        if forms is not None:
            result.attrs.update(forms_attrs)
        results[scenario.name] = result
        if jax.process_index() != 0:
            continue
        target = Path(run_dir) / "simulations" / f"{scenario.name}{suffix}"
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
                "forms_dir": str(forms_dir) if forms_dir is not None else None,
            }
            RunManifest.start(
                "simulate",
                f"{Path(run_dir).name}/{scenario.name}",
                seed=seed,
                config=config,
                priors={"scenarios": FileRecord(path=scenario.source, sha256=scenario.source_sha256)},
            ).finish(results=dict(result.attrs)).write(stage)
        out_dirs[scenario.name] = target
    checks = None
    if macro_by_region is not None:
        from forecast.backcast import labour_checks

        say("backcast of the labour layer against observations")
        checks = labour_checks(trend_draws(dt), automation, macro_by_region, region, key=jax.random.fold_in(root, 5))
        if jax.process_index() == 0:
            with atomic_dir(Path(run_dir) / "simulations" / "labour_checks", replace=True) as stage:
                checks.write(stage)
    sensitivity = None
    forecasts = [sc for sc in named if sc.kind == "forecast"]
    if sensitivity_n and forecasts:
        from forecast.sensitivity import structural_sensitivity
        from forecast.structural import load_structural_priors

        say(f"global sensitivity of the {forecasts[0].name} forecast ({sensitivity_n:,} Sobol rows)")
        sensitivity = structural_sensitivity(
            trend_draws(dt),
            automation,
            forecasts[0],
            load_structural_priors(),
            jax.random.fold_in(root, 6),
            sensitivity_n,
            horizon=max(until_year, 2060),
        )
        sensitivity.attrs["scenario"] = forecasts[0].name
        if jax.process_index() == 0:
            with atomic_dir(Path(run_dir) / "simulations" / "sensitivity", replace=True) as stage:
                sensitivity.to_csv(stage / "sensitivity.csv")
    return SimulateResult(results, out_dirs, automation, dt, automation_fit, checks, sensitivity)


def automation_run(run_dir: Path, occupations, evidence, priors, trend, *, seed: int):
    """The automation model's fit for a fit run: reused from ``<run>/automation/`` when its inputs match.

    The fit depends on the automation priors, the task evidence, the occupation table, the trend's
    2023 -> 2025 effective-compute growth and the seed (``fold_in(seed, 0)``); a fingerprint of them
    is kept in the manifest, so a second ``simulate`` of the same run does not refit.
    """
    import hashlib

    import jax

    from forecast import automation as auto_mod
    from forecast.config import file_sha256
    from forecast.occupations import DEFAULT_OCCUPATIONS
    from forecast.tasks import DEFAULT_TASK_EVIDENCE

    growth = auto_mod.growth_label_to_use(trend, priors.settings)
    parts = [priors.sha256, file_sha256(DEFAULT_TASK_EVIDENCE), file_sha256(DEFAULT_OCCUPATIONS), repr(growth), seed]
    fingerprint = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    target = Path(run_dir) / "automation"
    if (target / "posterior.nc").is_file():
        try:
            cached = RunManifest.read(target)
        except ForecastInputError:
            cached = None
        if cached is not None and cached.config.get("fingerprint") == fingerprint:
            import arviz as az

            dt = az.from_netcdf(target / "posterior.nc").load()
            return auto_mod.fit_from_datatree(dt, occupations, evidence, priors)
    from forecast.automation_checks import label_check

    root = jax.random.key(seed)
    fit = auto_mod.calibrate(occupations, evidence, priors, trend, key=jax.random.fold_in(root, 0))
    if jax.process_index() == 0:
        checks = label_check(fit, occupations, evidence, priors, key=jax.random.fold_in(root, 4))
        with atomic_dir(target, replace=True) as stage:
            fit.datatree.to_netcdf(stage / "posterior.nc")
            fit.verdict.table.to_csv(stage / "summary.csv")
            checks.to_csv(stage / "label_check.csv", index=False)
            config = {
                "fingerprint": fingerprint,
                "inference": priors.settings.inference.model_dump(),
                "growth_label_to_use": list(growth),
            }
            RunManifest.start(
                "fit",
                f"{Path(run_dir).name}/automation",
                seed=seed,
                config=config,
                priors={"automation": FileRecord(path=priors.path, sha256=priors.sha256)},
            ).finish("FINISHED" if fit.verdict.passed else "UNCONVERGED", convergence=fit.verdict).write(stage)
    return fit


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
        """Macro inputs of every region (the backcast needs all three), sharing their prior draws."""
        import jax

        adoption_post = adopt_mod.fit_adoption(adoption_table, adoption_priors, key=jax.random.fold_in(root, 2))
        return {
            r: macro_mod.prepare_macro(
                r,
                adoption_post,
                macro_priors,
                occupations,
                key=jax.random.fold_in(root, 3),
                lag_years=lag_years,
                priors_path=macro_mod.DEFAULT_PRIORS,
            )
            for r in macro_mod.REGIONS
        }

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


__all__ = ["SimulateResult", "automation_run", "seeds_run", "simulate_run"]
