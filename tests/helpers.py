"""Shared test helpers: simulate data from the trend model itself at known parameter values."""

from __future__ import annotations

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from numpyro.handlers import condition
from numpyro.infer import Predictive

from forecast.model import (
    DOMAINS,
    OBSERVATIONS,
    SCALE_WALK_KNOTS,
    ModelData,
    model_data,
    trend_model,
    with_observations,
    without_observations,
)

#: Known values, at the published doubling times: spending 7, hardware 30, algorithms 9 months.
TRUTH = {
    "growth_spending": 12 * np.log10(2) / 7,
    "growth_hardware": 12 * np.log10(2) / 30,
    "hardware_source_sd": 0.03,
    "hardware_z": np.array([-0.8, 0.8]),
    "identity_gap": 0.05,
    "algorithmic_hypermean": 12 * np.log10(2) / 9,
    "algorithmic_domain_sd": 0.05,
    "domain_z": np.array([0.5, -0.5]),
    "perf_intercept": np.array([0.3, -0.2]),
    "perf_slope": np.array([0.5, 0.6]),
    "compute_meas_sd": 0.3,
    "compute_pop_loc": np.array([0.0, 0.1]),
    "compute_pop_trend": np.array([0.4, 0.6]),
    "compute_pop_sd": np.array([1.2, 1.0]),
    "eci_effect_oom": np.array([0.8, 0.9, 0.2]),
    "noise": np.array([0.45, 0.4, 0.3, 0.3, 0.3, 0.3]),
    "noise_trend": np.array([-0.04, -0.08, 0.0, 0.1]),
    # a flat residual-scale walk: the scale is the log-linear trend alone (the walk's own tests,
    # tests/test_model.py, set its knots)
    "noise_walk_sd": np.array([0.2, 0.15, 0.1, 0.5]),
    "noise_walk_z": np.zeros((4, len(SCALE_WALK_KNOTS) - 1)),
    "compute_spending_corr": 0.8,
    "student_df": 6.0,
    "level_compute": 23.4,
    "level_spending": 6.7,
    "level_hardware_release": 9.5,
    "level_hardware_cloud": 16.0,
}


#: ECI model-version names of the design that the lineage rule marks (reasoning, distilled, update).
MARKED_ECI = ("DeepSeek-R1-a", "qwen3-b", "phi-3-c", "phi-4-d", "lm-7-0324")


def design_frames(seed: int = 0, sizes=(80, 60, 50, 200, 70, 100), unpaired_spending: int = 5):
    """Frames shaped like the real data (outcomes are placeholders), with names and dates.

    Of the ``sizes[1]`` spending rows, all but ``unpaired_spending`` share name and date with a
    compute row (the frontier models with both values); the ECI frame holds the marked names of
    :data:`MARKED_ECI`, ``lm-7-0324`` a later checkpoint of ``lm-7`` (same compute).
    """
    rng = np.random.default_rng(seed)

    def trend(n, lo=2010.0, hi=2025.4, prefix="m"):
        return pd.DataFrame(
            {"name": [f"{prefix}{i}" for i in range(n)], "year": np.sort(rng.uniform(lo, hi, n)), "log10_value": 0.0}
        )

    def dom(n, lo, hi, x_mean, names=()):
        df = pd.DataFrame(
            {
                "name": [*names, *(f"lm-{i}" for i in range(n - len(names)))],
                "year": np.sort(rng.uniform(lo, hi, n)),
                "log10_compute": rng.normal(x_mean, 1.5, n),
                "performance": rng.normal(size=n),
            }
        )
        return df

    compute = trend(sizes[0])
    paired = compute.iloc[rng.choice(sizes[0], sizes[1] - unpaired_spending, replace=False)]
    spending = pd.concat([paired, trend(unpaired_spending, 2015.0, prefix="s")]).sort_values("year")
    eci = dom(sizes[5], 2023.0, 2025.5, 25.0, MARKED_ECI)
    base = eci.index[eci["name"] == "lm-7"][0]
    later = eci.index[eci["name"] == "lm-7-0324"][0]
    eci.loc[later, "log10_compute"] = eci.loc[base, "log10_compute"]
    eci.loc[later, "year"] = eci.loc[base, "year"] + 0.25
    return SimpleNamespace(
        compute=compute,
        spending=spending.reset_index(drop=True),
        hardware_release=trend(sizes[2], 2008.0),
        hardware_cloud=trend(sizes[3], 2015.0, 2025.2),
        imagenet=dom(sizes[4], 2012.0, 2022.9, 19.0),
        eci=eci,
    )


def design(seed: int = 0, sizes=(80, 60, 50, 200, 70, 100), unpaired_spending: int = 5):
    """Model arrays of :func:`design_frames` (no outcomes yet)."""
    return model_data(design_frames(seed, sizes, unpaired_spending))[0]


def simulate(data: ModelData, priors, key, truth=TRUTH) -> ModelData:
    """Draw every observed series from the model conditioned on ``truth``."""
    conditioned = condition(trend_model, data={k: jnp.asarray(v) for k, v in truth.items()})
    draws = Predictive(conditioned, num_samples=1)(key, without_observations(data), priors)
    return with_observations(data, {site: draws[site][0] for site in OBSERVATIONS if site in draws})


def prior_draw(priors, key):
    """One draw of every latent site from the prior (used as truth in SBC-style checks)."""
    draws = Predictive(trend_model, num_samples=1)(key, without_observations(design()), priors)
    names = list(TRUTH)
    return {k: np.asarray(draws[k][0]) for k in names}


__all__ = ["MARKED_ECI", "TRUTH", "design", "design_frames", "simulate", "prior_draw", "DOMAINS", "jax"]
