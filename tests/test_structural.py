"""Structural priors (issue 14): they load, broken files fail clearly, the caps bind, and the
priors are what their stated constructions give (Epoch's 2030 limits, the largest-run offset
in the packaged data)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from forecast.data import load_data
from forecast.errors import ConfigError
from forecast.posterior import TrendDraws
from forecast.priors import PriorSpec
from forecast.structural import (
    REQUIRED_PRIORS,
    StructuralDraws,
    algorithmic_oom,
    algorithmic_rate,
    constants,
    epoch_limit_quantiles,
    largest_run,
    largest_run_offset,
    limit_path,
    load_structural_priors,
    log10_gdp,
    sample_structural,
)

START = 2025.0  # outputs at whole years: index 5 is 2030.0
N = 2000


@pytest.fixture(scope="module")
def priors():
    return load_structural_priors()


def _trend(n, growth_compute, growth_spending, seed=0):
    """Trend draws with the 2025 levels of the least-squares lines on the extract (compute 25.89, cost 7.79)."""
    rng = np.random.default_rng(seed)
    z = np.zeros(n)
    return TrendDraws(
        growth_compute=growth_compute + 0.05 * rng.standard_normal(n),
        growth_spending=growth_spending + 0.05 * rng.standard_normal(n),
        growth_hardware=z + 0.1,
        growth_algorithmic=z + 0.36,
        identity_gap=z,
        log10_compute_ref=25.89 + 0.1 * rng.standard_normal(n),
        log10_spending_ref=7.79 + 0.1 * rng.standard_normal(n),
        ref_year=START,
    )


def test_priors_load_with_sourced_settings(priors):
    assert set(priors.specs) == set(REQUIRED_PRIORS)
    for spec in priors.specs.values():
        assert PriorSpec.model_validate(spec.to_dict()) == spec
        assert len(spec.description) > 30
    s = priors.settings
    assert s.world_gdp_usd_2023 == pytest.approx(1.054e14)
    assert set(s.epoch_2030) == {"power", "chips", "data", "latency"}
    # the GDP-share cap: median 3e-4, 90% interval 2.1e-5 - 4.3e-3, as the file says
    cap = priors["largest_run_gdp_share_cap"].params
    q = stats.lognorm(s=cap["scale"], scale=math.exp(cap["loc"])).ppf([0.05, 0.5, 0.95])
    assert q == pytest.approx([2.1e-5, 3e-4, 4.3e-3], rel=0.05)
    # today's costliest run (GPT-4.5, 10^8.53 2023 USD) is far below the cap's 1% point
    today = 8.53 - math.log10(s.world_gdp_usd_2023)
    assert stats.norm.cdf((today - math.log10(3e-4)) / (cap["scale"] / math.log(10))) < 0.01


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("typo_prior_name.toml", "unknown prior 'largest_run_ofset_oom' (did you mean 'largest_run_offset_oom'"),
        ("unknown_distribution.toml", "unknown distribution 'Normall'"),
        ("negative_scale.toml", "must be > 0"),
        ("typo_setting.toml", "did you mean 'physical_approach_oom'"),
        ("constraint_out_of_order.toml", "low < median < high"),
    ],
)
def test_broken_structural_priors(fixtures, name, needle):
    path = fixtures / "structural" / name
    with pytest.raises(ConfigError) as err:
        load_structural_priors(path)
    msg = str(err.value)
    assert str(path) in msg and needle in msg and "\n" not in msg


def test_limit_prior_is_the_min_of_epochs_constraints(priors):
    s = priors.settings
    (q05, q50, q95), binds = epoch_limit_quantiles(s)
    spec = priors["log10_compute_limit_2030"].params
    assert spec["loc"] == pytest.approx(q50, abs=s.limit_tolerance_oom)
    assert spec["scale"] == pytest.approx((q95 - q05) / 3.29, abs=s.limit_tolerance_oom)
    assert spec["loc"] == pytest.approx(math.log10(2e29), abs=s.limit_tolerance_oom)  # Epoch's headline
    assert max(binds, key=binds.get) == "power"
    # independent constraints would put the median well below Epoch's 2e29 (why the copula)
    (_, q50_indep, _), _ = epoch_limit_quantiles(s.model_copy(update={"constraint_correlation": 0.0}), n=100_000)
    assert q50_indep < math.log10(2e29) - 0.2


def test_largest_run_offset_from_the_packaged_data_matches_the_prior(priors):
    est = largest_run_offset(load_data())
    assert est.per_series["compute"][2] == 27 and est.per_series["spending"][2] == 12
    assert est.pooled == pytest.approx(
        priors["largest_run_offset_oom"].params["loc"], abs=priors.settings.offset_tolerance_oom
    )
    assert priors["largest_run_offset_oom"].params["scale"] >= 2 * est.standard_error - 1e-9


def test_gdp_cap_binds_and_is_never_exceeded(priors):
    c = constants(priors.settings)
    draws = sample_structural(priors, jax.random.key(0), N)
    draws = draws._replace(log10_limit_2030=jnp.full(N, 60.0))  # no physical limit: the GDP cap alone
    run = largest_run(_trend(N, 0.9, 0.7), draws, c, START, 40)
    below = run.log10_cost[0] <= run.log10_cost_cap[0]
    assert float(below.mean()) > 0.99  # today's costliest run is far below the cap's 1% point
    assert bool(jnp.all(run.log10_cost[:, below] <= run.log10_cost_cap[:, below] + 1e-9))
    # it binds: by 2065 every such run costs its cap (growth at the GDP rate)
    assert float(jnp.max(run.log10_cost_cap[-1, below] - run.log10_cost[-1, below])) < 0.01
    growth = run.log10_cost[-1, below] - run.log10_cost[-2, below]
    assert growth == pytest.approx(np.full(int(below.sum()), c.gdp_growth_oom), abs=1e-4)
    # a run that already exceeds its cap (a share below today's, 1e-7) grows with GDP, never shrinks
    low = draws._replace(log10_gdp_share_cap=jnp.full(N, -7.0))
    run_low = largest_run(_trend(N, 0.9, 0.7), low, c, START, 10)
    assert np.asarray(jnp.diff(run_low.log10_cost, axis=0)) == pytest.approx(c.gdp_growth_oom, abs=1e-9)
    # without any binding cap the run follows its trend from the regression line + offset
    free = draws._replace(log10_gdp_share_cap=jnp.zeros(N), log10_limit_2030=jnp.full(N, 60.0))
    slow = _trend(N, 0.6, 0.5)
    run = largest_run(slow, free, c, START, 10)
    expected = np.asarray(slow.log10_spending_ref + slow.growth_spending * 5 + free.offset_oom)
    assert np.asarray(run.log10_cost[5]) == pytest.approx(expected, abs=1e-9)


def test_physical_limit_reproduces_epochs_median_when_the_trend_is_faster(priors):
    c = constants(priors.settings)
    draws = sample_structural(priors, jax.random.key(1), N)._replace(log10_gdp_share_cap=jnp.zeros(N))
    run = largest_run(_trend(N, 1.5, 1.0), draws, c, START, 10)
    # the straight line from where the data end reaches the 2030 limit exactly
    target = np.maximum(np.asarray(draws.log10_limit_2030), np.asarray(run.log10_compute[0]))
    assert np.asarray(run.log10_compute[5]) == pytest.approx(target, abs=1e-9)
    tol = priors.settings.limit_tolerance_oom
    assert float(jnp.median(run.log10_compute[5])) == pytest.approx(math.log10(2e29), abs=2 * tol)
    assert bool(jnp.all(run.log10_compute <= run.log10_compute_limit + 1e-9))
    # after 2030 it grows with the limit, and the run costs what its compute costs (no more)
    assert np.asarray(run.log10_compute[10] - run.log10_compute[5]) == pytest.approx(
        5 * np.asarray(draws.limit_growth), abs=1e-6
    )
    assert bool(jnp.all(run.log10_cost <= run.log10_cost_cap + 1e-9))


def test_caps_hold_exactly_in_float32(priors):
    """On a GPU the kernel runs in float32: the caps must still never be exceeded."""
    c = constants(priors.settings)
    f32 = lambda x: jnp.asarray(x, jnp.float32)
    draws = jax.tree.map(f32, sample_structural(priors, jax.random.key(5), N))
    trend = _trend(N, 1.2, 0.9)
    trend = trend._replace(**{f: f32(getattr(trend, f)) for f in trend._fields if f != "ref_year"})
    run = largest_run(trend, draws, c, START, 10)
    assert all(x.dtype == jnp.float32 for x in run)
    below = run.log10_cost[0] <= run.log10_cost_cap[0]
    assert bool(jnp.all(run.log10_cost[:, below] <= run.log10_cost_cap[:, below]))
    assert bool(jnp.all(run.log10_compute <= run.log10_compute_limit))


def test_slow_trend_is_untouched_by_the_limit(priors):
    c = constants(priors.settings)
    draws = sample_structural(priors, jax.random.key(2), N)._replace(
        log10_gdp_share_cap=jnp.zeros(N), log10_limit_2030=jnp.full(N, 40.0)
    )
    trend = _trend(N, 0.3, 0.2)
    run = largest_run(trend, draws, c, START, 10)
    gained = np.asarray(run.log10_compute[10] - run.log10_compute[0])
    assert gained == pytest.approx(10 * trend.growth_compute, abs=1e-9)


def test_limit_path_and_gdp():
    start, level = 2025.0, jnp.array([27.0, 30.0])
    lim = limit_path(jnp.array([2025.0, 2027.5, 2030.0, 2032.0])[:, None], start, level, 29.0, 0.25, 2030.0)
    np.testing.assert_allclose(np.asarray(lim[:, 0]), [27.0, 28.0, 29.0, 29.5])
    np.testing.assert_allclose(np.asarray(lim[:, 1]), [30.0, 30.0, 30.0, 30.5])  # never below what was run
    c = constants(load_structural_priors().settings)
    assert float(log10_gdp(2023.0, c)) == pytest.approx(math.log10(1.054e14))
    assert float(log10_gdp(2033.0, c) - log10_gdp(2023.0, c)) == pytest.approx(10 * math.log10(1.028))


def test_algorithmic_slowdown_closed_form():
    rate, t = jnp.array([0.36, 0.36, 0.36]), jnp.array(2035.0)
    s = jnp.array([0.0, -0.7, 0.7])
    gained = algorithmic_oom(rate, s, t, 2025.0)
    assert float(gained[0]) == pytest.approx(3.6)
    assert float(gained[1]) < 3.6 < float(gained[2])
    # the closed form is the integral of the rate, continuous through s = 0
    h = 1e-4
    deriv = (algorithmic_oom(rate, s, t + h, 2025.0) - algorithmic_oom(rate, s, t - h, 2025.0)) / (2 * h)
    np.testing.assert_allclose(np.asarray(deriv), np.asarray(algorithmic_rate(rate, s, t, 2025.0)), rtol=1e-6)
    near = algorithmic_oom(rate, jnp.array([1e-7, 2e-6, -2e-6]), t, 2025.0)
    np.testing.assert_allclose(np.asarray(near), 3.6, rtol=1e-5)
    assert float(algorithmic_rate(0.36, 0.7, 2035.0, 2025.0)) == pytest.approx(0.36 * math.exp(0.7))


def test_draws_are_scalar_per_path(priors):
    d = sample_structural(priors, jax.random.key(4), 500)
    assert isinstance(d, StructuralDraws) and all(x.shape == (500,) for x in d)
    assert float(jnp.max(d.log10_gdp_share_cap)) <= 0.0
    assert float(jnp.median(d.log10_gdp_share_cap)) == pytest.approx(math.log10(3e-4), abs=0.1)
    assert float(jnp.min(d.limit_growth)) >= 0.0


def test_pool_keeps_only_draws_inside_the_conditions(priors):
    from forecast.structural import structural_pool

    conditions = {"largest_run_gdp_share_cap": (None, 1e-4), "algorithmic_slowdown": (0.0, None)}
    pool, p = structural_pool(priors, jax.random.key(7), 2000, conditions)
    assert np.all(np.asarray(pool.log10_gdp_share_cap) <= -4.0 + 1e-12)
    assert np.all(np.asarray(pool.algorithmic_slowdown) >= 0.0)
    # the acceptance rate estimates the prior probability: P(cap <= 1e-4) * P(slowdown >= 0)
    expected = stats.norm.cdf((np.log(1e-4) + 8.1117) / 1.6118) * 0.5
    se = np.sqrt(expected * (1 - expected) / (2000 / p))
    assert abs(p - expected) < 4.0 * se  # 4 se: two-sided alpha ~6e-5
    again, _ = structural_pool(priors, jax.random.key(7), 2000, conditions)
    np.testing.assert_array_equal(pool.offset_oom, again.offset_oom)


def test_pool_refuses_a_condition_that_keeps_almost_nothing(priors):
    from forecast.errors import ConfigError
    from forecast.structural import structural_pool

    with pytest.raises(ConfigError, match="widen the conditions"):
        structural_pool(priors, jax.random.key(8), 100, {"largest_run_offset_oom": (2.0, None)}, source="x.toml")


def test_only_a_positive_algorithmic_rate_drifts():
    from forecast.structural import algorithmic_oom, algorithmic_rate

    rate = jnp.array([-0.05, 0.35])
    np.testing.assert_allclose(algorithmic_rate(rate, 1.0, 2035.5, 2025.5), [-0.05, 0.35 * math.e])
    np.testing.assert_allclose(algorithmic_oom(rate, 1.0, 2035.5, 2025.5), [-0.5, 3.5 * math.expm1(1.0)])
