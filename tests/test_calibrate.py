"""Simulation-based calibration: the harness itself (mock exact sampler, no MCMC), the CI SBC
of the trend model at the fixed seed ``forecast.calibrate.SBC_SEED``, and its mutation twins, which the
same harness must reject (calibration.md SBC-1..3).

Budget on 2 CPU cores: harness tests < 5 s; the CI SBC of the joint model ~375 s under
contention (the smaller model's, with 100 simulations, took ~220 s before issue 11; timed in
benchmarks/RESULTS.md). The joint model costs several times more per fit, so the CI run has 20
simulations (low power: it catches gross errors only, at the stated family alpha) and the
noise-as-variance and correlation-dropping mutants run with ``--run-slow``; the 200-1000
simulation run is ``benchmarks/sbc_full.py`` (nightly).
"""

import jax
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast.calibrate import (
    QUANTITIES,
    SBC_SEED,
    SBCConfig,
    plot_sbc_ecdf,
    rank_statistics,
    run_sbc,
    test_table,
    uniformity_tests,
)
from forecast.model import load_trend_priors
from forecast.mutants import ignore_correlation, variance_as_scale

SEED = SBC_SEED
#: Family-wise error rate of every SBC gate.
ALPHA = 0.01
#: CI SBC: reduced data (a quarter of each series), 200 warm-up, 500 draws thinned by 5 -> L=100;
#: 20 simulations in chunks of 10 (a fit whose tree saturates then stalls 9 others, not 24), and
#: 4 chi-square bins so that each expects 5 counts. Low power: it catches gross errors only.
CI_CONFIG = SBCConfig(
    simulations=20, scale=0.25, warmup=200, draws=500, thin=5, chunk_size=10, bins=4, family_alpha=ALPHA
)
#: Dropping the compute-cost correlation shows in ``pair_corr_gap`` (benchmarks/RESULTS.md). 40
#: simulations, 8 bins: at 20 the rejection was marginal (KS p 9.8e-5 against 1.19e-4 with K = 42)
#: and with the scale walk (K = 46, per-test alpha 1.09e-4) it was lost; at 40, KS p 3.3e-7.
CORRELATION_MUTANT_CONFIG = SBCConfig(
    simulations=40, scale=0.25, warmup=200, draws=500, thin=5, chunk_size=10, bins=8, family_alpha=ALPHA
)
#: Noise-as-variance is a gross error: 10 simulations, 2 bins (5 expected counts each); KS does the work.
VARIANCE_MUTANT_CONFIG = SBCConfig(
    simulations=10, scale=0.25, warmup=200, draws=500, thin=5, chunk_size=10, bins=2, family_alpha=ALPHA
)


# -------------------------------------------------------------------------------------------
# SBC-3: the harness with a mock exact sampler (conjugate normal model; no MCMC)
# -------------------------------------------------------------------------------------------


def _conjugate_ranks(n_sims, n_draws, sd_factor, seed):
    """theta ~ N(0, 1); 10 obs y ~ N(theta, 1); exact posterior N(sum y / 11, 1/sqrt(11))."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n_sims)
    y = theta[:, None] + rng.normal(size=(n_sims, 10))
    post_mean, post_sd = y.sum(axis=1) / 11, 1 / np.sqrt(11)
    draws = post_mean[:, None] + sd_factor * post_sd * rng.normal(size=(n_sims, n_draws))
    return rank_statistics(theta, draws, rng=rng)


@pytest.mark.parametrize("seed", [SEED, SEED + 1, SEED + 2])
def test_exact_sampler_passes(seed):
    _, pit = _conjugate_ranks(1000, 100, 1.0, seed)
    res = uniformity_tests(pit, bins=20)
    per_test = ALPHA / 2  # one quantity, two tests
    assert res.chi2_p > per_test and res.ks_p > per_test, res


@pytest.mark.parametrize("seed", [SEED, SEED + 1, SEED + 2])
def test_too_narrow_sampler_fails(seed):
    """Posterior sd x 0.8 at N=1000: chi-square power ~1.0 (calibration.md §1.3)."""
    _, pit = _conjugate_ranks(1000, 100, 0.8, seed)
    res = uniformity_tests(pit, bins=20)
    assert min(res.chi2_p, res.ks_p) < ALPHA / 2, res
    assert res.coverage90 < 0.9  # too narrow: under-covers


def test_ranks_break_ties_uniformly_and_refuse_nan():
    rng = np.random.default_rng(SEED)
    # a discrete quantity: truth and draws from the same 3-point law -> ranks still uniform
    truth = rng.integers(0, 3, size=4000).astype(float)
    draws = rng.integers(0, 3, size=(4000, 9)).astype(float)
    ranks, pit = rank_statistics(truth, draws, rng=rng)
    counts = np.bincount(ranks, minlength=10)
    assert stats.chisquare(counts).pvalue > ALPHA
    assert stats.kstest(pit, "uniform").pvalue > ALPHA
    with pytest.raises(ValueError, match="NaN"):
        rank_statistics([0.0, np.nan], np.zeros((2, 3)), rng=rng)
    with pytest.raises(ValueError, match="NaN"):
        rank_statistics([0.0], [[0.0, np.nan]], rng=rng)


def test_pit_is_uniform_when_L_plus_1_is_not_divisible_by_bins():
    """L = 98 -> 99 rank values over 20 bins: the randomised PIT keeps chi-square exact."""
    rng = np.random.default_rng(SEED)
    truth = rng.normal(size=2000)
    draws = rng.normal(size=(2000, 98))  # exchangeable with truth
    _, pit = rank_statistics(truth, draws, rng=rng)
    table, per_test = test_table(pd.DataFrame({"x": pit}), bins=20, family_alpha=ALPHA)
    assert per_test == ALPHA / 2
    assert bool(table.loc["x", "passed"])


# -------------------------------------------------------------------------------------------
# SBC-1 (CI) and SBC-2 (mutation twins) on the trend model
# -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def priors():
    return load_trend_priors()


@pytest.fixture(scope="module")
def ci_sbc(priors):
    result = run_sbc(priors, CI_CONFIG, key=jax.random.key(SEED))
    print("\n" + result.summary())
    return result


def test_ci_sbc_ranks_are_uniform(ci_sbc, tmp_path):
    assert list(ci_sbc.tests.index) == list(QUANTITIES)
    assert ci_sbc.per_test_alpha == pytest.approx(ALPHA / (2 * len(QUANTITIES)))
    assert ci_sbc.passed, ci_sbc.failures
    assert ci_sbc.ranks.to_numpy().min() >= 0 and ci_sbc.ranks.to_numpy().max() <= CI_CONFIG.num_ranks
    print(f"dropped on data-only criteria: {ci_sbc.dropped}; fits with divergences: {ci_sbc.divergent_share:.1%}")
    assert len(ci_sbc.ranks) + ci_sbc.dropped == CI_CONFIG.simulations
    png = plot_sbc_ecdf(ci_sbc, tmp_path / "sbc_ecdf.png", n_simulations=200)
    assert png.stat().st_size > 0


def test_mutant_posterior_equals_prior_is_rejected(priors):
    """A 'fitter' that ignores the data passes on parameters; the log-likelihood must catch it."""
    result = run_sbc(priors, CI_CONFIG, key=jax.random.key(SEED), fitter="prior")
    print("\n" + result.summary())
    assert not result.passed
    assert not bool(result.tests.loc["log_lik", "passed"])


@pytest.mark.slow
def test_mutant_variance_as_scale_is_rejected(priors):
    """The fitter's likelihood uses the noise as a variance: the harness must fail it."""
    result = run_sbc(priors, VARIANCE_MUTANT_CONFIG, key=jax.random.key(SEED), fit_model=variance_as_scale())
    print("\n" + result.summary())
    assert not result.passed
    failing = set(result.tests.index[~result.tests["passed"]])
    assert any(q.startswith("noise_") for q in failing), failing


@pytest.mark.slow
def test_mutant_correlation_ignored_is_rejected(priors):
    """The fitter drops the compute-cost correlation (compute and cost of one model counted as
    independent evidence, what issue 11 removed). Its correlation parameter then stays at its
    prior, so its own ranks are uniform: the data-dependent ``pair_corr_gap`` must catch it."""
    result = run_sbc(priors, CORRELATION_MUTANT_CONFIG, key=jax.random.key(SEED), fit_model=ignore_correlation())
    print("\n" + result.summary())
    assert not result.passed
    failing = set(result.tests.index[~result.tests["passed"]])
    assert "pair_corr_gap" in failing, failing
