"""A synthetic trend posterior with the fitted model's layout, for tests and benchmarks.

Kept out of the package: it stands in for ``forecast fit`` where a test or a benchmark needs a
posterior without paying for a NUTS fit.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.automation import AutomationParams, AutomationPosterior, cell_data
from forecast.occupations import load_occupations
from forecast.tasks import load_task_evidence
from forecast.units import doubling_months
from forecast.vocab import GROWTH_COMPONENTS


def synthetic_posterior(key, n_chains: int, n_draws: int):
    """A posterior DataTree with the fitted model's layout, for tests and benchmarks.

    Centred on the posterior fitted to the packaged extract (seed 0, the model of issue 11):
    compute 0.663, spending 0.538, hardware 0.097, algorithmic (language domain) 0.362 OOM/yr,
    ``log10_compute_ref`` 22.57 and ``log10_spending_ref`` 5.13 at 2020.0, with the fitted
    posterior sds. Compute is drawn
    directly and the identity gap is the remainder, because in the fit compute is pinned
    (sd 0.013) while hardware and gap trade off against each other.

    Parameters
    ----------
    key
        JAX PRNG key.
    n_chains, n_draws
        Shape of the (chain, draw) grid.
    """
    import jax

    keys = jax.random.split(key, 6)
    shape = (n_chains, n_draws)

    def normal(k, mean, sd):
        return mean + sd * np.asarray(jax.random.normal(k, shape, dtype="float64"))

    spending = normal(keys[0], 0.538, 0.018)
    hardware = normal(keys[1], 0.097, 0.022)
    compute = normal(keys[2], 0.663, 0.013)
    gap = compute - spending - hardware
    algorithmic = normal(keys[3], 0.362, 0.133)
    growth = np.stack([compute, spending, hardware, algorithmic], axis=-1)
    coords = {"chain": np.arange(n_chains), "draw": np.arange(n_draws), "component": list(GROWTH_COMPONENTS)}
    posterior = xr.Dataset(
        {
            "growth": (("chain", "draw", "component"), growth, {"units": "OOM/yr"}),
            "identity_gap": (("chain", "draw"), gap, {"units": "OOM/yr"}),
            "doubling_months": (("chain", "draw", "component"), doubling_months(growth)),
            "log10_compute_ref": (("chain", "draw"), normal(keys[4], 22.57, 0.05)),
            "log10_spending_ref": (("chain", "draw"), normal(keys[5], 5.13, 0.07)),
        },
        coords=coords,
    )
    dt = xr.DataTree.from_dict({"posterior": posterior})
    dt.attrs.update({"ref_year": 2020.0, "run_id": "synthetic"})
    return dt


def fake_automation(seed: int = 0, n_draws: int = 64) -> AutomationPosterior:
    """An :class:`AutomationPosterior` over the packaged groups and task classes, without fitting.

    Requirements are drawn from plausible ranges (cognitive cells ~3 OOM beyond the label-date
    frontier, physical ones ~2 OOM later, width ~1.5 OOM), so tests of the engine, plots and
    report need no NUTS run.
    """
    occ = load_occupations()
    evidence = load_task_evidence(groups=list(occ["group"]))
    cells = cell_data(occ, evidence)
    rng = np.random.default_rng(seed)
    n_cells = len(cells.group)
    offset = rng.normal(3.0, 1.0, (n_draws, len(occ)))[:, cells.group] + 2.0 * cells.physical
    width = np.broadcast_to(rng.lognormal(np.log(1.5), 0.2, (n_draws, 1)), (n_draws, n_cells)).copy()
    emp = occ["employment"].to_numpy(dtype="float64", copy=True)
    return AutomationPosterior(
        params=AutomationParams(offset, width, np.ones((n_draws, n_cells))),
        cell_weight=np.asarray(cells.weight),
        cell_group=np.asarray(cells.group),
        cell_cognitive=np.asarray(cells.physical) == 0,
        groups=tuple(occ["group"]),
        titles=tuple(occ["title"]),
        task_types=tuple(occ["task_type"]),
        group_weight=emp / emp.sum(),
        anchor_year=2023.2,
        exposure_lead_oom=rng.lognormal(np.log(3.0), 0.2, n_draws),
        exposure_noise_oom=rng.lognormal(np.log(0.5), 0.2, n_draws),
        cognitive_requirement_oom=np.sort(rng.normal([2.0, 3.5, 8.0], 0.5, (n_draws, 3)), axis=1),
    )


__all__ = ["fake_automation", "synthetic_posterior"]
