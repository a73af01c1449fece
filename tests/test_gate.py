"""The convergence gate on known-good and known-bad draws (calibration.md CONV-2/3)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.gate import ConvergenceVerdict, check_convergence, convergence_table


def fit_like(draws: np.ndarray, *, diverging=None, energy=None, num_steps=None) -> xr.DataTree:
    """A DataTree shaped like a fit: ``draws`` (chain, draw) as ``theta``, plus sampler stats."""
    chains, n = draws.shape
    rng = np.random.default_rng(1)
    stats = {
        "diverging": (("chain", "draw"), np.zeros((chains, n), bool) if diverging is None else diverging),
        "energy": (("chain", "draw"), rng.normal(size=(chains, n)) if energy is None else energy),
        "num_steps": (("chain", "draw"), np.full((chains, n), 7) if num_steps is None else num_steps),
    }
    coords = {"chain": np.arange(chains), "draw": np.arange(n)}
    return xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"theta": (("chain", "draw"), draws)}, coords=coords),
            "sample_stats": xr.Dataset(stats, coords=coords),
        }
    )


def iid(chains=4, n=500, seed=0):
    return np.random.default_rng(seed).normal(size=(chains, n))


def test_iid_draws_pass():
    v = check_convergence(fit_like(iid()), ["theta"])
    assert isinstance(v, ConvergenceVerdict) and v.passed and v.failures == []
    assert v.chains == 4 and len(v.bfmi) == 4 and all(b > 1.5 for b in v.bfmi)  # iid energy: E-BFMI ~ 2
    assert set(v.table.columns) == {"mean", "sd", "q05", "median", "q95", "rhat", "ess_bulk", "ess_tail"}


def test_a_stuck_chain_fails_on_rhat():
    draws = iid()
    draws[0] += 3.0
    v = check_convergence(fit_like(draws), ["theta"])
    assert not v.passed and any("R-hat" in f for f in v.failures)


def test_autocorrelated_draws_fail_on_ess():
    rng = np.random.default_rng(2)
    walk = np.cumsum(rng.normal(size=(4, 500)), axis=1) * 0.05  # random walks: tiny ESS
    v = check_convergence(fit_like(walk), ["theta"])
    assert any("ESS" in f for f in v.failures)


def test_divergences_treedepth_and_bfmi_are_flagged():
    diverging = np.zeros((4, 500), bool)
    diverging[1, 10] = True
    steps = np.full((4, 500), 1023)  # every transition at max depth 10
    energy = np.cumsum(np.random.default_rng(3).normal(size=(4, 500)), axis=1)  # low E-BFMI
    v = check_convergence(fit_like(iid(), diverging=diverging, energy=energy, num_steps=steps), ["theta"])
    text = " ".join(v.failures)
    assert "1 divergent transitions" in text and "max tree depth" in text and "E-BFMI" in text


def test_one_chain_cannot_pass_and_says_why():
    v = check_convergence(fit_like(iid(chains=1, n=2000)), ["theta"])
    assert not v.passed and "at least 2 chains" in v.failures[0]


def test_rank_rhat_is_the_max_of_bulk_and_folded():
    """arviz's rank R-hat already covers the folded (tail) version: a scale difference is caught."""
    draws = iid()
    draws[0] *= 3.0  # same location, different scale: only the folded R-hat sees it
    table = convergence_table(fit_like(draws), ["theta"])
    assert table.loc["theta", "rhat"] > 1.01


def test_verdict_round_trips_without_the_table():
    v = check_convergence(fit_like(iid()), ["theta"])
    back = ConvergenceVerdict.model_validate_json(v.model_dump_json())
    assert back.table is None and back.model_dump() == v.model_dump()
