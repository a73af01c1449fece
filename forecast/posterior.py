"""Posterior adapter: the fitted trend posterior as flat per-draw arrays for the Monte Carlo.

:func:`trend_draws` reads the DataTree written by ``forecast fit`` (checking that every variable
it needs is there) into :class:`TrendDraws`, one float64 array per quantity with the chains
flattened; :func:`log10_effective_trend` is the fitted trend's closed form, used where no
scenario applies (the seeds table, years before a scenario starts).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from forecast.errors import DataError, did_you_mean
from forecast.vocab import GROWTH_COMPONENTS

#: Effective compute is counted in 2023-algorithm-equivalent FLOP: algorithmic progress A(t) is 0
#: at this date on the fitted trend.
ALGORITHMIC_ANCHOR_YEAR = 2023.0


class TrendDraws(NamedTuple):
    """Flat posterior draws of the trend model; each array leaf has shape ``(n_draws,)``.

    Attributes
    ----------
    growth_compute, growth_spending, growth_hardware, growth_algorithmic
        Fitted growth rates, OOM/yr.
    identity_gap
        ``compute - spending - hardware``, OOM/yr.
    log10_compute_ref
        log10 FLOP of frontier training compute at ``ref_year``.
    log10_spending_ref
        log10 2023-USD cost of a frontier run at ``ref_year``.
    ref_year
        Reference date (decimal year, a scalar).
    """

    growth_compute: np.ndarray
    growth_spending: np.ndarray
    growth_hardware: np.ndarray
    growth_algorithmic: np.ndarray
    identity_gap: np.ndarray
    log10_compute_ref: np.ndarray
    log10_spending_ref: np.ndarray
    ref_year: float


def trend_draws(dt) -> TrendDraws:
    """Flatten the fitted posterior (chain, draw) into :class:`TrendDraws`.

    Parameters
    ----------
    dt
        ``xarray.DataTree`` with a ``posterior`` group holding ``growth`` (chain, draw, component),
        ``identity_gap``, ``log10_compute_ref`` and ``log10_spending_ref``, and root attr
        ``ref_year``.

    Raises
    ------
    DataError
        A variable, component or attribute is missing.
    """
    if isinstance(dt, TrendDraws):
        return dt
    if "posterior" not in dt.children:
        raise DataError("posterior: group 'posterior' missing", "pass the DataTree written by `forecast fit`")
    post = dt["posterior"].to_dataset()
    for var in ("growth", "identity_gap", "log10_compute_ref", "log10_spending_ref"):
        if var not in post:
            raise DataError(
                f"posterior: variable '{var}' missing{did_you_mean(var, list(post.data_vars))}",
                "refit with the current model",
            )
    comps = [str(c) for c in post["growth"].coords["component"].values]
    for c in GROWTH_COMPONENTS:
        if c not in comps:
            raise DataError(f"posterior: growth component '{c}' missing", "refit with the current model")
    if "ref_year" not in dt.attrs:
        raise DataError("posterior: root attr 'ref_year' missing", "refit with the current model")

    def flat(da):
        return np.asarray(da.transpose("chain", "draw", ...).values, dtype="float64").reshape(-1)

    g = post["growth"]
    return TrendDraws(
        growth_compute=flat(g.sel(component="compute")),
        growth_spending=flat(g.sel(component="spending")),
        growth_hardware=flat(g.sel(component="hardware")),
        growth_algorithmic=flat(g.sel(component="algorithmic")),
        identity_gap=flat(post["identity_gap"]),
        log10_compute_ref=flat(post["log10_compute_ref"]),
        log10_spending_ref=flat(post["log10_spending_ref"]),
        ref_year=float(dt.attrs["ref_year"]),
    )


def log10_effective_trend(trend: TrendDraws, year) -> np.ndarray:
    """log10 effective FLOP per draw on the fitted trend (closed form; no scenario)."""
    year = np.asarray(year, dtype="float64")
    return (
        trend.log10_compute_ref
        + trend.growth_compute * (year - trend.ref_year)
        + trend.growth_algorithmic * (year - ALGORITHMIC_ANCHOR_YEAR)
    )


__all__ = ["ALGORITHMIC_ANCHOR_YEAR", "TrendDraws", "log10_effective_trend", "trend_draws"]
