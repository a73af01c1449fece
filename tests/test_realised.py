"""Realised layer: employment-weighted adoption, intensive margin, cost condition, lag interpolation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from forecast.macro import load_macro_priors, sample_realised
from forecast.realised import (
    MAX_LAG_YEARS,
    REFERENCE_YEAR,
    cost_ratio_mean,
    employment_adoption,
    intensive_margin,
    labour_cost_saving,
    lagged_value,
    profitable_share,
    realised_year,
)


def test_size_offsets_reproduce_the_eu_size_classes():
    """At the EU-27 2025 firm share the prior-mean offsets give the published size-class shares."""
    priors = load_macro_priors()
    offsets = jnp.array([priors[f"size_offset_{c}"].params["loc"] for c in ("micro", "small", "medium", "large")])
    for k, published in zip((1, 2, 3), (0.17, 0.3036, 0.5503), strict=True):
        one_hot = jnp.zeros(4).at[k].set(1.0)
        assert float(employment_adoption(jnp.array(0.1995), offsets, one_hot)) == pytest.approx(published, abs=1e-3)
    # weighting by employment raises the share above the head-count of firms (large firms adopt more)
    weights = jnp.asarray(priors.settings.size_employment_share.weights())
    assert float(employment_adoption(jnp.array(0.1995), offsets, weights)) > 0.1995 + 0.05


def test_intensive_margin_passes_its_reference_and_stays_below_the_ceiling():
    t = jnp.linspace(2015.0, 2060.0, 46)
    x = intensive_margin(t, 0.1, 0.45, 0.5)
    assert float(intensive_margin(REFERENCE_YEAR, 0.1, 0.45, 0.5)) == pytest.approx(0.1, rel=1e-12)
    assert bool(jnp.all(jnp.diff(x) > 0)) and float(x[-1]) < 0.5 and float(x[-1]) > 0.49


def test_cost_condition_against_numerical_integration():
    """Profitable share and labour-cost saving equal direct integrals over the cost-ratio distribution."""
    mu0 = cost_ratio_mean(REFERENCE_YEAR, 0.23, 0.25, 0.15)
    assert float(profitable_share(mu0, 0.25)) == pytest.approx(0.23, rel=1e-10)
    for mu, sd in ((0.185, 0.25), (-0.5, 0.4), (1.5, 0.3), (-2.0, 0.13)):
        p = integrate.quad(lambda x, m=mu, s=sd: norm.pdf(x, m, s), -np.inf, 0.0)[0]
        ratio = integrate.quad(lambda x, m=mu, s=sd: 10**x * norm.pdf(x, m, s), -np.inf, 0.0)[0] / p
        assert float(profitable_share(mu, sd)) == pytest.approx(p, rel=1e-8)
        assert float(labour_cost_saving(jnp.array(mu), jnp.array(sd))) == pytest.approx(1 - ratio, rel=1e-7)
    # Acemoglu's 27% saving at 23% profitable is what the prior median spread (0.265 OOM) gives
    mu_median = cost_ratio_mean(REFERENCE_YEAR, 0.23, 0.265, 0.0)
    assert float(labour_cost_saving(mu_median, 0.265)) == pytest.approx(0.27, abs=0.005)
    # the cost falls over time: more tasks profitable, larger savings
    later = cost_ratio_mean(REFERENCE_YEAR + 3, 0.23, 0.25, 0.15)
    assert float(profitable_share(later, 0.25)) > 0.23 and float(labour_cost_saving(later, 0.25)) > 0.27


def test_lagged_value_interpolates_a_yearly_buffer():
    buffer = jnp.arange(MAX_LAG_YEARS + 1, dtype=float)[:, None] * jnp.ones((1, 4))  # value = years since oldest
    lag = jnp.array([0.0, 1.0, 2.5, 7.0])
    np.testing.assert_allclose(lagged_value(buffer, lag), [5.0, 4.0, 2.5, 0.0])


def test_realised_year_shapes_and_bounds():
    priors = load_macro_priors()
    n, g = 500, 22
    draws = sample_realised(priors, jax.random.key(0), n)
    technical = jax.random.uniform(jax.random.key(1), (n, g))
    omega = jnp.full(g, 1.0 / g)
    weights = jnp.asarray(priors.settings.size_employment_share.weights())
    ry = realised_year(technical, jnp.full(n, 0.3), 2026.0, draws, weights, omega, jnp.full(n, 0.6))
    assert ry.realised.shape == (n, g)
    for share in (ry.adoption_employment, ry.hours_with_ai, ry.profitable, ry.cost_saving):
        assert bool(jnp.all((share >= 0) & (share <= 1)))
    assert bool(jnp.all(ry.realised <= technical * ry.hours_with_ai[:, None] + 1e-15))
    assert bool(jnp.all(ry.tfp_level >= 0))
    # fixing the lag replaces the prior draws
    fixed = sample_realised(priors, jax.random.key(0), n, lag_years=2.0)
    assert np.all(np.asarray(fixed.lag_years) == 2.0)
