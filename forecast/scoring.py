"""Proper scores and calibration measures for probabilistic forecasts (NumPy, float64).

Every score is negatively oriented (lower is better), as in ``scoringrules``:

- CRPS: :func:`crps_ensemble` (from draws; ``"nrg"`` or ``"fair"`` estimator, O(m log m) via
  sorting), and closed forms :func:`crps_normal` and :func:`crps_student_t`
  (Gneiting & Raftery 2007; Jordan, Krüger & Lerch 2019);
- log score ``-log f(y)``: :func:`log_score_normal`, :func:`log_score_student_t`,
  :func:`log_score_mixture` (a predictive given as a mixture, e.g. one component per posterior
  draw) and :func:`log_score_kde` (Gaussian KDE of draws, Silverman bandwidth);
- interval measures: :func:`central_interval`, :func:`interval_coverage`,
  :func:`interval_score`;
- calibration: :func:`pit_ensemble` (randomised for ties), :func:`coverage_region`, the exact
  binomial acceptance region for an observed coverage, and :func:`clustered_coverage_interval`, a
  confidence interval for the true coverage when one observation is scored several times.

The NaN policy is ``raise``: a NaN observation, draw or parameter is an error, never a silent
NaN score (calibration.md FC-4).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = [
    "central_interval",
    "clustered_coverage_interval",
    "coverage_region",
    "crps_ensemble",
    "crps_normal",
    "crps_student_t",
    "interval_coverage",
    "interval_score",
    "log_score_kde",
    "log_score_mixture",
    "log_score_normal",
    "log_score_student_t",
    "pit_ensemble",
]


def _finite(name: str, *arrays) -> list[np.ndarray]:
    out = []
    for a in arrays:
        a = np.asarray(a, dtype=float)
        if np.isnan(a).any():
            raise ValueError(f"{name}: NaN in input (NaN policy is 'raise')")
        out.append(a)
    return out


def crps_ensemble(obs, draws, *, axis: int = -1, estimator: str = "nrg") -> np.ndarray:
    """CRPS of an ensemble (predictive draws) against observations.

    ``CRPS = E|X - y| - 1/2 E|X - X'|``. The ``"nrg"`` estimator averages ``|x_i - x_j|`` over
    all ``m^2`` pairs (the CRPS of the empirical distribution); ``"fair"`` over the
    ``m (m - 1)`` pairs with ``i != j`` (unbiased for the CRPS of the distribution the draws
    come from; Ferro 2014). The pair sum uses sorted draws,
    ``sum_ij |x_i - x_j| = 2 sum_i (2i - m - 1) x_(i)``, so the cost is O(m log m).

    Parameters
    ----------
    obs
        Observations, broadcastable against ``draws`` with ``axis`` removed.
    draws
        Ensemble members along ``axis``.
    axis
        The ensemble axis of ``draws``.
    estimator
        ``"nrg"`` or ``"fair"``.

    Returns
    -------
    numpy.ndarray
        CRPS per observation.

    Examples
    --------
    >>> float(crps_ensemble(0.0, [0.0]))
    0.0
    """
    if estimator not in ("nrg", "fair"):
        raise ValueError(f"estimator must be 'nrg' or 'fair', got {estimator!r}")
    obs, draws = _finite("crps_ensemble", obs, draws)
    x = np.sort(np.moveaxis(draws, axis, -1), axis=-1)
    m = x.shape[-1]
    if estimator == "fair" and m < 2:
        raise ValueError("the fair estimator needs at least 2 draws")
    abs_err = np.abs(x - obs[..., None]).mean(axis=-1)
    weights = 2.0 * np.arange(1, m + 1) - m - 1
    pair_sum = 2.0 * (x * weights).sum(axis=-1)  # sum over all ordered pairs of |x_i - x_j|
    denom = m * m if estimator == "nrg" else m * (m - 1)
    return abs_err - 0.5 * pair_sum / denom


def crps_normal(obs, mu, sigma) -> np.ndarray:
    """Closed-form CRPS of a normal predictive ``N(mu, sigma)``.

    ``sigma * (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi))`` with ``z = (y - mu) / sigma``.

    Examples
    --------
    >>> round(float(crps_normal(0.0, 0.0, 1.0)), 6)
    0.233695
    """
    obs, mu, sigma = _finite("crps_normal", obs, mu, sigma)
    z = (obs - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def crps_student_t(obs, df, loc, scale) -> np.ndarray:
    """Closed-form CRPS of a location-scale Student-t predictive (``df > 1``).

    Jordan, Krüger & Lerch (2019), eq. for ``crps_t``::

        scale * [ z (2 F(z) - 1) + 2 f(z) (df + z^2) / (df - 1)
                  - 2 sqrt(df) B(1/2, df - 1/2) / ((df - 1) B(1/2, df/2)^2) ]

    with ``F``, ``f`` the standard t CDF and density. The CRPS is infinite for ``df <= 1``.

    Examples
    --------
    >>> bool(abs(crps_student_t(0.3, 1e7, 0.0, 1.0) - crps_normal(0.3, 0.0, 1.0)) < 1e-6)
    True
    """
    obs, df, loc, scale = _finite("crps_student_t", obs, df, loc, scale)
    if (df <= 1).any():
        raise ValueError("crps_student_t needs df > 1 (the CRPS is infinite otherwise)")
    z = (obs - loc) / scale
    term = (
        z * (2 * stats.t.cdf(z, df) - 1)
        + 2 * stats.t.pdf(z, df) * (df + z**2) / (df - 1)
        - 2 * np.sqrt(df) * special.beta(0.5, df - 0.5) / ((df - 1) * special.beta(0.5, df / 2) ** 2)
    )
    return scale * term


def log_score_normal(obs, mu, sigma) -> np.ndarray:
    """Log score ``-log N(y | mu, sigma)``."""
    obs, mu, sigma = _finite("log_score_normal", obs, mu, sigma)
    return -stats.norm.logpdf(obs, mu, sigma)


def log_score_student_t(obs, df, loc, scale) -> np.ndarray:
    """Log score ``-log t_df(y | loc, scale)``."""
    obs, df, loc, scale = _finite("log_score_student_t", obs, df, loc, scale)
    return -stats.t.logpdf(obs, df, loc, scale)


def log_score_mixture(component_logpdf, *, axis: int = -1) -> np.ndarray:
    """Log score of an equal-weight mixture given each component's log density at ``y``.

    ``-log( mean_s f_s(y) )``, computed with ``logsumexp``. With one component per posterior
    draw this is the exact log score of the posterior predictive.

    Parameters
    ----------
    component_logpdf
        ``log f_s(y)`` with the components along ``axis``.
    axis
        Component axis.
    """
    (lp,) = _finite("log_score_mixture", component_logpdf)
    m = lp.shape[axis]
    return -(special.logsumexp(lp, axis=axis) - np.log(m))


def log_score_kde(obs, draws, *, axis: int = -1) -> np.ndarray:
    """Log score of a Gaussian KDE of the draws (Silverman's rule-of-thumb bandwidth).

    For ensembles without a density; prefer :func:`log_score_mixture` when the predictive is a
    known mixture.
    """
    obs, draws = _finite("log_score_kde", obs, draws)
    x = np.moveaxis(draws, axis, -1)
    m = x.shape[-1]
    sd = x.std(axis=-1, ddof=1)
    iqr = np.subtract(*np.quantile(x, [0.75, 0.25], axis=-1))
    spread = np.minimum(sd, iqr / 1.349)
    spread = np.where(spread > 0, spread, sd)
    bw = 0.9 * spread * m ** (-0.2)
    lp = stats.norm.logpdf(obs[..., None], x, bw[..., None])
    return log_score_mixture(lp)


def central_interval(draws, prob: float, *, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed central interval of the draws holding probability ``prob``."""
    (draws,) = _finite("central_interval", draws)
    lo, hi = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=axis)
    return lo, hi


def interval_coverage(obs, lower, upper) -> np.ndarray:
    """Whether each observation lies in its closed interval ``[lower, upper]`` (bool array)."""
    obs, lower, upper = _finite("interval_coverage", obs, lower, upper)
    return (obs >= lower) & (obs <= upper)


def interval_score(obs, lower, upper, alpha: float) -> np.ndarray:
    """Interval score of a central ``(1 - alpha)`` interval (Gneiting & Raftery 2007, eq. 43)."""
    obs, lower, upper = _finite("interval_score", obs, lower, upper)
    return (upper - lower) + (2 / alpha) * (lower - obs) * (obs < lower) + (2 / alpha) * (obs - upper) * (obs > upper)


def pit_ensemble(obs, draws, *, rng: np.random.Generator, axis: int = -1) -> np.ndarray:
    """Randomised probability integral transform of observations under ensembles.

    ``(#{x < y} + U * (#{x == y} + 1)) / (m + 1)`` with ``U ~ Uniform(0, 1)``: exactly uniform on
    (0, 1) when ``y`` and the ``m`` draws are exchangeable, ties included (the SBC rank PIT).

    Parameters
    ----------
    obs
        Observations.
    draws
        Ensemble members along ``axis``.
    rng
        NumPy generator for the randomisation (explicit; no hidden seed).
    axis
        Ensemble axis.
    """
    obs, draws = _finite("pit_ensemble", obs, draws)
    x = np.moveaxis(draws, axis, -1)
    below = (x < obs[..., None]).sum(axis=-1)
    ties = (x == obs[..., None]).sum(axis=-1)
    u = rng.uniform(size=below.shape)
    return (below + u * (ties + 1)) / (x.shape[-1] + 1)


def coverage_region(n: int, prob: float, alpha: float) -> tuple[float, float]:
    """Exact two-sided binomial acceptance region for the coverage of ``n`` independent intervals.

    The observed share of ``n`` nominal-``prob`` intervals that cover lies in the returned
    ``[lo, hi]`` with probability at least ``1 - alpha`` (``binom.ppf(alpha/2)`` and
    ``binom.isf(alpha/2)``; calibration.md §4.2).

    Examples
    --------
    >>> coverage_region(100, 0.9, 0.01)
    (0.82, 0.97)
    """
    lo = stats.binom.ppf(alpha / 2, n, prob) / n
    hi = stats.binom.isf(alpha / 2, n, prob) / n
    return float(lo), float(hi)


def clustered_coverage_interval(hits, clusters, level: float = 0.95) -> tuple[float, float, float]:
    """Confidence interval for a true coverage from intervals scored in clusters.

    A rolling-origin backtest scores the same observation from several origins and horizons (and
    a frontier model's compute and cost are one model), so its ``n`` scores are not ``n``
    independent Bernoulli trials. The pooled share ``p = sum(hits) / n`` gets the cluster-robust
    (CR0) variance ``sum_k (h_k - p n_k)^2 / n^2`` over clusters ``k`` (``h_k`` hits of ``n_k``
    scores); its effective sample size ``n_eff = p (1 - p) / var`` (Kish's design effect) enters
    the Wilson score interval. With one score per cluster ``n_eff = n`` and this is exactly the
    Wilson interval; repeating every cluster's scores leaves it unchanged. When every score hits
    (or none does) the variance is 0 and ``n_eff = n`` is used.

    Parameters
    ----------
    hits
        Whether each interval covered its observation (bool or 0/1), shape ``(n,)``.
    clusters
        Cluster label of each score (e.g. the observation's name), shape ``(n,)``.
    level
        Confidence level of the interval.

    Returns
    -------
    tuple of float
        ``(low, high, n_eff)``.

    Examples
    --------
    >>> lo, hi, n_eff = clustered_coverage_interval([1, 1, 0, 1] * 25, list(range(100)))
    >>> round(lo, 3), round(hi, 3), n_eff
    (0.657, 0.825, 100.0)
    """
    hits = np.asarray(hits, dtype=float)
    labels = np.asarray(clusters)
    if hits.ndim != 1 or labels.shape != hits.shape or hits.size == 0:
        raise ValueError(
            f"hits and clusters must be non-empty 1-d arrays of one length, got {hits.shape}, {labels.shape}"
        )
    _, index = np.unique(labels, return_inverse=True)
    n = hits.size
    p = hits.sum() / n
    h_k = np.bincount(index, weights=hits)
    n_k = np.bincount(index).astype(float)
    var = float(np.sum((h_k - p * n_k) ** 2)) / n**2
    n_eff = p * (1 - p) / var if var > 0 else float(n)
    z = stats.norm.ppf(0.5 + level / 2)
    denom = 1 + z**2 / n_eff
    centre = (p + z**2 / (2 * n_eff)) / denom
    half = z * np.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2)) / denom
    return float(centre - half), float(centre + half), float(n_eff)
