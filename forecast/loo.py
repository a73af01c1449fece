"""PSIS-LOO comparison of model variants on the same observation units.

Leave-one-out compares models only when every variant leaves out the same things. A model
with one bivariate likelihood per frontier model (compute and cost together) and a model with
separate compute and cost likelihoods have different log-likelihood elements, but the same
*units* once the elements of one model are summed. :func:`unit_log_likelihood` does that sum
(the labels come from :func:`forecast.model.observation_units`), and :func:`loo_table` checks
that every variant has exactly the same units before it calls ``arviz_stats.compare``
(PSIS-LOO, Vehtari, Gelman & Gabry 2017).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["loo_table", "unit_log_likelihood"]

#: The one log-likelihood variable of :func:`unit_log_likelihood`'s output, and its dim.
UNIT_VAR, UNIT_DIM = "units", "unit"


def unit_log_likelihood(dt: xr.DataTree, units: Mapping[str, Sequence[str]]) -> xr.DataTree:
    """Pointwise log-likelihood summed into observation units.

    Parameters
    ----------
    dt
        A fit with ``posterior`` and ``log_likelihood`` groups (``forecast fit`` writes both).
    units
        ``{site: labels}``: one unit label per element of each listed log-likelihood variable
        (elements in C order of its non-sample dims). Elements with the same label are summed;
        sites not listed are left out.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` (as given) and ``log_likelihood`` with one variable ``units``
        ``(chain, draw, unit)``, units sorted by label.

    Raises
    ------
    ValueError
        A listed site is missing or its label count differs from its element count.
    """
    ll = dt["log_likelihood"]
    blocks, labels = [], []
    for site, site_labels in units.items():
        if site not in ll:
            raise ValueError(f"log_likelihood has no variable '{site}'; it has {sorted(ll.data_vars)}")
        da = ll[site].transpose("chain", "draw", ...)
        arr = np.asarray(da.values, dtype=np.float64)
        arr = arr.reshape(*arr.shape[:2], -1)
        if arr.shape[-1] != len(site_labels):
            raise ValueError(f"'{site}' has {arr.shape[-1]} elements but {len(site_labels)} unit labels")
        blocks.append(arr)
        labels.extend(site_labels)
    names, index = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    stacked = np.concatenate(blocks, axis=-1)
    summed = np.zeros((*stacked.shape[:2], len(names)))
    np.add.at(summed, (slice(None), slice(None), index), stacked)
    chain, draw = ll["chain"].values, ll["draw"].values
    da = xr.DataArray(summed, dims=("chain", "draw", UNIT_DIM), coords={"chain": chain, "draw": draw, UNIT_DIM: names})
    return xr.DataTree.from_dict(
        {"posterior": dt["posterior"].to_dataset(), "log_likelihood": xr.Dataset({UNIT_VAR: da})}
    )


def loo_table(fits: Mapping[str, xr.DataTree], units: Mapping[str, Mapping[str, Sequence[str]]]) -> pd.DataFrame:
    """PSIS-LOO of each variant on the same observation units, ranked by ELPD.

    Parameters
    ----------
    fits
        ``{variant: fit}``.
    units
        ``{variant: {site: labels}}`` for :func:`unit_log_likelihood`; every variant must end
        up with the same set of units.

    Returns
    -------
    pandas.DataFrame
        Indexed by variant, best first: ``elpd_loo``, ``se``, ``elpd_diff`` (against the best),
        ``dse`` (standard error of the difference), ``p_loo``, ``weight`` (stacking),
        ``n_units``, ``max_khat`` and ``n_khat_over_0.7`` (Pareto k diagnostics).

    Raises
    ------
    ValueError
        When the variants' observation units differ.
    """
    import arviz as az

    per = {name: unit_log_likelihood(fits[name], units[name]) for name in fits}
    reference = None
    for name, dt in per.items():
        got = set(dt["log_likelihood"][UNIT_DIM].values.tolist())
        if reference is None:
            reference = (name, got)
        elif got != reference[1]:
            diff = sorted(got ^ reference[1])
            raise ValueError(
                f"variants '{reference[0]}' and '{name}' have different observation units "
                f"({len(diff)} differ, e.g. {diff[:3]}); LOO compares only the same units"
            )
    loos = {name: az.loo(dt, pointwise=True) for name, dt in per.items()}
    table = az.compare(loos, method="stacking", round_to="none")
    out = pd.DataFrame(
        {
            "elpd_loo": table["elpd"],
            "se": table["se"],
            "elpd_diff": table["elpd_diff"],
            "dse": table["dse"],
            "p_loo": table["p"],
            "weight": table["weight"],
        }
    )
    out["n_units"] = [len(reference[1])] * len(out)
    out["max_khat"] = [float(np.max(loos[n].pareto_k)) for n in out.index]
    out["n_khat_over_0.7"] = [int((np.asarray(loos[n].pareto_k) > 0.7).sum()) for n in out.index]
    out.index.name = "variant"
    return out
