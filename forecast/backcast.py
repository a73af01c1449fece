"""Backcast of the labour layer: the model's 2023-2025 outcomes beside what was observed.

Every number the tool prints about work must stand beside an observation or a published estimate.
This module evaluates the realised layer (:func:`forecast.realised.realised_year`) and the channels
(:func:`forecast.macro.labour_channels`) on joint posterior draws, the same functions the Monte
Carlo kernel runs, with effective compute from the fitted trend's closed form (the trend scenario;
2023-2025 are data years, so no scenario applies). It gives three tables:

- :func:`backcast_table`: each observed figure of :data:`forecast.reference.OBSERVED_LABOUR`
  (value or bound) beside the model's 90% interval, with ``inside`` = the interval and the
  observed range overlap. Rows whose prior was set from the figure say so (``role``).
- ten-year TFP (2024-2034, US) beside Acemoglu (2024) and McKinsey (2023);
- channels over 18 years from the end of the data (2025-2043, NL) beside the 1998-2016
  decomposition quoted in the advisory request;
- the sensitivity of 2035 outcomes to the adoption ceiling and midpoint (medians by tercile).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from forecast.reference import OBSERVED_LABOUR, PUBLISHED_DECOMPOSITION_1998_2016, PUBLISHED_TEN_YEAR_TFP

#: Start of the channels' cumulation: ChatGPT's release (30 Nov 2022).
CHATGPT_RELEASE = 2022.9
TEN_YEAR_WINDOW = (2024.0, 2034.0)
DECOMPOSITION_WINDOW = (2025.0, 2043.0)  # 18 years, as 1998-2016
QUANTILES = (0.05, 0.5, 0.95)


class LabourPaths(NamedTuple):
    """Per-draw yearly paths of one region (leaves ``(n_years, n_draws)``)."""

    years: np.ndarray
    hours_with_ai: np.ndarray
    time_saved: np.ndarray
    adoption_employment: np.ndarray
    realised_total: np.ndarray
    displacement: np.ndarray
    reinstatement: np.ndarray
    productivity: np.ndarray
    wage_bill: np.ndarray
    tfp: np.ndarray


def labour_paths(trend, automation, macro, start: float, end: float, *, key, n: int = 4000) -> LabourPaths:
    """Yearly realised shares and channels from ``start`` to ``end`` (cumulative from ``start``).

    Parameters
    ----------
    trend
        :class:`forecast.posterior.TrendDraws`.
    automation
        :class:`forecast.automation.AutomationPosterior`.
    macro
        :class:`forecast.macro.MacroInputs` of the region.
    start, end
        Decimal years; the grid is ``start`` then yearly steps ending at ``end`` (the first step may be
        shorter: cumulative channels and levels do not depend on the grid).
    key
        JAX PRNG key picking the trend and automation draw of each of the ``n`` joint draws (the
        macro draws are taken in order, cycled), so two regions with the same key share them.
    """
    import jax
    import jax.numpy as jnp

    from forecast.adoption import adoption_curve
    from forecast.automation import AutomationParams, group_share, unit_share
    from forecast.macro import labour_channels, macro_channel_params
    from forecast.posterior import TrendDraws, log10_effective_trend
    from forecast.realised import realised_year

    steps = int(np.ceil(end - start - 1e-9))
    years = np.concatenate([[start], end - np.arange(steps - 1, -1, -1.0)])
    k_t, k_a = jax.random.split(key)
    it = np.asarray(jax.random.randint(k_t, (n,), 0, trend.growth_compute.shape[0]))
    ia = np.asarray(jax.random.randint(k_a, (n,), 0, automation.params.offset_oom.shape[0]))
    md = jax.tree.map(lambda a: np.asarray(a)[np.arange(n) % np.asarray(a).shape[0]], macro.draws)
    tr = TrendDraws(*(np.asarray(a)[it] for a in trend[:-1]), trend.ref_year)
    anchor = log10_effective_trend(tr, automation.anchor_year)
    eff_lagged = log10_effective_trend(tr, years[:, None] - np.asarray(md.realised.lag_years)[None, :])
    params = AutomationParams(*(np.asarray(a)[ia] for a in automation.params))
    technical = group_share(unit_share(eff_lagged - anchor, params), jnp.asarray(automation.membership()))
    firms = adoption_curve(years[:, None], md.adoption_ceiling, md.adoption_rate, md.adoption_midpoint)
    growth_cost = tr.growth_hardware + tr.growth_algorithmic
    ry = realised_year(
        technical,
        firms,
        years[:, None],
        md.realised,
        jnp.asarray(macro.size_weight),
        jnp.asarray(macro.wage_bill_weight),
        growth_cost,
    )
    cum, _ = labour_channels(ry.realised, ry.tfp_level, jnp.asarray(macro.wage_bill_weight), macro_channel_params(md))
    realised_total = ry.realised @ jnp.asarray(macro.employment_weight)
    return LabourPaths(
        years,
        *(np.asarray(a) for a in (ry.hours_with_ai, ry.time_saved, ry.adoption_employment, realised_total)),
        *(np.asarray(a) for a in (cum.displacement, cum.reinstatement, cum.productivity, cum.wage_bill, cum.tfp)),
    )


def _interval(x) -> tuple[float, float, float]:
    q = np.quantile(np.asarray(x, dtype="float64"), QUANTILES)
    return float(q[0]), float(q[1]), float(q[2])


def _at(paths: LabourPaths, field: str, year: float):
    i = int(np.argmin(np.abs(paths.years - year)))
    if abs(paths.years[i] - year) > 1e-6:
        raise ValueError(f"backcast: {year} is not on the yearly grid starting {paths.years[0]}")
    return getattr(paths, field)[i]


def _row(check, region, window, low, high, unit, draws, role, source) -> dict:
    q05, q50, q95 = _interval(draws)
    lo = -np.inf if low is None else low
    hi = np.inf if high is None else high
    return {
        "check": check,
        "region": region,
        "window": window,
        "observed_low": np.nan if low is None else low,
        "observed_high": np.nan if high is None else high,
        "unit": unit,
        "q05": q05,
        "median": q50,
        "q95": q95,
        "inside": bool(q05 <= hi and q95 >= lo),
        "role": role,
        "source": source,
    }


def _region_paths(inputs_by_region: dict, trend, automation, start: float, end: float, key, n: int) -> dict:
    return {r: labour_paths(trend, automation, m, start, end, key=key, n=n) for r, m in inputs_by_region.items()}


def backcast_table(trend, automation, macro_by_region: dict, *, key, n: int = 4000) -> pd.DataFrame:
    """Observed 2023-2025 labour figures beside the model's 90% intervals.

    Parameters
    ----------
    trend, automation
        Trend and automation posteriors.
    macro_by_region
        :class:`forecast.macro.MacroInputs` for ``"US"``, ``"EU"`` and ``"NL"``, prepared with the same
        key (so the regions share their realised-layer draws).
    key
        JAX PRNG key (the same joint draws for every region).

    Returns
    -------
    pandas.DataFrame
        One row per observed figure: ``check, region, window, observed_low, observed_high, unit,
        q05, median, q95, inside, role, source``.
    """
    rows = []
    # one grid per observation date, each starting at ChatGPT's release or a year-fraction apart
    for obs in OBSERVED_LABOUR:
        start = CHATGPT_RELEASE if obs["start"] != obs["end"] else obs["end"] - 3.0
        paths = _region_paths(
            {r: macro_by_region[r] for r in obs["region"].split("/")}, trend, automation, start, obs["end"], key, n
        )
        if obs["quantity"] == "adoption_employment_nl_eu_ratio":
            draws = _at(paths["NL"], "adoption_employment", obs["end"]) / _at(
                paths["EU"], "adoption_employment", obs["end"]
            )
            unit = "ratio"
        else:
            draws = _at(paths[obs["region"]], obs["quantity"], obs["end"])
            unit = "fraction" if obs["start"] == obs["end"] else "log points, cumulative"
        window = f"{obs['end']:.1f}" if obs["start"] == obs["end"] else f"{obs['start']:.1f}-{obs['end']:.1f}"
        rows.append(
            _row(obs["check"], obs["region"], window, obs["low"], obs["high"], unit, draws, obs["role"], obs["source"])
        )
    return pd.DataFrame(rows)


def ten_year_tfp_table(trend, automation, macro_us, *, key, n: int = 4000) -> pd.DataFrame:
    """The model's TFP gain over :data:`TEN_YEAR_WINDOW` (US, trend) beside published ten-year estimates."""
    start, end = TEN_YEAR_WINDOW
    tfp = _at(labour_paths(trend, automation, macro_us, start, end, key=key, n=n), "tfp", end)
    window = f"{start:.0f}-{end:.0f}"
    return pd.DataFrame(
        [
            _row(e["estimate"], "US", window, e["low"], e["high"], "log points", tfp, "beside", e["source"])
            for e in PUBLISHED_TEN_YEAR_TFP
        ]
    )


def decomposition_table(trend, automation, macro, *, key, n: int = 4000) -> pd.DataFrame:
    """Channels over 18 years from the end of the data beside the 1998-2016 decomposition.

    Returns columns ``channel, published, q05, median, q95`` (log points; ``productivity_share`` is
    productivity / (|displacement| + reinstatement + productivity), per draw).
    """
    start, end = DECOMPOSITION_WINDOW
    paths = labour_paths(trend, automation, macro, start, end, key=key, n=n)
    disp, reinst, prod = (_at(paths, f, end) for f in ("displacement", "reinstatement", "productivity"))
    share = prod / np.maximum(np.abs(disp) + reinst + prod, 1e-12)
    pub = PUBLISHED_DECOMPOSITION_1998_2016
    rows = []
    for name, draws, published in (
        ("displacement", disp, pub["displacement"]),
        ("reinstatement", reinst, pub["reinstatement"]),
        ("productivity_share", share, pub["productivity_share_min"]),
    ):
        q05, q50, q95 = _interval(draws)
        rows.append({"channel": name, "published": published, "q05": q05, "median": q50, "q95": q95})
    out = pd.DataFrame(rows)
    out.attrs["window"] = f"{start:.0f}-{end:.0f} ({macro.region}, fitted trend)"
    return out


def adoption_sensitivity_table(trend, automation, macro, *, key, n: int = 4000, year: float = 2035.0) -> pd.DataFrame:
    """How the adoption ceiling and midpoint drive the outcomes: medians by tercile of each draw.

    Three survey years identify only the early slope of the diffusion curve, so the ceiling's
    posterior is close to its prior; this table shows what that uncertainty does to realised
    automation, the wage bill and TFP in ``year`` (``region``, fitted trend, cumulative from the
    end of the data).

    Returns columns ``parameter, tercile, parameter_low, parameter_high, realised_total,
    wage_bill, tfp`` (medians within the tercile).
    """
    start = DECOMPOSITION_WINDOW[0]
    paths = labour_paths(trend, automation, macro, start, year, key=key, n=n)
    idx = np.arange(n) % np.asarray(macro.draws.adoption_ceiling).shape[0]
    outcome = {f: _at(paths, f, year) for f in ("realised_total", "wage_bill", "tfp")}
    rows = []
    for name in ("adoption_ceiling", "adoption_midpoint"):
        value = np.asarray(getattr(macro.draws, name))[idx]
        cuts = np.quantile(value, [0.0, 1 / 3, 2 / 3, 1.0])
        for k, label in enumerate(("low", "middle", "high")):
            sel = (value >= cuts[k]) & (value <= cuts[k + 1])
            rows.append(
                {
                    "parameter": name,
                    "tercile": label,
                    "parameter_low": float(cuts[k]),
                    "parameter_high": float(cuts[k + 1]),
                    **{f: float(np.median(v[sel])) for f, v in outcome.items()},
                }
            )
    out = pd.DataFrame(rows)
    out.attrs["window"] = f"{start:.0f}-{year:.0f} ({macro.region}, fitted trend)"
    return out


class LabourChecks(NamedTuple):
    """The tables of this module."""

    backcast: pd.DataFrame
    ten_year_tfp: pd.DataFrame
    decomposition: pd.DataFrame
    adoption_sensitivity: pd.DataFrame

    def write(self, directory) -> None:
        """One CSV per table (``backcast.csv``, ``ten_year_tfp.csv``, ...) into ``directory``."""
        from pathlib import Path

        for name, table in self._asdict().items():
            table.to_csv(Path(directory) / f"{name}.csv", index=False)


def labour_checks(trend, automation, macro_by_region: dict, region: str, *, key, n: int = 4000) -> LabourChecks:
    """All tables: the backcast (US / EU / NL), ten-year TFP (US), the decomposition and the adoption
    sensitivity (``region``)."""
    return LabourChecks(
        backcast_table(trend, automation, macro_by_region, key=key, n=n),
        ten_year_tfp_table(trend, automation, macro_by_region["US"], key=key, n=n),
        decomposition_table(trend, automation, macro_by_region[region], key=key, n=n),
        adoption_sensitivity_table(trend, automation, macro_by_region[region], key=key, n=n),
    )


__all__ = [
    "CHATGPT_RELEASE",
    "adoption_sensitivity_table",
    "LabourChecks",
    "labour_checks",
    "DECOMPOSITION_WINDOW",
    "TEN_YEAR_WINDOW",
    "LabourPaths",
    "backcast_table",
    "decomposition_table",
    "labour_paths",
    "ten_year_tfp_table",
]
