"""Terminal output of the CLI: rich tables, the progress spinner and the one-line error printer.

Tables are laid out to stay readable on 80 columns (light boxes, no-wrap numbers); every text
that comes from data or paths is escaped, since rich would read ``[brackets]`` as markup.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from forecast.errors import ForecastInputError

console = Console()
err = Console(stderr=True)


def print_error(exc: ForecastInputError) -> None:
    """The one ``error: ... -> fix: ...`` line, on stderr."""
    err.print(f"[bold red]error:[/] {escape(exc.one_line())}", highlight=False, soft_wrap=True)


def with_spinner(job, *args, **kwargs):
    """Run a library job, showing its ``progress(phase)`` callbacks as a rich spinner on stderr."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("starting", total=None)
        return job(*args, **kwargs, progress=lambda phase: progress.update(task, description=phase))


def print_json(obj) -> None:
    """Pretty JSON (paths, numpy scalars and models shown as strings)."""
    console.print_json(json.dumps(obj, indent=2, default=str))


def _fmt(v) -> str:
    return "—" if v != v else f"{v:.3g}"


def print_frame(title: str, frame: pd.DataFrame) -> None:
    """A DataFrame as a table: floats with 3 significant digits, text escaped."""
    out = Table(title=title)
    for col in frame.columns:
        out.add_column(str(col), justify="left" if frame[col].dtype.kind not in "fi" else "right")
    for _, row in frame.iterrows():
        out.add_row(*(_fmt(v) if isinstance(v, float) else escape(str(v)) for v in row))
    console.print(out)


def print_doubling(table: pd.DataFrame) -> None:
    """Doubling times (median, 90% interval, OOM/yr, published) per component."""
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


def print_fit(result) -> None:
    """Doubling times, where the run went and whether it converged."""
    print_doubling(result.doubling)
    m = result.manifest
    console.print(
        f"run: [bold]{escape(str(result.run_dir))}[/]  backend={m.environment.backend} "
        f"devices={len(m.environment.devices)} chains={m.config['sampler']['chains']} ({m.chain_method}) "
        f"seed={m.seed}"
    )
    if not result.verdict.passed:
        err.print(f"[yellow]not converged:[/] {escape('; '.join(result.verdict.failures[:5]))}")


def print_diagnosis(run_dir: Path, result) -> None:
    """The convergence table and verdict of ``forecast diagnose``."""
    v = result.verdict
    # A light box keeps the widest label (growth_hardware_source[release]) and five numbers on 80 columns.
    table = Table(
        title=f"Convergence: {escape(run_dir.name)} (R-hat: rank-normalised; ESS: bulk, tail)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for col in ("quantity", "median", "90% interval", "R-hat", "bulk", "tail"):
        table.add_column(col, justify="left" if col == "quantity" else "right", no_wrap=True)
    for name, row in v.table.iterrows():
        table.add_row(
            escape(name),
            f"{row['median']:.3g}",
            f"{row['q05']:.3g}–{row['q95']:.3g}",
            f"{row['rhat']:.3f}",
            f"{row['ess_bulk']:.0f}",
            f"{row['ess_tail']:.0f}",
        )
    console.print(table)
    console.print(f"divergences: {v.divergences}   E-BFMI per chain: {', '.join(f'{b:.2f}' for b in v.bfmi)}")
    for path in result.plots:
        console.print(f"plot: {escape(str(path))}")
    if v.failures:
        err.print("[bold red]FAILED[/] " + escape("; ".join(v.failures)))
    else:
        console.print(
            "[bold green]PASSED[/] convergence gate (R-hat <= 1.01, ESS >= 100/chain, no divergences, E-BFMI >= 0.3)"
        )


def print_simulation(result, name: str) -> None:
    """Yearly effective-compute factor and automatable share of one scenario, with 2030 probabilities."""
    q = result["log10_factor"].sel(series="effective")
    share = result["share_cognitive"]
    label = result.attrs.get("scenario_label")
    table = Table(
        title=f"Scenario {name}{f' ({label})' if label else ''}: effective compute (log10 factor vs "
        f"{int(q['year'][0])}) and cognitive tasks technically automatable"
    )
    for col in ("year", "factor q05", "median", "q95", "cogn. q05", "median", "q95"):
        table.add_column(col, justify="right")
    for year in q["year"].values:
        row, sh = q.sel(year=year), share.sel(year=year)
        table.add_row(
            str(int(year)),
            *(f"{float(row.sel(quantile=p)):.2f}" for p in (0.05, 0.5, 0.95)),
            *(f"{float(sh.sel(quantile=p)):.1%}" for p in (0.05, 0.5, 0.95)),
        )
    console.print(table)
    if "prob_factor_headline" in result:  # only when the simulation reaches the headline year
        probs = result["prob_factor_headline"]
        console.print(
            f"P({int(q['year'][0])}->{result.attrs['prob_year']} factor >= "
            + ", ".join(
                f"1e{int(t)}: {float(probs.sel(factor_threshold_oom=t)):.3f}"
                for t in probs["factor_threshold_oom"].values
            )
            + ")"
        )
    cross = result["crossing_year_quantile"]
    last = int(result["year"].values[-1])

    def year(v):
        return f"after {last}" if not np.isfinite(v) else f"{v:.0f}"

    for thr in cross["share_threshold"].values:
        c = cross.sel(share_threshold=thr)
        label = "100% (99%)" if thr > 0.9 else f"{thr:.0%}"
        console.print(
            f"first year {label} of cognitive tasks technically automatable: median "
            f"{year(float(c.sel(quantile=0.5)))} (90%: {year(float(c.sel(quantile=0.05)))} - "
            f"{year(float(c.sel(quantile=0.95)))})"
        )


def print_macro(result) -> None:
    """Adoption and labour outcomes of a simulation with a region, final year."""
    from forecast.summaries import macro_table

    table = macro_table(result)
    last = table.loc[table["year"] == table["year"].max(), ["series", "measure", "year", "q05", "q50", "q95"]]
    print_frame(f"Adoption and labour outcomes ({result.attrs.get('macro_region', '')}), final year", last)
    note = result.attrs.get("macro_occupation_weights")
    if note:
        console.print(f"[italic]{escape(note)}[/]")


def print_backcast(checks) -> None:
    """The labour backcast (:class:`forecast.backcast.LabourChecks`): observed vs the model's 90% interval."""

    def show(value, unit):
        return f"{value:.2f}" if unit == "ratio" else f"{100 * value:.2f}%"

    out = Table(title="Labour layer against observations (backcast)", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("observation", "observed", "model (90%)", ""):
        out.add_column(col, justify="left" if col == "observation" else "right", no_wrap=col != "observation")
    for _, r in checks.backcast.iterrows():
        lo, hi, unit = r["observed_low"], r["observed_high"], r["unit"]
        observed = show(lo, unit) if lo == hi else f"{show(lo, unit)}–{show(hi, unit)}"
        model = f"{show(r['median'], unit)} ({show(r['q05'], unit)}–{show(r['q95'], unit)})"
        verdict = ("inside" if r["inside"] else "OUTSIDE") + ("*" if r["role"] == "prior source" else "")
        out.add_row(escape(f"{r['check']}, {r['region']} {r['window']}"), observed, model, verdict)
    console.print(out)
    console.print("* the prior was set from this figure: not an independent check")
    for _, r in checks.ten_year_tfp.iterrows():
        console.print(
            f"ten-year TFP {r['window']} (US): model {100 * r['median']:.1f}% "
            f"({100 * r['q05']:.1f}–{100 * r['q95']:.1f}%) beside {escape(r['check'])}: "
            f"{100 * r['observed_low']:.2f}–{100 * r['observed_high']:.2f}%"
        )


def print_simulations(result, *, macro: bool) -> None:
    """Every scenario of a ``simulate_run`` result."""
    for name, res in result.results.items():
        print_simulation(res, name)
        if res.attrs.get("trend_source"):
            console.print(
                f"trend: {res.attrs['trend_source']}, weights {escape(res.attrs['forms_weights'])} "
                f"({escape(res.attrs['forms_approximations'])})"
            )
        if macro:
            print_macro(res)
        console.print(
            f"outputs: {escape(str(result.out_dirs.get(name, '-')))}  (backend {res.attrs.get('backend')}, "
            f"{res.attrs.get('n_devices', '?')} device(s))"
        )
    if getattr(result, "labour_checks", None) is not None:
        print_backcast(result.labour_checks)


def print_seeds(table: pd.DataFrame) -> None:
    """The published-figures table."""
    # Light box and no-wrap numbers so the widest figure name still leaves a readable row on 80 columns.
    out = Table(title="Published figures beside ours", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("figure", "published", "ours", "90% interval", "unit"):
        out.add_column(col, justify="left" if col in ("figure", "unit") else "right", no_wrap=col != "figure")
    for _, row in table.iterrows():
        lo, hi = row["published_low"], row["published_high"]
        pub = "—" if lo != lo else (_fmt(lo) if lo == hi else f"{_fmt(lo)}–{_fmt(hi)}")
        interval = "" if row["ours_q05"] != row["ours_q05"] else f"{_fmt(row['ours_q05'])}–{_fmt(row['ours_q95'])}"
        out.add_row(escape(str(row["item"])), pub, _fmt(row["ours_median"]), interval, escape(str(row["unit"])))
    console.print(out)


def print_main(result) -> None:
    """What ``forecast run`` prints after its job: doubling times, published figures, the forecast's fan."""
    from forecast.workflow import MAIN_FORECAST

    print_fit(result.fit)
    print_seeds(result.seeds)
    print_simulation(result.simulation.results[MAIN_FORECAST], MAIN_FORECAST)
    if result.simulation.labour_checks is not None:
        print_backcast(result.simulation.labour_checks)
    v = result.diagnosis.verdict
    console.print(f"convergence gate: {'PASSED' if v.passed else 'FAILED: ' + escape('; '.join(v.failures[:5]))}")
    console.print(f"report: [bold]{escape(str(result.report))}[/]")
    console.print(
        f"screenshot: {escape(str(result.screenshot))}"
        if result.screenshot
        else "screenshot: skipped (no Chromium; run scripts/install_chromium.sh)"
    )


def print_run_list(runs_dir: Path, runs: list[dict]) -> None:
    """``forecast runs list``."""
    table = Table(title=f"Runs in {escape(str(runs_dir))}")
    cols = ("run_id", "kind", "status", "started_at", "seed", "draws", "backend")
    for col in ("run", "kind", "status", "started", "seed", "draws", "backend"):
        table.add_column(col)
    for info in runs:
        table.add_row(*(escape(str(info.get(k, ""))) for k in cols))
    console.print(table)


def print_backtest(summary: pd.DataFrame) -> None:
    """Backtest scores pooled over origins and horizons: per series the model, then the OLS baseline."""
    table = Table(
        title="Backtest, pooled over origins and horizons",
        caption="Per series the model, then OLS. cov50/cov90: coverage of 50%/90% intervals; 95% CI: of the "
        "model's true 90% coverage, an observation scored from several origins (and a model's compute and "
        "cost) counted once; ratio: model CRPS / OLS CRPS",
    )
    for col in ("series", "n", "cov50", "cov90", "95% CI", "CRPS", "log sc.", "ratio"):
        table.add_column(
            col,
            justify="left" if col == "series" else "right",
            min_width=len("hardware_release") if col == "series" else None,
            no_wrap=True,
        )

    def short(x: float) -> str:
        return f"{x:.2f}".removeprefix("0")

    for row in summary.itertuples(index=False):
        for method in ("model", "ols"):
            model = method == "model"
            table.add_row(
                row.series if model else "  OLS",
                str(getattr(row, f"n_{method}")),
                f"{getattr(row, f'cov50_{method}'):.2f}",
                f"{getattr(row, f'cov90_{method}'):.2f}",
                f"{short(row.cov90_ci_lo)}–{short(row.cov90_ci_hi)}" if model else "",
                f"{getattr(row, f'crps_{method}'):.3f}",
                f"{getattr(row, f'logs_{method}'):.2f}",
                f"{row.crps_ratio:.3f}" if model else "",
                end_section=not model,
            )
    console.print(table)


def print_forms(loo: pd.DataFrame) -> None:
    """``forecast forms``: PSIS-LOO of each growth form on the trend series, with stacking weights."""
    table = Table(
        title="Growth forms, PSIS-LOO on the trend series",
        caption="diff, dse: against the best form; weight: stacking weight of the mixture",
    )
    for col in ("form", "elpd_loo", "se", "diff", "dse", "weight", "max k", "gate"):
        table.add_column(col, justify="left" if col in ("form", "gate") else "right")
    for form, row in loo.iterrows():
        table.add_row(
            str(form),
            f"{row['elpd_loo']:.1f}",
            f"{row['se']:.1f}",
            f"{row['elpd_diff']:.1f}",
            f"{row['dse']:.1f}",
            f"{row['weight']:.3f}",
            f"{row['max_khat']:.2f}",
            escape(str(row.get("gate", ""))),
        )
    console.print(table)


def print_predictions(table: pd.DataFrame) -> None:
    """``forecast predict``: predictive quantiles per date and series."""
    shown = [c for c in ("date", "series", "unit", "q05", "q25", "q50", "q75", "q95") if c in table.columns]
    out = Table(title="Predictive quantiles for a frontier model released on each date")
    for col in shown:
        out.add_column(col, justify="left" if col in ("date", "series", "unit") else "right")
    for _, row in table[shown].iterrows():
        out.add_row(*(f"{v:.2f}" if isinstance(v, float) else escape(str(v)) for v in row))
    console.print(out)


__all__ = [
    "console",
    "err",
    "print_backtest",
    "print_diagnosis",
    "print_doubling",
    "print_error",
    "print_fit",
    "print_forms",
    "print_frame",
    "print_json",
    "print_macro",
    "print_main",
    "print_predictions",
    "print_run_list",
    "print_seeds",
    "print_simulation",
    "print_simulations",
    "with_spinner",
]
