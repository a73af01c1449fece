"""Scores against closed forms and brute force (calibration.md FC-4).

Independent references: the closed-form normal CRPS, numerical integration of
``int (F(x) - 1{x >= y})^2 dx`` with scipy's CDFs, an O(n^2) pair sum, and scipy's densities.
"""

import numpy as np
import pytest
from scipy import integrate, stats

from forecast.scoring import (
    central_interval,
    clustered_coverage_interval,
    coverage_region,
    crps_ensemble,
    crps_normal,
    crps_student_t,
    interval_coverage,
    interval_score,
    log_score_kde,
    log_score_mixture,
    log_score_normal,
    log_score_student_t,
    pit_ensemble,
)


def _crps_brute(y, x, fair=False):
    m = len(x)
    pair = np.abs(x[:, None] - x[None, :]).sum()
    return np.abs(x - y).mean() - 0.5 * pair / (m * (m - 1) if fair else m * m)


def _crps_quad(y, cdf):
    lo = integrate.quad(lambda x: cdf(x) ** 2, -np.inf, y, limit=200)[0]
    hi = integrate.quad(lambda x: (1 - cdf(x)) ** 2, y, np.inf, limit=200)[0]
    return lo + hi


@pytest.mark.parametrize("estimator", ["nrg", "fair"])
def test_crps_ensemble_matches_brute_force(estimator):
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.standard_t(3, size=301) * 2 + 1
        y = rng.normal()
        got = float(crps_ensemble(y, x, estimator=estimator))
        assert abs(got - _crps_brute(y, x, fair=estimator == "fair")) <= 1e-10


def test_crps_ensemble_broadcasts_over_axis():
    rng = np.random.default_rng(1)
    draws = rng.normal(size=(4, 50))
    obs = rng.normal(size=4)
    np.testing.assert_allclose(
        crps_ensemble(obs, draws.T, axis=0), [_crps_brute(o, d) for o, d in zip(obs, draws, strict=True)], atol=1e-12
    )


def test_crps_of_normal_draws_within_one_percent_of_closed_form():
    rng = np.random.default_rng(2)
    mu, sigma = 1.5, 0.7
    for y in (1.0, 2.9, -0.3):
        draws = rng.normal(mu, sigma, size=100_000)
        exact = float(crps_normal(y, mu, sigma))
        assert abs(float(crps_ensemble(y, draws)) - exact) <= 0.01 * exact


@pytest.mark.parametrize("y", [-2.0, 0.1, 3.5])
def test_closed_forms_match_quadrature(y):
    # integrals to ~1e-9 absolute; the check is 1e-6 relative
    assert float(crps_normal(y, 0.5, 1.3)) == pytest.approx(_crps_quad(y, stats.norm(0.5, 1.3).cdf), rel=1e-6)
    for df in (2.5, 5.0, 30.0):
        ref = _crps_quad(y, stats.t(df, 0.5, 1.3).cdf)
        assert float(crps_student_t(y, df, 0.5, 1.3)) == pytest.approx(ref, rel=1e-6)


def test_crps_student_t_refuses_infinite_crps():
    with pytest.raises(ValueError, match="df > 1"):
        crps_student_t(0.0, 1.0, 0.0, 1.0)


def test_log_scores_match_scipy():
    y = np.array([-1.0, 0.0, 2.5])
    np.testing.assert_allclose(log_score_normal(y, 0.3, 2.0), -stats.norm.logpdf(y, 0.3, 2.0), rtol=1e-14)
    np.testing.assert_allclose(log_score_student_t(y, 4.0, 0.3, 2.0), -stats.t.logpdf(y, 4.0, 0.3, 2.0), rtol=1e-14)
    # a mixture with identical components is that component
    lp = np.tile(stats.norm.logpdf(y, 0.3, 2.0), (7, 1))
    np.testing.assert_allclose(log_score_mixture(lp, axis=0), -stats.norm.logpdf(y, 0.3, 2.0), rtol=1e-12)
    # the KDE equals scipy's gaussian_kde at the same (Silverman) bandwidth
    x = np.random.default_rng(3).normal(0.3, 2.0, size=500)
    sd, iqr = x.std(ddof=1), np.subtract(*np.quantile(x, [0.75, 0.25]))
    h = 0.9 * min(sd, iqr / 1.349) * 500 ** (-0.2)
    ref = -stats.gaussian_kde(x, bw_method=h / sd).logpdf(y)
    np.testing.assert_allclose(log_score_kde(y, np.tile(x, (3, 1))), ref, rtol=1e-10)


def test_pit_and_coverage_of_a_calibrated_forecast():
    """Observations drawn from the forecast: PIT uniform, coverage inside its binomial region."""
    rng = np.random.default_rng(4)
    n, alpha = 2000, 0.01
    draws = rng.normal(size=(n, 199))
    y = rng.normal(size=n)
    pit = pit_ensemble(y, draws, rng=rng)
    assert stats.kstest(pit, "uniform").pvalue > alpha
    lo, hi = central_interval(draws, 0.9)
    cov = interval_coverage(y, lo, hi).mean()
    region = coverage_region(n, 0.9, alpha)
    assert region[0] - 1 / 199 <= cov <= region[1] + 1 / 199  # ensemble quantiles move by < 1 draw


def test_clustered_interval_with_singleton_clusters_is_wilson():
    """One score per cluster: the design effect is 1 and the interval is scipy's Wilson interval."""
    hits = np.r_[np.ones(361), np.zeros(16)]
    lo, hi, n_eff = clustered_coverage_interval(hits, np.arange(377))
    ref = stats.binomtest(361, 377).proportion_ci(0.95, method="wilson")
    assert (lo, hi, n_eff) == pytest.approx((ref.low, ref.high, 377.0), rel=1e-12)


def test_clustered_interval_ignores_repeated_scores():
    """Scoring every observation three times adds no information: the interval does not move."""
    rng = np.random.default_rng(2)
    hits, labels = rng.random(150) < 0.85, rng.integers(0, 60, 150)
    once = clustered_coverage_interval(hits, labels)
    thrice = clustered_coverage_interval(np.tile(hits, 3), np.tile(labels, 3))
    assert thrice == pytest.approx(once, rel=1e-12)
    # the naive interval (every score its own cluster) narrows by about sqrt(3)
    naive = clustered_coverage_interval(np.tile(hits, 3), np.arange(450))
    assert naive[1] - naive[0] < 0.7 * (thrice[1] - thrice[0])


def test_clustered_interval_covers_the_true_coverage():
    """Correlated hits within clusters (ICC 1/3, as for one observation scored from several origins):
    the 95% interval covers the true share 0.9 at its nominal rate, the naive one does not.

    1000 replications with 200 clusters of 1-6 scores each, hit probability ~ Beta(1.8, 0.2) per
    cluster. The coverage count is tested against the exact binomial region of 0.95 at alpha 0.01
    (CR0's O(1/K) bias is ~0.1 pp at K = 200: 0.949 measured in 4000 replications); the
    one-score-per-cluster interval covers 0.83 and must fall below the region.
    """
    rng = np.random.default_rng(7)
    reps, k, alpha = 1000, 200, 0.01
    covered, naive = 0, 0
    for _ in range(reps):
        labels = np.repeat(np.arange(k), rng.integers(1, 7, k))
        hits = rng.random(labels.size) < rng.beta(1.8, 0.2, k)[labels]
        lo, hi, _ = clustered_coverage_interval(hits, labels)
        covered += lo <= 0.9 <= hi
        lo, hi, _ = clustered_coverage_interval(hits, np.arange(labels.size))
        naive += lo <= 0.9 <= hi
    region = coverage_region(reps, 0.95, alpha)
    assert region[0] <= covered / reps <= region[1]
    assert naive / reps < region[0]


@pytest.mark.parametrize(
    ("hits", "labels"),
    [([], []), ([1, 0], [0]), ([[1, 0]], [[0, 1]])],
    ids=["empty", "length_mismatch", "two_dimensional"],
)
def test_clustered_interval_rejects_bad_shapes(hits, labels):
    with pytest.raises(ValueError, match="1-d arrays of one length"):
        clustered_coverage_interval(hits, labels)


def test_coverage_region_matches_calibration_notes():
    assert coverage_region(100, 0.9, 0.01) == pytest.approx((0.82, 0.97))
    assert coverage_region(500, 0.5, 0.01) == pytest.approx((0.442, 0.558))


def test_interval_score_closed_form():
    # inside: width; below: width + 2/alpha * miss
    assert interval_score(0.0, -1.0, 1.0, 0.1) == pytest.approx(2.0)
    assert interval_score(-2.0, -1.0, 1.0, 0.1) == pytest.approx(2.0 + 20.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: crps_ensemble(np.nan, [0.0, 1.0]),
        lambda: crps_ensemble(0.0, [0.0, np.nan]),
        lambda: crps_normal(0.0, np.nan, 1.0),
        lambda: pit_ensemble(np.nan, [0.0], rng=np.random.default_rng(0)),
    ],
)
def test_nan_policy_is_raise(call):
    with pytest.raises(ValueError, match="NaN"):
        call()
