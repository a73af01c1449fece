"""The Monte Carlo kernel as pure functions over NamedTuple state (``jax.numpy`` only).

One path's trajectory is a fold of :func:`step` (one month) over the months after :func:`init`;
:func:`snapshot` reads the yearly outputs off a state and :func:`accumulate` adds them into the
integer histograms. The macro layer has the same shape in :mod:`forecast.macro_kernel`
(``macro_init``, ``macro_step``, ``accumulate_macro``) around :func:`forecast.macro.channel_step`.
Nothing here knows about devices, chunks or blocks: :mod:`forecast.simulate` composes these
functions inside its sharded loops, and the tests call each one on its own.

Units: levels are log10 quantities ("OOM"), rates OOM per year, time decimal years. Every array
has the path axis last (``(n,)``, or ``(n_groups, n)`` for per-group values: group-major, so the
sum over groups is a row add that XLA fuses into one vectorised loop over paths).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from forecast.automation import AutomationParams
from forecast.posterior import ALGORITHMIC_ANCHOR_YEAR, TrendDraws
from forecast.scenarios import ScenarioParams
from forecast.structural import (
    StructuralConstants,
    StructuralDraws,
    advance,
    algorithmic_rate,
    capped_rate,
    limit_path,
    log10_gdp,
)

STEPS_PER_YEAR = 12
#: Yearly log10 series, in histogram order: factors vs the base year, then absolute effective FLOP.
PATH_SERIES = ("effective", "compute", "spending", "hardware", "algorithmic", "log10_effective_flop")
FACTOR_THRESHOLDS_OOM = (4.0, 8.0, 12.0)
#: Shares of cognitive tasks whose first crossing is recorded; 0.99 stands for "100%".
SHARE_THRESHOLDS = (0.2, 0.5, 0.99)
#: Share series of the yearly histograms, before one per occupation group.
SHARE_SERIES = ("total", "cognitive")
LOG_BIN_LOW = -20.0
LOG_BIN_WIDTH = 0.01
LOG_N_BINS = 9000  # [-20, 70) OOM; values outside are clipped into the edge bins and counted
SHARE_BIN_WIDTH = 0.001
SHARE_N_BINS = 1001  # [0, 1.001)
#: Bound on |erf_float32(z) - erf(z)| over all z, rounding of z to float32 included (measured on a
#: 2e6-point grid of [-8, 8] against scipy's float64 erf: 3.1e-7). Shares, ceiling/2 * (1 + erf),
#: move by at most half of it: 2000x under the 0.001 share bins.
CDF_ABS_ERROR = 5.0e-7
#: ``fold_in(path_key, MACRO_STREAM)`` picks a path's macro draw; the trend and automation picks
#: use ``split(path_key)``, so switching the macro layer on leaves them unchanged.
MACRO_STREAM = 1
#: ``fold_in(path_key, STRUCTURAL_STREAM)`` picks a path's structural draw from the scenario's pool.
STRUCTURAL_STREAM = 2
#: "Not crossed yet" in :attr:`PathState.first_cross_step`.
NEVER = jnp.iinfo(jnp.int32).max
_INV_SQRT2 = 1.0 / math.sqrt(2.0)


class PathState(NamedTuple):
    """Per-path state; leaves ``(n,)`` (``first_cross_step``: ``(n, n_thresholds)``)."""

    log10_compute: jax.Array
    log10_spending: jax.Array
    hardware_oom: jax.Array  # log10 FLOP/$ gained since the base year
    algorithmic_oom: jax.Array  # A(t), OOM relative to 2023 algorithms
    first_cross_step: jax.Array  # monthly step at which the cognitive share first reached a threshold


class PathParams(NamedTuple):
    """Posterior draws picked for each path; leaves ``(n,)`` (``automation``: ``(n, n_cells)``)."""

    growth_spending: jax.Array
    growth_hardware: jax.Array
    growth_algorithmic: jax.Array
    identity_gap: jax.Array
    hardware_at_start: jax.Array  # FLOP/$ OOM gained between the base year and the scenario start
    anchor: jax.Array  # the path's trend effective compute at the automation labels' date
    automation: AutomationParams
    structural: StructuralDraws  # the path's draw of the structural priors ("off" draws: no limits)
    limit_start: jax.Array  # log10 FLOP of the largest run at the scenario start (where the limit path starts)
    research_start: jax.Array  # automated share of AI-research tasks at the scenario start (set by with_research_start)


class CellLayout(NamedTuple):
    """How the automation cells add up (replicated on every device).

    Attributes
    ----------
    weight
        ``(C,)`` employment-weighted share of all tasks.
    cognitive_weight
        ``(C,)`` share of all cognitive tasks (zero for physical cells).
    membership
        ``(C, G)`` weights turning cell shares into group shares.
    anchor_year
        Date of the labels: requirements are OOM beyond the trend's effective compute then.
    research_weight
        ``(C,)`` share of all AI-research tasks (cognitive cells of
        :data:`forecast.automation.RESEARCH_GROUPS`; zero elsewhere): the feedback on algorithms.
    """

    weight: jax.Array
    cognitive_weight: jax.Array
    membership: jax.Array
    anchor_year: jax.Array
    research_weight: jax.Array


class Curves(NamedTuple):
    """The automation curves of a set of paths, cell-major ``(n_cells, n)``.

    ``share_c = ceiling_c * Phi((x - thr_c) / width_c) = half_c * (1 + erf(slope_c * (x - thr_c)))``;
    a weighted total is ``base + sum_c weighted_half_c * erf(.)``.
    """

    slope: jax.Array  # 1 / (width sqrt 2)
    threshold: jax.Array  # the path's anchor + the cell's requirement offset
    half_ceiling: jax.Array
    total_half: jax.Array  # half_ceiling * share of all tasks
    cognitive_half: jax.Array  # half_ceiling * share of cognitive tasks
    base_total: jax.Array  # (n,)
    base_cognitive: jax.Array  # (n,)
    research_half: jax.Array  # half_ceiling * share of AI-research tasks
    base_research: jax.Array  # (n,)


class Snapshot(NamedTuple):
    """Yearly outputs of a state: log10 series ``(6, n)`` (:data:`PATH_SERIES`), shares ``(2 + G, n)``
    (:data:`SHARE_SERIES`, then one per group), and the effective-compute factor vs the base year ``(n,)``."""

    series: jax.Array
    shares: jax.Array
    factor: jax.Array


def pick_structural(root, path_idx, pool: StructuralDraws) -> StructuralDraws:
    """Each path's draw from the scenario's structural pool: ``fold_in(fold_in(root, p), STRUCTURAL_STREAM)``.

    A third stream of the path key, so the trend, automation and macro picks are unchanged.
    """
    n_pool = pool.offset_oom.shape[0]

    def pick(i):
        return jax.random.randint(jax.random.fold_in(jax.random.fold_in(root, i), STRUCTURAL_STREAM), (), 0, n_pool)

    idx = jax.vmap(pick)(path_idx)
    return jax.tree.map(lambda a: a[idx], pool)


def pick_draws(root, path_idx, n_trend: int, n_auto: int):
    """Indices of the trend and automation draws each path uses: ``split(fold_in(root, p))``.

    A path's picks depend only on ``(root, p)``, never on which chunk, block or device runs it.
    """

    def pick(i):
        k_trend, k_auto = jax.random.split(jax.random.fold_in(root, i))
        return jax.random.randint(k_trend, (), 0, n_trend), jax.random.randint(k_auto, (), 0, n_auto)

    return jax.vmap(pick)(path_idx)


def trend_effective(trend: TrendDraws, ref_year, year):
    """log10 effective FLOP on each path's fitted trend at ``year`` (closed form; no scenario)."""
    return (
        trend.log10_compute_ref
        + trend.growth_compute * (year - ref_year)
        + trend.growth_algorithmic * (year - ALGORITHMIC_ANCHOR_YEAR)
    )


def path_params(
    trend: TrendDraws,
    auto: AutomationParams,
    scenario: ScenarioParams,
    t0: float,
    ref_year,
    anchor_year,
    structural: StructuralDraws,
) -> PathParams:
    """:class:`PathParams` from already-picked (per-path) trend, automation and structural draws."""
    start = jnp.maximum(scenario.start_year, t0)
    return PathParams(
        trend.growth_spending,
        trend.growth_hardware,
        trend.growth_algorithmic,
        trend.identity_gap,
        trend.growth_hardware * jnp.maximum(scenario.start_year - t0, 0.0),
        trend_effective(trend, ref_year, anchor_year),
        auto,
        structural,
        trend.log10_compute_ref + trend.growth_compute * (start - ref_year) + structural.offset_oom,
        jnp.zeros_like(trend.growth_compute),
    )


def with_research_start(params: PathParams, curves: Curves, trend: TrendDraws, scenario: ScenarioParams, t0, ref_year):
    """``params`` with ``research_start``: the AI-research share on the fitted trend where the scenario starts.

    The fitted algorithmic rate already contains whatever research automation there was while the
    data were collected, so the feedback acts on the increase of the share after the start only.
    """
    x = trend_effective(trend, ref_year, jnp.maximum(scenario.start_year, t0))
    z = curves.slope * (x[None, :] - curves.threshold)
    erf = jax.lax.erf(z.astype(jnp.float32)).astype(x.dtype)
    return params._replace(research_start=research_share(erf, curves))


def automation_curves(params: PathParams, layout: CellLayout) -> Curves:
    """Cell-major :class:`Curves` of per-path automation draws ``(n, C)`` anchored at each path's trend."""
    auto = params.automation
    half = 0.5 * auto.ceiling.T
    total = half * layout.weight[:, None]
    cognitive = half * layout.cognitive_weight[:, None]
    threshold = params.anchor[None, :] + auto.offset_oom.T
    research = half * layout.research_weight[:, None]
    return Curves(
        (_INV_SQRT2 / auto.width_oom).T,
        threshold,
        half,
        total,
        cognitive,
        group_sum(total),
        group_sum(cognitive),
        research,
        group_sum(research),
    )


def init(trend: TrendDraws, t0: float, ref_year, path_idx) -> PathState:
    """The state at the base year ``t0`` from per-path trend draws (closed form of the fitted trend).

    ``path_idx`` only gives the crossing table its shape (and, inside ``shard_map``, its
    per-device variation).
    """
    since_ref = t0 - ref_year
    never = jnp.full((path_idx.shape[0], len(SHARE_THRESHOLDS)), NEVER, jnp.int32)
    return PathState(
        log10_compute=trend.log10_compute_ref + trend.growth_compute * since_ref,
        log10_spending=trend.log10_spending_ref + trend.growth_spending * since_ref,
        hardware_oom=jnp.zeros_like(trend.growth_compute),
        algorithmic_oom=trend.growth_algorithmic * (t0 - ALGORITHMIC_ANCHOR_YEAR),
        first_cross_step=never + jnp.zeros_like(path_idx, jnp.int32)[:, None],
    )


def group_sum(m):
    """Sum over the group (first) axis as row adds in a fixed order.

    XLA fuses this into one loop over paths that vectorises, where a reduce over the major axis
    ran as a strided scalar loop.
    """
    return functools.reduce(jnp.add, [m[g] for g in range(m.shape[0])])


def erf_terms(state: PathState, curves: Curves):
    """``erf(slope_g * (x - thr_g))`` ``(G, n)`` at the state's effective compute ``x``.

    Evaluated as a float32 ``erf`` whatever the kernel dtype: XLA's float64 ``erf`` runs scalar on
    CPU (14.7 ns/element against 0.32 ns in float32, see benchmarks/RESULTS.md) and was 55% of the
    kernel's time, while the float32 value is within :data:`CDF_ABS_ERROR` of the exact one.
    """
    x = state.log10_compute + state.algorithmic_oom
    z = curves.slope * (x[None, :] - curves.threshold)
    return jax.lax.erf(z.astype(jnp.float32)).astype(x.dtype)


def total_share(state: PathState, curves: Curves):
    """Employment-weighted share of all tasks automatable at the state's effective compute, ``(n,)``."""
    return curves.base_total + group_sum(curves.total_half * erf_terms(state, curves))


def shares(state: PathState, curves: Curves):
    """``(total, cognitive, erf terms)``: the two weighted shares from one evaluation of the erf terms."""
    e = erf_terms(state, curves)
    return (
        curves.base_total + group_sum(curves.total_half * e),
        curves.base_cognitive + group_sum(curves.cognitive_half * e),
        e,
    )


def research_share(erf: jax.Array, curves: Curves):
    """Share of AI-research tasks automatable, ``(n,)``, from the erf terms of :func:`shares`."""
    return curves.base_research + group_sum(curves.research_half * erf)


def mark_crossings(state: PathState, total, k) -> PathState:
    """Record step ``k`` as the first crossing of every share threshold ``total`` has reached."""
    thresholds = jnp.asarray(SHARE_THRESHOLDS, total.dtype)
    hit = (total[:, None] >= thresholds[None, :]) & (state.first_cross_step == NEVER)
    return state._replace(first_cross_step=jnp.where(hit, k, state.first_cross_step))


def step_rates(state: PathState, t, p: PathParams, sc: ScenarioParams, research):
    """Growth rates (OOM/yr) of spending, hardware and algorithms at time ``t`` for each path.

    Before ``sc.start_year`` the fitted rates apply unchanged; afterwards the scenario schedule
    (reference scenarios: spending slows linearly to GDP growth over the last ``taper`` OOM below
    its cap, hardware stops after ``max_gain`` OOM, algorithms get ``feedback`` x the automated
    share of AI-research tasks ``research``) and the path's structural draw (FLOP/$ growth tapers
    to zero over the last ``hardware_limit_approach_oom`` below its ceiling; the algorithmic rate
    changes by ``exp(slowdown * years / 10)`` and is multiplied by ``(1 + research_feedback *
    research) / (1 + research_feedback * research_start)``: the fitted rate already holds the
    research automation of the data years). The structural caps act on the levels in :func:`step`.
    """
    active = t >= sc.start_year
    g_s = p.growth_spending * sc.spending_multiplier
    gdp = sc.structural_gdp_growth_oom
    cap = sc.spending_cap_log10_2024 + gdp * (t - 2024.0)
    head_s = jnp.clip((cap - state.log10_spending) / sc.spending_taper_oom, 0.0, 1.0)
    r_s = jnp.where(active, jnp.minimum(g_s, gdp + (g_s - gdp) * head_s), p.growth_spending)
    gained = state.hardware_oom - p.hardware_at_start
    head_h = jnp.clip((sc.hardware_max_gain_oom - gained) / sc.hardware_taper_oom, 0.0, 1.0)
    sd = p.structural
    # the structural ceiling on FLOP/$ still to be gained in the training number format
    head_lim = jnp.clip((sd.hardware_gain_limit_oom - gained) / sc.hardware_limit_approach_oom, 0.0, 1.0)
    free_h = p.growth_hardware * sc.hardware_multiplier * head_h
    r_h = jnp.where(active, jnp.where(free_h > 0, free_h * head_lim, free_h), p.growth_hardware)
    fitted = algorithmic_rate(p.growth_algorithmic, sd.algorithmic_slowdown, t, sc.start_year)
    r_a = jnp.where(
        active,
        fitted
        * sc.algorithmic_multiplier
        * (1.0 + sd.research_feedback * research)
        / (1.0 + sd.research_feedback * p.research_start)
        + sc.feedback_oom_per_year * research,
        p.growth_algorithmic,
    )
    return r_s, r_h, r_a


def structural_constants(sc: ScenarioParams) -> StructuralConstants:
    """The structural settings a scenario carries, as :func:`forecast.structural.log10_gdp` reads them."""
    return StructuralConstants(
        sc.log10_gdp_base,
        sc.structural_gdp_growth_oom,
        sc.limit_year,
        sc.physical_approach_oom,
        sc.hardware_limit_approach_oom,
    )


def step(state: PathState, k, *, t0: float, params: PathParams, scenario: ScenarioParams, curves: Curves) -> PathState:
    """Advance every path by one month: step ``k`` (an int32 month count since ``t0``) to ``k + 1``.

    The crossing table is updated with the share at the start of the month, then the levels move
    by one month of their scenario rates (compute = spending + hardware + identity gap). From the
    scenario start the **largest run** (the regression line + the path's ``offset_oom``) is held
    under its GDP-share cap (spending growth slows to GDP growth over the approach width) and
    under the physical limit path (a run held by the limit costs what its compute costs), as in
    :func:`forecast.structural.month_step`; both caps are never crossed (:func:`~forecast.structural.advance`).
    """
    dt = 1.0 / STEPS_PER_YEAR
    t = t0 + k.astype(state.log10_compute.dtype) / STEPS_PER_YEAR
    total, cognitive, erf = shares(state, curves)
    state = mark_crossings(state, cognitive, k)
    r_s, r_h, r_a = step_rates(state, t, params, scenario, research_share(erf, curves))
    sd, c = params.structural, structural_constants(scenario)
    active = t >= scenario.start_year
    t_next = t + dt
    cost = state.log10_spending + sd.offset_oom
    cap_now, cap_next = sd.log10_gdp_share_cap + log10_gdp(t, c), sd.log10_gdp_share_cap + log10_gdp(t_next, c)
    r_cost = jnp.where(active, capped_rate(cost, cap_now, r_s, c.gdp_growth_oom, sd.cap_approach_oom), r_s)
    cost_next = jnp.where(active, advance(cost, r_cost, cap_now, cap_next, dt), cost + r_s * dt)
    comp = state.log10_compute + sd.offset_oom
    r_comp = (cost_next - cost) / dt + r_h + params.identity_gap

    def lim(at):
        return limit_path(
            at, scenario.start_year, params.limit_start, sd.log10_limit_2030, sd.limit_growth, c.limit_year
        )

    lim_now, lim_next = lim(t), lim(t_next)
    r_phys = capped_rate(comp, lim_now, r_comp, (lim_next - lim_now) / dt, c.physical_approach_oom)
    comp_next = jnp.where(active, advance(comp, r_phys, lim_now, lim_next, dt), comp + r_comp * dt)
    held = comp + r_comp * dt - comp_next  # compute the limit held back: that spending does not happen
    return PathState(
        log10_compute=comp_next - sd.offset_oom,
        log10_spending=cost_next - held - sd.offset_oom,
        hardware_oom=state.hardware_oom + r_h * dt,
        algorithmic_oom=state.algorithmic_oom + r_a * dt,
        first_cross_step=state.first_cross_step,
    )


def snapshot(state: PathState, base: PathState, curves: Curves, layout: CellLayout) -> Snapshot:
    """The yearly outputs of ``state``, factors measured against the base-year state ``base``."""
    eff = state.log10_compute + state.algorithmic_oom
    factor = eff - (base.log10_compute + base.algorithmic_oom)
    series = jnp.stack(
        [
            factor,
            state.log10_compute - base.log10_compute,
            state.log10_spending - base.log10_spending,
            state.hardware_oom,
            state.algorithmic_oom - base.algorithmic_oom,
            eff,
        ],
        axis=0,
    )
    total, cognitive, e = shares(state, curves)
    groups = layout.membership.T @ (curves.half_ceiling * (1.0 + e))  # (G, n): once a year, so a matmul
    return Snapshot(series, jnp.concatenate([total[None, :], cognitive[None, :], groups], axis=0), factor)


def histogram_add(counts, y, values, valid, low: float, width: float, n_bins: int):
    """Add a histogram of ``values`` ``(n_series, n)`` (weights ``valid``, ``(n,)``) into ``counts[y]``.

    ``counts`` is ``(n_years + 1, n_series, n_bins)``; values outside ``[low, low + width * n_bins)``
    are clipped into the edge bins. A scatter-add straight into the loop-carried counts: no
    ``(n_series, n_bins)`` temporary per year.
    """
    idx = jnp.clip(jnp.floor((values - low) / width), 0, n_bins - 1).astype(jnp.int32)
    series = jnp.arange(values.shape[0], dtype=jnp.int32)[:, None]
    return counts.at[y, series, idx].add(jnp.broadcast_to(valid[None, :], idx.shape))


def histogram_shapes(n_years: int, n_groups: int, macro: bool, exact_sums: bool) -> dict:
    """Shapes of the integer outputs of one chunk (and of their sums over chunks)."""
    shapes = {
        "log_hist": (n_years + 1, len(PATH_SERIES), LOG_N_BINS),
        "share_hist": (n_years + 1, len(SHARE_SERIES) + n_groups, SHARE_N_BINS),
        "factor_exceed": (n_years + 1, len(FACTOR_THRESHOLDS_OOM)),
        "out_of_range": (n_years + 1, len(PATH_SERIES)),
        "crossing": (len(SHARE_THRESHOLDS), n_years + 2),
    }
    if macro:
        from forecast.macro import CHANNELS, EFFECT_N_BINS, MACRO_SHARES

        n_eff = 2 * len(CHANNELS)
        shapes.update(
            {
                "macro_share_hist": (n_years + 1, len(MACRO_SHARES), SHARE_N_BINS),
                "macro_effect_hist": (n_years + 1, n_eff, EFFECT_N_BINS),
                "macro_out_of_range": (n_years + 1, n_eff),
            }
        )
        if exact_sums:
            shapes["macro_sum"] = (n_years + 1, len(MACRO_SHARES) + n_eff)
    return shapes


def accumulate(hist: dict, y, snap: Snapshot, valid) -> dict:
    """Add year ``y``'s :class:`Snapshot` into the histograms (weights ``valid``: 1, or 0 for padding)."""
    factor_thr = jnp.asarray(FACTOR_THRESHOLDS_OOM, snap.series.dtype)
    count_dtype = valid.dtype
    outside = (snap.series < LOG_BIN_LOW) | (snap.series >= LOG_BIN_LOW + LOG_BIN_WIDTH * LOG_N_BINS)
    hist = dict(hist)
    hist["log_hist"] = histogram_add(hist["log_hist"], y, snap.series, valid, LOG_BIN_LOW, LOG_BIN_WIDTH, LOG_N_BINS)
    hist["share_hist"] = histogram_add(hist["share_hist"], y, snap.shares, valid, 0.0, SHARE_BIN_WIDTH, SHARE_N_BINS)
    hist["factor_exceed"] = (
        hist["factor_exceed"]
        .at[y]
        .add(jnp.sum(jnp.where(snap.factor[None, :] >= factor_thr[:, None], valid[None, :], 0), axis=1))
    )
    hist["out_of_range"] = (
        hist["out_of_range"].at[y].add(jnp.sum(jnp.where(outside, valid[None, :], 0), axis=1).astype(count_dtype))
    )
    return hist


def accumulate_crossings(hist: dict, state: PathState, curves: Curves, n_years: int, valid) -> dict:
    """Close the crossing table at the last step and count each path's first year with the
    cognitive share at each threshold.

    Bins are the simulated years (index 0 = base year) and ``n_years + 1`` = not crossed.
    """
    state = mark_crossings(state, shares(state, curves)[1], jnp.int32(n_years * STEPS_PER_YEAR))
    cross_year = jnp.where(state.first_cross_step == NEVER, n_years + 1, state.first_cross_step // STEPS_PER_YEAR)
    hist = dict(hist)
    hist["crossing"] = (
        hist["crossing"]
        .at[jnp.arange(len(SHARE_THRESHOLDS))[None, :], cross_year]
        .add(jnp.broadcast_to(valid[:, None], cross_year.shape))
    )
    return hist


__all__ = [
    "CDF_ABS_ERROR",
    "FACTOR_THRESHOLDS_OOM",
    "LOG_BIN_LOW",
    "LOG_BIN_WIDTH",
    "LOG_N_BINS",
    "MACRO_STREAM",
    "PATH_SERIES",
    "SHARE_BIN_WIDTH",
    "SHARE_N_BINS",
    "SHARE_SERIES",
    "SHARE_THRESHOLDS",
    "STEPS_PER_YEAR",
    "STRUCTURAL_STREAM",
    "CellLayout",
    "Curves",
    "PathParams",
    "PathState",
    "Snapshot",
    "accumulate",
    "accumulate_crossings",
    "automation_curves",
    "erf_terms",
    "group_sum",
    "histogram_add",
    "histogram_shapes",
    "init",
    "mark_crossings",
    "path_params",
    "pick_draws",
    "pick_structural",
    "research_share",
    "shares",
    "snapshot",
    "step",
    "step_rates",
    "structural_constants",
    "total_share",
    "trend_effective",
    "with_research_start",
]
