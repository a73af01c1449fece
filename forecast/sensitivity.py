"""Global (Sobol) sensitivity, vectorised in JAX, and its application to the structural paths.

:func:`sobol_indices` estimates first-order (Saltelli et al. 2010) and total (Jansen 1999)
Sobol indices of a pure, vectorised ``f(X) -> Y`` (``X`` ``(n, k)``, ``Y`` ``(n,)`` or
``(n, m)``) from two independent sample matrices ``A``, ``B`` and one mixed matrix per factor
(``A`` with that factor's columns taken from ``B``): ``(G + 2) n`` evaluations, no Python loop
over samples, with bootstrap standard errors (rows resampled jointly across all matrices).

**Dependent inputs.** A factor may be a *group* of columns (``groups``), swapped from ``B`` as a
whole, so dependence *within* a group is kept (e.g. a row of a joint posterior). The indices
assume independence *between* groups: the rows of ``A`` and ``B`` must be drawn so.
:func:`structural_sensitivity` meets that by construction: the six structural priors are
independent of each other and of the trend posterior, and a posterior draw is one factor.

>>> import jax, jax.numpy as jnp
>>> kA, kB, kb = jax.random.split(jax.random.key(0), 3)
>>> A, B = (jax.random.normal(k, (4096, 2)) for k in (kA, kB))
>>> r = sobol_indices(lambda x: x[:, 0] + 2.0 * x[:, 1], A, B, kb, n_boot=50)
>>> [round(float(s), 1) for s in r.S1]  # exact: 1/5, 4/5
[0.2, 0.8]
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

#: Base year of the effective-compute factor, as ``forecast simulate`` (``base_year=2022``).
FACTOR_BASE_YEAR = 2022.0
#: Thresholds (log10 factor vs the base year) whose first crossing year is an output.
CROSSING_THRESHOLDS_OOM = (4.0, 8.0)
#: Trend fields :func:`forecast.structural.largest_run` and the algorithmic path read: one factor.
TREND_FIELDS = ("growth_compute", "growth_spending", "growth_algorithmic", "log10_compute_ref", "log10_spending_ref")
TREND_FACTOR = "trend (posterior draw)"


class SobolIndices(NamedTuple):
    """Estimates and bootstrap standard errors; each ``(*Y.shape[1:], G)`` (factor axis last)."""

    S1: jax.Array
    S1_se: jax.Array
    ST: jax.Array
    ST_se: jax.Array


def group_mask(k: int, groups=None) -> np.ndarray:
    """``(G, k)`` boolean: which columns of ``X`` each factor swaps (``groups=None``: one per column).

    Raises
    ------
    ValueError
        A column is in no group, in two groups, or out of range.
    """
    groups = tuple((i,) for i in range(k)) if groups is None else tuple(tuple(g) for g in groups)
    mask = np.zeros((len(groups), k), dtype=bool)
    for j, g in enumerate(groups):
        if not g or min(g) < 0 or max(g) >= k:
            raise ValueError(f"sensitivity: group {j} {g} must be a non-empty set of columns in 0..{k - 1}")
        mask[j, list(g)] = True
    if not np.array_equal(mask.sum(axis=0), np.ones(k, dtype=int)):
        raise ValueError(f"sensitivity: groups {groups} must cover each of the {k} columns exactly once")
    return mask


def mixed_matrices(A, B, groups=None):
    """``AB`` ``(G, n, k)``: ``A`` with the columns of factor ``g`` taken from ``B``."""
    mask = jnp.asarray(group_mask(A.shape[1], groups))
    return jnp.where(mask[:, None, :], B[None], A[None])


def evaluate(f, X, chunk: int | None = None):
    """``f(X)`` on ``(N, k)`` rows, in one call or in ``chunk``-row blocks (``lax.map``; padded).

    Chunks bound memory for large designs; ``f`` must treat rows independently.
    """
    if chunk is None or chunk >= X.shape[0]:
        return f(X)
    n = X.shape[0]
    blocks = -(-n // chunk)
    Xp = jnp.concatenate([X, jnp.broadcast_to(X[-1:], (blocks * chunk - n, X.shape[1]))], axis=0)
    Y = jax.lax.map(f, Xp.reshape(blocks, chunk, X.shape[1]))
    return Y.reshape(blocks * chunk, *Y.shape[2:])[:n]


def _estimate(w, yA, yB, yAB):
    """Indices from row weights ``w`` ``(n,)`` (ones: the estimate; bootstrap counts: a replicate).

    Variance of ``Y`` over the rows of ``A`` and ``B`` together; first order
    ``mean(yB (yAB_g - yA)) / V`` (Saltelli 2010), total ``mean((yA - yAB_g)^2) / (2 V)`` (Jansen 1999).
    """
    wsum = jnp.sum(w)

    def wmean(z):  # weighted mean over the leading (row) axis
        return jnp.tensordot(w, z, axes=(0, 0)) / wsum

    mean = 0.5 * (wmean(yA) + wmean(yB))
    var = 0.5 * (wmean(yA**2) + wmean(yB**2)) - mean**2
    first = wmean(jnp.moveaxis(yB[None] * (yAB - yA[None]), 1, 0))  # (G, ...)
    total = 0.5 * wmean(jnp.moveaxis((yA[None] - yAB) ** 2, 1, 0))
    return jnp.moveaxis(first / var, 0, -1), jnp.moveaxis(total / var, 0, -1)


@functools.partial(jax.jit, static_argnames=("n_boot", "boot_batch"))
def indices_from_outputs(yA, yB, yAB, key, n_boot: int = 200, boot_batch: int = 50) -> SobolIndices:
    """Sobol indices from the outputs on ``A`` ``(n, ...)``, ``B`` and ``AB`` ``(G, n, ...)``.

    ``Y`` is centred on the mean over ``A`` and ``B`` first (the estimators are shift-invariant in
    expectation; centring lowers their variance). Standard errors: ``n_boot`` bootstrap
    replicates resampling the ``n`` rows jointly (row ``j`` of ``A``, ``B`` and every ``AB_g``
    together), ``boot_batch`` replicates at a time (memory only: the se move by rounding, ~1e-12).
    """
    centre = 0.5 * (jnp.mean(yA, axis=0) + jnp.mean(yB, axis=0))
    yA, yB, yAB = yA - centre, yB - centre, yAB - centre
    n = yA.shape[0]
    s1, st = _estimate(jnp.ones(n, yA.dtype), yA, yB, yAB)

    def replicate(k):
        counts = jnp.zeros(n, yA.dtype).at[jax.random.randint(k, (n,), 0, n)].add(1.0)
        return _estimate(counts, yA, yB, yAB)

    b1, bt = jax.lax.map(replicate, jax.random.split(key, n_boot), batch_size=boot_batch)
    return SobolIndices(s1, jnp.std(b1, axis=0, ddof=1), st, jnp.std(bt, axis=0, ddof=1))


def sobol_indices(f, A, B, key, *, groups=None, n_boot: int = 200, chunk: int | None = None, boot_batch: int = 50):
    """First-order and total Sobol indices of ``f`` with bootstrap standard errors.

    Parameters
    ----------
    f
        Pure vectorised function ``(N, k) -> (N,)`` or ``(N, m)``, rows independent (jittable).
    A, B
        ``(n, k)`` independent samples of the inputs (the same joint distribution; groups
        independent of each other).
    key
        PRNG key of the bootstrap.
    groups
        Tuple of column-index tuples, one per factor (default: each column its own factor).
    n_boot, boot_batch
        Bootstrap replicates, and how many are computed at once.
    chunk
        Rows per call of ``f`` (default: all ``(G + 2) n`` rows in one call).

    Returns
    -------
    SobolIndices
        ``(G,)`` arrays for ``(n,)`` outputs, ``(m, G)`` for ``(n, m)``.
    """
    AB = mixed_matrices(A, B, groups)
    G, n, k = AB.shape
    Y = jax.jit(evaluate, static_argnums=(0, 2))(f, jnp.concatenate([A, B, AB.reshape(G * n, k)]), chunk)
    return indices_from_outputs(Y[:n], Y[n : 2 * n], Y[2 * n :].reshape(G, n, *Y.shape[1:]), key, n_boot, boot_batch)


# --------------------------------------------------------------------------------------------
# Application: the structural model of the largest run (forecast/structural.py)
# --------------------------------------------------------------------------------------------


class _Trend(NamedTuple):
    growth_compute: jax.Array
    growth_spending: jax.Array
    log10_compute_ref: jax.Array
    log10_spending_ref: jax.Array
    ref_year: float


def crossing_year(times, values, threshold, horizon):
    """First time ``values`` ``(T, n)`` reach ``threshold``, linear between ``times`` ``(T,)``; ``horizon`` if never."""
    above = values >= threshold
    i = jnp.argmax(above, axis=0)
    j = jnp.maximum(i - 1, 0)
    v0, v1 = jnp.take_along_axis(values, j[None], 0)[0], jnp.take_along_axis(values, i[None], 0)[0]
    frac = jnp.where(i > 0, (threshold - v0) / jnp.where(v1 > v0, v1 - v0, 1.0), 0.0)
    t = times[j] + jnp.clip(frac, 0.0, 1.0) * (times[i] - times[j])
    return jnp.where(jnp.any(above, axis=0), jnp.minimum(t, horizon), horizon)


def structural_outputs(X, c, ref_year: float, start_year: float, n_years: int, year: float = 2030.0):
    """Per-row outputs ``(N, 1 + len(CROSSING_THRESHOLDS_OOM))`` of the largest run's effective compute.

    Columns of ``X``: the six :class:`forecast.structural.StructuralDraws` fields, then
    :data:`TREND_FIELDS`. Effective compute is the largest run's compute
    (:func:`forecast.structural.largest_run`) plus algorithmic OOM
    (:func:`forecast.structural.algorithmic_oom` after ``start_year``; the fitted rate before).
    Its factor is measured against :data:`FACTOR_BASE_YEAR`, where the largest run sits on the
    uncapped trend (line + offset; the caps act from ``start_year`` on). Outputs: the log10
    factor at ``year``, and the years it first reaches each of :data:`CROSSING_THRESHOLDS_OOM`
    (linear between yearly points; ``start_year + n_years`` if not by then).
    """
    from forecast.structural import StructuralDraws, algorithmic_oom, largest_run

    draws = StructuralDraws(*(X[:, i] for i in range(6)))
    g_c, g_s, g_a, comp_ref, cost_ref = (X[:, 6 + i] for i in range(len(TREND_FIELDS)))
    run = largest_run(_Trend(g_c, g_s, comp_ref, cost_ref, ref_year), draws, c, start_year, n_years)
    t = start_year + jnp.arange(n_years + 1, dtype=X.dtype)
    pre = (g_c + g_a) * (start_year - FACTOR_BASE_YEAR)  # 2022 -> start on the trend
    algo = algorithmic_oom(g_a, draws.algorithmic_slowdown, t[:, None], start_year)
    after = run.log10_compute - run.log10_compute[0] + algo
    times = jnp.concatenate([jnp.array([FACTOR_BASE_YEAR], X.dtype), t])
    factor = jnp.concatenate([jnp.zeros((1, X.shape[0]), X.dtype), pre + after], axis=0)
    at_year = jax.vmap(lambda col: jnp.interp(year, times, col), in_axes=1)(factor)
    cross = [crossing_year(times, factor, h, times[-1]) for h in CROSSING_THRESHOLDS_OOM]
    return jnp.stack([at_year, *cross], axis=1)


def structural_design(trend_draws, structural_priors, key, n: int):
    """One sample matrix ``(n, 6 + len(TREND_FIELDS))``: prior draws, and posterior rows picked at random."""
    from forecast.structural import sample_structural

    k_struct, k_row = jax.random.split(key)
    draws = sample_structural(structural_priors, k_struct, n)
    rows = jax.random.randint(k_row, (n,), 0, np.asarray(trend_draws.growth_compute).shape[0])
    trend = [jnp.asarray(getattr(trend_draws, f), jnp.float64)[rows] for f in TREND_FIELDS]
    return jnp.stack([*(jnp.asarray(d, jnp.float64) for d in draws), *trend], axis=1)


def structural_sensitivity(
    trend_draws,
    structural_priors,
    key,
    n: int,
    *,
    start_year: float = 2025.0,
    horizon: float = 2060.0,
    year: float = 2030.0,
    n_boot: int = 200,
    chunk: int | None = None,
):
    """Sobol indices of the 2030 effective-compute factor and the 1e4 / 1e8 crossing years.

    Parameters
    ----------
    trend_draws
        :class:`forecast.posterior.TrendDraws` (a fitted or synthetic posterior).
    structural_priors
        :func:`forecast.structural.load_structural_priors`.
    key
        PRNG key (split into ``A``, ``B`` and the bootstrap).
    n
        Rows of ``A`` and ``B``: ``9 n`` paths in all.
    start_year, horizon, year
        Where the caps start acting (the data end), the cap on crossing years, the factor's year.
    n_boot, chunk
        As :func:`sobol_indices`.

    Returns
    -------
    pandas.DataFrame
        Index ``(output, input)``; columns ``S1, S1_se, ST, ST_se``. Factors: each structural
        prior, and the trend posterior draw as one group (its rates and levels resampled jointly).
    """
    import pandas as pd

    from forecast.structural import REQUIRED_PRIORS, constants

    if not FACTOR_BASE_YEAR <= start_year <= year < horizon:
        raise ValueError(f"sensitivity: need {FACTOR_BASE_YEAR} <= start_year <= year < horizon")
    k_a, k_b, k_boot = jax.random.split(key, 3)
    A, B = (structural_design(trend_draws, structural_priors, k, n) for k in (k_a, k_b))
    n_years = math.ceil(horizon - start_year)
    f = functools.partial(
        structural_outputs,
        c=constants(structural_priors.settings),
        ref_year=float(trend_draws.ref_year),
        start_year=start_year,
        n_years=n_years,
        year=year,
    )
    groups = (*((i,) for i in range(6)), tuple(range(6, 6 + len(TREND_FIELDS))))
    r = sobol_indices(f, A, B, k_boot, groups=groups, n_boot=n_boot, chunk=chunk)
    outputs = [f"log10 factor {year:g} vs {FACTOR_BASE_YEAR:g}"]
    outputs += [f"year factor >= 1e{h:g} (cap {start_year + n_years:g})" for h in CROSSING_THRESHOLDS_OOM]
    inputs = [*REQUIRED_PRIORS, TREND_FACTOR]
    index = pd.MultiIndex.from_product([outputs, inputs], names=["output", "input"])
    return pd.DataFrame({name: np.asarray(v).reshape(-1) for name, v in r._asdict().items()}, index=index)


__all__ = [
    "CROSSING_THRESHOLDS_OOM",
    "FACTOR_BASE_YEAR",
    "TREND_FACTOR",
    "TREND_FIELDS",
    "SobolIndices",
    "crossing_year",
    "evaluate",
    "group_mask",
    "indices_from_outputs",
    "mixed_matrices",
    "sobol_indices",
    "structural_design",
    "structural_outputs",
    "structural_sensitivity",
]
