"""Sobol indices (issue 14): the estimators against analytic indices, in units of their bootstrap
standard errors, and the structural application on a synthetic posterior.

Tolerance rule (one for the whole file): an estimate passes when |estimate - truth| <= z * se,
with se its bootstrap standard error and z = Phi^-1(1 - alpha / (2 m)), alpha = 0.01, Bonferroni
over the m indices a test checks. Fixed seeds.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from forecast.posterior import trend_draws
from forecast.scenarios import load_scenario
from forecast.sensitivity import (
    AUTOMATION_FACTOR,
    TREND_FACTOR,
    crossing_year,
    group_mask,
    sobol_indices,
    structural_sensitivity,
)
from forecast.structural import REQUIRED_PRIORS, load_structural_priors
from tests.synthetic import fake_automation, synthetic_posterior

ALPHA = 0.01


def _z(m: int) -> float:
    return float(stats.norm.ppf(1.0 - ALPHA / (2 * m)))


def _assert_within(est, se, truth):
    est, se, truth = (np.asarray(v, dtype=float) for v in (est, se, truth))
    z = _z(est.size)
    bad = np.abs(est - truth) > z * se  # exact zeros (se 0) pass
    assert not bad.any(), f"|est - truth| > {z:.2f} se: est {est[bad]}, truth {truth[bad]}, se {se[bad]}"


def ishigami(x, a=7.0, b=0.1):
    return jnp.sin(x[:, 0]) + a * jnp.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * jnp.sin(x[:, 0])


def ishigami_truth(a=7.0, b=0.1):
    """Analytic indices (Ishigami & Homma 1990; Sobol' & Levitan 1999) for X ~ U(-pi, pi)^3."""
    pi4, pi8 = math.pi**4, math.pi**8
    v1 = 0.5 * (1.0 + b * pi4 / 5.0) ** 2
    v2 = a**2 / 8.0
    v13 = b**2 * pi8 * (1.0 / 18.0 - 1.0 / 50.0)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def _uniform_pair(key, n, k):
    ka, kb = jax.random.split(key)
    return tuple(jax.random.uniform(kk, (n, k), minval=-jnp.pi, maxval=jnp.pi) for kk in (ka, kb))


@pytest.fixture(scope="module")
def ishigami_run():
    k_ab, k_boot = jax.random.split(jax.random.key(0))
    A, B = _uniform_pair(k_ab, 10_000, 3)
    return A, B, k_boot, sobol_indices(ishigami, A, B, k_boot, n_boot=200)


def test_ishigami_truth_is_the_published_table():
    s1, st = ishigami_truth()
    np.testing.assert_array_equal(np.round(s1, 4), [0.3139, 0.4424, 0.0])
    np.testing.assert_array_equal(np.round(st, 4), [0.5576, 0.4424, 0.2437])


def test_ishigami_indices_within_their_standard_errors(ishigami_run):
    *_, r = ishigami_run
    s1, st = ishigami_truth()
    _assert_within(np.r_[r.S1, r.ST], np.r_[r.S1_se, r.ST_se], np.r_[s1, st])
    assert np.all(np.asarray(r.S1_se) < 0.02) and np.all(np.asarray(r.ST_se) < 0.02)  # the test has power


def test_same_key_and_any_chunk_size_give_the_same_numbers(ishigami_run):
    A, B, k_boot, r = ishigami_run
    again = sobol_indices(ishigami, A, B, k_boot, n_boot=200)
    for chunk in (None, 3333, 10_000):  # 3333 does not divide the 50 000 rows: the last block is padded
        c = sobol_indices(ishigami, A, B, k_boot, n_boot=200, chunk=chunk)
        for x, y, z in zip(r, again, c, strict=True):
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(x, z)
    # the bootstrap batch size only changes how the replicates' sums are blocked: estimates exact,
    # standard errors equal to rounding
    b = sobol_indices(ishigami, A, B, k_boot, n_boot=200, boot_batch=40)
    np.testing.assert_array_equal(b.S1, r.S1)
    np.testing.assert_array_equal(b.ST, r.ST)
    np.testing.assert_allclose(b.S1_se, r.S1_se, rtol=1e-12)
    np.testing.assert_allclose(b.ST_se, r.ST_se, rtol=1e-12)
    other = sobol_indices(ishigami, A, B, jax.random.key(5), n_boot=200)
    assert not np.array_equal(other.S1_se, r.S1_se)


def test_linear_additive_model_with_two_outputs():
    """Y = X C, X_i ~ N(0, sd_i) independent: S1 = ST = C_ij^2 sd_i^2 / sum_i C_ij^2 sd_i^2."""
    sd = np.array([1.0, 2.0, 0.5, 1.5])
    C = np.array([[1.0, 0.2], [0.5, 1.0], [2.0, 0.0], [0.3, -1.0]])
    ka, kb, k_boot = jax.random.split(jax.random.key(1), 3)
    A, B = (jax.random.normal(k, (8000, 4)) * sd for k in (ka, kb))
    r = sobol_indices(lambda x: x @ jnp.asarray(C), A, B, k_boot)
    assert r.S1.shape == (2, 4)
    parts = (C**2 * sd[:, None] ** 2).T
    truth = parts / parts.sum(axis=1, keepdims=True)
    est, se = np.r_[r.S1.ravel(), r.ST.ravel()], np.r_[r.S1_se.ravel(), r.ST_se.ravel()]
    _assert_within(est, se, np.r_[truth, truth].ravel())
    np.testing.assert_array_equal(np.asarray(r.S1)[1, 2], 0.0)  # an input with weight 0: exactly no effect
    np.testing.assert_array_equal(np.asarray(r.ST)[1, 2], 0.0)


def test_group_of_dependent_inputs_is_one_factor():
    """(x1, x2) correlated (rho), x3 independent; Y = x1 + x2 + x3 + x2 x3, V = 4 + 2 rho.

    Group {x1, x2}: S1 = (2 + 2 rho) / V, ST = (3 + 2 rho) / V; x3: S1 = 1 / V, ST = 2 / V. Rows of
    (x1, x2) are swapped jointly, as a posterior draw is.
    """
    rho, n = 0.8, 10_000
    ka, kb, k_boot = jax.random.split(jax.random.key(2), 3)
    chol = jnp.linalg.cholesky(jnp.array([[1.0, rho, 0.0], [rho, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    A, B = (jax.random.normal(k, (n, 3)) @ chol.T for k in (ka, kb))
    r = sobol_indices(lambda x: x.sum(axis=1) + x[:, 1] * x[:, 2], A, B, k_boot, groups=((0, 1), (2,)))
    v = 4.0 + 2.0 * rho
    truth = np.array([(2 + 2 * rho) / v, 1 / v, (3 + 2 * rho) / v, 2 / v])
    _assert_within(np.r_[r.S1, r.ST], np.r_[r.S1_se, r.ST_se], truth)


def test_groups_must_partition_the_columns():
    assert group_mask(3, ((0, 2), (1,))).tolist() == [[True, False, True], [False, True, False]]
    for bad in (((0,), (1,)), ((0, 1), (1, 2)), ((0, 1, 2), ()), ((0, 1), (2, 3))):
        with pytest.raises(ValueError, match="sensitivity: group"):
            group_mask(3, bad)


def test_crossing_year_interpolates_and_caps_at_the_horizon():
    times = jnp.array([2022.0, 2025.0, 2026.0, 2027.0])
    values = jnp.array([[0.0, 0.0, 0.0], [3.0, 4.5, 1.0], [5.0, 5.0, 1.0], [7.0, 6.0, 1.0]])
    np.testing.assert_allclose(crossing_year(times, values, 4.0, 2027.0), [2025.5, 2024.0 + 2.0 / 3.0, 2027.0])


@pytest.fixture(scope="module")
def structural_table():
    post = trend_draws(synthetic_posterior(jax.random.key(3), 2, 500))
    priors = load_structural_priors()
    args = (post, fake_automation(3, 100), load_scenario("structural"), priors, jax.random.key(4), 256)
    return args, structural_sensitivity(*args, n_boot=100, horizon=2045)


def test_structural_sensitivity_table(structural_table):
    _, df = structural_table
    assert list(df.columns) == ["S1", "S1_se", "ST", "ST_se"]
    assert df.index.names == ["output", "input"]
    outputs = df.index.get_level_values("output").unique()
    assert len(outputs) == 4 and outputs[0].startswith("log10 factor 2030 vs 2022")
    assert list(df.loc[outputs[0]].index) == [*REQUIRED_PRIORS, TREND_FACTOR, AUTOMATION_FACTOR]
    assert np.isfinite(df.to_numpy()).all()
    # the limit grows only after 2030: the 2030 factor cannot depend on its growth rate, exactly
    assert df.loc[(outputs[0], "compute_limit_growth"), ["S1", "ST"]].abs().max() == 0.0
    # total >= first order, up to the estimators' noise
    z = _z(len(df))
    assert (df["ST"] - df["S1"] >= -z * np.hypot(df["S1_se"], df["ST_se"])).all()
    assert (df.xs(TREND_FACTOR, level="input")["ST"] > 0.1).all()  # the posterior draw matters to every output


def test_structural_sensitivity_is_reproducible_and_chunk_invariant(structural_table):
    args, df = structural_table
    chunked = structural_sensitivity(*args, n_boot=100, horizon=2045, chunk=1000)
    np.testing.assert_array_equal(df.to_numpy(), chunked.to_numpy())
