"""Plots of a run: fan charts, doubling-time posteriors, crossing years and sampler diagnostics.

Every function takes what the library produces (the fitted posterior ``xarray.DataTree`` and/or
``{scenario: simulate(...) result}``) plus an output directory, writes one PNG (matplotlib, Agg)
and returns its path. Figures are closed after saving, so long CLI runs do not accumulate them.

- :func:`effective_compute_fan` -- yearly 5/25/50/75/95% quantiles of the log10
  effective-compute factor vs the base year, one panel per scenario, with the published 2030
  bands (1e4 / 1e8 / 1e12) marked.
- :func:`doubling_time_plot` -- posterior of ``doubling_months`` per component against the
  published 9 / 30 / 7 months (algorithmic / hardware / spending).
- :func:`automation_share_fan` -- total automatable share per scenario.
- :func:`automation_group_fan` -- small multiples, one panel per occupation group.
- :func:`crossing_year_plot` -- first year 20 / 50 / 100 (99) % of cognitive tasks are automatable.
- :func:`diagnostic_plots` -- trace, rank and posterior-predictive plots via arviz-plots.
- :func:`report_plots` -- all of the above for a report.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: CLI and CI have no display

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from forecast.reference import PUBLISHED_2030_BANDS_OOM, PUBLISHED_DOUBLING_MONTHS
from forecast.scenarios import display_name

#: The quantities analysts read first.
KEY_VARS = [
    "growth",
    "identity_gap",
    "growth_domain",
    "eci_effect_oom",
    "compute_meas_sd",
    "growth_hardware_source",
    "noise",
    "noise_trend",
    "noise_walk_sd",
    "residual_skew",
    "residual_tail",
    "compute_spending_corr",
    "student_df",
]

#: Fixed colours so a scenario looks the same in every figure.
SCENARIO_COLORS = {
    "trend": "#1f77b4",
    "conservative": "#2ca02c",
    "central": "#ff7f0e",
    "explosive": "#d62728",
}
_FALLBACK_COLORS = ("#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
DPI = 90


def scenario_color(name: str, index: int = 0) -> str:
    """Colour of a scenario: fixed for the presets, cycled for the others.

    Examples
    --------
    >>> scenario_color("central")
    '#ff7f0e'
    """
    return SCENARIO_COLORS.get(name, _FALLBACK_COLORS[index % len(_FALLBACK_COLORS)])


def _save(fig, out_dir: Path, name: str) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def _root(result):
    """Root dataset of a simulate result (DataTree) or the Dataset itself."""
    return result.to_dataset() if hasattr(result, "to_dataset") else result


def _fan(ax, years, q, color, label=None):
    """Draw a 5-95 / 25-75 fan with a median line; ``q`` is ``(year, 5 quantiles)``."""
    ax.fill_between(years, q[:, 0], q[:, 4], color=color, alpha=0.18, lw=0, label="5–95%" if label else None)
    ax.fill_between(years, q[:, 1], q[:, 3], color=color, alpha=0.38, lw=0, label="25–75%" if label else None)
    ax.plot(years, q[:, 2], color=color, lw=1.8, label=label)


def _quantile_array(da) -> np.ndarray:
    """``(year, quantile)`` values ordered by the quantile coordinate."""
    da = da.transpose("year", "quantile").sortby("quantile")
    return np.asarray(da.values, dtype="float64")


def _year_axis(ax):
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))


def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return -(-n // ncols), ncols


def _scenario_panels(
    simulations: Mapping[str, object],
    panel,
    *,
    who: str,
    height: float,
    ylabel: str,
    title: str,
    out_dir: Path,
    filename: str,
) -> Path:
    """One panel per scenario (two per row, shared y axis): ``panel(ax, dataset, years, color)`` draws."""
    names = list(simulations)
    if not names:
        raise ValueError(f"{who}: no simulations given")
    nrows, ncols = _grid(len(names), 2)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, height * nrows), sharey=True, squeeze=False)
    for i, name in enumerate(names):
        ax = axes.flat[i]
        ds = _root(simulations[name])
        panel(ax, ds, np.asarray(ds["year"].values, dtype="float64"), scenario_color(name, i))
        ax.set_title(display_name(name, getattr(simulations[name], "attrs", {})), fontsize=9)
        ax.set_xlabel("year")
        _year_axis(ax)
        if i % ncols == 0:
            ax.set_ylabel(ylabel)
        ax.grid(alpha=0.25)
        if i == 0:
            ax.legend(loc="upper left", fontsize=8)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, out_dir, filename)


def effective_compute_fan(
    simulations: Mapping[str, object],
    out_dir: Path,
    *,
    band_year: int = 2030,
    bands_oom: Mapping[str, float] = PUBLISHED_2030_BANDS_OOM,
    filename: str = "effective_compute_fan.png",
) -> Path:
    """Fan chart of the log10 effective-compute factor vs the base year, one panel per scenario.

    Parameters
    ----------
    simulations
        ``{scenario: simulate(...) result}`` (DataTree, or its root Dataset) with
        ``log10_factor(series, year, quantile)``.
    out_dir
        Directory to write into (created if needed).
    band_year
        Year at which the published bands are marked.
    bands_oom
        ``{label: log10 factor}`` of the published bands (1e4 / 1e8 / 1e12 by default).
    filename
        Name of the PNG.

    Returns
    -------
    pathlib.Path
        The PNG written.
    """

    def panel(ax, ds, years, color):
        _fan(ax, years, _quantile_array(ds["log10_factor"].sel(series="effective")), color, label="median")
        if years[0] <= band_year <= years[-1]:
            ax.axvline(band_year, color="0.5", lw=0.8, ls=":")
            for label, oom in bands_oom.items():
                ax.axhline(oom, color="0.35", lw=0.7, ls="--")
                ax.plot([band_year], [oom], marker="D", color="k", ms=5, zorder=5)
                ax.annotate(
                    f"1e{oom:g} ({label})",
                    (band_year, oom),
                    xytext=(4, 3),
                    textcoords="offset points",
                    fontsize=7.5,
                    color="0.2",
                )

    first = next(iter(simulations.values()), None)
    base = first.attrs.get("base_year", "") if first is not None else ""
    return _scenario_panels(
        simulations,
        panel,
        who="effective_compute_fan",
        height=3.6,
        ylabel=f"log10 effective-compute factor vs {base}",
        title="Effective compute (frontier training compute × algorithmic progress)",
        out_dir=out_dir,
        filename=filename,
    )


def doubling_time_plot(
    posterior_dt,
    out_dir: Path,
    *,
    published: Mapping[str, float] = PUBLISHED_DOUBLING_MONTHS,
    filename: str = "doubling_times.png",
) -> Path:
    """Posterior histograms of ``doubling_months`` per component against the published values.

    Parameters
    ----------
    posterior_dt
        Fitted DataTree with ``posterior/doubling_months(chain, draw, component)``.
    out_dir
        Directory to write into (created if needed).
    published
        ``{component: months}`` drawn as vertical lines; components listed here come first.
    filename
        Name of the PNG.

    Returns
    -------
    pathlib.Path
        The PNG written.
    """
    months = posterior_dt["posterior"]["doubling_months"]
    comps = [str(c) for c in months["component"].values]
    order = [c for c in published if c in comps] + [c for c in comps if c not in published]
    nrows, ncols = _grid(len(order), 4)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.9 * nrows), squeeze=False)
    for i, comp in enumerate(order):
        ax = axes.flat[i]
        v = np.asarray(months.sel(component=comp).values, dtype="float64").ravel()
        v = v[np.isfinite(v)]
        q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95])
        # doubling time is 1/growth, so the right tail is long: show the central 98% and the reference
        lo, hi = np.quantile(v, [0.01, 0.99])
        ref = published.get(comp)
        if ref is not None:
            lo, hi = min(lo, ref), max(hi, ref)
        pad = 0.05 * (hi - lo if hi > lo else 1.0)
        shown = v[(v >= lo - pad) & (v <= hi + pad)]
        ax.hist(shown, bins=40, color="#4c72b0", alpha=0.75)
        ax.axvspan(q05, q95, color="#4c72b0", alpha=0.12, label="90% interval")
        ax.axvline(q50, color="#1f3b73", lw=1.8, label=f"median {q50:.1f}")
        if ref is not None:
            ax.axvline(ref, color="#c44e52", lw=1.8, ls="--", label=f"published {ref:g}")
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_title(comp)
        ax.set_xlabel("doubling time, months")
        ax.set_yticks([])
        ax.legend(fontsize=7, loc="upper right")
    for ax in axes.flat[len(order) :]:
        ax.set_visible(False)
    fig.suptitle("Doubling times: posterior vs published", fontsize=11)
    fig.tight_layout()
    return _save(fig, out_dir, filename)


def automation_share_fan(
    simulations: Mapping[str, object],
    out_dir: Path,
    *,
    filename: str = "automation_share_total.png",
) -> Path:
    """Fan chart of the technically automatable share of cognitive tasks (dashed: all tasks), per scenario.

    Parameters
    ----------
    simulations
        ``{scenario: simulate(...) result}`` with ``share_total(year, quantile)``.
    out_dir
        Directory to write into (created if needed).
    filename
        Name of the PNG.

    Returns
    -------
    pathlib.Path
        The PNG written.
    """

    def panel(ax, ds, years, color):
        _fan(ax, years, 100.0 * _quantile_array(ds["share_cognitive"]), color, label="cognitive, median")
        ax.plot(
            years,
            100.0 * _quantile_array(ds["share_total"])[:, 2],
            color=color,
            lw=1.0,
            ls="--",
            label="all tasks, median",
        )
        for thr in (20, 50, 99):
            ax.axhline(thr, color="0.6", lw=0.6, ls=":")
        ax.set_ylim(0, 100)

    return _scenario_panels(
        simulations,
        panel,
        who="automation_share_fan",
        height=3.4,
        ylabel="technically automatable, % of tasks",
        title="Share of tasks technically automatable (capability, not use)",
        out_dir=out_dir,
        filename=filename,
    )


def automation_group_fan(
    simulation,
    out_dir: Path,
    *,
    scenario: str | None = None,
    ncols: int = 6,
    filename: str | None = None,
) -> Path:
    """Small multiples of the automatable share per occupation group for one scenario.

    Parameters
    ----------
    simulation
        One ``simulate(...)`` result with ``share_group(group, year, quantile)`` and a
        ``group_title`` coordinate.
    out_dir
        Directory to write into (created if needed).
    scenario
        Name for the title and default file name; defaults to the result's ``scenario`` attr.
    ncols
        Panels per row.
    filename
        Name of the PNG; default ``automation_share_groups_<scenario>.png``.

    Returns
    -------
    pathlib.Path
        The PNG written.
    """
    ds = _root(simulation)
    scenario = scenario or str(getattr(simulation, "attrs", {}).get("scenario", "scenario"))
    groups = [str(g) for g in ds["group"].values]
    titles = [str(t) for t in ds["group_title"].values] if "group_title" in ds.coords else groups
    years = np.asarray(ds["year"].values, dtype="float64")
    nrows, ncols = _grid(len(groups), ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.3 * ncols, 1.9 * nrows), sharex=True, sharey=True, squeeze=False)
    color = scenario_color(scenario)
    for i, (g, title) in enumerate(zip(groups, titles, strict=True)):
        ax = axes.flat[i]
        _fan(ax, years, 100.0 * _quantile_array(ds["share_group"].sel(group=g)), color)
        short = title if len(title) <= 26 else title[:24] + "…"
        ax.set_title(f"{g} {short}", fontsize=7)
        ax.tick_params(labelsize=6)
        _year_axis(ax)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.25)
    for ax in axes.flat[len(groups) :]:
        ax.set_visible(False)
    fig.supxlabel("year", fontsize=8)
    fig.supylabel("automatable share of the group's tasks, %", fontsize=8)
    fig.suptitle(f"Automatable share by SOC major group — {scenario} (median, 25–75%, 5–95%)", fontsize=10)
    fig.tight_layout()
    return _save(fig, out_dir, filename or f"automation_share_groups_{scenario}.png")


def crossing_year_plot(
    simulations: Mapping[str, object],
    out_dir: Path,
    *,
    filename: str = "crossing_years.png",
) -> Path:
    """Distribution of the first year the technically automatable share of cognitive tasks reaches
    20 / 50 / 100 (99) %, per scenario.

    One panel per threshold; each scenario is a step curve of P(crossed by year) (the CDF of the
    crossing year, from ``prob_crossed_by``). Mass not reached by the last simulated year is
    written in the legend.

    Parameters
    ----------
    simulations
        ``{scenario: simulate(...) result}`` with ``prob_crossed_by(share_threshold, year)``.
    out_dir
        Directory to write into (created if needed).
    filename
        Name of the PNG.

    Returns
    -------
    pathlib.Path
        The PNG written.
    """
    names = list(simulations)
    if not names:
        raise ValueError("crossing_year_plot: no simulations given")
    thresholds = [float(t) for t in _root(simulations[names[0]])["share_threshold"].values]
    fig, axes = plt.subplots(1, len(thresholds), figsize=(4.0 * len(thresholds), 3.3), sharey=True, squeeze=False)
    for j, thr in enumerate(thresholds):
        ax = axes[0, j]
        for i, name in enumerate(names):
            ds = _root(simulations[name])
            years = np.asarray(ds["year"].values, dtype="float64")
            cdf = np.asarray(ds["prob_crossed_by"].sel(share_threshold=thr).values, dtype="float64")
            never = 1.0 - cdf[-1]
            shown = display_name(name, getattr(simulations[name], "attrs", {}))
            ax.step(
                years,
                cdf,
                where="post",
                color=scenario_color(name, i),
                lw=1.6,
                label=f"{shown} (not by {int(years[-1])}: {never:.0%})",
            )
        ax.set_title(f"cognitive share ≥ {'100 (99)' if thr > 0.9 else f'{thr:.0%}'.rstrip('%')}%")
        ax.set_xlabel("year")
        _year_axis(ax)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.25)
        ax.legend(fontsize=6.5, loc="best")
    axes[0, 0].set_ylabel("P(crossed by year)")
    fig.suptitle("First year the automatable share of all tasks crosses a threshold", fontsize=11)
    fig.tight_layout()
    return _save(fig, out_dir, filename)


def diagnostic_plots(dt, out_dir: Path, *, var_names: Sequence[str] | None = None) -> list[str]:
    """Write trace, rank and posterior-predictive plots of a fit as PNG files.

    Parameters
    ----------
    dt
        DataTree with ``posterior`` (and ``posterior_predictive`` / ``observed_data`` for PPC).
    out_dir
        Existing directory to write into.
    var_names
        Variables to show; default :data:`KEY_VARS` (those present in the posterior).

    Returns
    -------
    list of str
        File names written.
    """
    out_dir = Path(out_dir)
    present = set(dt["posterior"].data_vars)
    names_ = [v for v in (var_names or KEY_VARS) if v in present]
    if not names_:
        raise ValueError(f"diagnostic_plots: none of {list(var_names or KEY_VARS)} in the posterior")
    names = []
    pc = az.plot_trace_dist(dt, var_names=names_, backend="matplotlib")
    pc.savefig(out_dir / "trace.png", dpi=80)
    names.append("trace.png")
    plt.close("all")
    pc = az.plot_rank(dt, var_names=names_, backend="matplotlib")
    pc.savefig(out_dir / "rank.png", dpi=80)
    names.append("rank.png")
    plt.close("all")
    if "posterior_predictive" in dt.children and "observed_data" in dt.children:
        with warnings.catch_warnings():
            # arviz-plots 1.3 drops one level of a MultiIndex internally (its own FutureWarning
            # from xarray, not about our data); keep it out of users' terminals and tests.
            warnings.filterwarnings("ignore", message="Deleting a single level of a MultiIndex", category=FutureWarning)
            pc = az.plot_ppc_dist(dt, num_samples=50, backend="matplotlib")
        pc.savefig(out_dir / "ppc.png", dpi=80)
        names.append("ppc.png")
        plt.close("all")
    return names


def report_plots(
    posterior_dt,
    simulations: Mapping[str, object],
    out_dir: Path,
    *,
    group_scenario: str | None = None,
    diagnostics: bool = True,
) -> dict[str, Path]:
    """Write every figure of the report and return ``{role: path}``.

    Parameters
    ----------
    posterior_dt
        Fitted posterior DataTree.
    simulations
        ``{scenario: simulate(...) result}``; may be empty (then only posterior figures).
    out_dir
        Directory to write into (created if needed).
    group_scenario
        Scenario for the per-group small multiples; default ``central`` if simulated, else the
        first one.
    diagnostics
        Also write the arviz-plots trace/rank(/PPC) figures (roles ``diag_trace`` …).

    Returns
    -------
    dict
        Role (``effective``, ``doubling``, ``share_total``, ``share_groups``, ``crossing``,
        ``diag_*``) -> PNG path.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    if "doubling_months" in posterior_dt["posterior"].data_vars:
        paths["doubling"] = doubling_time_plot(posterior_dt, out_dir)
    if simulations:
        paths["effective"] = effective_compute_fan(simulations, out_dir)
        paths["share_total"] = automation_share_fan(simulations, out_dir)
        pick = group_scenario or next(
            (n for n in ("structural", "central") if n in simulations), next(iter(simulations))
        )
        paths["share_groups"] = automation_group_fan(simulations[pick], out_dir, scenario=pick)
        paths["crossing"] = crossing_year_plot(simulations, out_dir)
    if diagnostics:
        for name in diagnostic_plots(posterior_dt, out_dir):
            paths[f"diag_{Path(name).stem}"] = out_dir / name
    return paths


__all__ = [
    "KEY_VARS",
    "scenario_color",
    "effective_compute_fan",
    "doubling_time_plot",
    "automation_share_fan",
    "automation_group_fan",
    "crossing_year_plot",
    "diagnostic_plots",
    "report_plots",
]
