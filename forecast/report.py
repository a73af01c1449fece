"""One self-contained ``report.html`` per run.

The report is a single HTML file with no external resources: every figure is a base64 PNG data
URI, the style sheet is inline and there is no JavaScript, so it can be mailed, archived or opened
offline. Every piece of text that comes from data, configuration or the manifest goes through
:func:`html.escape`.

Contents, in order: headline verdict and key numbers; doubling times against the published
9 / 30 / 7 months; effective-compute fan chart and the 2030 probabilities; published figures
beside ours (the seeds table); automation shares and crossing years; sampler diagnostics (the
convergence verdict with its reasons, the gate numbers and arviz-plots figures); run metadata
(run id, seed, backend and devices, versions, data and prior hashes, frontier rule, simulation
settings); data vintage, sources and attribution.

:func:`build_report` is the entry point; the figures come from :mod:`forecast.plots`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import plots, provenance, sections
from forecast.gate import ConvergenceVerdict
from forecast.html import CSS, esc, fmt_num, png_data_uri, screenshot, table
from forecast.manifest import RunManifest
from forecast.reference import PUBLISHED_DOUBLING_MONTHS
from forecast.runs import atomic_write_text

REPORT_NAME = "report.html"

# ---------------------------------------------------------------------------------------------
# Tables computed from library outputs
# ---------------------------------------------------------------------------------------------


def doubling_rows(posterior_dt, published: Mapping[str, float] = PUBLISHED_DOUBLING_MONTHS) -> pd.DataFrame:
    """Median and 90% interval of ``doubling_months`` per component, with the published value.

    Parameters
    ----------
    posterior_dt
        Fitted DataTree with ``posterior/doubling_months(chain, draw, component)``.
    published
        ``{component: months}``; components not listed get NaN.

    Returns
    -------
    pandas.DataFrame
        Index ``component``; columns ``median, q05, q95, published``.
    """
    months = posterior_dt["posterior"]["doubling_months"]
    rows = []
    for comp in months["component"].values:
        v = np.asarray(months.sel(component=comp).values, dtype="float64").ravel()
        q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95])
        rows.append(
            {
                "component": str(comp),
                "median": q50,
                "q05": q05,
                "q95": q95,
                "published": published.get(str(comp), np.nan),
            }
        )
    return pd.DataFrame(rows).set_index("component")


def probability_rows(simulations: Mapping[str, Any]) -> pd.DataFrame:
    """Headline numbers at each scenario's ``prob_year`` (2030 by default).

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``year``, median/q05/q95 of the log10 effective-compute factor,
        ``p_ge_<oom>`` for each factor threshold, and median/q05/q95 of the total automatable share.
    """
    rows = []
    for name, res in simulations.items():
        ds = res.to_dataset() if hasattr(res, "to_dataset") else res
        year = int(res.attrs.get("prob_year", 2030))
        row: dict[str, Any] = {
            "scenario": name,
            "kind": res.attrs.get("scenario_label", ""),
            "year": year,
            "base_year": int(res.attrs.get("base_year", 0)),
        }
        years = [int(y) for y in ds["year"].values]
        if year in years:
            f = ds["log10_factor"].sel(series="effective", year=year)
            s = ds["share_total"].sel(year=year)
            row.update(
                {
                    "factor_median": float(f.sel(quantile=0.5)),
                    "factor_q05": float(f.sel(quantile=0.05)),
                    "factor_q95": float(f.sel(quantile=0.95)),
                    "share_median": float(s.sel(quantile=0.5)),
                    "share_q05": float(s.sel(quantile=0.05)),
                    "share_q95": float(s.sel(quantile=0.95)),
                }
            )
            p = ds["prob_factor_at_least"].sel(year=year)
            for thr in p["factor_threshold_oom"].values:
                row[f"p_ge_{float(thr):g}"] = float(p.sel(factor_threshold_oom=thr))
        rows.append(row)
    return pd.DataFrame(rows)


def crossing_rows(simulations: Mapping[str, Any]) -> pd.DataFrame:
    """Crossing-year quantiles (first year the cognitive share reaches 20/50/99%) per scenario.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, threshold, q05, median, q95, p_by_until, until_year``; ``inf`` means
        not reached by ``until_year``.
    """
    rows = []
    for name, res in simulations.items():
        ds = res.to_dataset() if hasattr(res, "to_dataset") else res
        until = int(ds["year"].values[-1])
        for thr in ds["share_threshold"].values:
            q = ds["crossing_year_quantile"].sel(share_threshold=thr)
            rows.append(
                {
                    "scenario": name,
                    "kind": res.attrs.get("scenario_label", ""),
                    "threshold": float(thr),
                    "q05": float(q.sel(quantile=0.05)),
                    "median": float(q.sel(quantile=0.5)),
                    "q95": float(q.sel(quantile=0.95)),
                    "p_by_until": float(ds["prob_crossed_by"].sel(share_threshold=thr).isel(year=-1)),
                    "until_year": until,
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def build_report(
    run_dir: Path,
    *,
    posterior,
    simulations: Mapping[str, Any] | None = None,
    seeds: pd.DataFrame | None = None,
    verdict: ConvergenceVerdict | None = None,
    manifest: RunManifest | None = None,
    diagnostic_pngs: Sequence[Path] | None = None,
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
    automation_checks: pd.DataFrame | None = None,
    automation_verdict: ConvergenceVerdict | None = None,
    labour_checks=None,
    sensitivity=None,
    figures_dir: Path | None = None,
    out_path: Path | None = None,
) -> Path:
    """Write one self-contained HTML report for a fit run (and its simulations).

    Parameters
    ----------
    run_dir
        The fit run directory. ``manifest.json`` is read from it when ``manifest`` is None.
    posterior
        Fitted posterior DataTree (``posterior.nc``), with ``doubling_months``.
    simulations
        ``{scenario: simulate(...) result}``; may be empty or None (then the effective-compute,
        automation and crossing sections are left out).
    seeds
        Table from :func:`forecast.seeds.seeds_table`, or None.
    verdict
        The convergence verdict (with its table, from ``diagnose_run``); default: the manifest's.
    manifest
        Fit manifest; default: read from ``run_dir``.
    diagnostic_pngs
        Already-written arviz-plots PNGs (e.g. ``diagnose_run(...).plots``: ``trace.png``,
        ``rank.png``, ``ppc.png``), embedded by file stem. None: draw them with
        :func:`forecast.plots.diagnostic_plots`.
    automation_checks, automation_verdict
        The automation model's evidence check (:func:`forecast.automation_checks.label_check`) and
        convergence verdict, when it was fitted.
    labour_checks
        :class:`forecast.backcast.LabourChecks` (backcast, ten-year TFP, decomposition), or None.
    sensitivity
        Sobol table of :func:`forecast.sensitivity.structural_sensitivity`, or None.
    extra_tables
        ``{heading: DataFrame}`` appended as extra sections (values shown as they are).
    figures_dir
        Where the PNGs are written; default ``run_dir/figures``.
    out_path
        Report file; default ``run_dir/report.html``. Written atomically.

    Returns
    -------
    pathlib.Path
        The report written.
    """
    run_dir = Path(run_dir)
    simulations = dict(simulations or {})
    manifest = manifest if manifest is not None else RunManifest.read(run_dir)
    verdict = verdict if verdict is not None else manifest.convergence
    figures_dir = Path(figures_dir) if figures_dir is not None else run_dir / "figures"
    out_path = Path(out_path) if out_path is not None else run_dir / REPORT_NAME

    figs = plots.report_plots(posterior, simulations, figures_dir, diagnostics=diagnostic_pngs is None)
    for p in diagnostic_pngs or ():
        figs[f"diag_{Path(p).stem}"] = Path(p)
    has_doubling = "doubling_months" in posterior["posterior"].data_vars
    dbl = doubling_rows(posterior) if has_doubling else None
    probs = probability_rows(simulations)
    cross = crossing_rows(simulations)
    passed = None if verdict is None else verdict.passed
    data = manifest.data or {}
    body = [
        f"<h1>Forecast report — run {esc(manifest.run_id)}</h1>",
        f"<p class='sub'>Convergence {sections.verdict_badge(passed)} · status {esc(manifest.status)} · "
        f"seed {esc(manifest.seed)} · backend {esc(manifest.environment.backend)} · data up to "
        f"{esc(data.get('vintage', '—'))}</p>",
        sections.kpis(dbl, probs, verdict),
    ]
    if verdict is not None and verdict.failures:
        body.append(
            "<p><b>The posterior failed the convergence gate; read every number below with care:</b></p>"
            "<ul class='reasons'>" + "".join(f"<li>{esc(f)}</li>" for f in verdict.failures[:10]) + "</ul>"
        )
    if dbl is not None:
        body.append(sections.doubling(dbl, figs.get("doubling")))
    if simulations:
        body.append(sections.effective(probs, figs.get("effective")))
    body.append(sections.seeds(seeds))
    if simulations:
        body.append(sections.automation(cross, figs, automation_checks, automation_verdict))
    if labour_checks is not None:
        body.append(sections.labour(labour_checks))
    if sensitivity is not None:
        body.append(sections.sensitivity(sensitivity))
    for heading, df in (extra_tables or {}).items():
        frame = df.reset_index() if df.index.name is not None else df
        body.append(
            f"<section><h2>{esc(heading)}</h2>"
            + table(
                [str(c) for c in frame.columns],
                [[fmt_num(v, 3) if isinstance(v, float) else v for v in row] for row in frame.itertuples(index=False)],
            )
            + "</section>"
        )
    body.append(sections.diagnostics(verdict, figs))
    body.append(provenance.metadata(manifest, simulations))
    body.append(provenance.sources(manifest))
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body.append(
        f"<footer>Generated {esc(stamp)} by forecast "
        f"{esc(manifest.environment.versions.get('forecast') or '')}.</footer>"
    )
    doc = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Forecast report — {esc(manifest.run_id)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )
    return atomic_write_text(out_path, doc)


__all__ = [
    "REPORT_NAME",
    "build_report",
    "crossing_rows",
    "doubling_rows",
    "png_data_uri",
    "probability_rows",
    "screenshot",
]
