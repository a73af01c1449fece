"""Shared test helpers: simulate data from the trend model itself at known parameter values."""

from __future__ import annotations

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from numpyro.handlers import condition
from numpyro.infer import Predictive

from forecast.model import DOMAINS, ModelData, model_data, trend_model, without_observations

#: Known values, at the published doubling times: spending 7, hardware 30, algorithms 9 months.
TRUTH = {
    "growth_spending": 12 * np.log10(2) / 7,
    "growth_hardware": 12 * np.log10(2) / 30,
    "hardware_source_sd": 0.03,
    "hardware_z": np.array([-0.8, 0.8]),
    "identity_gap": 0.05,
    "growth_algorithmic": 12 * np.log10(2) / 9,
    "algorithmic_domain_sd": 0.05,
    "domain_z": np.array([0.5, -0.5]),
    "perf_intercept": np.array([0.3, -0.2]),
    "perf_slope": np.array([0.5, 0.6]),
    "noise": np.array([0.45, 0.4, 0.3, 0.3, 0.3, 0.3]),
    "student_df": 6.0,
    "level_compute": 23.4,
    "level_spending": 6.7,
    "level_hardware_release": 9.5,
    "level_hardware_cloud": 16.0,
}


def design(seed: int = 0, sizes=(80, 60, 50, 200, 70, 100)):
    """Dates and covariates shaped like the real data (no outcomes yet)."""
    rng = np.random.default_rng(seed)

    def trend(n, lo=2010.0, hi=2025.4):
        return pd.DataFrame({"year": np.sort(rng.uniform(lo, hi, n)), "log10_value": np.zeros(n)})

    def dom(n, lo, hi, x_mean):
        return pd.DataFrame(
            {
                "year": np.sort(rng.uniform(lo, hi, n)),
                "log10_compute": rng.normal(x_mean, 1.5, n),
                "performance": rng.normal(size=n),
            }
        )

    frames = SimpleNamespace(
        compute=trend(sizes[0]),
        spending=trend(sizes[1], 2015.0),
        hardware_release=trend(sizes[2], 2008.0),
        hardware_cloud=trend(sizes[3], 2015.0, 2025.2),
        imagenet=dom(sizes[4], 2012.0, 2022.9, 19.0),
        eci=dom(sizes[5], 2023.0, 2025.5, 25.0),
    )
    return model_data(frames)[0]


def simulate(data: ModelData, priors, key, truth=TRUTH) -> ModelData:
    """Draw every observed series from the model conditioned on ``truth``."""
    conditioned = condition(trend_model, data={k: jnp.asarray(v) for k, v in truth.items()})
    draws = Predictive(conditioned, num_samples=1)(key, without_observations(data), priors)
    replaced = {}
    for name in data._fields:
        series = getattr(data, name)
        replaced[name] = series._replace(y=draws[f"obs_{name}"][0])
    return ModelData(**replaced)


def prior_draw(priors, key):
    """One draw of every latent site from the prior (used as truth in SBC-style checks)."""
    draws = Predictive(trend_model, num_samples=1)(key, without_observations(design()), priors)
    names = list(TRUTH)
    return {k: np.asarray(draws[k][0]) for k in names}


__all__ = ["TRUTH", "design", "simulate", "prior_draw", "DOMAINS", "jax"]
