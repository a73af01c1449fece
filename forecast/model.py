"""The joint trend model: one pure NumPyro function of data and a validated prior set.

Series and their likelihoods (Student-t residuals throughout, one shared degrees of freedom; the
trend series optionally sinh-arcsinh t, see ``residual_skew`` below):

- frontier models, ``compute`` (log10 training FLOP, ``level_compute + growth_compute * t``) and
  ``spending`` (log10 training cost in 2023 USD, ``level_spending + growth_spending * t``). Epoch
  derives a model's cost from its compute, so the two residuals of one model are strongly
  correlated (0.81 on the extract); a model with both values enters *once*, through a bivariate
  Student-t with correlation ``compute_spending_corr`` (site ``obs_pair``); a model with only
  one of them enters through that value's univariate Student-t, the bivariate law's marginal
  (sites ``obs_compute``, ``obs_spending``). Nothing is counted twice;
- ``hardware_release`` / ``hardware_cloud``: log10 FLOP per dollar from release prices and from
  cloud rental prices, each with its own level, noise and growth rate; the two rates are drawn
  (non-centred) around the long-run ``growth_hardware`` with spread ``hardware_source_sd``. A single
  shared rate mis-forecast release FLOP/$ in the backtest (90% coverage 0.87, CRPS 1.19x OLS);
- ``imagenet`` / ``eci``: standardised performance as a function of *effective* compute,
  ``perf = a_d + b_d * (x_true + gamma_d * t + effects)`` in the spirit of Erdil & Besiroglu
  (2022): holding performance fixed, the compute needed falls by ``gamma_d`` OOM per year. Two
  corrections keep ``gamma_d`` from absorbing what is not algorithmic progress:

  * **compute measured with error** (classical errors-in-variables): the recorded log10 compute
    is ``x_obs ~ Normal(x_true, compute_meas_sd)`` (~0.3 OOM: Epoch's "confident" estimates are
    within a factor 3), and the true ``x_true`` has a population prior ``Normal(pop_loc_d +
    pop_trend_d * t, pop_sd_d)``. Regressing on ``x_obs`` would attenuate the compute slope and
    bias ``gamma_d``. ``x_true`` is integrated out analytically: given a row's Student-t scale
    mixture weight, ``(x_obs, perf)`` is bivariate normal, so the row's likelihood is a bivariate
    Student-t (site ``obs_<domain>``, event ``(log10_compute, performance)``) with covariance
    ``[[s^2 + sigma^2, b s^2], [b s^2, b^2 s^2 + noise^2]]``. Sampling one latent ``x_true`` per
    row instead funnelled between the performance noise and the latents (measured on the
    extract: R-hat up to 1.17, E-BFMI 0.01, 330 s for 4 x 1000 draws);
  * **lineage effects** (ECI only): reasoning, distilled / synthetic-data and post-training
    update rows (the name rule of :mod:`forecast.lineage`) each get their own shift
    ``eci_effect_oom`` in OOM of effective compute, so the rate is identified by base models.

  Domain rates ``gamma_d = algorithmic_hypermean + algorithmic_domain_sd * z_d`` (non-centred).
  The rate used downstream, the ``algorithmic`` growth component, is the **language domain's**
  (ECI) rate with its posterior uncertainty, not the hyper-mean (kept as its own site).

The identity compute = spending x FLOP/$ ties the series: ``growth_compute = growth_spending +
growth_hardware + identity_gap``; the gap has a tight prior and soaks up what the identity misses
(utilisation, lower-precision number formats, hardware vintage). ``t`` is years since
``ref_year``; growth rates are OOM per year and doubling times are deterministic sites.

Two optional priors change the model when their table is present in the prior file:

- ``noise_trend`` (dims ``trend_series``): residual scales of the four trend series change
  smoothly over time, ``noise_s * exp(noise_trend_s * t)``; chosen by PSIS-LOO (see
  ``benchmarks/RESULTS.md``) and in the default file;
- ``residual_skew`` and ``residual_tail`` (dims ``trend_series``): sinh-arcsinh Student-t residuals
  (Jones & Pewsey 2009; :mod:`forecast.sinharcsinh`) for the four trend series, with per-series
  skew ``eps`` and tail weight ``delta``: ``z = sinh(delta * asinh((x - loc) / scale) - eps)`` follows
  the Student-t (for a compute/cost pair coordinate-wise, ``(z1, z2)`` the bivariate t). Epoch's
  frontier flag keeps models in the top 10 of compute at release, so frontier models cannot sit far
  below the trend while records sit far above it (right skew, a short lower tail). ``eps = 0``,
  ``delta = 1`` is the Student-t model exactly; either table alone switches on its parameter (the
  other stays at 0 or 1). Parameterised by the **median** and the **central scale** (the slope of
  the quantile function at the median, :func:`forecast.sinharcsinh.from_median`): the trend line
  stays the median of a new observation, as it is under the symmetric t (so ``level_*`` and
  ``log10_compute_ref`` keep their meaning downstream), and ``noise`` stays the scale of the bulk.
  In the ``loc``/``scale`` form the median ``loc + scale sinh(eps / delta)`` and the central scale
  ``scale cosh(eps / delta) / delta`` ride on ridges of (level, skew) and (noise, tail);
- ``ho2024_language_rate``: an informative prior on the language-domain rate from Ho et al.
  (2024), applied as an extra prior factor (``priors/trends_ho2024.toml``; not the default).

Forecasts come from the same function: pass ``forecast_t`` and read the ``pred_*`` sites with
:class:`numpyro.infer.Predictive`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd
from jax import Array

from forecast.lineage import eci_effects
from forecast.priors import PriorSet, load_priors
from forecast.sinharcsinh import SinhArcsinhBivariateT, SinhArcsinhStudentT, from_median
from forecast.units import LOG10_2_MONTHS, doubling_months
from forecast.vocab import DOMAINS, ECI_EFFECTS, GROWTH_COMPONENTS, HARDWARE_SOURCES, OBSERVED_SERIES, TREND_SERIES

__all__ = [
    "COMPONENTS",
    "COORDS",
    "DIMS",
    "DOMAINS",
    "HARDWARE_SOURCES",
    "LATENT_SITES",
    "LOG10_2_MONTHS",
    "OBSERVATIONS",
    "OPTIONAL_PRIORS",
    "REF_YEAR",
    "REQUIRED_PRIORS",
    "SERIES",
    "TREND_LATENT_SITES",
    "TREND_SITES",
    "DataScaling",
    "DomainSeries",
    "ModelData",
    "PairSeries",
    "TrendSeries",
    "doubling_months",
    "load_trend_priors",
    "model_data",
    "observation_units",
    "pair_frames",
    "trend_model",
    "with_observations",
    "without_observations",
]

#: The observed series, in the order of the ``series`` dim (the ``noise`` scales).
SERIES = OBSERVED_SERIES
#: Growth components, in the order of the ``component`` dim.
COMPONENTS = GROWTH_COMPONENTS
#: The domain whose algorithmic rate is the ``algorithmic`` component: language models.
LANGUAGE_DOMAIN = "eci"
#: The two values of a frontier model in the bivariate likelihood, the ``pair_var`` dim.
PAIR_VARS = ("compute", "spending")
#: The two values of an algorithmic-progress row, the ``domain_var`` dim.
DOMAIN_VARS = ("log10_compute", "performance")
#: Default reference date (decimal year) at which levels are defined and time is centred.
REF_YEAR = 2020.0

#: Prior names the model needs, with the dims each must declare.
REQUIRED_PRIORS: dict[str, tuple[str, ...]] = {
    "growth_spending": (),
    "growth_hardware": (),
    "hardware_source_sd": (),
    "identity_gap": (),
    "algorithmic_hypermean": (),
    "algorithmic_domain_sd": (),
    "level_compute": (),
    "level_spending": (),
    "level_hardware_release": (),
    "level_hardware_cloud": (),
    "perf_intercept": ("domain",),
    "perf_slope": ("domain",),
    "noise": ("series",),
    "student_df": (),
    "compute_spending_corr": (),
    "compute_meas_sd": (),
    "compute_pop_loc": ("domain",),
    "compute_pop_trend": ("domain",),
    "compute_pop_sd": ("domain",),
    "eci_effect_oom": ("eci_effect",),
}
#: Priors that switch a model feature on when present in the prior file.
OPTIONAL_PRIORS: dict[str, tuple[str, ...]] = {
    "noise_trend": ("trend_series",),
    "residual_skew": ("trend_series",),
    "residual_tail": ("trend_series",),
    "ho2024_language_rate": (),
}

#: Latent sites of the trend block: what the predictive sites (``pred_*``) need.
TREND_LATENT_SITES = (
    "growth_spending",
    "growth_hardware",
    "hardware_source_sd",
    "hardware_z",
    "identity_gap",
    "noise",
    "student_df",
    "level_compute",
    "level_spending",
    "level_hardware_release",
    "level_hardware_cloud",
    "compute_spending_corr",
    "noise_trend",
    "residual_skew",
    "residual_tail",
)
#: Every latent (sampled) site of :func:`trend_model`; ``noise_trend``, ``residual_skew`` and
#: ``residual_tail`` exist only when their priors do.
LATENT_SITES = (
    *TREND_LATENT_SITES,
    "algorithmic_hypermean",
    "algorithmic_domain_sd",
    "domain_z",
    "perf_intercept",
    "perf_slope",
    "compute_meas_sd",
    "compute_pop_loc",
    "compute_pop_trend",
    "compute_pop_sd",
    "eci_effect_oom",
)


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


def load_trend_priors(path: Path | str | None = None) -> PriorSet:
    """Load and validate a trend prior file (``None``: the packaged ``priors/trends.toml``)."""
    return load_priors(path, required=REQUIRED_PRIORS, optional=OPTIONAL_PRIORS)


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


def _prior(priors: PriorSet, name: str):
    return numpyro.sample(name, priors[name].to_numpyro())


def _residual(df, median, scale, shape=None):
    """A trend series' residual law: Student-t, or sinh-arcsinh t with that median and central scale
    when ``shape = (skew, tail)``."""
    if shape is None:
        return dist.StudentT(df, median, scale)
    return SinhArcsinhStudentT(df, *from_median(median, scale, *shape), *shape)


def _student(name: str, df, mean, scale, obs, shape=None) -> None:
    # obs is None when replicating data (posterior predictive); the plate size then comes from
    # the times, which are always present. An empty series (e.g. ECI before 2023 in an as-of
    # fit) adds nothing to the likelihood.
    if jnp.shape(mean)[0] == 0:
        return
    with numpyro.plate(f"{name}_obs", jnp.shape(mean)[0]):
        numpyro.sample(f"obs_{name}", _residual(df, mean, scale, shape), obs=obs)


def _mean_time(*times) -> Array:
    """Mean of the given time arrays together (0.0 when they are all empty)."""
    t = jnp.concatenate([jnp.atleast_1d(x) for x in times])
    return jnp.mean(t) if t.shape[0] else jnp.zeros(())


def _tril2(l11, l21, l22):
    """Lower-triangular 2 x 2 Cholesky factors ``[[l11, 0], [l21, l22]]`` (batched over leading dims)."""
    l11, l21, l22 = jnp.broadcast_arrays(l11, l21, l22)
    zero = jnp.zeros_like(l11)
    return jnp.stack([jnp.stack([l11, zero], -1), jnp.stack([l21, l22], -1)], -2)


def _student2(name: str, df, loc, tril, obs) -> None:
    # bivariate Student-t rows; an empty series adds nothing (as in _student)
    if jnp.shape(loc)[0] == 0:
        return
    with numpyro.plate(f"{name}_obs", jnp.shape(loc)[0]):
        numpyro.sample(f"obs_{name}", dist.MultivariateStudentT(df, loc, tril), obs=obs)


def trend_model(data: ModelData, priors: PriorSet, forecast_t: Array | None = None) -> None:
    """Joint NumPyro model of compute, spending, hardware and algorithmic-efficiency trends.

    Parameters
    ----------
    data
        Arrays from :func:`model_data`.
    priors
        A :class:`~forecast.priors.PriorSet` holding every name in :data:`REQUIRED_PRIORS` and
        any of :data:`OPTIONAL_PRIORS`.
    forecast_t
        Optional times (years since the reference date) at which to draw the posterior
        predictive of a frontier model's log10 compute and cost and of a chip's log10 FLOP/s per
        dollar (sites ``pred_compute``, ``pred_spending``, ``pred_hardware_release``).
    """
    g_spending = _prior(priors, "growth_spending")
    g_hardware = _prior(priors, "growth_hardware")
    gap = _prior(priors, "identity_gap")
    g_hyper = _prior(priors, "algorithmic_hypermean")
    algo_sd = _prior(priors, "algorithmic_domain_sd")
    g_compute = g_spending + g_hardware + gap

    with numpyro.plate("domain", len(DOMAINS)):
        # Non-centred: with two domains the hierarchy is weakly identified and a centred
        # parameterisation funnels (measured: ~200 divergences per 4000 draws on the real data).
        domain_z = numpyro.sample("domain_z", dist.Normal(0.0, 1.0))
        perf_intercept = _prior(priors, "perf_intercept")
        perf_slope = _prior(priors, "perf_slope")
        pop_loc = _prior(priors, "compute_pop_loc")
        pop_trend = _prior(priors, "compute_pop_trend")
        pop_sd = _prior(priors, "compute_pop_sd")
    g_domain = numpyro.deterministic("growth_domain", g_hyper + algo_sd * domain_z)
    meas_sd = _prior(priors, "compute_meas_sd")
    with numpyro.plate("eci_effect", len(ECI_EFFECTS)):
        effect = _prior(priors, "eci_effect_oom")

    hw_sd = _prior(priors, "hardware_source_sd")
    with numpyro.plate("hardware_source", len(HARDWARE_SOURCES)):
        # Same non-centred hierarchy as the domains: release and cloud FLOP/$ each get their own
        # rate around the long-run hardware growth that enters the identity.
        hardware_z = numpyro.sample("hardware_z", dist.Normal(0.0, 1.0))
    g_source = numpyro.deterministic("growth_hardware_source", g_hardware + hw_sd * hardware_z)

    with numpyro.plate("series", len(SERIES)):
        noise = _prior(priors, "noise")
    if "noise_trend" in priors:
        with numpyro.plate("trend_series", len(TREND_SERIES)):
            noise_trend = _prior(priors, "noise_trend")
    else:
        noise_trend = jnp.zeros(len(TREND_SERIES))
    skewed = "residual_skew" in priors or "residual_tail" in priors
    if skewed:
        with numpyro.plate("trend_series", len(TREND_SERIES)):
            skew = _prior(priors, "residual_skew") if "residual_skew" in priors else jnp.zeros(len(TREND_SERIES))
            tail = _prior(priors, "residual_tail") if "residual_tail" in priors else jnp.ones(len(TREND_SERIES))
    df = _prior(priors, "student_df")
    corr = _prior(priors, "compute_spending_corr")

    level_compute = _prior(priors, "level_compute")
    level_spending = _prior(priors, "level_spending")
    level_release = _prior(priors, "level_hardware_release")
    level_cloud = _prior(priors, "level_hardware_cloud")

    g_language = g_domain[DOMAINS.index(LANGUAGE_DOMAIN)]
    if "ho2024_language_rate" in priors:
        # External evidence on the language rate, as a prior factor on it (log-normal: positive
        # rates only; a non-positive rate has zero prior density).
        ho = priors["ho2024_language_rate"].to_numpyro()
        numpyro.factor("ho2024_language_rate", jnp.where(g_language > 0, ho.log_prob(jnp.abs(g_language)), -jnp.inf))
    growth = jnp.stack([g_compute, g_spending, g_hardware, g_language])
    numpyro.deterministic("growth", growth)
    numpyro.deterministic("doubling_months", doubling_months(growth))
    numpyro.deterministic("effective_growth", g_compute + g_language)
    # the median frontier model's log10 compute and cost at the reference date (the trend line is
    # the median, with or without skew)
    numpyro.deterministic("log10_compute_ref", level_compute)
    numpyro.deterministic("log10_spending_ref", level_spending)

    c, s, p = data.compute, data.spending, data.pair
    hr, hc = data.hardware_release, data.hardware_cloud
    # The scale trend is centred at each series' own mean date (a function of the data, so an
    # as-of fit uses its own): log scale and its trend are then nearly uncorrelated, which NUTS
    # with a diagonal metric needs (centred at 2020 they correlate at -0.4 to -0.6).
    centre = [_mean_time(c.t, p.t), _mean_time(s.t, p.t), _mean_time(hr.t), _mean_time(hc.t)]

    def scale(i, t):
        # residual scale of trend series i at time t; constant unless noise_trend is present
        return noise[i] * jnp.exp(noise_trend[i] * (t - centre[i]))

    def shape(i):
        # (skew, tail) of trend series i, or None for the plain Student-t
        return (skew[i], tail[i]) if skewed else None

    def mean_compute(t):
        return level_compute + g_compute * t

    def mean_spending(t):
        return level_spending + g_spending * t

    _student("compute", df, mean_compute(c.t), scale(0, c.t), c.y, shape(0))
    _student("spending", df, mean_spending(s.t), scale(1, s.t), s.y, shape(1))
    if p.t.shape[0]:
        # covariance [[sd_c^2, r sd_c sd_s], [r sd_c sd_s, sd_s^2]]
        sd_c, sd_s = scale(0, p.t), scale(1, p.t)
        loc = jnp.stack([mean_compute(p.t), mean_spending(p.t)], -1)
        if skewed:
            # the transform coordinate-wise, (z_c, z_s) the same bivariate t (unit scales, corr)
            with numpyro.plate("pair_obs", p.t.shape[0]):
                numpyro.sample(
                    "obs_pair",
                    SinhArcsinhBivariateT(
                        df, *from_median(loc, jnp.stack([sd_c, sd_s], -1), skew[:2], tail[:2]), corr, skew[:2], tail[:2]
                    ),
                    obs=p.y,
                )
        else:
            _student2("pair", df, loc, _tril2(sd_c, corr * sd_s, sd_s * jnp.sqrt(1.0 - corr**2)), p.y)
    _student("hardware_release", df, level_release + g_source[0] * hr.t, scale(2, hr.t), hr.y, shape(2))
    _student("hardware_cloud", df, level_cloud + g_source[1] * hc.t, scale(3, hc.t), hc.y, shape(3))

    for i, name in enumerate(DOMAINS):
        # (x_obs, perf) with the latent true compute integrated out (module docstring)
        d = getattr(data, name)
        x_mean = pop_loc[i] + pop_trend[i] * d.t
        perf_mean = perf_intercept[i] + perf_slope[i] * (x_mean + g_domain[i] * d.t + d.effects @ effect)
        s2, b, sd_x = pop_sd[i] ** 2, perf_slope[i], jnp.sqrt(pop_sd[i] ** 2 + meas_sd**2)
        l22 = jnp.sqrt((b * pop_sd[i] * meas_sd / sd_x) ** 2 + noise[4 + i] ** 2)
        _student2(name, df, jnp.stack([x_mean, perf_mean], -1), _tril2(sd_x, b * s2 / sd_x, l22), d.xy)

    if forecast_t is not None:
        with numpyro.plate("forecast", forecast_t.shape[0]):
            numpyro.sample("pred_compute", _residual(df, mean_compute(forecast_t), scale(0, forecast_t), shape(0)))
            numpyro.sample("pred_spending", _residual(df, mean_spending(forecast_t), scale(1, forecast_t), shape(1)))
            numpyro.sample(
                "pred_hardware_release",
                _residual(df, level_release + g_source[0] * forecast_t, scale(2, forecast_t), shape(2)),
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
    "compute_pop_loc": ["domain"],
    "compute_pop_trend": ["domain"],
    "compute_pop_sd": ["domain"],
    "eci_effect_oom": ["eci_effect"],
    "noise": ["series"],
    "noise_trend": ["trend_series"],
    "residual_skew": ["trend_series"],
    "residual_tail": ["trend_series"],
    "obs_compute": ["compute_obs"],
    "obs_spending": ["spending_obs"],
    "obs_pair": ["pair_obs", "pair_var"],
    **{f"obs_{d}": [f"{d}_obs", "domain_var"] for d in DOMAINS},
    "obs_hardware_release": ["hardware_release_obs"],
    "obs_hardware_cloud": ["hardware_cloud_obs"],
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
    "trend_series": list(TREND_SERIES),
    "eci_effect": list(ECI_EFFECTS),
    "pair_var": list(PAIR_VARS),
    "domain_var": list(DOMAIN_VARS),
}
