"""Small synthetic inputs for the plot and report tests (no NUTS: the automation curves are drawn
directly from plausible ranges, the trend posterior is :func:`forecast.simulate.synthetic_posterior`)."""

from __future__ import annotations

import functools

import jax
import numpy as np

from forecast.automation import AutomationParams, AutomationPosterior, load_occupations
from forecast.simulate import load_scenario, simulate, synthetic_posterior

SCENARIOS = ("trend", "conservative", "central", "explosive")


def fake_automation(seed: int = 0, n_draws: int = 64) -> AutomationPosterior:
    """An :class:`AutomationPosterior` over the packaged occupation groups, without calibration."""
    occ = load_occupations()
    rng = np.random.default_rng(seed)
    n = len(occ)
    physical = occ["physical"].to_numpy(dtype="bool", copy=True)
    threshold = rng.normal(26.0, 0.5, (n_draws, n)) + 2.0 * physical
    emp = occ["employment"].to_numpy(dtype="float64", copy=True)
    return AutomationPosterior(
        params=AutomationParams(threshold, rng.lognormal(np.log(1.0), 0.2, (n_draws, n)),
                                rng.beta(8.0, 2.0, (n_draws, n))),
        employment_weight=emp / emp.sum(),
        tools_extra_oom=rng.normal(2.0, 0.5, n_draws),
        groups=tuple(occ["group"]), titles=tuple(occ["title"]), task_types=tuple(occ["task_type"]),
        physical=physical, log10_eff_2023=25.3,
    )


@functools.cache
def small_inputs(seed: int = 0, paths: int = 2000, until_year: int = 2034):
    """``(posterior_dt, {scenario: simulate result}, automation)`` for the four preset scenarios.

    Cached: the plot and report tests share one set per session (callers must not mutate it).
    """
    dt = synthetic_posterior(jax.random.key(seed), 2, 200)
    auto = fake_automation(seed)
    sims = {name: simulate(dt, load_scenario(name), auto, paths=paths, until_year=until_year,
                           key=jax.random.key(seed + 1), chunk_size=paths)
            for name in SCENARIOS}
    return dt, sims, auto
