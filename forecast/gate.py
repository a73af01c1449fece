"""The convergence gate: one verdict type, built on ``arviz_stats`` diagnostics.

A fit passes when every gated quantity has rank-normalised R-hat <= 1.01 (arviz's ``"rank"``
method is already the maximum of the bulk and the folded split R-hat), bulk and tail ESS >= 100
per chain, no divergent transition after warm-up, E-BFMI >= 0.3 in every chain and at most 1% of
transitions at the maximum tree depth (Vehtari et al. 2021; CmdStan's ``diagnose``). With one
chain R-hat is undefined, so the gate cannot pass and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class ConvergenceGate:
    """Thresholds of the gate."""

    rhat_max: float = 1.01
    ess_per_chain_min: float = 100.0
    bfmi_min: float = 0.3
    max_divergences: int = 0
    max_treedepth_share: float = 0.01


class ConvergenceVerdict(BaseModel):
    """What the gate found: the one shape in which a convergence verdict travels.

    Written into run manifests (without ``table``), shown by ``forecast diagnose`` and the
    report. ``table`` holds the per-quantity diagnostics when the verdict was just computed.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    passed: bool
    failures: list[str]
    chains: int
    divergences: int
    treedepth_share: float
    bfmi: list[float]
    table: pd.DataFrame | None = Field(default=None, exclude=True, repr=False)


def convergence_table(dt, var_names) -> pd.DataFrame:
    """Per-quantity median, 90% interval, R-hat (rank), bulk and tail ESS, from ``arviz.summary``.

    Index: arviz's labels, e.g. ``growth[compute]``; columns ``mean, sd, q05, median, q95, rhat,
    ess_bulk, ess_tail``.
    """
    import arviz as az

    present = [v for v in var_names if v in dt["posterior"]]
    common = {"var_names": present, "ci_prob": 0.9, "ci_kind": "eti", "round_to": "none"}
    stats = az.summary(dt, kind="all", **common)
    medians = az.summary(dt, kind="all_median", **common)["median"]
    table = pd.DataFrame(
        {
            "mean": stats["mean"],
            "sd": stats["sd"],
            "q05": stats["eti90_lb"],
            "median": medians,
            "q95": stats["eti90_ub"],
            "rhat": stats["r_hat"],
            "ess_bulk": stats["ess_bulk"],
            "ess_tail": stats["ess_tail"],
        }
    )
    table.index.name = "quantity"
    return pd.DataFrame(table)


def check_convergence(
    dt, var_names, *, gate: ConvergenceGate = ConvergenceGate(), max_tree_depth: int = 10
) -> ConvergenceVerdict:
    """Apply the gate to a fitted DataTree (groups ``posterior`` and ``sample_stats``).

    Parameters
    ----------
    dt
        The fit.
    var_names
        Posterior variables to gate (parameters and the derived quantities users read).
    gate
        Thresholds.
    max_tree_depth
        The sampler's maximum tree depth (a transition at ``2**depth - 1`` leapfrog steps hit it).

    Returns
    -------
    ConvergenceVerdict
        With ``table`` filled in.
    """
    import arviz as az

    chains = int(dt["posterior"].sizes["chain"])
    table = convergence_table(dt, var_names)
    stats = dt["sample_stats"].to_dataset()
    divergences = int(stats["diverging"].sum()) if "diverging" in stats else 0
    saturated = 2**max_tree_depth - 1
    treedepth_share = float((stats["num_steps"] >= saturated).mean()) if "num_steps" in stats else 0.0
    bfmi = [float(b) for b in np.atleast_1d(az.bfmi(dt)["energy"].values)] if "energy" in stats else []

    failures = []
    if chains < 2:
        failures.append(f"R-hat needs at least 2 chains (ran {chains}); convergence cannot be checked")
    ess_min = gate.ess_per_chain_min * chains
    for quantity, row in table.iterrows():
        if chains >= 2 and not row["rhat"] <= gate.rhat_max:
            failures.append(f"{quantity}: R-hat {row['rhat']:.3f} > {gate.rhat_max}")
        worst = min(row["ess_bulk"], row["ess_tail"])
        if not worst >= ess_min:
            failures.append(f"{quantity}: ESS {worst:.0f} < {ess_min:.0f}")
    if divergences > gate.max_divergences:
        failures.append(f"{divergences} divergent transitions after warm-up")
    if treedepth_share > gate.max_treedepth_share:
        failures.append(f"{treedepth_share:.1%} of transitions hit max tree depth {max_tree_depth}")
    for c, b in enumerate(bfmi):
        if b < gate.bfmi_min:
            failures.append(f"chain {c}: E-BFMI {b:.2f} < {gate.bfmi_min}")
    return ConvergenceVerdict(
        passed=not failures,
        failures=failures,
        chains=chains,
        divergences=divergences,
        treedepth_share=treedepth_share,
        bfmi=bfmi,
        table=table,
    )


__all__ = ["ConvergenceGate", "ConvergenceVerdict", "check_convergence", "convergence_table"]
