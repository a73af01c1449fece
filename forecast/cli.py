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
from rich.console import Console
from rich.table import Table

from forecast.errors import EXIT_INPUT, EXIT_UNCONVERGED, ForecastInputError

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="Bayesian forecaster of AI compute trends and their consequences for work.",
)
data_app = typer.Typer(no_args_is_help=True, help="Inspect and validate data files.")
app.add_typer(data_app, name="data")

console = Console()
err_console = Console(stderr=True)


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    gpu = "gpu"


class FrontierMethod(str, Enum):
    epoch_flag = "epoch_flag"
    top_n = "top_n"


def _configure_jax(device: Device, chains: int | None = None) -> None:
    """Set JAX's platform, precision and CPU device count before JAX initialises."""
    if device is Device.cpu:
        os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ.setdefault("JAX_ENABLE_X64", "True")
    if chains and "JAX_NUM_CPU_DEVICES" not in os.environ:
        # Several CPU "devices" let chains run in parallel threads (used only on the CPU backend).
        os.environ["JAX_NUM_CPU_DEVICES"] = str(max(1, min(chains, os.cpu_count() or 1)))
    import jax

    jax.config.update("jax_enable_x64", True)
    if device is Device.gpu and jax.default_backend() != "gpu":
        raise ForecastInputError(
            f"--device gpu requested but JAX found no GPU (backend '{jax.default_backend()}')",
            "install forecast[cuda] on a CUDA machine, or use --device auto",
        )


def _fail(exc: ForecastInputError) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {exc.one_line()}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_INPUT)


def _spinner():
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console, transient=True
    )


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
    with _spinner() as progress:
        task = progress.add_task("starting", total=None)
        result = fit_run(
            data_path=data,
            priors_path=priors,
            chains=chains,
            draws=draws,
            warmup=warmup,
            seed=seed,
            runs_dir=runs_dir,
            run_id=run_id,
            frontier_method=frontier.value,
            progress=lambda phase: progress.update(task, description=phase),
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
    table = Table(title=f"Convergence: {run_dir.name}")
    for col in ("quantity", "median", "90% interval", "R-hat", "ESS bulk", "ESS tail"):
        table.add_column(col, justify="left" if col == "quantity" else "right")
    for name, row in result.table.iterrows():
        table.add_row(
            name,
            f"{row['median']:.4g}",
            f"{row['q05']:.4g} – {row['q95']:.4g}",
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
    runs_dir: RunsDirOpt = Path("runs"),
    device: DeviceOpt = Device.auto,
) -> None:
    """The main job: fit the embedded default, then diagnose it."""
    try:
        result = _fit(data, priors, chains, draws, warmup, seed, runs_dir, None, FrontierMethod.epoch_flag, device, True)
        from forecast.workflow import diagnose_run

        diag = diagnose_run(result.run_dir, plots=True)
    except ForecastInputError as exc:
        raise _fail(exc) from None
    verdict = "PASSED" if not diag.failures else "FAILED: " + "; ".join(diag.failures[:5])
    console.print(f"convergence gate: {verdict}")
    for path in diag.plots:
        console.print(f"plot: {path}")
    if diag.failures:
        raise typer.Exit(EXIT_UNCONVERGED)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="forecast")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
