"""Output summaries of a Monte Carlo run: quantiles from the integer histograms, the result
DataTree, and the CSV/NetCDF files written for it.

The engine (:mod:`forecast.simulate`) reduces every path into fixed-bin integer histograms;
quantiles are read off them here with linear interpolation inside a bin, so their error is at
most one bin width (:data:`~forecast.kernel.LOG_BIN_WIDTH` = 0.01 OOM for log10 factors,
:data:`~forecast.kernel.SHARE_BIN_WIDTH` = 0.001 for shares). Probabilities and first-crossing
years are exact counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from forecast.kernel import (
    FACTOR_THRESHOLDS_OOM,
    LOG_BIN_LOW,
    LOG_BIN_WIDTH,
    PATH_SERIES,
    SHARE_BIN_WIDTH,
    SHARE_SERIES,
    SHARE_THRESHOLDS,
    STEPS_PER_YEAR,
)

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
TECHNICAL = "technically automatable: the frontier's effective compute has reached the task's requirement"
#: Column names of the quantiles in the CSV outputs.
QUANTILE_COLUMNS = {q: f"q{int(round(q * 100)):02d}" for q in QUANTILES}


def histogram_quantiles(counts: np.ndarray, low: float, width: float, quantiles=QUANTILES) -> np.ndarray:
    """Quantiles from fixed-bin counts ``(..., n_bins)`` by linear interpolation within a bin.

    The result is within one bin width of the sample quantile of the underlying values.

    Examples
    --------
    >>> histogram_quantiles(np.array([0, 2, 2, 0]), 0.0, 1.0, (0.5,)).tolist()
    [2.0]
    """
    counts = np.asarray(counts, dtype="float64")
    cum = np.cumsum(counts, axis=-1)
    n = cum[..., -1:]
    out = []
    for q in quantiles:
        target = q * n
        i = np.argmax(cum >= target, axis=-1)[..., None]
        below = np.where(i > 0, np.take_along_axis(cum, np.maximum(i - 1, 0), axis=-1), 0.0)
        inbin = np.take_along_axis(counts, i, axis=-1)
        frac = np.where(inbin > 0, (target - below) / np.where(inbin > 0, inbin, 1.0), 0.0)
        out.append((low + width * (i + frac))[..., 0])
    return np.stack(out, axis=-1)


def assemble(
    hist, meta, trend, automation, name, params, rationale, source, sha, *, paths, base_year, until_year, prob_year
):
    years = np.arange(base_year, until_year + 1)
    groups = list(automation.groups)
    q = list(QUANTILES)
    log_q = histogram_quantiles(hist["log_hist"], LOG_BIN_LOW, LOG_BIN_WIDTH)  # (year, series, q)
    share_q = histogram_quantiles(hist["share_hist"], 0.0, SHARE_BIN_WIDTH)  # (year, 2 + G, q)
    exceed = hist["factor_exceed"] / paths  # (year, thr)
    cross = hist["crossing"]  # (thr, n_years + 2): bins = years..., never
    cross_years = np.concatenate([years.astype("float64"), [np.inf]])
    cross_cdf = np.cumsum(cross[:, :-1], axis=-1) / paths
    cross_q = np.full((len(SHARE_THRESHOLDS), len(q)), np.nan)
    for i in range(len(SHARE_THRESHOLDS)):
        cum = np.cumsum(cross[i]) / paths
        for j, qq in enumerate(q):
            k = int(np.argmax(cum >= qq))
            cross_q[i, j] = cross_years[k]
    ds = xr.Dataset(
        {
            "log10_factor": (
                ("series", "year", "quantile"),
                np.moveaxis(log_q[:, :5], 1, 0),
                {"units": "OOM", "description": f"log10 factor vs {base_year}"},
            ),
            "log10_effective_flop": (
                ("year", "quantile"),
                log_q[:, 5],
                {"units": "log10 FLOP (2023-algorithm-equivalent)"},
            ),
            "share_total": (
                ("year", "quantile"),
                share_q[:, 0],
                {"units": "fraction of all tasks (employment-weighted)", "description": TECHNICAL},
            ),
            "share_cognitive": (
                ("year", "quantile"),
                share_q[:, 1],
                {"units": "fraction of cognitive tasks (employment-weighted)", "description": TECHNICAL},
            ),
            "share_group": (
                ("group", "year", "quantile"),
                np.moveaxis(share_q[:, 2:], 1, 0),
                {"units": "fraction of the group's tasks", "description": TECHNICAL},
            ),
            "prob_factor_at_least": (
                ("year", "factor_threshold_oom"),
                exceed,
                {"description": f"P(log10 effective-compute factor {base_year}->year >= threshold)"},
            ),
            "prob_crossed_by": (
                ("share_threshold", "year"),
                cross_cdf,
                {
                    "description": "P(the technically automatable share of cognitive tasks has reached the threshold "
                    "by the year); 0.99 stands for 100%"
                },
            ),
            "crossing_year_quantile": (
                ("share_threshold", "quantile"),
                cross_q,
                {
                    "description": "first calendar year the cognitive share reaches the threshold; inf = not by "
                    "until_year"
                },
            ),
        },
        coords={
            "series": list(PATH_SERIES[:5]),
            "year": years,
            "quantile": q,
            "group": groups,
            "group_title": ("group", list(automation.titles)),
            "factor_threshold_oom": list(FACTOR_THRESHOLDS_OOM),
            "share_threshold": list(SHARE_THRESHOLDS),
        },
    )
    if base_year <= prob_year <= until_year:
        ds["prob_factor_headline"] = (
            ("factor_threshold_oom",),
            exceed[prob_year - base_year],
            {"description": f"P(factor {base_year}->{prob_year} >= 10**threshold)"},
        )
    histograms = xr.Dataset(
        {
            "log_hist": (("year", "series_all", "log_bin"), hist["log_hist"]),
            "share_hist": (("year", "share_series", "share_bin"), hist["share_hist"]),
            "crossing_count": (("share_threshold", "crossing_bin"), cross),
            "factor_exceed_count": (("year", "factor_threshold_oom"), hist["factor_exceed"]),
            "out_of_range_count": (("year", "series_all"), hist["out_of_range"]),
        },
        coords={
            "year": years,
            "series_all": list(PATH_SERIES),
            "share_series": [*SHARE_SERIES, *groups],
            "crossing_bin": [*(str(y) for y in years), "never"],
            "share_threshold": list(SHARE_THRESHOLDS),
            "factor_threshold_oom": list(FACTOR_THRESHOLDS_OOM),
        },
        attrs={"log_bin_low": LOG_BIN_LOW, "log_bin_width": LOG_BIN_WIDTH, "share_bin_width": SHARE_BIN_WIDTH},
    )
    dt = xr.DataTree.from_dict({"/": ds, "histograms": histograms})
    dt.attrs.update(
        {
            "scenario": name,
            "scenario_params": json.dumps(params._asdict()),
            "scenario_rationale": rationale,
            "scenario_source": source,
            "scenario_sha256": sha,
            "paths": int(paths),
            "base_year": int(base_year),
            "until_year": int(until_year),
            "prob_year": int(prob_year),
            "steps_per_year": STEPS_PER_YEAR,
            "n_groups": len(groups),
            "n_automation_cells": len(automation.cell_group),
            "cells": int(paths) * (until_year - base_year) * STEPS_PER_YEAR * len(automation.cell_group),
            "automation_anchor_year": float(automation.anchor_year),
            "ref_year": float(trend.ref_year),
            "n_trend_draws": int(trend.growth_compute.shape[0]),
            "n_automation_draws": int(automation.params.offset_oom.shape[0]),
            "quantile_method": f"fixed-bin histograms; error <= one bin ({LOG_BIN_WIDTH} OOM, {SHARE_BIN_WIDTH} share)",
            "out_of_range_values": int(hist["out_of_range"].sum()),
            # NetCDF attrs: no bools or lists
            **{
                k: (json.dumps(v) if isinstance(v, list) else int(v) if isinstance(v, bool) else v)
                for k, v in meta.items()
            },
        }
    )
    return dt


def assemble_macro(dt, hist, macro, *, paths, base_year, until_year):
    """Add the macro quantiles (and exact means) to a :func:`simulate` result."""
    from forecast.macro import (
        CHANNELS,
        EFFECT_BIN_LOW,
        EFFECT_BIN_WIDTH,
        MACRO_SHARES,
        SUM_SCALE,
        WEIGHTS_NOTE,
        effect_from_bin_space,
    )

    nc = len(CHANNELS)
    share_q = histogram_quantiles(hist["macro_share_hist"], 0.0, SHARE_BIN_WIDTH)  # (year, 5, q)
    eff_q = effect_from_bin_space(histogram_quantiles(hist["macro_effect_hist"], EFFECT_BIN_LOW, EFFECT_BIN_WIDTH))
    note = f"region {macro.region}; {WEIGHTS_NOTE}"
    ds = dt.to_dataset()
    ds = ds.assign_coords(macro_share_series=list(MACRO_SHARES), channel=list(CHANNELS))
    ds["macro_share"] = (
        ("macro_share_series", "year", "quantile"),
        np.moveaxis(share_q, 1, 0),
        {
            "units": "fraction",
            "note": note,
            "description": "adoption_firms (share of 10+ enterprises using AI), adoption_employment "
            "(share of workers in AI-using firms), hours_with_ai and time_saved (shares of all work "
            "hours), profitable (share of technically automatable tasks cheaper with AI), cost_saving "
            "(labour-cost saving on those), realised_total (employment-weighted share of tasks done "
            "by AI) and realised automation by wage tier (employment-weighted terciles of BLS mean "
            "wages); forecast.realised",
        },
    )
    ds["channel_cumulative"] = (
        ("channel", "year", "quantile"),
        np.moveaxis(eff_q[:, :nc], 1, 0),
        {
            "units": "log points, cumulative from the base year",
            "note": note,
            "description": "Acemoglu-Restrepo channels; per path wage_bill = displacement + "
            "reinstatement + productivity; tfp by Hulten's theorem",
        },
    )
    ds["channel_annual"] = (
        ("channel", "year", "quantile"),
        np.moveaxis(eff_q[:, nc:], 1, 0),
        {"units": "log points per year", "note": note},
    )
    if "macro_sum" in hist:
        means = hist["macro_sum"] / (SUM_SCALE * paths)  # (year, 5 + 2 * nc)
        ns = len(MACRO_SHARES)
        ds["macro_share_mean"] = (("macro_share_series", "year"), means[:, :ns].T, {"units": "fraction"})
        ds["channel_cumulative_mean"] = (
            ("channel", "year"),
            means[:, ns : ns + nc].T,
            {
                "units": "log points, cumulative from the base year",
                "description": f"exact fixed-point mean over paths (1/{SUM_SCALE:.0e})",
            },
        )
        ds["channel_annual_mean"] = (("channel", "year"), means[:, ns + nc :].T, {"units": "log points per year"})
    hists = dt["histograms"].to_dataset()
    hists["macro_share_hist"] = (("year", "macro_share_series", "share_bin"), hist["macro_share_hist"])
    hists["macro_effect_hist"] = (("year", "macro_effect_series", "effect_bin"), hist["macro_effect_hist"])
    hists["macro_out_of_range_count"] = (("year", "macro_effect_series"), hist["macro_out_of_range"])
    hists = hists.assign_coords(
        macro_effect_series=[f"{c}_cumulative" for c in CHANNELS] + [f"{c}_annual" for c in CHANNELS]
    )
    hists.attrs.update(
        {
            "effect_bin_low": EFFECT_BIN_LOW,
            "effect_bin_width": EFFECT_BIN_WIDTH,
            "effect_bin_transform": "asinh(x / 1e-4)",
        }
    )
    out = xr.DataTree.from_dict({"/": ds, "histograms": hists})
    out.attrs.update(dt.attrs)
    out.attrs.update(macro.attrs)
    out.attrs["macro_out_of_range_values"] = int(hist["macro_out_of_range"].sum())
    out.attrs["macro_quantile_method"] = (
        "fixed-bin histograms: shares within 0.001; channels binned in "
        "asinh(x/1e-4) space, within 1% relative (1e-6 absolute near 0)"
    )
    return out


def write_outputs(result, run_dir: Path) -> dict[str, Path]:
    """Write a :func:`simulate` result as NetCDF plus CSVs into ``run_dir`` (created if needed).

    Files: ``simulation.nc`` (the whole DataTree), ``quantiles.csv`` (series x year, long),
    ``shares.csv`` (technically automatable: total, cognitive and per group x year),
    ``probabilities.csv``, ``crossing_years.csv``.

    Returns
    -------
    dict
        File role -> path written.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ds = result.to_dataset()
    qcols = QUANTILE_COLUMNS
    paths = {}

    def wide(da, index):
        df = da.to_dataframe(name="value").reset_index().pivot(index=index, columns="quantile", values="value")
        return df.rename(columns=qcols).reset_index()

    quant = wide(ds["log10_factor"], ["series", "year"])
    eff = wide(ds["log10_effective_flop"], ["year"]).assign(series="log10_effective_flop")
    paths["quantiles"] = run_dir / "quantiles.csv"
    pd.concat([quant, eff[quant.columns]], ignore_index=True).to_csv(paths["quantiles"], index=False)
    shares = wide(ds["share_group"], ["group", "year"])
    total = wide(ds["share_total"], ["year"]).assign(group="total")
    cognitive = wide(ds["share_cognitive"], ["year"]).assign(group="cognitive")
    paths["shares"] = run_dir / "shares.csv"
    pd.concat([total[shares.columns], cognitive[shares.columns], shares], ignore_index=True).to_csv(
        paths["shares"], index=False
    )
    paths["probabilities"] = run_dir / "probabilities.csv"
    ds["prob_factor_at_least"].to_dataframe(name="probability").reset_index().to_csv(
        paths["probabilities"], index=False
    )
    paths["crossing_years"] = run_dir / "crossing_years.csv"
    cy = (
        ds["crossing_year_quantile"]
        .to_dataframe(name="year")
        .reset_index()
        .pivot(index="share_threshold", columns="quantile", values="year")
        .rename(columns=qcols)
    )
    cy["p_by_until"] = ds["prob_crossed_by"].isel(year=-1).to_numpy()
    cy.reset_index().to_csv(paths["crossing_years"], index=False)
    if "channel_cumulative" in ds:
        paths["macro"] = run_dir / "macro.csv"
        macro_table(result).to_csv(paths["macro"], index=False)
    paths["netcdf"] = run_dir / "simulation.nc"
    result.to_netcdf(paths["netcdf"])
    return paths


def macro_table(result) -> pd.DataFrame:
    """Long table of the macro outputs of a :func:`simulate` result (``macro.csv``).

    Columns ``series, measure, year, q05..q95, mean, units, region, note``; ``measure`` is
    ``share`` (adoption, realised automation, exposure by wage tier), ``cumulative`` or
    ``annual`` (channels, log points). ``note`` says that occupation weights are US (BLS) for
    every region.
    """
    ds = result.to_dataset()
    qcols = QUANTILE_COLUMNS
    region = result.attrs.get("macro_region", "")
    note = result.attrs.get("macro_occupation_weights", "")
    parts = []
    for var, dim, measure, mean_var in (
        ("macro_share", "macro_share_series", "share", "macro_share_mean"),
        ("channel_cumulative", "channel", "cumulative", "channel_cumulative_mean"),
        ("channel_annual", "channel", "annual", "channel_annual_mean"),
    ):
        df = (
            ds[var]
            .to_dataframe(name="value")
            .reset_index()
            .pivot(index=[dim, "year"], columns="quantile", values="value")
            .rename(columns=qcols)
        )
        if mean_var in ds:
            df["mean"] = ds[mean_var].to_series().reindex(df.index).to_numpy()
        else:
            df["mean"] = np.nan
        df = df.reset_index().rename(columns={dim: "series"})
        df.insert(1, "measure", measure)
        df["units"] = ds[var].attrs.get("units", "")
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    out["region"] = region
    out["note"] = note
    return out


__all__ = [
    "QUANTILES",
    "QUANTILE_COLUMNS",
    "assemble",
    "assemble_macro",
    "histogram_quantiles",
    "macro_table",
    "write_outputs",
]
