"""Rank statistics and uniformity tests of simulation-based calibration (Talts et al. 2018).

No MCMC here: given the true value of each test quantity and ``L`` posterior draws per
simulation, :func:`rank_statistics` gives the rank of the truth and its randomised PIT
``(rank + U) / (L + 1)`` (exactly uniform under the null, whatever ``L``), and
:func:`test_table` tests each quantity's PIT for uniformity (chi-square on equal bins and
Kolmogorov-Smirnov, Bonferroni-corrected at a family ``alpha``). Unit-tested with mock exact
samplers; :mod:`forecast.calibrate` runs the harness around them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats


def rank_statistics(truth, draws, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ranks of true values among posterior draws, and their randomised PIT.

    Parameters
    ----------
    truth
        Shape ``(N,)``: the true value per simulation.
    draws
        Shape ``(N, L)``: posterior draws per simulation.
    rng
        Generator for tie-breaking and the PIT randomisation.

    Returns
    -------
    ranks : numpy.ndarray
        Integers in ``0..L``: the count of draws below the truth, ties broken uniformly at
        random (discrete quantities).
    pit : numpy.ndarray
        ``(rank + U) / (L + 1)``, ``U ~ Uniform(0, 1)``: continuous and exactly uniform on
        (0, 1) under the null.

    Raises
    ------
    ValueError
        If any value is NaN (never silently ranked).

    Examples
    --------
    >>> r, _ = rank_statistics([0.5], [[0.1, 0.2, 0.9]], rng=np.random.default_rng(0))
    >>> r.tolist()
    [2]
    """
    truth = np.asarray(truth, dtype=float)
    draws = np.asarray(draws, dtype=float)
    if truth.ndim != 1 or draws.ndim != 2 or draws.shape[0] != truth.shape[0]:
        raise ValueError(f"truth must be (N,) and draws (N, L); got {truth.shape} and {draws.shape}")
    if np.isnan(truth).any() or np.isnan(draws).any():
        raise ValueError("NaN in SBC truth or draws: a fit failed; NaNs are never ranked")
    below = (draws < truth[:, None]).sum(axis=1)
    ties = (draws == truth[:, None]).sum(axis=1)
    ranks = below + rng.integers(0, ties + 1)
    pit = (ranks + rng.uniform(size=ranks.shape)) / (draws.shape[1] + 1)
    return ranks, pit


@dataclass(frozen=True)
class Uniformity:
    """Chi-square and KS results for one quantity's randomised PIT."""

    chi2: float
    chi2_p: float
    ks: float
    ks_p: float
    coverage50: float
    coverage90: float


def uniformity_tests(pit, *, bins: int = 20) -> Uniformity:
    """Test a randomised PIT sample for uniformity on (0, 1).

    Parameters
    ----------
    pit
        PIT values (e.g. from :func:`rank_statistics`).
    bins
        Number of equal-width bins for the chi-square test (``bins - 1`` degrees of freedom).

    Returns
    -------
    Uniformity
        Chi-square statistic and p-value, KS statistic and exact p-value, and the share of
        simulations whose truth lies in the central 50% and 90% posterior intervals.
    """
    pit = np.asarray(pit, dtype=float)
    counts = np.histogram(pit, bins=bins, range=(0.0, 1.0))[0]
    chi = stats.chisquare(counts)
    ks = stats.kstest(pit, "uniform")
    dev = np.abs(pit - 0.5)
    return Uniformity(
        chi2=float(chi.statistic),
        chi2_p=float(chi.pvalue),
        ks=float(ks.statistic),
        ks_p=float(ks.pvalue),
        coverage50=float((dev <= 0.25).mean()),
        coverage90=float((dev <= 0.45).mean()),
    )


def test_table(pit: pd.DataFrame, *, bins: int, family_alpha: float) -> tuple[pd.DataFrame, float]:
    """Per-quantity uniformity tests with a Bonferroni threshold.

    Parameters
    ----------
    pit
        One column of PIT values per quantity.
    bins, family_alpha
        See :class:`SBCConfig`.

    Returns
    -------
    (pandas.DataFrame, float)
        Table indexed by quantity (``chi2``, ``chi2_p``, ``ks``, ``ks_p``, ``coverage50``,
        ``coverage90``, ``passed``) and the per-test threshold ``family_alpha / (2 K)``.
    """
    per_test = family_alpha / (2 * pit.shape[1])
    rows = {q: asdict(uniformity_tests(pit[q].to_numpy(), bins=bins)) for q in pit.columns}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["passed"] = (table["chi2_p"] > per_test) & (table["ks_p"] > per_test)
    table.index.name = "quantity"
    return table, per_test


test_table.__test__ = False  # not a pytest test despite the name


def plot_pit_ecdf(
    pit: pd.DataFrame, tests: pd.DataFrame, path, *, family_alpha: float, num_ranks: int, n_simulations: int
) -> Path:
    """ECDF-difference plot of each quantity's PIT with simultaneous bands (Säilynoja et al. 2022).

    Parameters
    ----------
    pit
        Simulations x quantities randomised PIT.
    tests
        From :func:`test_table` (``passed`` per quantity marks failures in red).
    path
        PNG file to write.
    family_alpha, num_ranks
        The family level (split over quantities for the band) and ``L``, for the title.
    n_simulations
        Simulations used to calibrate the band.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from arviz_stats.ecdf_utils import ecdf_pit

    k = pit.shape[1]
    prob = 1 - family_alpha / k
    cols = 4
    rows = int(np.ceil(k / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.2 * rows), sharex=True, squeeze=False)
    for ax, (name, values) in zip(axes.ravel(), pit.items(), strict=False):
        x, ecdf, lo, hi = ecdf_pit(np.sort(values.to_numpy()), prob, n_simulations)
        outside = bool(((ecdf < lo) | (ecdf > hi)).any())
        ax.fill_between(x, lo - x, hi - x, step="post", color="0.85")
        ax.step(x, ecdf - x, where="post", color="C3" if outside else "C0", lw=1)
        ax.axhline(0, color="0.5", lw=0.5)
        passed = bool(tests.loc[name, "passed"])
        ax.set_title(f"{name}{'' if passed else ' (FAIL)'}", fontsize=8, color="k" if passed else "C3")
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[k:]:
        ax.set_visible(False)
    fig.suptitle(f"SBC ECDF difference, N={len(pit)}, L={num_ranks}; band {prob:.4f} simultaneous", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


__all__ = ["Uniformity", "plot_pit_ecdf", "rank_statistics", "test_table", "uniformity_tests"]
