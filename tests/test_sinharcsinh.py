"""Sinh-arcsinh Student-t residuals: the JAX distributions against closed forms and quadrature,
eps = 0 / delta = 1 recovering the Student-t model exactly, and the backtest's exact predictive."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
import xarray as xr
from numpyro.infer.util import log_likelihood
from scipy import integrate, stats

from forecast import sinharcsinh as sas
from forecast.backtest import decimal_year, predict
from forecast.model import DIMS, TREND_LATENT_SITES, load_trend_priors, trend_model
from forecast.resources import priors_path
from tests.helpers import TRUTH, design, simulate

DF, LOC, SCALE = 5.0, 1.3, 0.4
SHAPES = [(0.0, 1.0), (0.6, 1.0), (-0.4, 0.7), (0.8, 1.4)]


@pytest.fixture(scope="module")
def skew_priors():
    return load_trend_priors(priors_path("trends_skew.toml"))


@pytest.mark.parametrize(("skew", "tail"), SHAPES)
def test_density_normalises_and_matches_the_closed_forms(skew, tail):
    d = sas.SinhArcsinhStudentT(DF, LOC, SCALE, skew, tail)
    x = np.linspace(-3.0, 5.0, 41)
    lp = np.asarray(d.log_prob(jnp.asarray(x)))
    np.testing.assert_allclose(lp, sas.logpdf(x, DF, LOC, SCALE, skew, tail), rtol=1e-12)
    total, _ = integrate.quad(lambda v: np.exp(sas.logpdf(v, DF, LOC, SCALE, skew, tail)), -np.inf, np.inf)
    assert total == pytest.approx(1.0, abs=1e-8)
    # CDF = integral of the density; the quantile function inverts it; median = loc + scale sinh(eps/delta)
    for v in (-0.5, 1.3, 2.2):
        mass, _ = integrate.quad(lambda u: np.exp(sas.logpdf(u, DF, LOC, SCALE, skew, tail)), -np.inf, v)
        assert float(sas.cdf(v, DF, LOC, SCALE, skew, tail)) == pytest.approx(mass, abs=1e-8)
        assert float(d.cdf(v)) == pytest.approx(mass, abs=1e-8)
    p = np.array([0.05, 0.3, 0.5, 0.9])
    np.testing.assert_allclose(sas.cdf(sas.ppf(p, DF, LOC, SCALE, skew, tail), DF, LOC, SCALE, skew, tail), p)
    assert float(sas.ppf(0.5, DF, LOC, SCALE, skew, tail)) == pytest.approx(sas.median(LOC, SCALE, skew, tail))
    first, _ = integrate.quad(lambda u: u * np.exp(sas.logpdf(u, DF, LOC, SCALE, skew, tail)), -np.inf, np.inf)
    assert float(sas.mean(DF, LOC, SCALE, skew, tail)) == pytest.approx(first, abs=1e-6)


@pytest.mark.parametrize(("skew", "tail"), SHAPES[1:])
def test_draws_follow_the_cdf(skew, tail):
    d = sas.SinhArcsinhStudentT(DF, LOC, SCALE, skew, tail)
    jx = np.asarray(d.sample(jax.random.key(0), (4000,)))
    nx = sas.sample(np.random.default_rng(0), DF, LOC, SCALE, skew, tail, size=4000)
    for x in (jx, nx):
        assert stats.kstest(x, lambda v: sas.cdf(v, DF, LOC, SCALE, skew, tail)).pvalue > 0.01


def test_zero_skew_unit_tail_is_the_student_t_exactly():
    x = jnp.linspace(-4.0, 6.0, 23)
    np.testing.assert_allclose(
        sas.SinhArcsinhStudentT(DF, LOC, SCALE, 0.0, 1.0).log_prob(x),
        dist.StudentT(DF, LOC, SCALE).log_prob(x),
        rtol=1e-13,
    )
    loc, scale, corr = jnp.array([23.0, 6.5]), jnp.array([0.5, 0.4]), 0.8
    tril = jnp.array([[scale[0], 0.0], [corr * scale[1], scale[1] * np.sqrt(1 - corr**2)]])
    y = jnp.stack([23.0 + jnp.linspace(-2, 2, 9), 6.5 + jnp.linspace(1.5, -1, 9)], -1)
    two = sas.SinhArcsinhBivariateT(DF, loc, scale, corr, jnp.zeros(2), jnp.ones(2))
    np.testing.assert_allclose(two.log_prob(y), dist.MultivariateStudentT(DF, loc, tril).log_prob(y), rtol=1e-13)


def test_bivariate_marginals_are_the_univariate_laws():
    """Coordinate-wise transform: each coordinate's marginal is the univariate sinh-arcsinh t."""
    loc, scale, skew, tail = (
        jnp.array([1.0, -1.0]),
        jnp.array([0.5, 2.0]),
        jnp.array([0.5, -0.3]),
        jnp.array([0.8, 1.3]),
    )
    d = sas.SinhArcsinhBivariateT(DF, loc, scale, 0.7, skew, tail)
    x, y0 = 1.4, -0.2
    marg, _ = integrate.quad(lambda v: float(jnp.exp(d.log_prob(jnp.array([x, v])))), -np.inf, np.inf, epsabs=1e-11)
    one = sas.logpdf(x, DF, 1.0, 0.5, 0.5, 0.8)
    assert np.log(marg) == pytest.approx(one, abs=1e-6)
    draws = np.asarray(d.sample(jax.random.key(1), (4000,)))
    assert stats.kstest(draws[:, 1], lambda v: sas.cdf(v, DF, -1.0, 2.0, -0.3, 1.3)).pvalue > 0.01
    assert float(jnp.exp(d.log_prob(jnp.array([x, y0])))) > 0


def test_model_with_zero_skew_unit_tail_is_todays_model(skew_priors):
    """Every observed site's log-likelihood under the skewed priors at eps = 0, delta = 1 equals the
    default model's (the trend sites through the sinh-arcsinh laws, the rest untouched)."""
    default = load_trend_priors()
    assert set(skew_priors.specs) - set(default.specs) == {"residual_skew", "residual_tail"}
    data = simulate(design(), default, jax.random.key(3))
    params = {k: jnp.asarray(v)[None] for k, v in TRUTH.items()}
    skewed = params | {"residual_skew": jnp.zeros((1, 4)), "residual_tail": jnp.ones((1, 4))}
    ll0 = log_likelihood(trend_model, params, data, default)
    ll1 = log_likelihood(trend_model, skewed, data, skew_priors)
    assert set(ll0) == set(ll1)
    for site in ll0:
        np.testing.assert_allclose(ll1[site], ll0[site], rtol=1e-12, err_msg=site)
    # with skew the likelihood does change
    moved = log_likelihood(trend_model, skewed | {"residual_skew": jnp.full((1, 4), 0.5)}, data, skew_priors)
    assert not np.allclose(moved["obs_pair"], ll0["obs_pair"])


def _point_posterior(extra: dict, draws: int = 4):
    data_vars = {}
    for k, v in (TRUTH | extra).items():
        if k not in TREND_LATENT_SITES:
            continue
        v = np.asarray(v, dtype=float)
        data_vars[k] = (["chain", "draw", *DIMS.get(k, [])], np.broadcast_to(v, (1, draws, *v.shape)).copy())
    dt = xr.DataTree.from_dict({"posterior": xr.Dataset(data_vars)})
    dt.attrs["ref_year"] = 2020.0
    return dt


def test_predict_uses_the_skewed_law(skew_priors):
    skew, tail = np.array([0.6, 0.4, -0.2, 0.1]), np.array([0.9, 1.2, 1.1, 1.0])
    post = _point_posterior({"residual_skew": skew, "residual_tail": tail})
    dates = ["2026-01-01", 2030.0]
    out = predict(post, dates, skew_priors, design(), key=jax.random.key(0))
    years = decimal_year(dates)
    data = design()
    g_c = TRUTH["growth_spending"] + TRUTH["growth_hardware"] + TRUTH["identity_gap"]
    centre = np.mean(np.concatenate([data.compute.t, data.pair.t]))
    rows = out[out["series"] == "compute"]
    # the scale is held at the series' last date beyond it
    last = np.max(np.concatenate([data.compute.t, data.pair.t]))
    noise = TRUTH["noise"][0] * np.exp(TRUTH["noise_trend"][0] * (np.minimum(years - 2020.0, last) - centre))
    median = TRUTH["level_compute"] + g_c * (years - 2020.0)
    loc, scale = (np.asarray(a) for a in sas.from_median(median, noise, skew[0], tail[0]))
    for p in (0.05, 0.5, 0.95):
        ref = sas.ppf(p, TRUTH["student_df"], loc, scale, skew[0], tail[0])
        np.testing.assert_allclose(rows[f"q{round(100 * p):02d}"], ref, atol=1e-9)
    # the trend line is the median, whatever the skew
    np.testing.assert_allclose(rows["q50"], median, atol=1e-9)
    np.testing.assert_allclose(rows["mean"], sas.mean(TRUTH["student_df"], loc, scale, skew[0], tail[0]), rtol=1e-10)
    assert (rows["mean"].to_numpy() > median).all()  # right skew: the mean sits above the median


def test_central_scale_is_the_quantile_slope_at_the_median():
    for skew, tail in SHAPES:
        loc, scale = sas.from_median(2.0, 0.3, skew, tail)
        h = 1e-6
        slope = (sas.ppf(0.5 + h, DF, loc, scale, skew, tail) - sas.ppf(0.5 - h, DF, loc, scale, skew, tail)) / (
            stats.t.ppf(0.5 + h, DF) - stats.t.ppf(0.5 - h, DF)
        )
        assert float(sas.median(loc, scale, skew, tail)) == pytest.approx(2.0, abs=1e-12)
        assert float(slope) == pytest.approx(0.3, rel=1e-6)
