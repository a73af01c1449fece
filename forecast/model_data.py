"""The trend model's data: frontier rows split into single values and compute/cost pairs, centred
and scaled arrays (:class:`ModelData`, a pytree) and the observed sites they fill.

:mod:`forecast.model` re-exports everything here; the model function itself lives there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax import Array

from forecast.lineage import eci_effects
from forecast.vocab import DOMAINS, ECI_EFFECTS

#: The two values of a frontier model in the bivariate likelihood, the ``pair_var`` dim.
PAIR_VARS = ("compute", "spending")
#: Default reference date (decimal year) at which levels are defined and time is centred.
REF_YEAR = 2020.0

__all__ = [
    "OBSERVATIONS",
    "PAIR_VARS",
    "REF_YEAR",
    "TREND_SITES",
    "DataScaling",
    "DomainSeries",
    "ModelData",
    "PairSeries",
    "TrendSeries",
    "model_data",
    "observation_units",
    "pair_frames",
    "with_observations",
    "without_observations",
]


class TrendSeries(NamedTuple):
    """A log-linear series: ``t`` years since the reference date, ``y`` log10 values."""

    t: Array
    y: Array


class PairSeries(NamedTuple):
    """Frontier models with both values: ``t`` and ``y`` of shape ``(n, 2)`` (log10 FLOP, log10 USD)."""

    t: Array
    y: Array


class DomainSeries(NamedTuple):
    """An algorithmic-progress domain: time ``t``, observations ``xy`` ``(n, 2)`` (centred log10
    compute as recorded, standardised performance) and lineage marks ``effects`` ``(n,
    len(ECI_EFFECTS))`` (zeros outside ECI)."""

    t: Array
    xy: Array
    effects: Array


class ModelData(NamedTuple):
    """All arrays the model conditions on (a pytree; static facts live in :class:`DataScaling`).

    ``compute`` and ``spending`` hold the frontier models with only that value; ``pair`` those
    with both.
    """

    compute: TrendSeries
    spending: TrendSeries
    pair: PairSeries
    hardware_release: TrendSeries
    hardware_cloud: TrendSeries
    imagenet: DomainSeries
    eci: DomainSeries


#: Observed sites of the trend block (frontier models, chips, cloud prices).
TREND_SITES = ("obs_compute", "obs_spending", "obs_pair", "obs_hardware_release", "obs_hardware_cloud")
#: Observed sites and the ``(ModelData field, series field)`` each one holds.
OBSERVATIONS: dict[str, tuple[str, str]] = {
    "obs_compute": ("compute", "y"),
    "obs_spending": ("spending", "y"),
    "obs_pair": ("pair", "y"),
    "obs_hardware_release": ("hardware_release", "y"),
    "obs_hardware_cloud": ("hardware_cloud", "y"),
    **{f"obs_{d}": (d, "xy") for d in DOMAINS},
}


@dataclass(frozen=True)
class DataScaling:
    """Constants used to centre and standardise the data, kept to map results back."""

    ref_year: float
    t_mean: dict[str, float]
    x_mean: dict[str, float]
    y_mean: dict[str, float]
    y_sd: dict[str, float]


_PAIR_KEY = ["name", "year"]


def pair_frames(compute: pd.DataFrame, spending: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split frontier-model rows into those with both values and those with one.

    A compute row and a spending row are the same model when name and date agree.

    Returns
    -------
    pair, compute_only, spending_only : pandas.DataFrame
        ``pair`` in the compute frame's order with columns ``name``, ``year``, ``compute``,
        ``spending``; the others are rows of the input frames.
    """
    m = compute[[*_PAIR_KEY, "log10_value"]].merge(
        spending[[*_PAIR_KEY, "log10_value"]], on=_PAIR_KEY, how="left", suffixes=("_c", "_s"), sort=False
    )
    both = m["log10_value_s"].notna().to_numpy()
    pair = m.loc[both].rename(columns={"log10_value_c": "compute", "log10_value_s": "spending"})
    in_compute = spending[_PAIR_KEY].merge(compute[_PAIR_KEY], on=_PAIR_KEY, how="left", indicator=True)
    spending_only = spending.loc[(in_compute["_merge"] == "left_only").to_numpy()]
    return pair.reset_index(drop=True), compute.loc[~both].reset_index(drop=True), spending_only.reset_index(drop=True)


def model_data(frames, ref_year: float = REF_YEAR) -> tuple[ModelData, DataScaling]:
    """Convert tidy frames (:class:`forecast.data.TrendFrames`) to model arrays.

    Parameters
    ----------
    frames
        Object with DataFrame attributes ``compute``, ``spending``, ``hardware_release``,
        ``hardware_cloud`` (columns ``name``, ``year``, ``log10_value``) and ``imagenet``, ``eci``
        (columns ``name``, ``year``, ``log10_compute``, ``performance``).
    ref_year
        Decimal year at which time is centred and levels are defined.

    Returns
    -------
    (ModelData, DataScaling)
    """

    def trend(df) -> TrendSeries:
        return TrendSeries(
            t=jnp.asarray(df["year"].to_numpy(dtype=float) - ref_year),
            y=jnp.asarray(df["log10_value"].to_numpy(dtype=float)),
        )

    t_mean, x_mean, y_mean, y_sd, domains = {}, {}, {}, {}, {}
    for name in DOMAINS:
        df = getattr(frames, name)
        x = df["log10_compute"].to_numpy(dtype=float)
        y = df["performance"].to_numpy(dtype=float)
        years = df["year"].to_numpy(dtype=float)
        # Centring and scaling use only the data being fitted, so an as-of fit sees no future.
        # Time is centred at the domain's own mean date: the intercept is then not an
        # extrapolation and is nearly uncorrelated with the domain's rate (better NUTS geometry).
        t_mean[name] = float(years.mean()) if len(years) else ref_year
        x_mean[name] = float(x.mean()) if len(x) else 0.0
        y_mean[name] = float(y.mean()) if len(y) else 0.0
        y_sd[name] = float(y.std()) if len(y) > 1 and y.std() > 0 else 1.0
        marks = eci_effects(df["name"], years, x) if name == "eci" else np.zeros((len(df), len(ECI_EFFECTS)))
        domains[name] = DomainSeries(
            t=jnp.asarray(years - t_mean[name]),
            xy=jnp.asarray(np.stack([x - x_mean[name], (y - y_mean[name]) / y_sd[name]], -1).reshape(-1, 2)),
            effects=jnp.asarray(marks),
        )
    pair, compute_only, spending_only = pair_frames(frames.compute, frames.spending)
    data = ModelData(
        compute=trend(compute_only),
        spending=trend(spending_only),
        pair=PairSeries(
            t=jnp.asarray(pair["year"].to_numpy(dtype=float) - ref_year),
            y=jnp.asarray(pair[list(PAIR_VARS)].to_numpy(dtype=float).reshape(-1, 2)),
        ),
        hardware_release=trend(frames.hardware_release),
        hardware_cloud=trend(frames.hardware_cloud),
        imagenet=domains["imagenet"],
        eci=domains["eci"],
    )
    return data, DataScaling(ref_year=ref_year, t_mean=t_mean, x_mean=x_mean, y_mean=y_mean, y_sd=y_sd)


def observation_units(frames, *, paired: bool = True) -> dict[str, list[str]]:
    """One label per element of each observed site, naming the observation unit it belongs to.

    A unit is what leave-one-out leaves out: one frontier model (its compute and cost together,
    whether they enter as a pair or, in a model with separate likelihoods, as two sites), one
    chip, one cloud price, one algorithmic-progress row (its recorded compute and its score).
    Labels are ``"<unit kind>:<name>@<decimal year>"``, in the order :func:`model_data` gives.

    Parameters
    ----------
    frames
        As for :func:`model_data`.
    paired
        ``False`` gives the sites of a model with separate compute and cost likelihoods over all
        rows (the model before the joint likelihood), for comparisons with it.

    Returns
    -------
    dict
        ``{site: [label, ...]}`` for every site of :data:`OBSERVATIONS` with rows.
    """

    def labels(kind, df):
        return [f"{kind}:{n}@{y:.6f}" for n, y in zip(df["name"], df["year"], strict=True)]

    pair, compute_only, spending_only = pair_frames(frames.compute, frames.spending)
    if not paired:
        pair, compute_only, spending_only = pair.iloc[:0], frames.compute, frames.spending
    out = {
        "obs_compute": labels("frontier_model", compute_only),
        "obs_spending": labels("frontier_model", spending_only),
        "obs_pair": labels("frontier_model", pair),
        "obs_hardware_release": labels("hardware_release", frames.hardware_release),
        "obs_hardware_cloud": labels("hardware_cloud", frames.hardware_cloud),
    }
    for d in DOMAINS:
        out[f"obs_{d}"] = labels(d, getattr(frames, d))
    return {site: lab for site, lab in out.items() if lab}


def without_observations(data: ModelData) -> ModelData:
    """The same times and covariates with every observed field set to ``None`` (for simulation)."""
    return with_observations(data, dict.fromkeys(OBSERVATIONS))


def with_observations(data: ModelData, values: dict) -> ModelData:
    """``data`` with the observed fields of the sites in ``values`` replaced (others unchanged)."""
    out = data._asdict()
    for site, v in values.items():
        field, attr = OBSERVATIONS[site]
        out[field] = out[field]._replace(**{attr: v})
    return ModelData(**out)
