"""Global (Sobol) sensitivity, vectorised in JAX, and its application to the structural paths.

:func:`sobol_indices` estimates first-order (Saltelli et al. 2010) and total (Jansen 1999)
Sobol indices of a pure, vectorised ``f(X) -> Y`` (``X`` ``(n, k)``, ``Y`` ``(n,)`` or
``(n, m)``) from two independent sample matrices ``A``, ``B`` and one mixed matrix per factor
(``A`` with that factor's columns taken from ``B``): ``(G + 2) n`` evaluations, no Python loop
over samples, with bootstrap standard errors (rows resampled jointly across all matrices).

**Dependent inputs.** A factor may be a *group* of columns (``groups``), swapped from ``B`` as a
whole, so dependence *within* a group is kept (e.g. a row of a joint posterior). The indices
assume independence *between* groups: the rows of ``A`` and ``B`` must be drawn so.
:func:`structural_sensitivity` meets that by construction: the structural priors are independent
of each other and of the two posteriors, and a posterior draw (trend, automation) is one factor.
Under a *conditioned* scenario the conditioned priors stay independent only when each condition
bounds one prior, as in ``priors/scenarios.toml``.

>>> import jax, jax.numpy as jnp
>>> kA, kB, kb = jax.random.split(jax.random.key(0), 3)
>>> A, B = (jax.random.normal(k, (4096, 2)) for k in (kA, kB))
>>> r = sobol_indices(lambda x: x[:, 0] + 2.0 * x[:, 1], A, B, kb, n_boot=50)
>>> [round(float(s), 1) for s in r.S1]  # exact: 1/5, 4/5
[0.2, 0.8]
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

#: Base year of the effective-compute factor, as ``forecast simulate`` (``base_year=2022``).
FACTOR_BASE_YEAR = 2022.0
#: Thresholds (log10 factor vs the base year) whose first crossing year is an output.
CROSSING_THRESHOLDS_OOM = (4.0, 8.0)
#: The trend posterior draw and the automation posterior draw are one factor each (joint rows).
TREND_FACTOR = "trend (posterior draw)"
AUTOMATION_FACTOR = "automation requirements (posterior draw)"


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
# Application: the structural forecast as the Monte Carlo kernel runs it
# --------------------------------------------------------------------------------------------


class KernelSetup(NamedTuple):
    """What :func:`kernel_outputs` needs besides the sample rows (replicated, float arrays)."""

    trend: object  # forecast.posterior.TrendDraws, leaves (n_trend,), ref_year scalar
    automation: object  # forecast.automation.AutomationParams, leaves (n_auto, n_cells)
    layout: object  # forecast.kernel.CellLayout
    scenario: object  # forecast.scenarios.ScenarioParams


def crossing_year(times, values, threshold, horizon):
    """First time ``values`` ``(T, n)`` reach ``threshold``, linear between ``times`` ``(T,)``; ``horizon`` if never."""
    above = values >= threshold
    i = jnp.argmax(above, axis=0)
    j = jnp.maximum(i - 1, 0)
    v0, v1 = jnp.take_along_axis(values, j[None], 0)[0], jnp.take_along_axis(values, i[None], 0)[0]
    frac = jnp.where(i > 0, (threshold - v0) / jnp.where(v1 > v0, v1 - v0, 1.0), 0.0)
    t = times[j] + jnp.clip(frac, 0.0, 1.0) * (times[i] - times[j])
    return jnp.where(jnp.any(above, axis=0), jnp.minimum(t, horizon), horizon)


def kernel_outputs(X, setup: KernelSetup, n_years: int, year: float = 2030.0):
    """Per-row outputs ``(N, len(OUTPUTS))`` of the structural forecast, run by the Monte Carlo kernel.

    Columns of ``X``: the :class:`forecast.structural.StructuralDraws` fields, then the row of the
    trend posterior and the row of the automation posterior (as floats; one factor each). Each row
    is one path of :func:`forecast.kernel.step` from :data:`FACTOR_BASE_YEAR` (the same
    functions :mod:`forecast.simulate` folds): the log10 effective-compute factor at ``year``,
    the years it first reaches 1e4 and 1e8, and the year the cognitive share first reaches 50%
    (``FACTOR_BASE_YEAR + n_years`` if not by then).
    """
    from forecast import kernel as K
    from forecast.structural import StructuralDraws

    n_struct = len(StructuralDraws._fields)
    sd = StructuralDraws(*(X[:, i] for i in range(n_struct)))
    it, ia = X[:, n_struct].astype(jnp.int32), X[:, n_struct + 1].astype(jnp.int32)
    trend, sc, layout = setup.trend, setup.scenario, setup.layout
    tr = jax.tree.map(lambda a: a[it], trend._replace(ref_year=jnp.zeros_like(trend.growth_compute)))
    ap = jax.tree.map(lambda a: a[ia], setup.automation)
    t0 = FACTOR_BASE_YEAR
    params = K.path_params(tr, ap, sc, t0, trend.ref_year, layout.anchor_year, sd)
    curves = K.automation_curves(params, layout)
    params = K.with_research_start(params, curves, tr, sc, t0, trend.ref_year)
    state0 = K.init(tr, t0, trend.ref_year, jnp.arange(X.shape[0], dtype=jnp.uint32))

    def one_year(state, y):
        state = jax.lax.fori_loop(
            y * K.STEPS_PER_YEAR,
            (y + 1) * K.STEPS_PER_YEAR,
            lambda k, s: K.step(s, k, t0=t0, params=params, scenario=sc, curves=curves),
            state,
        )
        return state, K.snapshot(state, state0, curves, layout).factor

    state, factors = jax.lax.scan(one_year, state0, jnp.arange(n_years, dtype=jnp.int32))
    times = t0 + jnp.arange(n_years + 1, dtype=X.dtype)
    factor = jnp.concatenate([jnp.zeros((1, X.shape[0]), X.dtype), factors], axis=0)
    at_year = jax.vmap(lambda col: jnp.interp(year, times, col), in_axes=1)(factor)
    horizon = times[-1]
    cross = [crossing_year(times, factor, h, horizon) for h in CROSSING_THRESHOLDS_OOM]
    state = K.mark_crossings(state, K.shares(state, curves)[1], jnp.int32(n_years * K.STEPS_PER_YEAR))
    j50 = K.SHARE_THRESHOLDS.index(0.5)
    step50 = state.first_cross_step[:, j50]
    share50 = jnp.where(step50 == K.NEVER, horizon, t0 + step50.astype(X.dtype) / K.STEPS_PER_YEAR)
    return jnp.stack([at_year, *cross, share50], axis=1)


def structural_design(trend, automation, structural_priors, key, n: int, conditions=None):
    """One sample matrix ``(n, n_structural + 2)``: structural prior draws (given ``conditions``),
    then a trend and an automation posterior row each, picked uniformly."""
    from forecast.structural import structural_pool

    k_struct, k_trend, k_auto = jax.random.split(key, 3)
    pool, _ = structural_pool(structural_priors, k_struct, n, conditions)
    n_trend = np.asarray(trend.growth_compute).shape[0]
    n_auto = np.asarray(automation.offset_oom).shape[0]
    rows = [jax.random.randint(k, (n,), 0, m).astype(jnp.float64) for k, m in ((k_trend, n_trend), (k_auto, n_auto))]
    return jnp.stack([*(jnp.asarray(d, jnp.float64) for d in pool), *rows], axis=1)


def structural_sensitivity(
    trend,
    automation,
    scenario,
    structural_priors,
    key,
    n: int,
    *,
    horizon: int = 2060,
    year: float = 2030.0,
    n_boot: int = 200,
    chunk: int | None = None,
):
    """Sobol indices of the 2030 factor and the crossing years under a structural scenario.

    Parameters
    ----------
    trend
        :class:`forecast.posterior.TrendDraws` (fitted or synthetic).
    automation
        :class:`forecast.automation.AutomationPosterior`.
    scenario
        :class:`forecast.scenarios.NamedScenario` of kind ``forecast`` (its conditions are kept:
        the indices are those of that scenario's draws).
    structural_priors
        :func:`forecast.structural.load_structural_priors`.
    key
        PRNG key (split into ``A``, ``B`` and the bootstrap).
    n
        Rows of ``A`` and ``B``: ``(G + 2) n`` kernel paths in all, ``G`` = 9 factors.
    horizon, year
        Last year simulated (the value of a crossing year never reached), the factor's year.
    n_boot, chunk
        As :func:`sobol_indices`.

    Returns
    -------
    pandas.DataFrame
        Index ``(output, input)``; columns ``S1, S1_se, ST, ST_se``. Factors: each structural
        prior, the trend posterior draw and the automation posterior draw (each resampled jointly).
    """
    import pandas as pd

    from forecast import kernel as K
    from forecast.structural import REQUIRED_PRIORS

    if not FACTOR_BASE_YEAR < year < horizon:
        raise ValueError(f"sensitivity: need {FACTOR_BASE_YEAR} < year < horizon")
    k_a, k_b, k_boot = jax.random.split(key, 3)
    A, B = (
        structural_design(trend, automation.params, structural_priors, k, n, scenario.conditions) for k in (k_a, k_b)
    )
    layout = K.CellLayout(
        jnp.asarray(automation.cell_weight),
        jnp.asarray(automation.cognitive_weight()),
        jnp.asarray(automation.membership()),
        jnp.asarray(automation.anchor_year),
        jnp.asarray(automation.research_weight()),
    )
    setup = KernelSetup(
        jax.tree.map(jnp.asarray, trend), jax.tree.map(jnp.asarray, automation.params), layout, scenario.params
    )
    n_years = int(horizon - FACTOR_BASE_YEAR)
    f = functools.partial(kernel_outputs, setup=setup, n_years=n_years, year=year)
    n_struct = len(REQUIRED_PRIORS)
    groups = (*((i,) for i in range(n_struct)), (n_struct,), (n_struct + 1,))
    r = sobol_indices(f, A, B, k_boot, groups=groups, n_boot=n_boot, chunk=chunk)
    outputs = [f"log10 factor {year:g} vs {FACTOR_BASE_YEAR:g}"]
    outputs += [f"year factor >= 1e{h:g}" for h in CROSSING_THRESHOLDS_OOM]
    outputs += ["year cognitive share >= 50%"]
    inputs = [*REQUIRED_PRIORS, TREND_FACTOR, AUTOMATION_FACTOR]
    index = pd.MultiIndex.from_product([outputs, inputs], names=["output", "input"])
    table = pd.DataFrame({name: np.asarray(v).reshape(-1) for name, v in r._asdict().items()}, index=index)
    table.attrs.update({"n": int(n), "paths": int((len(groups) + 2) * n), "horizon": int(horizon)})
    return table


__all__ = [
    "AUTOMATION_FACTOR",
    "CROSSING_THRESHOLDS_OOM",
    "FACTOR_BASE_YEAR",
    "TREND_FACTOR",
    "KernelSetup",
    "SobolIndices",
    "crossing_year",
    "evaluate",
    "group_mask",
    "indices_from_outputs",
    "kernel_outputs",
    "mixed_matrices",
    "sobol_indices",
    "structural_design",
    "structural_sensitivity",
]
