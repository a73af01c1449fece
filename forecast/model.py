"""The joint trend model: one pure NumPyro function of data and a validated prior set.

Series and their likelihoods (Student-t residuals throughout, one shared degrees of freedom):

- ``compute``: log10 training FLOP of frontier models, ``level_compute + growth_compute * t``;
- ``spending``: log10 training cost (2023 USD) of frontier models, ``level_spending + growth_spending * t``;
- ``hardware_release`` / ``hardware_cloud``: log10 FLOP per dollar from release prices and from
  cloud rental prices, each with its own level, noise and growth rate; the two rates are drawn
  (non-centred) around the long-run ``growth_hardware`` with spread ``hardware_source_sd``. A single
  shared rate was tried first: over short windows the cloud panel (from 2017) and the release
  series disagree, and the shared rate mis-forecast release FLOP/$ in the backtest (90% coverage
  0.87, CRPS 1.19x OLS; with the hierarchy 0.96 and 1.03x);
- ``imagenet`` / ``eci``: standardised performance as a function of *effective* compute,
  ``perf = a_d + b_d * (x + gamma_d * t)`` with ``x`` centred log10 training compute and ``t``
  centred at the domain's mean date, in the
  spirit of Erdil & Besiroglu (2022): holding performance fixed, the compute needed falls by
  ``gamma_d`` OOM per year. Domain rates ``gamma_d`` share a hyper-mean ``growth_algorithmic``.

The identity compute = spending x FLOP/$ ties the series: ``growth_compute = growth_spending +
growth_hardware + identity_gap``, where the gap has a tight prior and soaks up what the identity
misses (utilisation, lower-precision number formats, hardware vintage). ``t`` is years since
``ref_year``; growth rates are OOM per year and doubling times are deterministic sites derived from
them, so their intervals come from the growth-rate posterior.

Forecasts come from the same function: pass ``forecast_t`` and read the ``pred_*`` sites with
:class:`numpyro.infer.Predictive`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jax import Array

from forecast.priors import PriorSet

#: The observed series, in the order of the ``series`` dim.
SERIES = ("compute", "spending", "hardware_release", "hardware_cloud", "imagenet", "eci")
#: Algorithmic-progress domains, in the order of the ``domain`` dim.
DOMAINS = ("imagenet", "eci")
#: Hardware price series, in the order of the ``hardware_source`` dim.
HARDWARE_SOURCES = ("release", "cloud")
#: Growth components, in the order of the ``component`` dim.
COMPONENTS = ("compute", "spending", "hardware", "algorithmic")
#: Default reference date (decimal year) at which levels are defined and time is centred.
REF_YEAR = 2020.0
#: Months per doubling at 1 OOM/yr.
LOG10_2_MONTHS = 12.0 * float(np.log10(2.0))

#: Prior names the model needs, with the dims each must declare.
REQUIRED_PRIORS: dict[str, tuple[str, ...]] = {
    "growth_spending": (),
    "growth_hardware": (),
    "hardware_source_sd": (),
    "identity_gap": (),
    "growth_algorithmic": (),
    "algorithmic_domain_sd": (),
    "level_compute": (),
    "level_spending": (),
    "level_hardware_release": (),
    "level_hardware_cloud": (),
    "perf_intercept": ("domain",),
    "perf_slope": ("domain",),
    "noise": ("series",),
    "student_df": (),
}


#: Latent (sampled) sites of :func:`trend_model`: what a posterior must hold to drive the
#: predictive, and what SBC conditions on.
LATENT_SITES = (
    "growth_spending",
    "growth_hardware",
    "hardware_source_sd",
    "hardware_z",
    "identity_gap",
    "growth_algorithmic",
    "algorithmic_domain_sd",
    "domain_z",
    "perf_intercept",
    "perf_slope",
    "noise",
    "student_df",
    "level_compute",
    "level_spending",
    "level_hardware_release",
    "level_hardware_cloud",
)


class TrendSeries(NamedTuple):
    """A log-linear series: ``t`` years since the reference date, ``y`` log10 values."""

    t: Array
    y: Array


class DomainSeries(NamedTuple):
    """An algorithmic-progress domain: time, centred log10 compute, standardised performance."""

    t: Array
    x: Array
    y: Array


class ModelData(NamedTuple):
    """All arrays the model conditions on (a pytree; static facts live in :class:`DataScaling`)."""

    compute: TrendSeries
    spending: TrendSeries
    hardware_release: TrendSeries
    hardware_cloud: TrendSeries
    imagenet: DomainSeries
    eci: DomainSeries


@dataclass(frozen=True)
class DataScaling:
    """Constants used to centre and standardise the data, kept to map results back."""

    ref_year: float
    t_mean: dict[str, float]
    x_mean: dict[str, float]
    y_mean: dict[str, float]
    y_sd: dict[str, float]


def model_data(frames, ref_year: float = REF_YEAR) -> tuple[ModelData, DataScaling]:
    """Convert tidy frames (:class:`forecast.data.TrendFrames`) to model arrays.

    Parameters
    ----------
    frames
        Object with DataFrame attributes ``compute``, ``spending``, ``hardware_release``,
        ``hardware_cloud`` (columns ``year``, ``log10_value``) and ``imagenet``, ``eci``
        (columns ``year``, ``log10_compute``, ``performance``).
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
        domains[name] = DomainSeries(
            t=jnp.asarray(years - t_mean[name]),
            x=jnp.asarray(x - x_mean[name]),
            y=jnp.asarray((y - y_mean[name]) / y_sd[name]),
        )
    data = ModelData(
        compute=trend(frames.compute),
        spending=trend(frames.spending),
        hardware_release=trend(frames.hardware_release),
        hardware_cloud=trend(frames.hardware_cloud),
        imagenet=domains["imagenet"],
        eci=domains["eci"],
    )
    return data, DataScaling(ref_year=ref_year, t_mean=t_mean, x_mean=x_mean, y_mean=y_mean, y_sd=y_sd)


def without_observations(data: ModelData) -> ModelData:
    """The same times and covariates with every observed ``y`` set to ``None`` (for replication)."""
    return ModelData(*(series._replace(y=None) for series in data))


def doubling_months(growth_oom_per_year):
    """Doubling time in months of a quantity growing at ``growth_oom_per_year`` OOM per year."""
    return LOG10_2_MONTHS / growth_oom_per_year


def _prior(priors: PriorSet, name: str):
    return numpyro.sample(name, priors[name].to_numpyro())


def trend_model(data: ModelData, priors: PriorSet, forecast_t: Array | None = None) -> None:
    """Joint NumPyro model of compute, spending, hardware and algorithmic-efficiency trends.

    Parameters
    ----------
    data
        Arrays from :func:`model_data`.
    priors
        A :class:`~forecast.priors.PriorSet` holding every name in :data:`REQUIRED_PRIORS`.
    forecast_t
        Optional times (years since the reference date) at which to draw the posterior
        predictive of a frontier model's log10 compute and cost and of a chip's log10 FLOP/s per
        dollar (sites ``pred_compute``, ``pred_spending``, ``pred_hardware_release``).
    """
    g_spending = _prior(priors, "growth_spending")
    g_hardware = _prior(priors, "growth_hardware")
    gap = _prior(priors, "identity_gap")
    g_algo = _prior(priors, "growth_algorithmic")
    algo_sd = _prior(priors, "algorithmic_domain_sd")
    g_compute = g_spending + g_hardware + gap

    with numpyro.plate("domain", len(DOMAINS)):
        # Non-centred: with two domains the hierarchy is weakly identified and a centred
        # parameterisation funnels (measured: ~200 divergences per 4000 draws on the real data).
        domain_z = numpyro.sample("domain_z", dist.Normal(0.0, 1.0))
        perf_intercept = _prior(priors, "perf_intercept")
        perf_slope = _prior(priors, "perf_slope")
    g_domain = numpyro.deterministic("growth_domain", g_algo + algo_sd * domain_z)

    hw_sd = _prior(priors, "hardware_source_sd")
    with numpyro.plate("hardware_source", len(HARDWARE_SOURCES)):
        # Same non-centred hierarchy as the domains: release and cloud FLOP/$ each get their own
        # rate around the long-run hardware growth that enters the identity.
        hardware_z = numpyro.sample("hardware_z", dist.Normal(0.0, 1.0))
    g_source = numpyro.deterministic("growth_hardware_source", g_hardware + hw_sd * hardware_z)

    with numpyro.plate("series", len(SERIES)):
        noise = _prior(priors, "noise")
    df = _prior(priors, "student_df")

    level_compute = _prior(priors, "level_compute")
    level_spending = _prior(priors, "level_spending")
    level_release = _prior(priors, "level_hardware_release")
    level_cloud = _prior(priors, "level_hardware_cloud")

    growth = jnp.stack([g_compute, g_spending, g_hardware, g_algo])
    numpyro.deterministic("growth", growth)
    numpyro.deterministic("doubling_months", doubling_months(growth))
    numpyro.deterministic("effective_growth", g_compute + g_algo)
    numpyro.deterministic("log10_compute_ref", level_compute)
    numpyro.deterministic("log10_spending_ref", level_spending)

    def student(name, mean, scale, obs):
        # obs is None when replicating data (posterior predictive); the plate size then comes
        # from the times, which are always present.
        if jnp.shape(mean)[0] == 0:
            # An empty series (e.g. ECI before 2023 in an as-of fit) adds nothing to the likelihood.
            return
        with numpyro.plate(f"{name}_obs", jnp.shape(mean)[0]):
            numpyro.sample(f"obs_{name}", dist.StudentT(df, mean, scale), obs=obs)

    student("compute", level_compute + g_compute * data.compute.t, noise[0], data.compute.y)
    student("spending", level_spending + g_spending * data.spending.t, noise[1], data.spending.y)
    hr, hc = data.hardware_release, data.hardware_cloud
    student("hardware_release", level_release + g_source[0] * hr.t, noise[2], hr.y)
    student("hardware_cloud", level_cloud + g_source[1] * hc.t, noise[3], hc.y)
    for i, name in enumerate(DOMAINS):
        d = getattr(data, name)
        mean = perf_intercept[i] + perf_slope[i] * (d.x + g_domain[i] * d.t)
        student(name, mean, noise[4 + i], d.y)

    if forecast_t is not None:
        with numpyro.plate("forecast", forecast_t.shape[0]):
            numpyro.sample("pred_compute", dist.StudentT(df, level_compute + g_compute * forecast_t, noise[0]))
            numpyro.sample("pred_spending", dist.StudentT(df, level_spending + g_spending * forecast_t, noise[1]))
            numpyro.sample(
                "pred_hardware_release", dist.StudentT(df, level_release + g_source[0] * forecast_t, noise[2])
            )


#: ArviZ dims of every site with a non-sample dimension.
DIMS: dict[str, list[str]] = {
    "growth": ["component"],
    "doubling_months": ["component"],
    "domain_z": ["domain"],
    "growth_domain": ["domain"],
    "hardware_z": ["hardware_source"],
    "growth_hardware_source": ["hardware_source"],
    "perf_intercept": ["domain"],
    "perf_slope": ["domain"],
    "noise": ["series"],
    **{f"obs_{s}": [f"{s}_obs"] for s in SERIES},
    "pred_compute": ["forecast"],
    "pred_spending": ["forecast"],
    "pred_hardware_release": ["forecast"],
}
#: ArviZ coordinates of the named dims.
COORDS: dict[str, list[str]] = {
    "component": list(COMPONENTS),
    "domain": list(DOMAINS),
    "hardware_source": list(HARDWARE_SOURCES),
    "series": list(SERIES),
}
