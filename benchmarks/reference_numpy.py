"""Independent NumPy reference of the simulate pipeline (forecast/simulate.py).

Written separately from the JAX kernel (own RNG, own rate arithmetic, exact sample quantiles from
per-path values) so that agreement between the two is evidence, not tautology. It is plain
vectorised NumPy over paths with a Python loop over monthly steps: the natural way to write it
without JAX, and the baseline of ``benchmarks/bench_simulate.py``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

STEPS_PER_YEAR = 12
SHARE_THRESHOLDS = (0.2, 0.5, 0.99)  # of cognitive tasks


class ReferenceResult(NamedTuple):
    """Per-path yearly values (small enough for the path counts a reference is run at)."""

    years: np.ndarray  # (n_years + 1,)
    log10_factor: np.ndarray  # (paths, n_years + 1): effective compute vs base year
    log10_effective_flop: np.ndarray  # (paths, n_years + 1)
    share_total: np.ndarray  # (paths, n_years + 1)
    share_cognitive: np.ndarray  # (paths, n_years + 1)
    share_group: np.ndarray  # (paths, n_years + 1, n_groups)
    first_cross_year: np.ndarray  # (paths, n_thresholds); inf = not by until_year
    growth_effective: np.ndarray  # (paths,): trend compute + algorithmic growth, OOM/yr
    growth_cost: np.ndarray  # (paths,): trend FLOP/$ + algorithmic growth, OOM/yr
    group_shares_at: object  # callable: (paths,) log10 effective FLOP -> (paths, n_groups)


def simulate_numpy(
    trend, automation, scenario, *, paths: int, base_year: int, until_year: int, seed: int
) -> ReferenceResult:
    """Run the pipeline in NumPy.

    Parameters
    ----------
    trend
        ``forecast.posterior.TrendDraws``.
    automation
        ``forecast.automation.AutomationPosterior``.
    scenario
        ``forecast.scenarios.ScenarioParams``.
    paths, base_year, until_year
        As in ``forecast.simulate.simulate``.
    seed
        Seed of ``numpy.random.default_rng`` (a different stream from JAX's by design).
    """
    rng = np.random.default_rng(seed)
    n_trend = trend.growth_compute.shape[0]
    offset, width, ceiling = (np.asarray(a) for a in automation.params)
    it = rng.integers(0, n_trend, paths)
    ia = rng.integers(0, offset.shape[0], paths)
    g_c, g_s = trend.growth_compute[it], trend.growth_spending[it]
    g_h, g_a = trend.growth_hardware[it], trend.growth_algorithmic[it]
    gap = trend.identity_gap[it]
    # requirements are OOM beyond each path's trend effective compute at the labels' date
    anchor = (
        trend.log10_compute_ref[it]
        + g_c * (automation.anchor_year - trend.ref_year)
        + g_a * (automation.anchor_year - 2023.0)
    )
    thr, width, ceiling = anchor[:, None] + offset[ia], width[ia], ceiling[ia]
    cells = np.asarray(automation.cell_weight)
    cognitive = np.where(np.asarray(automation.cell_cognitive), cells, 0.0)
    cognitive = cognitive / cognitive.sum()
    research = np.asarray(automation.research_weight())
    n_groups = len(automation.groups)
    member = np.zeros((len(cells), n_groups))
    member[np.arange(len(cells)), np.asarray(automation.cell_group)] = cells
    member /= member.sum(axis=0, keepdims=True)
    sc = scenario

    t0 = float(base_year)
    compute = trend.log10_compute_ref[it] + g_c * (t0 - trend.ref_year)
    spending = trend.log10_spending_ref[it] + g_s * (t0 - trend.ref_year)
    hardware = np.zeros(paths)
    algorithmic = g_a * (t0 - 2023.0)
    hw_at_start = g_h * max(sc.start_year - t0, 0.0)
    eff0 = compute + algorithmic

    n_years = until_year - base_year
    years = np.arange(base_year, until_year + 1)
    factor = np.empty((paths, n_years + 1))
    eff_abs = np.empty((paths, n_years + 1))
    tot = np.empty((paths, n_years + 1))
    cog = np.empty((paths, n_years + 1))
    grp = np.empty((paths, n_years + 1, n_groups))
    first = np.full((paths, len(SHARE_THRESHOLDS)), np.inf)

    def shares(eff):
        s = ceiling * ndtr((eff[:, None] - thr) / width)
        return s, s @ cells, s @ cognitive, s @ research

    def record(y, eff):
        s, total, cognitive_share, _ = shares(eff)
        factor[:, y] = eff - eff0
        eff_abs[:, y] = eff
        tot[:, y] = total
        cog[:, y] = cognitive_share
        grp[:, y] = s @ member

    record(0, compute + algorithmic)
    dt = 1.0 / STEPS_PER_YEAR
    for k in range(n_years * STEPS_PER_YEAR + 1):
        t = t0 + k / STEPS_PER_YEAR
        _, total, cognitive_share, research_share = shares(compute + algorithmic)
        for j, c in enumerate(SHARE_THRESHOLDS):
            first[:, j] = np.where((cognitive_share >= c) & np.isinf(first[:, j]), np.floor(t + 1e-9), first[:, j])
        if k == n_years * STEPS_PER_YEAR:
            break
        if t >= sc.start_year:
            gs = g_s * sc.spending_multiplier
            gdp = sc.structural_gdp_growth_oom
            cap = sc.spending_cap_log10_2024 + gdp * (t - 2024.0)
            room = np.clip((cap - spending) / sc.spending_taper_oom, 0.0, 1.0)
            r_s = np.minimum(gs, gdp + (gs - gdp) * room)
            room_h = np.clip((sc.hardware_max_gain_oom - (hardware - hw_at_start)) / sc.hardware_taper_oom, 0.0, 1.0)
            r_h = g_h * sc.hardware_multiplier * room_h
            r_a = g_a * sc.algorithmic_multiplier + sc.feedback_oom_per_year * research_share
        else:
            r_s, r_h, r_a = g_s, g_h, g_a
        compute = compute + (r_s + r_h + gap) * dt
        spending = spending + r_s * dt
        hardware = hardware + r_h * dt
        algorithmic = algorithmic + r_a * dt
        if (k + 1) % STEPS_PER_YEAR == 0:
            record((k + 1) // STEPS_PER_YEAR, compute + algorithmic)
    return ReferenceResult(
        years, factor, eff_abs, tot, cog, grp, first, g_c + g_a, g_h + g_a, lambda eff: shares(eff)[0] @ member
    )
