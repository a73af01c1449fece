"""The ``forecast`` command line: a thin typer shell over :mod:`forecast.workflow`.

Each command parses its options, calls one library job and prints; the printing lives in
:mod:`forecast.console`. Every :class:`~forecast.errors.ForecastInputError` (bad data, config or
arguments) is turned into one ``error: ... -> fix: ...`` line with exit code 2 in one place, the
group's :meth:`_OneLineErrors.main`. JAX is configured here before anything imports it (float64;
CPU devices for parallel chains; ``--device``), so library modules are imported inside the
commands.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from forecast import console as out
from forecast.errors import EXIT_INPUT, EXIT_UNCONVERGED, ForecastInputError


class _OneLineErrors(TyperGroup):
    """The one error handler of every command.

    Click's usage errors (unknown option, bad value) and our own input errors alike become one
    ``error: ... -> fix: ...`` line and exit code 2, where typer would draw a multi-line box.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ForecastInputError as exc:
            if not standalone_mode:
                raise
            out.print_error(exc)
            sys.exit(EXIT_INPUT)
        except typer.TyperException as exc:  # click's ClickException family (typer vendors click)
            if not standalone_mode:
                raise
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help text is already on screen
                sys.exit(exc.exit_code)
            ctx = getattr(exc, "ctx", None)
            path = ctx.command_path if ctx is not None else "forecast"
            message = exc.format_message().strip().rstrip(".").replace("Value error, ", "")
            out.print_error(ForecastInputError(message, f"see '{path} --help'"))
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            out.err.print("[bold red]error:[/] aborted", highlight=False)
            sys.exit(1)
        if not standalone_mode:
            return rv
        # Outside standalone mode typer returns the exit code of a ``typer.Exit`` instead of exiting.
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="Bayesian forecaster of AI compute trends and their consequences for work.",
)
data_app = typer.Typer(no_args_is_help=True, help="Inspect and validate data files.")
app.add_typer(data_app, name="data")
runs_app = typer.Typer(no_args_is_help=True, help="List, show and compare runs.")
app.add_typer(runs_app, name="runs")


class Device(StrEnum):
    auto = "auto"
    cpu = "cpu"
    gpu = "gpu"


class Region(StrEnum):
    NL = "NL"
    EU = "EU"
    US = "US"


class Precision(StrEnum):
    float32 = "float32"
    float64 = "float64"


class FrontierMethod(StrEnum):
    epoch_flag = "epoch_flag"
    top_n = "top_n"


def jax_cache_dir() -> Path:
    """Where compiled XLA programs are kept between runs: ``$XDG_CACHE_HOME/forecast/jax``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "forecast" / "jax"


def configure_jax(device: Device, chains: int | None = None) -> None:
    """Set JAX's platform, precision and CPU device count before JAX initialises.

    ``FORECAST_DISTRIBUTED=1`` joins a multi-process run via ``jax.distributed.initialize()``
    (auto-detected under Slurm / Open MPI; see benchmarks/SCALING.md).
    """
    if device is Device.cpu:
        os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ.setdefault("JAX_ENABLE_X64", "True")
    # Persistent compilation cache: a repeated fit skips ~20 s of XLA compilation on 2 CPU cores.
    # JAX reads the variable at start-up; set it to "" to switch the cache off.
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(jax_cache_dir()))
    if chains and "JAX_NUM_CPU_DEVICES" not in os.environ:
        # Several CPU "devices" let chains run in parallel threads (used only on the CPU backend).
        os.environ["JAX_NUM_CPU_DEVICES"] = str(max(1, min(chains, os.cpu_count() or 1)))
    import jax

    jax.config.update("jax_enable_x64", True)
    if os.environ.get("FORECAST_DISTRIBUTED") == "1":
        jax.distributed.initialize()
    if device is Device.gpu and jax.default_backend() != "gpu":
        raise ForecastInputError(
            f"--device gpu requested but JAX found no GPU (backend '{jax.default_backend()}')",
            "install forecast[cuda] on a CUDA machine, or use --device auto",
        )


DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data", help="Data: upstream directory (like ../shared/data) or extract CSV; default: packaged extract."
    ),
]
PriorsOpt = Annotated[
    Path | None, typer.Option("--priors", help="Trend priors TOML; default: the packaged trends.toml.")
]
ChainsOpt = Annotated[int, typer.Option("--chains", min=1, help="MCMC chains (>= 2 for the convergence gate's R-hat).")]
DrawsOpt = Annotated[int, typer.Option("--draws", min=1, help="Post-warm-up draws per chain.")]
WarmupOpt = Annotated[int, typer.Option("--warmup", min=1, help="Warm-up iterations per chain.")]
SeedOpt = Annotated[int, typer.Option("--seed", envvar="FORECAST_SEED", help="Root PRNG seed (recorded).")]
RunsDirOpt = Annotated[Path, typer.Option("--runs-dir", help="Where run directories go.")]
DeviceOpt = Annotated[Device, typer.Option("--device", case_sensitive=False, help="auto: GPU if present, else CPU.")]
FrontierOpt = Annotated[
    FrontierMethod, typer.Option("--frontier", case_sensitive=False, help="Frontier selection: Epoch's flag or top-10.")
]
RunArg = Annotated[str, typer.Argument(help="Fit run directory, run id, or 'latest'.")]
PathsOpt = Annotated[int, typer.Option("--paths", min=1, help="Monte Carlo paths.")]
UntilOpt = Annotated[int, typer.Option("--until", help="Last simulated year.")]
ChunkOpt = Annotated[
    int, typer.Option("--chunk-size", min=1, help="Paths per device chunk (results do not depend on it).")
]
AllowOpt = Annotated[bool, typer.Option(help="Use a posterior that failed the convergence gate.")]
ScenariosOpt = Annotated[Path | None, typer.Option("--scenarios", help="Scenario TOML.")]
ScenarioNamesOpt = Annotated[
    list[str] | None, typer.Option("--scenario", help="Scenario name(s) from the scenario file; default: trend.")
]
AutomationOpt = Annotated[Path | None, typer.Option("--automation", help="Automation priors TOML.")]
RegionOpt = Annotated[Region, typer.Option("--region", case_sensitive=False, help="Adoption/labour region.")]
OptionalRegionOpt = Annotated[
    Region | None, typer.Option("--region", case_sensitive=False, help="Add adoption and labour outcomes for a region.")
]
LagOpt = Annotated[
    float | None,
    typer.Option("--lag-years", min=0, max=5, help="Fix the adoption lag (years); default: its prior in macro.toml."),
]
DtypeOpt = Annotated[
    Precision | None,
    typer.Option("--dtype", case_sensitive=False, help="Path-state precision; default float64 on CPU, float32 on GPU."),
]


@app.command()
def fit(
    data: DataOpt = None,
    priors: PriorsOpt = None,
    chains: ChainsOpt = 4,
    draws: DrawsOpt = 1000,
    warmup: WarmupOpt = 1000,
    seed: SeedOpt = 0,
    runs_dir: RunsDirOpt = Path("runs"),
    run_id: Annotated[str | None, typer.Option("--run-id", help="Name of the run directory.")] = None,
    frontier: FrontierOpt = FrontierMethod.epoch_flag,
    device: DeviceOpt = Device.auto,
    allow_unconverged: Annotated[bool, typer.Option(help="Exit 0 even if the convergence gate fails.")] = False,
) -> None:
    """Fit the doubling times of spending, hardware FLOP/$, compute and algorithms by NUTS."""
    configure_jax(device, chains)
    from forecast.workflow import fit_run

    result = out.with_spinner(
        fit_run,
        data_path=data,
        priors_path=priors,
        chains=chains,
        draws=draws,
        warmup=warmup,
        seed=seed,
        runs_dir=runs_dir,
        run_id=run_id,
        frontier_method=frontier.value,
    )
    out.print_fit(result)
    if not result.verdict.passed and not allow_unconverged:
        raise typer.Exit(EXIT_UNCONVERGED)


@app.command()
def diagnose(
    run: RunArg,
    runs_dir: RunsDirOpt = Path("runs"),
    plots: Annotated[bool, typer.Option(help="Write trace, rank and PPC plots to <run>/diagnostics/.")] = True,
) -> None:
    """Convergence summary and gate (exit 3 if it fails), with diagnostic plots."""
    from forecast.runs import resolve_run

    run_dir = resolve_run(run, runs_dir)
    configure_jax(Device.cpu)
    from forecast.workflow import diagnose_run

    result = diagnose_run(run_dir, plots=plots)
    out.print_diagnosis(run_dir, result)
    if not result.verdict.passed:
        raise typer.Exit(EXIT_UNCONVERGED)


@data_app.command("validate")
def data_validate(
    path: Annotated[Path, typer.Argument(help="Upstream data directory, an upstream CSV, or an extract CSV.")],
) -> None:
    """Validate a data file or directory; print rows kept and dropped per series."""
    from forecast.validate import validate_path

    out.print_json(validate_path(path))


@app.command()
def run(
    data: DataOpt = None,
    priors: PriorsOpt = None,
    chains: ChainsOpt = 4,
    draws: DrawsOpt = 1000,
    warmup: WarmupOpt = 1000,
    seed: SeedOpt = 0,
    paths: PathsOpt = 100_000,
    until: UntilOpt = 2040,
    region: RegionOpt = Region.NL,
    scenarios_file: ScenariosOpt = None,
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
) -> None:
    """The main job: fit -> diagnose -> simulate the scenarios -> published-figures table -> report.html."""
    configure_jax(device, chains)
    from forecast.workflow import main_run

    result = out.with_spinner(
        main_run,
        data_path=data,
        priors_path=priors,
        chains=chains,
        draws=draws,
        warmup=warmup,
        seed=seed,
        paths=paths,
        until_year=until,
        region=region.value,
        scenarios_path=scenarios_file,
        runs_dir=runs_dir,
    )
    out.print_main(result)
    if not result.diagnosis.verdict.passed:
        raise typer.Exit(EXIT_UNCONVERGED)


@app.command()
def simulate(
    run: RunArg,
    scenario: ScenarioNamesOpt = None,
    paths: PathsOpt = 100_000,
    until: UntilOpt = 2040,
    seed: SeedOpt = 0,
    chunk_size: ChunkOpt = 100_000,
    scenarios_file: ScenariosOpt = None,
    automation_file: AutomationOpt = None,
    region: OptionalRegionOpt = None,
    lag_years: LagOpt = None,
    dtype: DtypeOpt = None,
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
    allow_unconverged: AllowOpt = False,
    forms: Annotated[
        Path | None,
        typer.Option(
            "--forms",
            help="A 'forecast forms' run: simulate the stacked mixture of growth forms instead "
            "(outputs in simulations/<scenario>-mixture/).",
        ),
    ] = None,
) -> None:
    """Carry a fitted posterior through the Monte Carlo engine (GPU if present, else CPU)."""
    from forecast.runs import resolve_run

    run_dir = resolve_run(run, runs_dir)
    configure_jax(device)
    from forecast.projection import simulate_run

    result = out.with_spinner(
        simulate_run,
        run_dir,
        scenarios=scenario or ["trend"],
        paths=paths,
        until_year=until,
        seed=seed,
        chunk_size=chunk_size,
        scenarios_path=scenarios_file,
        automation_path=automation_file,
        allow_unconverged=allow_unconverged,
        region=region.value if region else None,
        lag_years=lag_years,
        dtype=dtype.value if dtype else None,
        forms_dir=resolve_run(forms, runs_dir, kind="forms") if forms is not None else None,
    )
    out.print_simulations(result, macro=region is not None)


@app.command()
def seeds(
    run: RunArg,
    paths: PathsOpt = 100_000,
    seed: SeedOpt = 0,
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
    allow_unconverged: AllowOpt = False,
) -> None:
    """The published reference figures (Dutch advisory request) beside this run's."""
    from forecast.runs import resolve_run

    run_dir = resolve_run(run, runs_dir)
    configure_jax(device)
    from forecast.projection import seeds_run

    table, _ = out.with_spinner(seeds_run, run_dir, paths=paths, seed=seed, allow_unconverged=allow_unconverged)
    out.print_seeds(table)
    out.console.print(f"written: {run_dir / 'seeds.csv'}")


@runs_app.command("list")
def runs_list(runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Runs under the runs directory, newest last."""
    from forecast.runs import list_runs

    out.print_run_list(runs_dir, list_runs(runs_dir))


@runs_app.command("show")
def runs_show(run: RunArg, runs_dir: RunsDirOpt = Path("runs")) -> None:
    """A run's manifest and doubling times."""
    from forecast.runs import resolve_run, show_run

    info = show_run(resolve_run(run, runs_dir))
    out.print_json(info["manifest_summary"])
    if info["doubling"] is not None:
        out.print_doubling(info["doubling"])


@runs_app.command("compare")
def runs_compare(
    first: RunArg, second: Annotated[str, typer.Argument(help="Second run.")], runs_dir: RunsDirOpt = Path("runs")
) -> None:
    """Two runs side by side: doubling times, 2030 probabilities, crossing years."""
    from forecast.runs import compare_runs, resolve_run

    out.print_frame("Run comparison", compare_runs(resolve_run(first, runs_dir), resolve_run(second, runs_dir)))


def _span(text: str, option: str) -> range:
    try:
        a, _, b = text.partition(":")
        lo, hi = int(a), int(b or a)
    except ValueError:
        raise ForecastInputError(f"{option} {text}: not a range", f"write {option} START:END, e.g. 2016:2023") from None
    if hi < lo:
        raise ForecastInputError(f"{option} {text}: end before start", f"write {option} START:END with START <= END")
    return range(lo, hi + 1)


@app.command()
def calibrate(
    simulations: Annotated[
        int, typer.Option("--simulations", min=10, help="SBC simulations (1000 for a full check).")
    ] = 1000,
    scale: Annotated[
        float, typer.Option("--scale", min=0.05, max=1.0, help="Series sizes relative to the real data.")
    ] = 1.0,
    warmup: WarmupOpt = 500,
    draws: DrawsOpt = 1000,
    thin: Annotated[int, typer.Option("--thin", min=1, help="Thinning before ranking (draws/thin ranks).")] = 10,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Fits vmapped together.")] = 50,
    seed: Annotated[
        int | None,
        typer.Option("--seed", envvar="FORECAST_SEED", help="Root seed; default forecast.calibrate.SBC_SEED."),
    ] = None,
    priors: PriorsOpt = None,
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
) -> None:
    """Simulation-based calibration of the trend model (ranks, uniformity tests, ECDF bands)."""
    configure_jax(device)
    from forecast.calibrate import SBC_SEED
    from forecast.checks import calibrate_run

    result, run_dir = out.with_spinner(
        calibrate_run,
        runs_dir=runs_dir,
        seed=SBC_SEED if seed is None else seed,
        simulations=simulations,
        scale=scale,
        warmup=warmup,
        draws=draws,
        thin=thin,
        chunk_size=chunk_size,
        priors_path=priors,
    )
    out.console.print(result.summary())
    out.console.print(f"outputs: {run_dir}")
    if not result.passed:
        out.err.print("[bold red]SBC FAILED[/] " + "; ".join(result.failures[:5]))
        raise typer.Exit(1)


@app.command()
def backtest(
    origins: Annotated[str, typer.Option("--origins", help="Origin years START:END.")] = "2016:2023",
    horizons: Annotated[str, typer.Option("--horizons", help="Horizons in years START:END.")] = "1:3",
    chains: ChainsOpt = 2,
    draws: DrawsOpt = 500,
    warmup: WarmupOpt = 500,
    seed: SeedOpt = 0,
    data: DataOpt = None,
    priors: PriorsOpt = None,
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
) -> None:
    """Rolling-origin backtest of frontier compute, cost and FLOP/$ against OLS extrapolation."""
    origin_range, horizon_range = _span(origins, "--origins"), tuple(_span(horizons, "--horizons"))
    configure_jax(device, chains)
    from forecast.checks import backtest_run

    result, run_dir = out.with_spinner(
        backtest_run,
        runs_dir=runs_dir,
        seed=seed,
        origins=origin_range,
        horizons=horizon_range,
        chains=chains,
        draws=draws,
        warmup=warmup,
        data_path=data,
        priors_path=priors,
    )
    out.print_backtest(result.summary(by=("series",)))
    out.console.print(f"outputs: {run_dir}")


@app.command("forms")
def forms_(
    form: Annotated[
        list[str] | None, typer.Option("--form", help="Growth forms to fit and stack; default: all three.")
    ] = None,
    chains: ChainsOpt = 4,
    draws: DrawsOpt = 1000,
    warmup: WarmupOpt = 1000,
    target_accept: Annotated[
        float, typer.Option("--target-accept", min=0.6, max=0.995, help="NUTS target acceptance.")
    ] = 0.99,
    seed: SeedOpt = 0,
    data: DataOpt = None,
    with_domains: Annotated[
        bool, typer.Option(help="Keep the ImageNet / ECI rows (no form bends the algorithmic rate).")
    ] = False,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Name of the run directory.")] = None,
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
) -> None:
    """Fit the growth forms (constant, changepoint, local-linear), stack them by PSIS-LOO."""
    from forecast.vocab import GROWTH_FORMS

    configure_jax(device, chains)
    from forecast.errors import checked_settings
    from forecast.infer import SamplerConfig
    from forecast.mixture import fit_forms

    sampler = checked_settings(
        SamplerConfig, "forms", chains=chains, draws=draws, warmup=warmup, target_accept=target_accept
    )
    loo, run_dir = out.with_spinner(
        fit_forms,
        runs_dir,
        seed=seed,
        sampler=sampler,
        forms=form or GROWTH_FORMS,
        data_path=data,
        with_domains=with_domains,
        run_id=run_id,
    )
    out.print_forms(loo)
    out.console.print(f"outputs: {run_dir}\nsimulate the mixture: forecast simulate <fit run> --forms {run_dir}")


@app.command()
def predict(
    run: RunArg,
    dates: Annotated[str, typer.Option("--dates", help="Comma-separated ISO release dates.")],
    seed: SeedOpt = 0,
    runs_dir: RunsDirOpt = Path("runs"),
    csv: Annotated[Path | None, typer.Option("--out", help="Also write the table as CSV.")] = None,
) -> None:
    """Predictive quantiles of frontier log10 compute and cost for given release dates."""
    from forecast.runs import atomic_write_csv, resolve_run

    run_dir = resolve_run(run, runs_dir)
    configure_jax(Device.cpu)
    from forecast.workflow import predict_run

    table = predict_run(run_dir, dates=[d.strip() for d in dates.split(",") if d.strip()], seed=seed)
    out.print_predictions(table)
    if csv is not None:
        atomic_write_csv(csv, table)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="forecast")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
