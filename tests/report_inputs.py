"""Small synthetic inputs for the plot and report tests (no NUTS: the automation curves are drawn
directly from plausible ranges, the trend posterior is :func:`tests.synthetic.synthetic_posterior`)."""

from __future__ import annotations

import functools

import jax

from forecast.scenarios import load_scenario
from forecast.simulate import simulate
from tests.synthetic import fake_automation, synthetic_posterior

SCENARIOS = ("trend", "conservative", "central", "explosive")


@functools.cache
def small_inputs(seed: int = 0, paths: int = 2000, until_year: int = 2034):
    """``(posterior_dt, {scenario: simulate result}, automation)`` for the four preset scenarios.

    Cached: the plot and report tests share one set per session (callers must not mutate it).
    """
    dt = synthetic_posterior(jax.random.key(seed), 2, 200)
    auto = fake_automation(seed)
    sims = {
        name: simulate(
            dt,
            load_scenario(name),
            auto,
            paths=paths,
            until_year=until_year,
            key=jax.random.key(seed + 1),
            chunk_size=paths,
        )
        for name in SCENARIOS
    }
    return dt, sims, auto
