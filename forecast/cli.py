"""The ``forecast`` command line: a thin typer shell over :mod:`forecast.workflow` and friends.

JAX is configured here before anything imports it (float64; CPU devices for parallel chains;
``--device``), so library modules are imported inside the commands.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from forecast.errors import EXIT_INPUT, EXIT_UNCONVERGED, ForecastInputError


class _OneLineErrors(TyperGroup):
    """Report click's usage errors (unknown option, bad value) like our own input errors.

    Typer's default draws a multi-line rich box; scripts and logs want the one
    ``error: ... -> fix: ...`` line that :func:`_print_error` writes for every input error.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:  # click's ClickException family (typer vendors click)
            if not standalone_mode:
                raise
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help text is already on screen
                sys.exit(exc.exit_code)
            ctx = getattr(exc, "ctx", None)
            path = ctx.command_path if ctx is not None else "forecast"
            message = exc.format_message().strip().rstrip(".").replace("Value error, ", "")
            _print_error(ForecastInputError(message, f"see '{path} --help'"))
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            err_console.print("[bold red]error:[/] aborted", highlight=False)
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

console = Console()
err_console = Console(stderr=True)


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    gpu = "gpu"


class Region(str, Enum):
    NL = "NL"
    EU = "EU"
    US = "US"


class Precision(str, Enum):
    float32 = "float32"
    float64 = "float64"


class FrontierMethod(str, Enum):
    epoch_flag = "epoch_flag"
    top_n = "top_n"


def jax_cache_dir() -> Path:
    """Where compiled XLA programs are kept between runs: ``$XDG_CACHE_HOME/forecast/jax``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "forecast" / "jax"


def _configure_jax(device: Device, chains: int | None = None) -> None:
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


def _print_error(exc: ForecastInputError) -> None:
    # escaped: paths and messages may hold [brackets] that rich would read as markup
    err_console.print(f"[bold red]error:[/] {escape(exc.one_line())}", highlight=False, soft_wrap=True)


def _fail(exc: ForecastInputError) -> typer.Exit:
    _print_error(exc)
    return typer.Exit(EXIT_INPUT)


def _spinner():
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console, transient=True
    )


def _with_spinner(job, *args, **kwargs):
    """Run a library job, showing its ``progress(phase)`` callbacks as a rich spinner."""
    with _spinner() as progress:
        task = progress.add_task("starting", total=None)
        return job(*args, **kwargs, progress=lambda phase: progress.update(task, description=phase))


def _print_doubling(table) -> None:
    out = Table(title="Doubling times (posterior median, 90% interval)")
    for col in ("component", "months", "90% interval", "OOM/yr", "published"):
        out.add_column(col, justify="right" if col != "component" else "left")
    for comp, row in table.iterrows():
        pub = row["published_months"]
        out.add_row(
            comp,
            f"{row['doubling_months_median']:.1f}",
            f"{row['doubling_months_q05']:.1f} – {row['doubling_months_q95']:.1f}",
            f"{row['growth_oom_per_year_median']:.3f}",
            "—" if pub is None or pub != pub else f"{pub:.0f}",
        )
    console.print(out)


DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="Data: upstream directory (like ../shared/data) or extract CSV; default: packaged extract."),
]
PriorsOpt = Annotated[Path | None, typer.Option("--priors", help="Trend priors TOML; default priors/trends.toml.")]
ChainsOpt = Annotated[int, typer.Option("--chains", min=2, help="MCMC chains (>= 2 for R-hat).")]
DrawsOpt = Annotated[int, typer.Option("--draws", min=1, help="Post-warm-up draws per chain.")]
WarmupOpt = Annotated[int, typer.Option("--warmup", min=1, help="Warm-up iterations per chain.")]
SeedOpt = Annotated[int, typer.Option("--seed", envvar="FORECAST_SEED", help="Root PRNG seed (recorded).")]
RunsDirOpt = Annotated[Path, typer.Option("--runs-dir", help="Where run directories go.")]
DeviceOpt = Annotated[Device, typer.Option("--device", case_sensitive=False, help="auto: GPU if present, else CPU.")]
FrontierOpt = Annotated[
    FrontierMethod, typer.Option("--frontier", case_sensitive=False, help="Frontier selection: Epoch's flag or top-10.")
]


def _fit(data, priors, chains, draws, warmup, seed, runs_dir, run_id, frontier, device, allow_unconverged):
    from forecast.workflow import fit_run

    _configure_jax(device, chains)
    result = _with_spinner(
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
    _print_doubling(result.doubling)
    env = result.manifest["environment"]
    console.print(
        f"run: [bold]{result.run_dir}[/]  backend={env['backend']} devices={len(env['devices'])} "
        f"chains={chains} ({result.manifest['chain_method_effective']}) seed={seed}"
    )
    if result.gate_failures:
        err_console.print(f"[yellow]not converged:[/] {'; '.join(result.gate_failures[:5])}")
        if not allow_unconverged:
            raise typer.Exit(EXIT_UNCONVERGED)
    return result


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
    try:
        _fit(data, priors, chains, draws, warmup, seed, runs_dir, run_id, frontier, device, allow_unconverged)
    except ForecastInputError as exc:
        raise _fail(exc) from None


@app.command()
def diagnose(
    run: Annotated[str, typer.Argument(help="Run directory, run id, or 'latest'.")],
    runs_dir: RunsDirOpt = Path("runs"),
    plots: Annotated[bool, typer.Option(help="Write trace, rank and PPC plots to <run>/diagnostics/.")] = True,
) -> None:
    """Convergence summary and gate (exit 3 if it fails), with diagnostic plots."""
    try:
        from forecast.runs import resolve_run

        run_dir = resolve_run(run, runs_dir)
        _configure_jax(Device.cpu)
        from forecast.workflow import diagnose_run

        result = diagnose_run(run_dir, plots=plots)
    except ForecastInputError as exc:
        raise _fail(exc) from None
    # A light box keeps the widest label (growth_hardware_source[release]) and five numbers on 80 columns.
    table = Table(title=f"Convergence: {run_dir.name} (R-hat: max of rank and folded; ESS: bulk, tail)",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("quantity", "median", "90% interval", "R-hat", "bulk", "tail"):
        table.add_column(col, justify="left" if col == "quantity" else "right", no_wrap=True)
    for name, row in result.table.iterrows():
        table.add_row(
            escape(name),  # labels like noise[compute] are not rich markup
            f"{row['median']:.3g}",
            f"{row['q05']:.3g}–{row['q95']:.3g}",
            f"{row['rhat']:.3f}",
            f"{row['ess_bulk']:.0f}",
            f"{row['ess_tail']:.0f}",
        )
    console.print(table)
    console.print(f"divergences: {result.divergences}   E-BFMI per chain: {', '.join(f'{b:.2f}' for b in result.bfmi)}")
    for path in result.plots:
        console.print(f"plot: {path}")
    if result.failures:
        err_console.print("[bold red]FAILED[/] " + "; ".join(result.failures))
        raise typer.Exit(EXIT_UNCONVERGED)
    console.print("[bold green]PASSED[/] convergence gate (R-hat <= 1.01, ESS >= 100/chain, no divergences, E-BFMI >= 0.3)")


@data_app.command("validate")
def data_validate(
    path: Annotated[Path, typer.Argument(help="Upstream data directory, an upstream CSV, or an extract CSV.")],
) -> None:
    """Validate a data file or directory; print rows kept and dropped per series."""
    try:
        from forecast.data import validate_path

        summary = validate_path(path)
    except ForecastInputError as exc:
        raise _fail(exc) from None
    from forecast.workflow import dumps

    console.print_json(dumps(summary))


@app.command()
def run(
    data: DataOpt = None,
    priors: PriorsOpt = None,
    chains: ChainsOpt = 4,
    draws: DrawsOpt = 1000,
    warmup: WarmupOpt = 1000,
    seed: SeedOpt = 0,
    paths: PathsOpt = 100_000,
    until: Annotated[int, typer.Option("--until", help="Last simulated year.")] = 2040,
    region: Annotated[Region, typer.Option("--region", case_sensitive=False, help="Adoption/labour region.")] = Region.NL,
    scenarios_file: Annotated[Path | None, typer.Option("--scenarios", help="Scenario TOML.")] = None,
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
) -> None:
    """The main job: fit -> diagnose -> simulate the scenarios -> published-figures table -> report.html."""
    try:
        result = _fit(data, priors, chains, draws, warmup, seed, runs_dir, None, FrontierMethod.epoch_flag, device, True)
        from forecast.workflow import MAIN_SCENARIOS, diagnose_run, simulate_run

        with _spinner() as progress:
            task = progress.add_task("diagnostics and plots", total=None)
            diag = diagnose_run(result.run_dir, plots=True)
            sim = simulate_run(
                result.run_dir, scenarios=MAIN_SCENARIOS, paths=paths, until_year=until, seed=seed,
                scenarios_path=scenarios_file, allow_unconverged=True, region=region.value,
                progress=lambda phase: progress.update(task, description=phase),
            )
            progress.update(task, description="published-figures table and report")
            from forecast.report import build_report, screenshot
            from forecast.simulate import macro_table, seeds_table

            post = sim.posterior
            seeds_df = seeds_table(post, sim.results, sim.automation)
            seeds_df.to_csv(result.run_dir / "seeds.csv", index=False)
            gate = {
                "passed": not diag.failures, "failures": diag.failures, "divergences": diag.divergences,
                "bfmi": diag.bfmi, "table": diag.table,
                "treedepth_share": result.manifest["convergence"]["treedepth_share"],
            }
            macro = macro_table(sim.results["central"])
            macro = macro[macro["year"].isin([2025, 2030, 2035, 2040])]
            report = build_report(
                result.run_dir, posterior=post, simulations=sim.results, seeds=seeds_df, gate=gate,
                manifest=result.manifest, diagnostic_pngs=diag.plots,
                extra_tables={f"Adoption and labour outcomes ({region.value}, central scenario)": macro},
            )
            progress.update(task, description="screenshot of the report")
            shot = screenshot(report)
    except ForecastInputError as exc:
        raise _fail(exc) from None
    _print_seeds(seeds_df)
    _print_sim(sim.results["central"], "central")
    verdict = "PASSED" if not diag.failures else "FAILED: " + "; ".join(diag.failures[:5])
    console.print(f"convergence gate: {verdict}")
    console.print(f"report: [bold]{report}[/]")
    console.print(f"screenshot: {shot}" if shot else "screenshot: skipped (no Chromium; run scripts/install_chromium.sh)")
    if diag.failures:
        raise typer.Exit(EXIT_UNCONVERGED)


RunArg = Annotated[str, typer.Argument(help="Fit run directory, run id, or 'latest'.")]
PathsOpt = Annotated[int, typer.Option("--paths", min=1, help="Monte Carlo paths.")]
ChunkOpt = Annotated[int, typer.Option("--chunk-size", min=1, help="Paths per device chunk (results do not depend on it).")]
AllowOpt = Annotated[bool, typer.Option(help="Use a posterior that failed the convergence gate.")]


def _print_sim(result, name: str) -> None:
    import numpy as np

    q = result["log10_factor"].sel(series="effective")
    share = result["share_total"]
    table = Table(title=f"Scenario {name}: effective compute (log10 factor vs {int(q['year'][0])}) and automatable share")
    for col in ("year", "factor q05", "median", "q95", "share q05", "share median", "share q95"):
        table.add_column(col, justify="right")
    for year in q["year"].values:
        row = q.sel(year=year)
        sh = share.sel(year=year)
        table.add_row(
            str(int(year)),
            *(f"{float(row.sel(quantile=p)):.2f}" for p in (0.05, 0.5, 0.95)),
            *(f"{float(sh.sel(quantile=p)):.1%}" for p in (0.05, 0.5, 0.95)),
        )
    console.print(table)
    probs = result["prob_factor_headline"]
    console.print(
        "P(2022->2030 factor >= " + ", ".join(
            f"1e{int(t)}: {float(probs.sel(factor_threshold_oom=t)):.3f}" for t in probs["factor_threshold_oom"].values
        ) + ")"
    )
    cross = result["crossing_year_quantile"]
    for thr in cross["share_threshold"].values:
        c = cross.sel(share_threshold=thr)
        last = int(result["year"].values[-1])

        def year(v, _last=last):
            return f"after {_last}" if not np.isfinite(v) else f"{v:.0f}"

        console.print(
            f"first year total share >= {thr:.0%}: median {year(float(c.sel(quantile=0.5)))} "
            f"(90%: {year(float(c.sel(quantile=0.05)))} - {year(float(c.sel(quantile=0.95)))})"
        )


@app.command()
def simulate(
    run: RunArg,
    scenario: Annotated[list[str], typer.Option("--scenario", help="Scenario name(s) from priors/scenarios.toml.")] = ["trend"],  # noqa: B006
    paths: PathsOpt = 100_000,
    until: Annotated[int, typer.Option("--until", help="Last simulated year.")] = 2040,
    seed: SeedOpt = 0,
    chunk_size: ChunkOpt = 100_000,
    scenarios_file: Annotated[Path | None, typer.Option("--scenarios", help="Scenario TOML.")] = None,
    automation_file: Annotated[Path | None, typer.Option("--automation", help="Automation priors TOML.")] = None,
    region: Annotated[Region | None, typer.Option("--region", case_sensitive=False, help="Add adoption and labour outcomes for NL, EU or US.")] = None,
    lag_years: Annotated[int | None, typer.Option("--lag-years", min=0, max=10, help="Adoption lag (years).")] = None,
    dtype: Annotated[Precision | None, typer.Option("--dtype", case_sensitive=False, help="Path-state precision; default float64 on CPU, float32 on GPU.")] = None,
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
    allow_unconverged: AllowOpt = False,
) -> None:
    """Carry a fitted posterior through the Monte Carlo engine (GPU if present, else CPU)."""
    try:
        from forecast.runs import resolve_run

        run_dir = resolve_run(run, runs_dir)
        _configure_jax(device)
        from forecast.workflow import simulate_run

        result = _with_spinner(
            simulate_run,
            run_dir, scenarios=scenario, paths=paths, until_year=until, seed=seed, chunk_size=chunk_size,
            scenarios_path=scenarios_file, automation_path=automation_file, allow_unconverged=allow_unconverged,
            region=region.value if region else None, lag_years=lag_years, dtype=dtype.value if dtype else None,
        )
    except ForecastInputError as exc:
        raise _fail(exc) from None
    for name, res in result.results.items():
        _print_sim(res, name)
        if region is not None:
            _print_macro(res)
        console.print(f"outputs: {result.out_dirs[name]}  (backend {res.attrs.get('backend')}, {res.attrs.get('n_devices', '?')} device(s))")


def _print_macro(result) -> None:
    from forecast.simulate import macro_table

    table = macro_table(result)
    last = table.loc[table["year"] == table["year"].max(), ["series", "measure", "year", "q05", "q50", "q95"]]
    out = Table(title=f"Adoption and labour outcomes ({result.attrs.get('macro_region', '')}), final year")
    for col in last.columns:
        out.add_column(str(col))
    for _, row in last.iterrows():
        out.add_row(*(f"{v:.4g}" if isinstance(v, float) else escape(str(v)) for v in row))
    console.print(out)
    note = result.attrs.get("macro_occupation_weights")
    if note:
        console.print(f"[italic]{note}[/]")


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
    try:
        from forecast.runs import resolve_run

        run_dir = resolve_run(run, runs_dir)
        _configure_jax(device)
        from forecast.workflow import seeds_run

        table, _ = _with_spinner(
            seeds_run,
            run_dir, paths=paths, seed=seed, allow_unconverged=allow_unconverged,
        )
    except ForecastInputError as exc:
        raise _fail(exc) from None
    _print_seeds(table)
    console.print(f"written: {run_dir / 'seeds.csv'}")


def _print_seeds(table) -> None:
    # Light box and no-wrap numbers so the widest figure name still leaves a readable row on 80 columns.
    out = Table(title="Published figures beside ours", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("figure", "published", "ours", "90% interval", "unit"):
        out.add_column(col, justify="left" if col in ("figure", "unit") else "right", no_wrap=col != "figure")

    def fmt(v):
        return "—" if v != v else f"{v:.3g}"

    for _, row in table.iterrows():
        lo, hi = row["published_low"], row["published_high"]
        pub = "—" if lo != lo else (fmt(lo) if lo == hi else f"{fmt(lo)}–{fmt(hi)}")
        interval = "" if row["ours_q05"] != row["ours_q05"] else f"{fmt(row['ours_q05'])}–{fmt(row['ours_q95'])}"
        out.add_row(escape(str(row["item"])), pub, fmt(row["ours_median"]), interval, escape(str(row["unit"])))
    console.print(out)


@runs_app.command("list")
def runs_list(runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Runs under the runs directory, newest last."""
    from forecast.runs import list_runs

    table = Table(title=f"Runs in {runs_dir}")
    for col in ("run", "kind", "status", "started", "seed", "draws", "backend"):
        table.add_column(col)
    for info in list_runs(runs_dir):
        table.add_row(*(str(info.get(k, "")) for k in ("run_id", "kind", "status", "started_at", "seed", "draws", "backend")))
    console.print(table)


@runs_app.command("show")
def runs_show(run: RunArg, runs_dir: RunsDirOpt = Path("runs")) -> None:
    """A run's manifest and doubling times."""
    try:
        from forecast.runs import resolve_run, show_run

        run_dir = resolve_run(run, runs_dir)
        info = show_run(run_dir)
    except ForecastInputError as exc:
        raise _fail(exc) from None
    from forecast.workflow import dumps

    console.print_json(dumps(info["manifest_summary"]))
    if info["doubling"] is not None:
        _print_doubling(info["doubling"])


@runs_app.command("compare")
def runs_compare(
    first: RunArg, second: Annotated[str, typer.Argument(help="Second run.")], runs_dir: RunsDirOpt = Path("runs")
) -> None:
    """Two runs side by side: doubling times, 2030 probabilities, crossing years."""
    try:
        from forecast.runs import compare_runs, resolve_run

        table = compare_runs(resolve_run(first, runs_dir), resolve_run(second, runs_dir))
    except ForecastInputError as exc:
        raise _fail(exc) from None
    out = Table(title="Run comparison")
    for col in table.columns:
        out.add_column(str(col), justify="left" if col == "quantity" else "right")
    for _, row in table.iterrows():
        out.add_row(*(f"{v:.3g}" if isinstance(v, float) else escape(str(v)) for v in row))
    console.print(out)


def _span(text: str, option: str) -> range:
    try:
        a, _, b = text.partition(":")
        lo, hi = int(a), int(b or a)
    except ValueError:
        raise ForecastInputError(f"{option} {text}: not a range", f"write {option} START:END, e.g. 2016:2023") from None
    if hi < lo:
        raise ForecastInputError(f"{option} {text}: end before start", f"write {option} START:END with START <= END")
    return range(lo, hi + 1)


def _sbc_seed() -> int:
    path = Path(__file__).resolve().parents[1] / "tests" / "sbc" / "SEED"
    return int(path.read_text().strip()) if path.is_file() else 0


@app.command()
def calibrate(
    simulations: Annotated[int, typer.Option("--simulations", min=10, help="SBC simulations (1000 for a full check).")] = 1000,
    scale: Annotated[float, typer.Option("--scale", min=0.05, max=1.0, help="Series sizes relative to the real data.")] = 1.0,
    warmup: WarmupOpt = 500,
    draws: DrawsOpt = 1000,
    thin: Annotated[int, typer.Option("--thin", min=1, help="Thinning before ranking (draws/thin ranks).")] = 10,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Fits vmapped together.")] = 50,
    seed: Annotated[int | None, typer.Option("--seed", envvar="FORECAST_SEED", help="Root seed; default tests/sbc/SEED.")] = None,
    priors: PriorsOpt = None,
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
) -> None:
    """Simulation-based calibration of the trend model (ranks, uniformity tests, ECDF bands)."""
    try:
        _configure_jax(device)
        from forecast.workflow import calibrate_run

        result, out = _with_spinner(
            calibrate_run,
            runs_dir=runs_dir, seed=_sbc_seed() if seed is None else seed, simulations=simulations, scale=scale,
            warmup=warmup, draws=draws, thin=thin, chunk_size=chunk_size, priors_path=priors,
        )
    except ForecastInputError as exc:
        raise _fail(exc) from None
    console.print(result.summary())
    console.print(f"outputs: {out}")
    if not result.passed:
        err_console.print("[bold red]SBC FAILED[/] " + "; ".join(result.failures[:5]))
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
    try:
        origin_range = _span(origins, "--origins")
        horizon_range = tuple(_span(horizons, "--horizons"))
        _configure_jax(device, chains)
        from forecast.workflow import backtest_run

        result, out = _with_spinner(
            backtest_run,
            runs_dir=runs_dir, seed=seed, origins=origin_range, horizons=horizon_range, chains=chains,
            draws=draws, warmup=warmup, data_path=data, priors_path=priors,
        )
    except ForecastInputError as exc:
        raise _fail(exc) from None
    summary = result.summary(by=("series",))
    table = Table(title="Backtest, pooled over origins and horizons",
                  caption="cov50/cov90: coverage of 50%/90% intervals; ratio: model CRPS / OLS CRPS")
    for col in ("series", "method", "n", "cov50", "cov90", "CRPS", "log sc.", "ratio"):
        table.add_column(col, justify="left" if col in ("series", "method") else "right",
                         min_width=len("hardware_release") if col == "series" else None)
    for row in summary.itertuples(index=False):
        for method in ("model", "ols"):
            table.add_row(
                row.series if method == "model" else "", method, str(getattr(row, f"n_{method}")),
                f"{getattr(row, f'cov50_{method}'):.2f}", f"{getattr(row, f'cov90_{method}'):.2f}",
                f"{getattr(row, f'crps_{method}'):.3f}", f"{getattr(row, f'logs_{method}'):.2f}",
                f"{row.crps_ratio:.3f}" if method == "model" else "",
                end_section=method == "ols",
            )
    console.print(table)
    console.print(f"outputs: {out}")


@app.command()
def predict(
    run: RunArg,
    dates: Annotated[str, typer.Option("--dates", help="Comma-separated ISO release dates.")],
    seed: SeedOpt = 0,
    runs_dir: RunsDirOpt = Path("runs"),
    out: Annotated[Path | None, typer.Option("--out", help="Also write the table as CSV.")] = None,
) -> None:
    """Predictive quantiles of frontier log10 compute and cost for given release dates."""
    try:
        from forecast.runs import resolve_run

        run_dir = resolve_run(run, runs_dir)
        _configure_jax(Device.cpu)
        from forecast.workflow import predict_run

        table = predict_run(run_dir, dates=[d.strip() for d in dates.split(",") if d.strip()], seed=seed)
    except ForecastInputError as exc:
        raise _fail(exc) from None
    out_table = Table(title="Predictive quantiles for a frontier model released on each date")
    shown = [c for c in ("date", "series", "unit", "q05", "q25", "q50", "q75", "q95") if c in table.columns]
    for col in shown:
        out_table.add_column(col, justify="left" if col in ("date", "series", "unit") else "right")
    for _, row in table[shown].iterrows():
        out_table.add_row(*(f"{v:.2f}" if isinstance(v, float) else escape(str(v)) for v in row))
    console.print(out_table)
    if out is not None:
        table.to_csv(out, index=False)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="forecast")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
