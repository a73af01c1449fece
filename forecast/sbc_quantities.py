"""Test quantities of the trend model's simulation-based calibration (:mod:`forecast.calibrate`).

Their names (:func:`quantity_names`, :data:`QUANTITIES`) and their values from draws: the
parameter-derived ones (:func:`parameter_quantities`) and the data-dependent ones
(:func:`data_quantities`: log-likelihoods and the compute-cost correlation gap), which guard
against a fitter that ignores the data (Modrák et al. 2023).
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
from jax import Array
from numpyro.infer.util import log_likelihood

from forecast.model import LATENT_SITES, ModelData
from forecast.priors import PriorSet
from forecast.vocab import DOMAINS, ECI_EFFECTS, GROWTH_COMPONENTS, OBSERVED_SERIES, TREND_SERIES

__all__ = [
    "QUANTITIES",
    "data_quantities",
    "latent",
    "pair_corr_gap",
    "parameter_quantities",
    "quantities_order",
    "quantity_names",
]

#: Level parameters of the four trend series (each a test quantity).
LEVELS = ("level_compute", "level_spending", "level_hardware_release", "level_hardware_cloud")


#: Errors-in-variables population parameters, one test quantity per domain each.
BY_DOMAIN = ("compute_pop_loc", "compute_pop_trend", "compute_pop_sd")


def quantity_names(
    forecast_year: float = 2030.0,
    *,
    time_varying_scale: bool = True,
    scale_walk: bool = True,
    skew: bool = False,
    tail: bool = False,
) -> tuple[str, ...]:
    """Names of the SBC test quantities for a given forecast year.

    Parameters
    ----------
    forecast_year
        Decimal year of the forecast quantities.
    time_varying_scale
        Whether the priors hold ``noise_trend`` (the residual scales' time trends are then
        quantities too).
    scale_walk
        Whether the priors hold ``noise_walk_sd`` (the yearly sd of each residual scale's random
        walk is then a quantity too).
    skew, tail
        Whether the priors hold ``residual_skew`` / ``residual_tail`` (the sinh-arcsinh skew and
        tail weight of each trend series are then quantities too).

    Returns
    -------
    tuple of str
    """
    year = f"{forecast_year:g}"
    return (
        *(f"growth_{c}" for c in GROWTH_COMPONENTS),
        "identity_gap",
        "algorithmic_hypermean",
        "algorithmic_domain_sd",
        "growth_domain_imagenet",
        *(f"eci_effect_{e}" for e in ECI_EFFECTS),
        "compute_meas_sd",
        *(f"{q}_{d}" for q in BY_DOMAIN for d in DOMAINS),
        "hardware_source_sd",
        "growth_hardware_release",
        "growth_hardware_cloud",
        *(f"noise_{s}" for s in OBSERVED_SERIES),
        *((f"noise_trend_{s}" for s in TREND_SERIES) if time_varying_scale else ()),
        *((f"noise_walk_sd_{s}" for s in TREND_SERIES) if scale_walk else ()),
        *((f"residual_skew_{s}" for s in TREND_SERIES) if skew else ()),
        *((f"residual_tail_{s}" for s in TREND_SERIES) if tail else ()),
        "compute_spending_corr",
        "student_df",
        *LEVELS,
        "log_lik",
        "log_lik_pair",
        "pair_corr_gap",
        f"trend_compute_{year}",
        f"pred_compute_{year}",
    )


#: Test quantities at the default forecast year 2030 under the default priors.
QUANTITIES = quantity_names()


def parameter_quantities(samples: dict, forecast_t: float) -> dict[str, Array]:
    """Parameter-derived test quantities from sample dicts (leading draw axis)."""
    out = {f"growth_{c}": samples["growth"][..., i] for i, c in enumerate(GROWTH_COMPONENTS)}
    out["identity_gap"] = samples["identity_gap"]
    out["algorithmic_hypermean"] = samples["algorithmic_hypermean"]
    out["algorithmic_domain_sd"] = samples["algorithmic_domain_sd"]
    out["growth_domain_imagenet"] = samples["growth_domain"][..., DOMAINS.index("imagenet")]
    out |= {f"eci_effect_{e}": samples["eci_effect_oom"][..., i] for i, e in enumerate(ECI_EFFECTS)}
    out["compute_meas_sd"] = samples["compute_meas_sd"]
    out |= {f"{q}_{d}": samples[q][..., i] for q in BY_DOMAIN for i, d in enumerate(DOMAINS)}
    out["hardware_source_sd"] = samples["hardware_source_sd"]
    out["growth_hardware_release"] = samples["growth_hardware_source"][..., 0]
    out["growth_hardware_cloud"] = samples["growth_hardware_source"][..., 1]
    out |= {f"noise_{s}": samples["noise"][..., i] for i, s in enumerate(OBSERVED_SERIES)}
    if "noise_trend" in samples:
        out |= {f"noise_trend_{s}": samples["noise_trend"][..., i] for i, s in enumerate(TREND_SERIES)}
    for site in ("noise_walk_sd", "residual_skew", "residual_tail"):
        if site in samples:
            out |= {f"{site}_{s}": samples[site][..., i] for i, s in enumerate(TREND_SERIES)}
    out["compute_spending_corr"] = samples["compute_spending_corr"]
    out["student_df"] = samples["student_df"]
    out |= {name: samples[name] for name in LEVELS}
    out["trend_compute"] = samples["level_compute"] + samples["growth"][..., 0] * forecast_t
    return out


def latent(samples: dict) -> dict:
    """The latent sites of a sample dict (what a fit substitutes; deterministic sites dropped)."""
    return {k: v for k, v in samples.items() if k in LATENT_SITES}


def pair_corr_gap(samples: dict, data: ModelData) -> Array:
    """``(r - rho)^2`` per draw: the compute-cost correlation parameter ``r`` against the Pearson
    correlation ``rho`` of the pairs' residuals from the same draw's compute and cost trends.

    A function of (parameters, data) like the log-likelihood, but aimed at the correlation alone:
    a fitter that ignores the correlation leaves ``r`` at its prior, far from ``rho``, while the
    true value sits near it; in the pair log-likelihood that gap is drowned by the other
    parameters' spread (measured: the correlation mutant passed on ``log_lik_pair`` at N=40).
    """
    r = samples["compute_spending_corr"]
    p = data.pair
    if p.t.shape[0] < 3:
        return jnp.zeros_like(r)
    g_spending = samples["growth_spending"]
    g_compute = g_spending + samples["growth_hardware"] + samples["identity_gap"]
    e_c = p.y[:, 0] - (samples["level_compute"][:, None] + g_compute[:, None] * p.t)
    e_s = p.y[:, 1] - (samples["level_spending"][:, None] + g_spending[:, None] * p.t)
    e_c = e_c - e_c.mean(axis=1, keepdims=True)
    e_s = e_s - e_s.mean(axis=1, keepdims=True)
    rho = (e_c * e_s).sum(1) / jnp.sqrt((e_c**2).sum(1) * (e_s**2).sum(1))
    return (r - rho) ** 2


def data_quantities(model: Callable, samples: dict, data: ModelData, priors: PriorSet) -> dict[str, Array]:
    """Data-dependent quantities per draw: ``log_lik`` (all data), ``log_lik_pair`` (the
    compute-cost pairs) and ``pair_corr_gap`` (:func:`pair_corr_gap`)."""
    ll = log_likelihood(model, samples, data, priors)
    per_site = {k: v.reshape(v.shape[0], -1).sum(axis=1) for k, v in ll.items()}
    total = sum(per_site.values())
    return {
        "log_lik": total,
        "log_lik_pair": per_site.get("obs_pair", jnp.zeros_like(total)),
        "pair_corr_gap": pair_corr_gap(samples, data),
    }


def quantities_order(**flags: bool) -> list[str]:
    """:func:`quantity_names` (flags as there) with the forecast quantities under their year-free
    keys (``trend_compute``, ``pred_compute``), the order in which :func:`forecast.calibrate.run_sbc`
    collects values."""
    names = quantity_names(**flags)
    names = [q for q in names if not q.startswith(("trend_compute_", "pred_compute_"))]
    return names + ["trend_compute", "pred_compute"]
