"""The published-figures table: every reference figure of :mod:`forecast.reference` beside the
fitted model's value with its 90% interval (``forecast seeds``, the report, ``seeds.csv``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecast.automation import COGNITIVE_QUANTILES, AutomationPosterior, share_change_draws
from forecast.posterior import TrendDraws, log10_effective_trend, trend_draws
from forecast.reference import (
    FTM_LOG10_FLOP_2022_ALGORITHMS,
    GPT2_RELEASE,
    GPT4_RELEASE,
    PUBLISHED_2030_BANDS_OOM,
    PUBLISHED_DOUBLING_MONTHS,
    PUBLISHED_EFFECTIVE_GROWTH_PER_YEAR,
    PUBLISHED_GPT2_GPT4_OOM,
    PUBLISHED_UPLIFT_PP,
)
from forecast.units import doubling_months


def seeds_table(
    dt_posterior, result_by_scenario: Mapping[str, object], automation: AutomationPosterior
) -> pd.DataFrame:
    """Set published headline figures beside the fitted model's.

    Parameters
    ----------
    dt_posterior
        Fitted posterior DataTree (``doubling_months`` is used when present).
    result_by_scenario
        ``{name: simulate(...) result}``; uses ``conservative``, ``central``, ``explosive`` and
        ``trend`` when present (missing ones give NaN rows).
    automation
        Calibrated :class:`~forecast.automation.AutomationPosterior`.

    Returns
    -------
    pandas.DataFrame
        Columns ``item, published_low, published_high, ours_median, ours_q05, ours_q95, unit, note``.
    """
    trend = trend_draws(dt_posterior)
    rows = []

    def add(item, lo, hi, values, unit, note):
        v = np.asarray(values, dtype="float64").ravel()
        rows.append(
            {
                "item": item,
                "published_low": lo,
                "published_high": hi,
                "ours_median": float(np.median(v)) if v.size else np.nan,
                "ours_q05": float(np.quantile(v, 0.05)) if v.size > 1 else np.nan,
                "ours_q95": float(np.quantile(v, 0.95)) if v.size > 1 else np.nan,
                "unit": unit,
                "note": note,
            }
        )

    growth = {
        "algorithmic": trend.growth_algorithmic,
        "hardware": trend.growth_hardware,
        "spending": trend.growth_spending,
    }
    for comp, published in PUBLISHED_DOUBLING_MONTHS.items():
        months = doubling_months(growth[comp])
        if not isinstance(dt_posterior, TrendDraws) and "doubling_months" in dt_posterior["posterior"].data_vars:
            months = dt_posterior["posterior"]["doubling_months"].sel(component=comp).values
        add(f"doubling time, {comp}", published, published, months, "months", "posterior median and 90% interval")
    add(
        "effective compute growth per year",
        PUBLISHED_EFFECTIVE_GROWTH_PER_YEAR,
        PUBLISHED_EFFECTIVE_GROWTH_PER_YEAR,
        10.0 ** (trend.growth_compute + trend.growth_algorithmic),
        "x per year",
        "frontier compute x algorithms, fitted trend",
    )

    def factor_row(item, res, lo, hi, note):
        qv = res["log10_factor"].sel(series="effective", year=res.attrs.get("prob_year", 2030))
        rows.append(
            {
                "item": item,
                "published_low": lo,
                "published_high": hi,
                "ours_median": float(qv.sel(quantile=0.5)),
                "ours_q05": float(qv.sel(quantile=0.05)),
                "ours_q95": float(qv.sel(quantile=0.95)),
                "unit": "log10 factor",
                "note": f"{res.attrs['base_year']}->{res.attrs['prob_year']}, {res.attrs['paths']} paths; {note}",
            }
        )

    def prob_row(band, given, res, note):
        p = float(res["prob_factor_headline"].sel(factor_threshold_oom=band)) if res is not None else np.nan
        rows.append(
            {
                "item": f"P(2030 factor >= 1e{int(band)} | {given})",
                "published_low": np.nan,
                "published_high": np.nan,
                "ours_median": p,
                "ours_q05": np.nan,
                "ours_q95": np.nan,
                "unit": "probability",
                "note": note if res is not None else "scenario not simulated",
            }
        )

    for name, band in PUBLISHED_2030_BANDS_OOM.items():
        res = result_by_scenario.get(name)
        item = f"2030 factor, {name} reference scenario median (imposed, not forecast)"
        if res is None:
            add(item, band, band, [], "log10 factor", "scenario not simulated")
        else:
            factor_row(item, res, band, band, "schedules imposed to reproduce the published figure")
    # the forecast: the structural model's probabilities of the three published bands, then
    # every named structural scenario's median beside the published central band (how far, not tuned)
    forecast = {n: r for n, r in result_by_scenario.items() if r.attrs.get("scenario_kind") == "forecast"}
    for band in PUBLISHED_2030_BANDS_OOM.values():
        prob_row(band, "trend", result_by_scenario.get("trend"), "fitted exponentials extrapolated, no limits")
        prob_row(
            band,
            "structural forecast",
            forecast.get("structural"),
            "caps, limits, slowdown and research feedback drawn from priors/structural.toml",
        )
    central = PUBLISHED_2030_BANDS_OOM.get("central", 8.0)
    for name, res in forecast.items():
        med = float(res["log10_factor"].sel(series="effective", year=res.attrs.get("prob_year", 2030), quantile=0.5))
        conditioned = bool(json.loads(res.attrs.get("structural_conditions", "{}") or "{}"))
        factor_row(
            f"2030 factor, {name} median (structural forecast{', conditioned' if conditioned else ''})",
            res,
            central,
            central,
            f"{med - central:+.1f} OOM from the published central band; not tuned; {res.attrs.get('scenario_label')}",
        )
    factor = (trend.growth_compute + trend.growth_algorithmic) * (GPT4_RELEASE - GPT2_RELEASE)
    add(
        "GPT-2 (2019-02) -> GPT-4 (2023-03) effective compute",
        *PUBLISHED_GPT2_GPT4_OOM,
        factor,
        "log10 factor",
        "fitted trend",
    )
    n = automation.params.offset_oom.shape[0]
    pair = np.arange(n) % trend.growth_compute.shape[0]
    anchor = log10_effective_trend(trend, automation.anchor_year)[pair]
    x19, x23 = (log10_effective_trend(trend, year)[pair] - anchor for year in (2019.0, 2023.0))
    for quantity, what in (("technical", "technically automatable"), ("exposure", "exposed (time saving)")):
        change = share_change_draws(automation, x19, x23, quantity)
        for ttype, (lo, hi) in PUBLISHED_UPLIFT_PP.items():
            add(
                f"gen-AI uplift 2019->2023, {ttype}, {quantity}",
                lo,
                hi,
                change.get(ttype, []),
                "pp of tasks",
                f"change in the share {what}; SOC mapping in forecast.occupations.TASK_TYPE_BY_GROUP",
            )
    # FTM's effective FLOP for 100% of cognitive tasks is at 2022 algorithms: add a year of the
    # fitted algorithmic progress to ours (2023-algorithm-equivalent) to compare like with like.
    to_2022 = anchor + trend.growth_algorithmic[pair] * (2023.0 - 2022.0)
    for j, (share, published) in enumerate(zip(COGNITIVE_QUANTILES, FTM_LOG10_FLOP_2022_ALGORITHMS, strict=True)):
        label = "100% (99%)" if share > 0.9 else f"{share:.0%}"
        add(
            f"effective FLOP for {label} of cognitive tasks",
            published,
            published,
            to_2022 + automation.cognitive_requirement_oom[:, j],
            "log10 FLOP, 2022 algorithms",
            "FTM (Davidson 2023): 1e36 for 100%, FLOP gap ~4 OOM to 20%; ours: requirement model",
        )
    return pd.DataFrame(rows)


__all__ = ["seeds_table"]
