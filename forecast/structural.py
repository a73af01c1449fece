"""Structural limits on the largest training run: priors, their sources, and pure ``jnp`` paths.

The trend model fits the regression line of frontier runs. What is capped is the **largest**
run, ``largest_run_offset_oom`` above that line: its cost by a share of world GDP (approached
smoothly: spending growth slows to GDP growth over the last ``approach`` OOM below the cap), its
compute by a physical limit built from Epoch AI's 2030 constraints (reached along a straight
log10 line from where the data end, then growing at ``compute_limit_growth``). The priors are in
``priors/structural.toml`` with their sources; :func:`largest_run` is a pure function of per-path
trend draws and :class:`StructuralDraws`, one monthly step (:func:`month_step`) at a time, so
the Monte Carlo kernel can call the same step later. Levels are log10, rates OOM/yr, time
decimal years; arrays have the path axis last.

>>> round(float(capped_rate(jnp.array(0.0), jnp.array(1.0), 0.6, 0.0, 2.0)), 6)  # half-way into the taper
0.3
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Annotated, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import Field, model_validator

from forecast.config import StrictModel
from forecast.priors import PriorSet, load_priors
from forecast.resources import priors_path

DEFAULT_PRIORS = priors_path("structural.toml")
#: Cost of the largest run is in 2023 USD (the extract's unit); world GDP is anchored there.
GDP_BASE_YEAR = 2023.0
#: All structural priors are scalar (one draw per Monte Carlo path).
REQUIRED_PRIORS: dict[str, tuple[str, ...]] = {
    "largest_run_gdp_share_cap": (),
    "largest_run_cap_approach_oom": (),
    "largest_run_offset_oom": (),
    "log10_compute_limit_2030": (),
    "compute_limit_growth": (),
    "algorithmic_slowdown": (),
    "research_feedback": (),
    "hardware_gain_limit_oom": (),
}
#: Stands in for "no limit" in :func:`off_draws` (finite, so float32 kernels never see inf).
NO_LIMIT = 1.0e6
_Z90 = 1.2815515655446004  # standard normal 90% point: an 80% interval is +-_Z90 sd


class Constraint(StrictModel):
    """One Epoch AI 2030 constraint: median and 80% interval, in FLOP."""

    median: Annotated[float, Field(gt=0.0)]
    low: Annotated[float, Field(gt=0.0)]
    high: Annotated[float, Field(gt=0.0)]

    @model_validator(mode="after")
    def _ordered(self) -> Constraint:
        if not self.low < self.median < self.high:
            raise ValueError(f"need low < median < high (got {self.low}, {self.median}, {self.high})")
        return self


class StructuralSettings(StrictModel):
    """The ``[settings]`` table of ``priors/structural.toml``."""

    world_gdp_usd_2023: Annotated[float, Field(gt=1e13, lt=1e16)]
    gdp_growth_per_year: Annotated[float, Field(gt=-0.1, lt=0.3)]
    limit_year: Annotated[float, Field(ge=2020.0, le=2100.0)] = 2030.0
    physical_approach_oom: Annotated[float, Field(gt=0.0, le=5.0)] = 0.1
    hardware_limit_approach_oom: Annotated[float, Field(gt=0.0, le=5.0)] = 0.5
    offset_tolerance_oom: Annotated[float, Field(gt=0.0, le=2.0)]
    limit_tolerance_oom: Annotated[float, Field(gt=0.0, le=2.0)]
    constraint_correlation: Annotated[float, Field(ge=0.0, le=1.0)]
    epoch_2030: dict[str, Constraint]


class StructuralConstants(NamedTuple):
    """Float settings the jnp functions trace (changing them never recompiles)."""

    log10_gdp_base: float
    gdp_growth_oom: float
    limit_year: float
    physical_approach_oom: float
    hardware_limit_approach_oom: float = 0.5


class StructuralDraws(NamedTuple):
    """One structural draw per path; leaves ``(n,)``."""

    log10_gdp_share_cap: jax.Array
    cap_approach_oom: jax.Array
    offset_oom: jax.Array
    log10_limit_2030: jax.Array
    limit_growth: jax.Array
    algorithmic_slowdown: jax.Array
    research_feedback: jax.Array
    hardware_gain_limit_oom: jax.Array


class LargestRun(NamedTuple):
    """Yearly levels ``(n_years + 1, n)`` of the largest run and of the caps acting on it."""

    log10_cost: jax.Array
    log10_compute: jax.Array
    log10_cost_cap: jax.Array
    log10_compute_limit: jax.Array


def load_structural_priors(path: Path | None = None) -> PriorSet:
    """``priors/structural.toml`` (or ``path``) via :func:`forecast.priors.load_priors`.

    Raises
    ------
    ConfigError
        One line naming the file, the prior or setting, and the fix (did-you-mean for typos).
    """
    return load_priors(Path(path) if path is not None else DEFAULT_PRIORS, REQUIRED_PRIORS, settings=StructuralSettings)


def constants(settings: StructuralSettings) -> StructuralConstants:
    """The numeric settings of the jnp functions."""
    return StructuralConstants(
        math.log10(settings.world_gdp_usd_2023),
        math.log10(1.0 + settings.gdp_growth_per_year),
        settings.limit_year,
        settings.physical_approach_oom,
        settings.hardware_limit_approach_oom,
    )


def _raw_draws(priors: PriorSet, key, n: int) -> dict[str, np.ndarray]:
    keys = jax.random.split(key, len(REQUIRED_PRIORS))
    return {name: priors.sample(name, k, n) for name, k in zip(REQUIRED_PRIORS, keys, strict=True)}


def _as_draws(d: dict) -> StructuralDraws:
    return StructuralDraws(
        jnp.minimum(jnp.log10(jnp.asarray(d["largest_run_gdp_share_cap"])), 0.0),
        *(jnp.asarray(d[name]) for name in list(REQUIRED_PRIORS)[1:]),
    )


def sample_structural(priors: PriorSet, key, n: int) -> StructuralDraws:
    """``n`` prior draws of every structural quantity (the GDP share as log10, at most 0)."""
    return _as_draws(_raw_draws(priors, key, n))


def off_draws(n: int) -> StructuralDraws:
    """``n`` draws that switch every structural limit off (no cap, no limit, no slowdown, no feedback).

    The kernel runs one code path: a trend or reference scenario carries these, and its caps
    and rates are those of the scenario file alone.
    """
    full = functools.partial(np.full, n)
    return StructuralDraws(
        full(NO_LIMIT), full(1.0), full(0.0), full(NO_LIMIT), full(0.0), full(0.0), full(0.0), full(NO_LIMIT)
    )


#: A condition that keeps less than this share of the prior is refused as too narrow.
MIN_ACCEPTANCE = 1e-3


def structural_pool(
    priors: PriorSet, key, size: int, conditions=None, *, source: str = "scenario"
) -> tuple[StructuralDraws, float]:
    """``size`` prior draws that satisfy ``conditions``, and the prior probability of the condition.

    Parameters
    ----------
    priors
        :func:`load_structural_priors`.
    key
        PRNG key of the pool (batch ``i`` uses ``fold_in(key, i)``).
    size
        Pool size; every Monte Carlo path picks one draw of the pool.
    conditions
        ``{prior name: (low, high)}`` on the prior's own scale (either bound may be None): the
        scenario is the prior conditioned on all of them (rejection sampling, so exact).
    source
        Names the scenario file in errors.

    Raises
    ------
    ConfigError
        A condition on an unknown prior (with a did-you-mean hint), or one that keeps less than
        :data:`MIN_ACCEPTANCE` of the prior.
    """
    from forecast.errors import ConfigError, did_you_mean

    conditions = dict(conditions or {})
    for name in conditions:
        if name not in REQUIRED_PRIORS:
            raise ConfigError(
                f"{source}: condition on unknown structural prior '{name}'{did_you_mean(name, REQUIRED_PRIORS)}",
                f"use one of {', '.join(REQUIRED_PRIORS)}",
            )
    kept, seen, accepted, batch = [], 0, 0, max(size, 4096)
    for i in range(int(np.ceil(1.0 / MIN_ACCEPTANCE)) + 1):
        d = _raw_draws(priors, jax.random.fold_in(key, i), batch)
        ok = np.ones(batch, bool)
        for name, (lo, hi) in conditions.items():
            ok &= (d[name] >= lo if lo is not None else True) & (d[name] <= hi if hi is not None else True)
        seen, accepted = seen + batch, accepted + int(ok.sum())
        kept.append({k: v[ok] for k, v in d.items()})
        if accepted >= size:
            break
        if i >= 3 and accepted < MIN_ACCEPTANCE * seen:
            break
    if accepted < size:
        raise ConfigError(
            f"{source}: the conditions {conditions} keep {accepted} of {seen} structural prior draws",
            "widen the conditions (a scenario must keep at least 0.1% of the prior)",
        )
    pool = {k: np.concatenate([b[k] for b in kept])[:size] for k in REQUIRED_PRIORS}
    return _as_draws(pool), accepted / seen


# --------------------------------------------------------------------------------------------
# Pure jnp functions (kernel-ready)
# --------------------------------------------------------------------------------------------


def log10_gdp(t, c: StructuralConstants):
    """log10 world GDP (2023 USD) at decimal year ``t``: the base level growing at the real rate."""
    return c.log10_gdp_base + c.gdp_growth_oom * (t - GDP_BASE_YEAR)


def limit_path(t, start_year, start_level, log10_limit, growth, limit_year):
    """log10 FLOP of the physical limit at ``t``.

    A straight log10 line from the largest run where the data end (``start_level`` at
    ``start_year``) to the 2030 limit (never below the start: what was run was feasible), then
    growth at ``growth`` OOM/yr after ``limit_year``.
    """
    target = jnp.maximum(log10_limit, start_level)
    span = limit_year - start_year
    frac = jnp.where(span > 0, jnp.clip((t - start_year) / jnp.where(span > 0, span, 1.0), 0.0, 1.0), 1.0)
    return start_level + (target - start_level) * frac + growth * jnp.maximum(t - limit_year, 0.0)


def capped_rate(level, cap, free_rate, cap_rate, approach):
    """Growth rate of a level below a rising ceiling: full speed far from it, the ceiling's at it.

    ``cap_rate + (free_rate - cap_rate) * clip((cap - level) / approach, 0, 1)``, and
    ``free_rate`` itself when that is slower than the ceiling. Above the ceiling (a run that
    already exceeds it) the level grows with the ceiling and never shrinks.
    """
    head = jnp.clip((cap - level) / approach, 0.0, 1.0)
    return jnp.where(free_rate <= cap_rate, free_rate, cap_rate + (free_rate - cap_rate) * head)


def advance(level, rate, cap_now, cap_next, dt):
    """One Euler step that cannot cross the ceiling: a level at or below it stays at or below it."""
    new = level + rate * dt
    return jnp.where(level <= cap_now, jnp.minimum(new, cap_next), new)


def month_step(carry, k, *, trend, draws: StructuralDraws, c: StructuralConstants, start_year, start_compute):
    """Advance ``(log10_cost, log10_compute)`` of the largest run by one month, ``k`` -> ``k + 1``.

    Spending grows at the trend rate under the GDP-share cap; compute grows with it plus the
    trend's FLOP per dollar (``growth_compute - growth_spending``) under the physical limit; a
    run stopped by the limit costs what its compute costs.
    """
    cost, comp = carry
    dt = 1.0 / 12.0
    kf = jnp.asarray(k).astype(cost.dtype)  # the time in the carry's dtype (float32 on a GPU)
    t_now, t_next = start_year + kf * dt, start_year + (kf + 1.0) * dt
    cap_now, cap_next = (draws.log10_gdp_share_cap + log10_gdp(t, c) for t in (t_now, t_next))
    r_cost = capped_rate(cost, cap_now, trend.growth_spending, c.gdp_growth_oom, draws.cap_approach_oom)
    cost_free = advance(cost, r_cost, cap_now, cap_next, dt)
    flop_per_usd = trend.growth_compute - trend.growth_spending

    def lim(t):
        return limit_path(t, start_year, start_compute, draws.log10_limit_2030, draws.limit_growth, c.limit_year)

    lim_now, lim_next = lim(t_now), lim(t_next)
    r_comp = (cost_free - cost) / dt + flop_per_usd
    r_phys = capped_rate(comp, lim_now, r_comp, (lim_next - lim_now) / dt, c.physical_approach_oom)
    comp_next = advance(comp, r_phys, lim_now, lim_next, dt)
    return (cost_free - (comp + r_comp * dt - comp_next)).astype(cost.dtype), comp_next.astype(comp.dtype)


@functools.partial(jax.jit, static_argnames="n_years")
def largest_run(trend, draws: StructuralDraws, c: StructuralConstants, start_year: float, n_years: int) -> LargestRun:
    """Yearly log10 cost and compute of the largest run from ``start_year`` (where the data end).

    Parameters
    ----------
    trend
        Per-path trend draws with ``growth_spending``, ``growth_compute``, ``log10_spending_ref``,
        ``log10_compute_ref`` ``(n,)`` and ``ref_year`` (e.g. :class:`forecast.posterior.TrendDraws`).
    draws
        Per-path structural draws.
    c
        :func:`constants` of the settings.
    start_year, n_years
        Base date and number of years (static: one compilation per horizon); outputs are at
        ``start_year + 0 .. n_years``.

    Returns
    -------
    LargestRun
        Starting at the regression line + offset; afterwards the cost never exceeds the
        GDP-share cap (when it starts below it) and the compute never exceeds the limit path.
    """
    since = start_year - trend.ref_year
    cost0 = jnp.asarray(trend.log10_spending_ref + trend.growth_spending * since + draws.offset_oom)
    comp0 = jnp.asarray(trend.log10_compute_ref + trend.growth_compute * since + draws.offset_oom)
    step = functools.partial(month_step, trend=trend, draws=draws, c=c, start_year=start_year, start_compute=comp0)

    def year(carry, y):
        carry = jax.lax.fori_loop(0, 12, lambda j, s: step(s, y * 12 + j), carry)
        return carry, carry

    _, (cost, comp) = jax.lax.scan(year, (cost0, comp0), jnp.arange(n_years))
    years = start_year + (12.0 * jnp.arange(n_years + 1, dtype=cost0.dtype)[:, None]) * (1.0 / 12.0)  # as the steps
    return LargestRun(
        jnp.concatenate([cost0[None], cost], axis=0),
        jnp.concatenate([comp0[None], comp], axis=0),
        draws.log10_gdp_share_cap + log10_gdp(years, c),
        limit_path(years, start_year, comp0, draws.log10_limit_2030, draws.limit_growth, c.limit_year),
    )


def algorithmic_rate(rate, slowdown, t, start_year):
    """Algorithmic rate at ``t``: ``rate * exp(slowdown * (t - start_year) / 10)`` (fitted before the start).

    Only a positive rate drifts: "acceleration" of a (rare, 0.1% of draws) negative fitted rate
    would make algorithms regress faster, which the prior does not mean.
    """
    drift = jnp.exp(slowdown * jnp.maximum(t - start_year, 0.0) / 10.0)
    return rate * jnp.where(rate > 0, drift, 1.0)


def algorithmic_oom(rate, slowdown, t, start_year):
    """OOM of algorithmic efficiency gained from ``start_year`` to ``t`` (closed form of the above)."""
    dt = jnp.maximum(t - start_year, 0.0)
    small = jnp.abs(slowdown) < 1e-6
    s = jnp.where(small, 1.0, slowdown)
    drifted = jnp.where(small, rate * dt * (1.0 + slowdown * dt / 20.0), rate * 10.0 * jnp.expm1(s * dt / 10.0) / s)
    return jnp.where(rate > 0, drifted, rate * dt)


# --------------------------------------------------------------------------------------------
# Where the priors come from (NumPy; recomputed by the tests)
# --------------------------------------------------------------------------------------------


def record_residuals(years, values) -> np.ndarray:
    """Residuals about the least-squares line of every record-setting run (largest to date)."""
    years, values = np.asarray(years, dtype=float), np.asarray(values, dtype=float)
    slope, intercept = np.polyfit(years, values, 1)
    record = values >= np.maximum.accumulate(values)
    return (values - (intercept + slope * years))[record]


class OffsetEstimate(NamedTuple):
    """Record-run offsets from the regression line: per series (median, sd, n) and pooled."""

    per_series: dict
    pooled: float
    standard_error: float


def largest_run_offset(frames) -> OffsetEstimate:
    """Offset of the largest run above the regression line, from the frontier compute and cost rows.

    Per series, the median residual of record-setting runs; pooled with weights
    ``1 / se**2``, ``se = 1.25 sd / sqrt(n)`` (the standard error of a median).
    """
    per, weights = {}, []
    for name in ("compute", "spending"):
        df = frames.frames()[name]
        r = record_residuals(df["year"].to_numpy(), df["log10_value"].to_numpy())
        per[name] = (float(np.median(r)), float(np.std(r, ddof=1)), len(r))
        weights.append(len(r) / (1.25 * per[name][1]) ** 2)
    w = np.asarray(weights)
    pooled = float(np.sum(w * np.array([per[k][0] for k in per])) / w.sum())
    return OffsetEstimate(per, pooled, float(1.0 / np.sqrt(w.sum())))


def epoch_limit_quantiles(settings: StructuralSettings, probs=(0.05, 0.5, 0.95), n: int = 400_000, seed: int = 0):
    """Quantiles of the binding 2030 limit (log10 FLOP) and how often each constraint binds.

    Each constraint is a split normal in log10 (median; 80% interval as its 10% / 90% points);
    the limit is their minimum under an equicorrelated Gaussian copula.
    """
    rng = np.random.default_rng(seed)
    rho = settings.constraint_correlation
    z = math.sqrt(rho) * rng.standard_normal((1, n)) + math.sqrt(1.0 - rho) * rng.standard_normal(
        (len(settings.epoch_2030), n)
    )
    levels = []
    for zi, con in zip(z, settings.epoch_2030.values(), strict=True):
        m, lo, hi = np.log10([con.median, con.low, con.high])
        levels.append(np.where(zi < 0, m + zi * (m - lo) / _Z90, m + zi * (hi - m) / _Z90))
    levels = np.asarray(levels)
    binds = np.bincount(levels.argmin(axis=0), minlength=len(levels)) / n
    return np.quantile(levels.min(axis=0), probs), dict(zip(settings.epoch_2030, binds.tolist(), strict=True))


__all__ = [
    "DEFAULT_PRIORS",
    "MIN_ACCEPTANCE",
    "NO_LIMIT",
    "REQUIRED_PRIORS",
    "LargestRun",
    "OffsetEstimate",
    "StructuralConstants",
    "StructuralDraws",
    "StructuralSettings",
    "advance",
    "algorithmic_oom",
    "algorithmic_rate",
    "capped_rate",
    "constants",
    "epoch_limit_quantiles",
    "largest_run",
    "largest_run_offset",
    "limit_path",
    "load_structural_priors",
    "log10_gdp",
    "month_step",
    "off_draws",
    "record_residuals",
    "sample_structural",
    "structural_pool",
]
