"""The trend model: identities, shapes, the joint likelihood by hand, forecasts, and recovery of
known doubling times, the compute-cost correlation and the language-domain rate."""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.handlers import seed, trace
from numpyro.infer import Predictive
from numpyro.infer.util import log_likelihood
from scipy import integrate, stats

from forecast.infer import SamplerConfig, fit
from forecast.model import (
    LOG10_2_MONTHS,
    DomainSeries,
    ModelData,
    PairSeries,
    TrendSeries,
    load_trend_priors,
    model_data,
    observation_units,
    trend_model,
    without_observations,
)
from forecast.priors import PriorSet
from forecast.vocab import ECI_EFFECTS
from tests.helpers import MARKED_ECI, TRUTH, design, design_frames, simulate


@pytest.fixture(scope="module")
def priors():
    return load_trend_priors()


def _without(priors: PriorSet, *names: str) -> PriorSet:
    return PriorSet({k: v for k, v in priors.specs.items() if k not in names}, priors.path, priors.sha256)


def test_prior_predictive_identity_and_units(priors):
    data = design()
    draws = Predictive(trend_model, num_samples=200)(jax.random.key(0), without_observations(data), priors)
    growth = np.asarray(draws["growth"])
    # compute = spending + hardware + gap, exactly, in every draw
    np.testing.assert_allclose(
        growth[:, 0], draws["growth_spending"] + draws["growth_hardware"] + draws["identity_gap"], rtol=1e-12
    )
    np.testing.assert_allclose(np.asarray(draws["doubling_months"]), LOG10_2_MONTHS / growth, rtol=1e-12)
    # the algorithmic component is the language domain's rate, not the hyper-mean
    np.testing.assert_array_equal(growth[:, 3], np.asarray(draws["growth_domain"])[:, 1])
    assert draws["obs_compute"].shape == (200, 25)  # 80 compute rows, 55 of them paired with a cost
    assert draws["obs_spending"].shape == (200, 5)
    assert draws["obs_pair"].shape == (200, 55, 2)
    assert draws["obs_eci"].shape == (200, data.eci.t.shape[0], 2)


def test_pairs_and_lineage_marks_in_model_data():
    frames = design_frames()
    data, _ = model_data(frames)
    assert data.pair.t.shape == (55,) and data.compute.t.shape == (25,) and data.spending.t.shape == (5,)
    # a pair is the same model's compute and cost, in the compute frame's order
    merged = frames.compute.merge(frames.spending, on=["name", "year"], suffixes=("_c", "_s"))
    np.testing.assert_array_equal(np.asarray(data.pair.y)[:, 0], merged["log10_value_c"])
    marks = np.asarray(data.eci.effects)
    names = list(frames.eci["name"])
    marked = {names[i]: [ECI_EFFECTS[j] for j in np.flatnonzero(marks[i])] for i in np.flatnonzero(marks.any(1))}
    assert marked == {
        "DeepSeek-R1-a": ["reasoning"],
        "qwen3-b": ["reasoning"],
        "phi-3-c": ["distilled"],
        "phi-4-d": ["distilled"],
        "lm-7-0324": ["update"],
    }
    assert set(marked) == set(MARKED_ECI)
    assert not np.asarray(data.imagenet.effects).any()


def test_observation_units_match_the_sites():
    frames = design_frames()
    units = observation_units(frames)
    tr = trace(seed(trend_model, 0)).get_trace(design(), load_trend_priors())
    for site, labels in units.items():
        assert len(labels) == tr[site]["value"].shape[0], site
    # one unit per frontier model: compute-only, cost-only and paired models are disjoint
    models = units["obs_compute"] + units["obs_spending"] + units["obs_pair"]
    assert len(models) == len(set(models)) == 85


def _hand_data():
    """Two paired models, one compute-only, one cost-only, one chip, one price, one row per domain."""
    one = jnp.zeros((1, len(ECI_EFFECTS)))
    return ModelData(
        compute=TrendSeries(t=jnp.array([1.0]), y=jnp.array([23.9])),
        spending=TrendSeries(t=jnp.array([-2.0]), y=jnp.array([5.9])),
        pair=PairSeries(t=jnp.array([-3.0, 2.5]), y=jnp.array([[20.6, 3.1], [24.9, 8.0]])),
        hardware_release=TrendSeries(t=jnp.array([0.5]), y=jnp.array([9.8])),
        hardware_cloud=TrendSeries(t=jnp.array([3.0]), y=jnp.array([16.9])),
        imagenet=DomainSeries(t=jnp.array([0.7]), xy=jnp.array([[0.4, 0.5]]), effects=one),
        eci=DomainSeries(t=jnp.array([-0.3]), xy=jnp.array([[-0.2, -0.6]]), effects=one.at[0, 0].set(1.0)),
    )


def _hand_params():
    return {k: jnp.asarray(v)[None] for k, v in TRUTH.items()}


def test_joint_likelihood_is_the_sum_of_the_right_densities(priors):
    """Each paired model counts once, by its bivariate Student-t; unpaired values by the marginal."""
    data, p = _hand_data(), TRUTH
    ll = {k: np.asarray(v)[0] for k, v in log_likelihood(trend_model, _hand_params(), data, priors).items()}
    df = p["student_df"]
    g_c = p["growth_spending"] + p["growth_hardware"] + p["identity_gap"]

    # each trend series' scale trend is centred at its mean date (pairs count for compute and cost)
    centre = [np.mean([1.0, -3.0, 2.5]), np.mean([-2.0, -3.0, 2.5]), 0.5, 3.0]

    def sd(i, t):
        return p["noise"][i] * np.exp(p["noise_trend"][i] * (t - centre[i]))

    def mean_c(t):
        return p["level_compute"] + g_c * t

    def mean_s(t):
        return p["level_spending"] + p["growth_spending"] * t

    expected = {"obs_compute": stats.t.logpdf(23.9, df, mean_c(1.0), sd(0, 1.0))}
    expected["obs_spending"] = stats.t.logpdf(5.9, df, mean_s(-2.0), sd(1, -2.0))
    r = p["compute_spending_corr"]
    pair = []
    for t, y in zip([-3.0, 2.5], [[20.6, 3.1], [24.9, 8.0]], strict=True):
        a, b = sd(0, t), sd(1, t)
        cov = [[a * a, r * a * b], [r * a * b, b * b]]
        pair.append(stats.multivariate_t(loc=[mean_c(t), mean_s(t)], shape=cov, df=df).logpdf(y))
    expected["obs_pair"] = np.array(pair)
    g_source = p["growth_hardware"] + p["hardware_source_sd"] * p["hardware_z"]
    expected["obs_hardware_release"] = stats.t.logpdf(
        9.8, df, p["level_hardware_release"] + g_source[0] * 0.5, sd(2, 0.5)
    )
    expected["obs_hardware_cloud"] = stats.t.logpdf(16.9, df, p["level_hardware_cloud"] + g_source[1] * 3.0, sd(3, 3.0))
    g_dom = p["algorithmic_hypermean"] + p["algorithmic_domain_sd"] * p["domain_z"]
    for i, (name, t, xy, shift) in enumerate(
        [("imagenet", 0.7, [0.4, 0.5], 0.0), ("eci", -0.3, [-0.2, -0.6], p["eci_effect_oom"][0])]
    ):
        s, sig, b, eps = p["compute_pop_sd"][i], p["compute_meas_sd"], p["perf_slope"][i], p["noise"][4 + i]
        m = p["compute_pop_loc"][i] + p["compute_pop_trend"][i] * t
        loc = [m, p["perf_intercept"][i] + b * (m + g_dom[i] * t + shift)]
        cov = [[s * s + sig * sig, b * s * s], [b * s * s, b * b * s * s + eps * eps]]
        expected[f"obs_{name}"] = stats.multivariate_t(loc=loc, shape=cov, df=df).logpdf(xy)
    assert set(ll) == set(expected)
    for site, value in expected.items():
        np.testing.assert_allclose(ll[site], np.atleast_1d(value), rtol=1e-10, err_msg=site)


def test_domain_likelihood_integrates_out_the_true_compute(priors):
    """With normal errors (df -> infinity) the domain row's density is the errors-in-variables
    integral over the latent true compute: x_obs ~ N(x, sigma), perf ~ N(a + b (x + g t + e), eps),
    x ~ N(pop_loc + pop_trend t, pop_sd)."""
    data, p = _hand_data(), dict(TRUTH, student_df=1e9)
    params = {k: jnp.asarray(v)[None] for k, v in p.items()}
    ll = float(np.asarray(log_likelihood(trend_model, params, data, priors)["obs_imagenet"])[0, 0])
    g = p["algorithmic_hypermean"] + p["algorithmic_domain_sd"] * p["domain_z"][0]
    t, (x_obs, perf) = 0.7, (0.4, 0.5)
    s, sig, b, eps = p["compute_pop_sd"][0], p["compute_meas_sd"], p["perf_slope"][0], p["noise"][4]
    m = p["compute_pop_loc"][0] + p["compute_pop_trend"][0] * t

    def integrand(x):
        mean_perf = p["perf_intercept"][0] + b * (x + g * t)
        return stats.norm.pdf(x_obs, x, sig) * stats.norm.pdf(perf, mean_perf, eps) * stats.norm.pdf(x, m, s)

    value, _ = integrate.quad(integrand, m - 12 * s, m + 12 * s, epsabs=0, epsrel=1e-12)
    assert ll == pytest.approx(np.log(value), rel=1e-6)


def test_empty_series_add_no_likelihood(priors):
    """An as-of fit before a series starts (ECI before 2023) simply has no site for it."""
    d = design()
    empty = d._replace(eci=d.eci._replace(t=d.eci.t[:0], xy=d.eci.xy[:0], effects=d.eci.effects[:0]))
    sites = trace(seed(trend_model, 0)).get_trace(empty, priors)
    assert "obs_eci" not in sites and "obs_compute" in sites
    assert "obs_eci" in trace(seed(trend_model, 0)).get_trace(d, priors)


def test_predictive_scale_is_held_beyond_each_series_last_date(priors):
    """Within the data the predictive scale follows the scale trend; beyond a series' last date it
    stays at its value there (compute's last date is 2.5 in the hand data, release FLOP/$'s 0.5)."""
    from numpyro.handlers import substitute

    from forecast import sinharcsinh as sas

    data, p = _hand_data(), TRUTH
    assert all(p["noise_trend"][i] != 0 for i in range(2))
    t = jnp.array([0.0, 2.5, 4.0, 9.0])
    model = substitute(trend_model, data={k: jnp.asarray(v) for k, v in p.items()})
    tr = trace(seed(model, 0)).get_trace(data, priors, forecast_t=t)
    centre = [np.mean([1.0, -3.0, 2.5]), np.mean([-2.0, -3.0, 2.5]), 0.5]
    last = [2.5, 2.5, 0.5]
    for i, site in enumerate(("pred_compute", "pred_spending", "pred_hardware_release")):
        scale = np.broadcast_to(np.asarray(sas.residual_params(tr[site]["fn"])[2]), t.shape)
        held = np.minimum(np.asarray(t), last[i])
        np.testing.assert_allclose(scale, p["noise"][i] * np.exp(p["noise_trend"][i] * (held - centre[i])), rtol=1e-12)


def _walk_trace(priors, values, t=None):
    from numpyro.handlers import substitute

    model = substitute(trend_model, data={k: jnp.asarray(v) for k, v in values.items()})
    return trace(seed(model, 0)).get_trace(_hand_data(), priors, forecast_t=t)


def test_scale_walk_is_linear_between_yearly_knots(priors):
    """With [noise_walk_sd] (in the default) the log scale is the held trend plus a walk over the
    whole years of SCALE_WALK_KNOTS (-14 ... 16), zero at each series' mean date, flat outside."""
    from forecast import sinharcsinh as sas
    from forecast.model import SCALE_WALK_KNOTS

    assert "noise_walk_sd" in priors  # the default holds the walk
    p = TRUTH
    t = jnp.array([-20.0, -3.0, 0.0, 0.3, 2.5, 4.0, 6.7, 16.0, 25.0])
    rng = np.random.default_rng(0)
    sd = np.array([0.2, 0.3, 0.1, 0.4])
    knot_t = np.asarray(SCALE_WALK_KNOTS, dtype=float)
    z = rng.normal(size=(4, knot_t.size - 1))
    tr = _walk_trace(priors, {**p, "noise_walk_sd": sd, "noise_walk_z": z}, t)
    knots = np.concatenate([np.zeros((4, 1)), np.cumsum(sd[:, None] * z, 1)], 1)
    centre = [np.mean([1.0, -3.0, 2.5]), np.mean([-2.0, -3.0, 2.5]), 0.5]
    last = [2.5, 2.5, 0.5]
    for i, site in enumerate(("pred_compute", "pred_spending", "pred_hardware_release")):
        scale = np.broadcast_to(np.asarray(sas.residual_params(tr[site]["fn"])[2]), t.shape)
        walk = np.interp(np.asarray(t), knot_t, knots[i]) - np.interp(centre[i], knot_t, knots[i])
        trend = p["noise_trend"][i] * (np.minimum(np.asarray(t), last[i]) - centre[i])
        np.testing.assert_allclose(scale, p["noise"][i] * np.exp(trend + walk), rtol=1e-12, err_msg=site)


def test_scale_walk_beyond_the_data_is_prior_only(priors):
    """Knots after the last observation (3.0 in the hand data) leave the likelihood unchanged and
    move only the predictive there: the posterior continues the walk with its prior."""
    from forecast import sinharcsinh as sas
    from forecast.model import SCALE_WALK_KNOTS

    assert "noise_walk_sd" in priors  # the default holds the walk
    n_seg = len(SCALE_WALK_KNOTS) - 1
    z = np.random.default_rng(1).normal(size=(4, n_seg))
    later = np.asarray(SCALE_WALK_KNOTS[:-1]) >= 3.0  # segments that start at or after 3.0
    z2 = np.where(later, z + 1.0, z)
    values = {**TRUTH, "noise_walk_sd": np.full(4, 0.3)}
    params = {k: jnp.asarray(v)[None] for k, v in values.items()}
    ll = [
        log_likelihood(trend_model, {**params, "noise_walk_z": jnp.asarray(zz)[None]}, _hand_data(), priors)
        for zz in (z, z2)
    ]
    for site in ll[0]:
        np.testing.assert_array_equal(np.asarray(ll[0][site]), np.asarray(ll[1][site]), err_msg=site)
    t = jnp.array([2.0, 5.0])
    scales = [
        np.asarray(sas.residual_params(_walk_trace(priors, {**values, "noise_walk_z": zz}, t)["pred_compute"]["fn"])[2])
        for zz in (z, z2)
    ]
    assert scales[0][0] == scales[1][0] and scales[0][1] != scales[1][1]


def test_optional_priors_switch_features(priors):
    data = design()
    with_trend = trace(seed(trend_model, 0)).get_trace(data, priors, forecast_t=jnp.array([0.0, 5.0]))
    assert "noise_trend" in with_trend and "noise_walk_z" in with_trend and "ho2024_language_rate" not in with_trend
    constant = _without(priors, "noise_trend", "noise_walk_sd")
    tr = trace(seed(trend_model, 0)).get_trace(data, constant, forecast_t=jnp.array([0.0, 5.0]))
    assert "noise_trend" not in tr and "noise_walk_z" not in tr
    fn = tr["pred_compute"]["fn"]
    scale = np.broadcast_to(getattr(fn, "base_dist", fn).scale, (2,))
    assert scale[0] == scale[1]  # a constant residual scale
    from forecast.resources import priors_path

    ho = load_trend_priors(priors_path("trends_ho2024.toml"))
    tr = trace(seed(trend_model, 0)).get_trace(data, ho)
    assert tr["ho2024_language_rate"]["type"] == "sample" and tr["ho2024_language_rate"]["is_observed"]


def test_forecast_sites_follow_the_trend(priors):
    data = design()
    t = jnp.array([0.0, 5.0])
    samples = {k: jnp.broadcast_to(jnp.asarray(v), (400, *np.shape(v))) for k, v in TRUTH.items()}
    pred = Predictive(trend_model, samples, return_sites=["pred_compute"])(
        jax.random.key(1), data, priors, forecast_t=t
    )
    med = np.median(np.asarray(pred["pred_compute"]), axis=0)
    g_c = TRUTH["growth_spending"] + TRUTH["growth_hardware"] + TRUTH["identity_gap"]
    # medians of 400 Student-t draws: MCSE ~ 1.25 * scale / sqrt(n) ~ 0.03; allow 4 MCSE
    assert med[0] == pytest.approx(TRUTH["level_compute"], abs=4 * 0.03)
    assert med[1] - med[0] == pytest.approx(5 * g_c, abs=4 * 0.03 * np.sqrt(2))


#: Quantities checked by the recovery test, and its family-wise level: each truth must lie within
#: z = Phi^-1(1 - alpha / (2 k)) = 3.14 posterior sds of the posterior mean, so that a correct model
#: fails the test with probability <= alpha whatever the seed or CPU. (A 90% interval per quantity,
#: as before, misses one of six truths in up to 1 - 0.9^6 = 47% of seeds: it passed or failed with the CPU
#: type, which changes the floating-point path of the chains.)
RECOVERY_ALPHA, RECOVERY_K = 0.01, 6
RECOVERY_Z = float(stats.norm.ppf(1 - RECOVERY_ALPHA / (2 * RECOVERY_K)))


def _recovers(da, truth, name):
    """``|mean - truth| <= RECOVERY_Z * sd`` of the posterior, widened by 3 MCSE of the mean."""
    ds = da.to_dataset(name="v")
    mean, sd = float(da.mean()), float(da.std())
    mcse = float(az.mcse(ds, method="mean")["v"])
    assert abs(mean - truth) <= RECOVERY_Z * sd + 3 * mcse, (name, mean, sd, truth, (mean - truth) / sd)


def test_parameter_recovery_of_known_doubling_times(priors):
    """Fit data simulated at the published doubling times; the posterior recovers the truth.

    Family-wise level ``RECOVERY_ALPHA`` over the ``RECOVERY_K`` quantities (:func:`_recovers`):
    the three doubling times, the compute-cost correlation, and the language-domain (ECI) rate
    that the simulation uses, with the ImageNet rate. Whole-posterior calibration is SBC
    (tests/test_calibrate.py).
    """
    data = simulate(design(seed=1), priors, jax.random.key(11))
    dt = fit(
        data, priors, SamplerConfig(chains=2, draws=500, warmup=500), key=jax.random.key(3), posterior_predictive=False
    )
    post = dt["posterior"]
    truth_growth = {
        "compute": TRUTH["growth_spending"] + TRUTH["growth_hardware"] + TRUTH["identity_gap"],
        "spending": TRUTH["growth_spending"],
        "hardware": TRUTH["growth_hardware"],
    }
    for comp, g in truth_growth.items():
        _recovers(post["doubling_months"].sel(component=comp), LOG10_2_MONTHS / g, comp)
    _recovers(post["compute_spending_corr"], TRUTH["compute_spending_corr"], "compute_spending_corr")
    true_dom = TRUTH["algorithmic_hypermean"] + TRUTH["algorithmic_domain_sd"] * TRUTH["domain_z"]
    _recovers(post["growth"].sel(component="algorithmic"), true_dom[1], "algorithmic (eci)")
    _recovers(post["growth_domain"].sel(domain="imagenet"), true_dom[0], "imagenet")
    # power: a compute doubling time 10% off the truth is not "recovered"
    with pytest.raises(AssertionError):
        _recovers(
            post["doubling_months"].sel(component="compute"), 1.1 * LOG10_2_MONTHS / truth_growth["compute"], "+10%"
        )
