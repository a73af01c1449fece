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

Optional priors change the model when their table is present in the prior file:

- ``noise_trend`` (dims ``trend_series``): residual scales of the four trend series change
  smoothly over time, ``noise_s * exp(noise_trend_s * t)``; chosen by PSIS-LOO (see
  ``benchmarks/RESULTS.md``) and in the default file. Beyond a series' last date the scale is held
  at its value there (the predictive sites), not extrapolated;
- ``noise_walk_sd`` (dims ``trend_series``): the log residual scale also follows a Gaussian random
  walk over the yearly knots :data:`SCALE_WALK_KNOTS` (piecewise linear between them,
  non-centred, zero at each series' mean date so that ``noise`` keeps its meaning), the
  local-level form of a changing scale: the scale at a series' end is set by its last years, not
  by a line through all of them. Knots beyond the data carry the prior only, so the predictive
  continues the walk with its yearly sd and carries the scale's own uncertainty;
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

Growth forms (:mod:`forecast.forms`) bend the means of the trend series when their prior tables
are present (``priors/growth_changepoint.toml``, ``priors/growth_local_linear.toml``, laid over this
file by :func:`forecast.forms.load_form_priors`): the mean is ``level + g * t + shift(t)`` with the
form's integrated slope deviation ``shift`` (0 for the default constant form). ``growth_end`` is
each series' slope in the last year of data and ``log10_*_end`` the fitted means there.

Forecasts come from the same function: pass ``forecast_t`` and read the ``pred_*`` sites with
:class:`numpyro.infer.Predictive`.
"""

from __future__ import annotations

from pathlib import Path

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from jax import Array

from forecast.forms import FORM_PRIORS, form_terms, growth_form
from forecast.model_data import (
    OBSERVATIONS,
    PAIR_VARS,
    REF_YEAR,
    TREND_SITES,
    DataScaling,
    DomainSeries,
    ModelData,
    PairSeries,
    TrendSeries,
    model_data,
    observation_units,
    pair_frames,
    with_observations,
    without_observations,
)
from forecast.priors import PriorSet, load_priors
from forecast.sinharcsinh import SinhArcsinhBivariateT, SinhArcsinhStudentT, from_median
from forecast.units import LOG10_2_MONTHS, doubling_months
from forecast.vocab import (
    CHANGEPOINT_GROUPS,
    DOMAINS,
    ECI_EFFECTS,
    FORM_SERIES,
    GROWTH_COMPONENTS,
    HARDWARE_SOURCES,
    OBSERVED_SERIES,
    TREND_SERIES,
)

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
    "SCALE_WALK_KNOTS",
    "SERIES",
    "TREND_LATENT_SITES",
    "TREND_SITES",
    "DataScaling",
    "FORM_LATENT_SITES",
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
#: The two values of an algorithmic-progress row, the ``domain_var`` dim.
DOMAIN_VARS = ("log10_compute", "performance")

#: Knots of the residual-scale walk (``noise_walk_sd``), years since the reference date: whole
#: years 2006-2036 for the 2020 reference, from before the first observation (2008) to beyond the
#: forecasts the backtest and ``forecast predict`` make; the scale is flat outside.
SCALE_WALK_KNOTS = tuple(range(-14, 17))

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
    "noise_walk_sd": ("trend_series",),
    "residual_skew": ("trend_series",),
    "residual_tail": ("trend_series",),
    "ho2024_language_rate": (),
    # growth forms of the trend means (forecast.forms): one form's tables at a time
    **{name: dims for form in FORM_PRIORS.values() for name, dims in form.items()},
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
    "noise_walk_sd",
    "noise_walk_z",
    "residual_skew",
    "residual_tail",
)
#: Latent sites of the growth forms (forecast.forms); present only with their priors.
FORM_LATENT_SITES = (*(name for form in FORM_PRIORS.values() for name in form), "slope_z")
#: Every latent (sampled) site of :func:`trend_model`; ``noise_trend``, ``noise_walk_*``,
#: ``residual_skew`` and ``residual_tail`` exist only when their priors do.
LATENT_SITES = (
    *TREND_LATENT_SITES,
    *FORM_LATENT_SITES,
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


def load_trend_priors(path: Path | str | None = None) -> PriorSet:
    """Load and validate a trend prior file (``None``: the packaged ``priors/trends.toml``)."""
    from forecast.errors import ConfigError

    priors = load_priors(path, required=REQUIRED_PRIORS, optional=OPTIONAL_PRIORS)
    try:
        growth_form(priors)
    except ValueError as exc:
        raise ConfigError(f"{priors.path}: {exc}", "see forecast.forms.FORM_PRIORS") from None
    return priors


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


def _max_time(*times) -> Array:
    """Latest of the given time arrays together (0.0 when they are all empty)."""
    t = jnp.concatenate([jnp.atleast_1d(x) for x in times])
    return jnp.max(t) if t.shape[0] else jnp.zeros(())


def _scale_walk(priors: PriorSet):
    """Sample the log residual scales' random walk (inside the model); return ``walk(i, t)``.

    Knots at the whole years of :data:`SCALE_WALK_KNOTS` (a fixed grid, so that shapes do not
    depend on the data and a jitted simulator can trace it); the walk is 0 at the first knot,
    linear between knots and flat outside the grid, so ``walk(i, t) - walk(i, centre)`` is the log
    change of series ``i``'s scale since its mean date. Knots beyond the data are informed by the
    prior alone: the posterior continues the walk there with its own yearly sd.
    """
    n, first, n_seg = len(TREND_SERIES), SCALE_WALK_KNOTS[0], len(SCALE_WALK_KNOTS) - 1
    with numpyro.plate("trend_series", n):
        sd = _prior(priors, "noise_walk_sd")
    z = numpyro.sample("noise_walk_z", dist.Normal(0.0, 1.0).expand([n, n_seg]).to_event(2))
    knots = jnp.concatenate([jnp.zeros((n, 1)), jnp.cumsum(sd[:, None] * z, axis=1)], axis=1)

    def walk(i, t):
        t = jnp.clip(jnp.asarray(t, dtype=knots.dtype), first, first + n_seg)
        idx = jnp.clip(jnp.floor(t).astype(jnp.int32) - first, 0, n_seg - 1)
        return knots[i, idx] + (knots[i, idx + 1] - knots[i, idx]) * (t - (first + idx))

    return walk


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

    # Each series' last date: beyond it the residual scale is held at its value there. The
    # log-linear scale trend (chosen by PSIS-LOO) describes the fitted window; carried on, it would
    # let a scale grow or shrink without bound. Holding it is the local-level forecast of the scale.
    last = [_max_time(c.t, p.t), _max_time(s.t, p.t), _max_time(hr.t), _max_time(hc.t)]

    walk = _scale_walk(priors) if "noise_walk_sd" in priors else None

    def scale(i, t):
        # residual scale of trend series i at time t; constant unless noise_trend / noise_walk_sd
        log_dev = noise_trend[i] * (jnp.minimum(t, last[i]) - centre[i])
        if walk is not None:
            log_dev = log_dev + walk(i, t) - walk(i, centre[i])
        return noise[i] * jnp.exp(log_dev)

    # The growth form bends the means (forecast.forms; shift 0 for the constant form): compute,
    # cost and FLOP/$ (release and cloud together) each by their own integrated slope deviation.
    t_end = _max_time(c.t, s.t, p.t, hr.t, hc.t)
    form = form_terms(priors, data, t_end, forecast_t)

    def shape(i):
        # (skew, tail) of trend series i, or None for the plain Student-t
        return (skew[i], tail[i]) if skewed else None

    def mean_compute(t):
        return level_compute + g_compute * t + form.shift(0, t)

    def mean_spending(t):
        return level_spending + g_spending * t + form.shift(1, t)

    def mean_hardware(i, t):
        return (level_release, level_cloud)[i] + g_source[i] * t + form.shift(2, t)

    growth_end = numpyro.deterministic("growth_end", jnp.stack([g_compute, g_spending, g_hardware]) + form.slope_end)
    numpyro.deterministic("doubling_months_end", doubling_months(growth_end))
    numpyro.deterministic("data_end_time", t_end)
    numpyro.deterministic("log10_compute_end", mean_compute(t_end))
    numpyro.deterministic("log10_spending_end", mean_spending(t_end))

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
    _student("hardware_release", df, mean_hardware(0, hr.t), scale(2, hr.t), hr.y, shape(2))
    _student("hardware_cloud", df, mean_hardware(1, hc.t), scale(3, hc.t), hc.y, shape(3))

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
                _residual(df, mean_hardware(0, forecast_t), scale(2, forecast_t), shape(2)),
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
    "noise_walk_sd": ["trend_series"],
    "noise_walk_z": ["trend_series", "walk_segment"],
    "growth_end": ["form_series"],
    "doubling_months_end": ["form_series"],
    "changepoint_frac": ["changepoint_group"],
    "changepoint_time": ["changepoint_group"],
    "slope_innovation_sd": ["form_series"],
    "slope_z": ["form_series", "slope_segment"],
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
    "form_series": list(FORM_SERIES),
    "changepoint_group": list(CHANGEPOINT_GROUPS),
    "eci_effect": list(ECI_EFFECTS),
    "pair_var": list(PAIR_VARS),
    "domain_var": list(DOMAIN_VARS),
}
