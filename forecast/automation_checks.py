"""Checks of the automation model: posterior predictive checks of the task evidence, the observed-use
check, and simulation-based calibration (SBC) with a mutant it must reject.

- :func:`label_check`: for each group and instrument (exposure, GPT-4 automation level T3+T4,
  observed use), the observed share of the group's tasks beside the posterior predictive 90%
  interval of that share (a new set of labels for the same tasks).
- :func:`run_sbc`: draws requirement distributions and task evidence from the prior (cells of the
  real data, counts scaled by ``scale``), fits each simulated data set with NUTS (vmapped
  functional API, chunked as in :mod:`forecast.calibrate`) and tests the ranks of the test
  quantities for uniformity (:mod:`forecast.ranks`). ``mutant="no_between_groups"`` simulates
  every group with the same requirement while the fitted model estimates the spread: SBC must
  reject it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from forecast.automation import INSTRUMENTS, LATENT_SITES, AutomationFit, CellData, automation_model, cell_data
from forecast.priors import PriorSet
from forecast.ranks import rank_statistics, test_table

#: Test quantities of the automation SBC (scalars of the posterior; ``log_lik`` of the simulated data).
SBC_QUANTITIES = (
    "requirement_full_oom",
    "flop_gap_oom",
    "between_group_share",
    "robotics_lag_oom",
    "exposure_lead_oom",
    "level_noise_oom",
    "use_detection",
    "width_oom",
    "cognitive_50_oom",
    "group_offset_first",
    "group_offset_last",
    "log_lik",
)
_LATENT = (*LATENT_SITES, "group_z", "growth_label_to_use")


def _without_outcomes(cells: CellData) -> CellData:
    return cells._replace(exposed=None, levels=None, use_seen=None)


def _posterior_samples(fit: AutomationFit) -> dict:
    post = fit.datatree["posterior"].to_dataset()
    names = [k for k in (*_LATENT, "automatable_cap") if k in post]
    return {k: np.asarray(post[k].values).reshape(-1, *post[k].shape[2:]) for k in names}


def label_check(
    fit: AutomationFit,
    occupations: pd.DataFrame,
    evidence: pd.DataFrame,
    priors: PriorSet,
    *,
    key,
    max_draws: int = 1000,
) -> pd.DataFrame:
    """Observed task-evidence shares per group beside their posterior predictive 90% intervals.

    Returns
    -------
    pandas.DataFrame
        One row per (group, instrument): ``group, title, instrument, n, observed, q05, q50, q95, inside``;
        shares are of the group's tasks (cognitive and physical cells summed); ``automation_level``
        is the share rated T3 or T4.
    """
    import jax.numpy as jnp
    from numpyro.infer import Predictive

    cells = cell_data(occupations, evidence)
    samples = {k: jnp.asarray(v[:max_draws]) for k, v in _posterior_samples(fit).items()}
    growth = tuple(fit.datatree.attrs["growth_label_to_use"])
    arrays = _without_outcomes(CellData(*(jnp.asarray(a) if a is not None else None for a in cells)))
    sites = ["obs_exposed", "obs_levels", "obs_use"]
    pred = Predictive(automation_model, samples, return_sites=sites)(
        key, arrays, growth, priors=priors, n_groups=len(occupations)
    )
    gi = np.asarray(cells.group)
    n_groups = len(occupations)

    def by_group(values):  # (draws, C) -> (draws, G)
        return np.stack([values[..., gi == g].sum(axis=-1) for g in range(n_groups)], axis=-1)

    levels = np.asarray(pred["obs_levels"])
    simulated = {
        "exposure": by_group(np.asarray(pred["obs_exposed"])),
        "automation_level": by_group(levels[..., 3] + levels[..., 4]),
        "observed_use": by_group(np.asarray(pred["obs_use"])),
    }
    observed = {
        "exposure": by_group(np.asarray(cells.exposed)),
        "automation_level": by_group(np.asarray(cells.levels)[:, 3] + np.asarray(cells.levels)[:, 4]),
        "observed_use": by_group(np.asarray(cells.use_seen)),
    }
    totals = {
        "exposure": by_group(np.asarray(cells.n_tasks)),
        "automation_level": by_group(np.asarray(cells.n_tasks)),
        "observed_use": by_group(np.asarray(cells.use_n)),
    }
    rows = []
    for instrument in INSTRUMENTS:
        n = np.where(totals[instrument] > 0, totals[instrument], 1.0)
        share = simulated[instrument] / n
        q05, q50, q95 = np.quantile(share, [0.05, 0.5, 0.95], axis=0)
        obs = observed[instrument] / n
        for g, group in enumerate(occupations["group"]):
            rows.append(
                {
                    "group": group,
                    "title": occupations["title"].iloc[g],
                    "instrument": instrument,
                    "n": int(totals[instrument][g]),
                    "observed": float(obs[g]),
                    "q05": float(q05[g]),
                    "q50": float(q50[g]),
                    "q95": float(q95[g]),
                    "inside": bool(q05[g] - 1e-12 <= obs[g] <= q95[g] + 1e-12),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Simulation-based calibration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AutomationSBCConfig:
    """Settings of the automation SBC (defaults sized for CI on 2 CPU cores)."""

    simulations: int = 100
    warmup: int = 200
    draws: int = 200
    thin: int = 2
    chunk_size: int = 25
    scale: float = 0.1
    #: Every ``group_stride``-th occupation group enters the simulated design (1: all 22). The model
    #: is the same for any design; a smaller one keeps CI's SBC within its time budget.
    group_stride: int = 1
    target_accept: float = 0.9
    max_tree_depth: int = 6
    bins: int = 10
    family_alpha: float = 0.01

    @property
    def num_ranks(self) -> int:
        """``L``, the thinned posterior draws per fit."""
        return self.draws // self.thin


@dataclass
class AutomationSBCResult:
    """Ranks, randomised PIT, uniformity tests and per-fit diagnostics of :func:`run_sbc`."""

    ranks: pd.DataFrame
    pit: pd.DataFrame
    tests: pd.DataFrame
    fits: pd.DataFrame
    timing: dict

    @property
    def passed(self) -> bool:
        """Every quantity passes both uniformity tests at the Bonferroni-corrected level."""
        return bool(self.tests["passed"].all())

    @property
    def failures(self) -> list[str]:
        """Failing quantities with their p-values."""
        bad = self.tests.loc[~self.tests["passed"]]
        return [f"{q}: chi2 p={r.chi2_p:.2e}, KS p={r.ks_p:.2e}" for q, r in bad.iterrows()]


def sbc_cells(occupations: pd.DataFrame, evidence: pd.DataFrame, scale: float) -> CellData:
    """The real data's cells with task counts scaled by ``scale`` (at least one task where there were any)."""
    cells = cell_data(occupations, evidence)

    def shrink(n):
        return np.where(n > 0, np.maximum(1, np.round(scale * n)), 0).astype("int64")

    return _without_outcomes(cells._replace(n_tasks=shrink(cells.n_tasks), use_n=shrink(cells.use_n)))


def _quantities(samples: dict) -> dict:
    return {
        **{k: samples[k] for k in SBC_QUANTITIES[:8]},
        "cognitive_50_oom": samples["cognitive_requirement_oom"][..., 1],
        "group_offset_first": samples["group_offset_oom"][..., 0],
        "group_offset_last": samples["group_offset_oom"][..., -1],
    }


def _make_fitter(priors, cfg: AutomationSBCConfig, n_groups: int, growth):
    import jax
    from numpyro.infer import init_to_sample
    from numpyro.infer.hmc import hmc
    from numpyro.infer.util import initialize_model, log_likelihood
    from numpyro.util import fori_collect

    model = partial(automation_model, priors=priors, n_groups=n_groups, growth_label_to_use=growth)

    def one(key, cells):
        k_init, k_run = jax.random.split(key)
        init, potential_gen, postprocess_gen, _ = initialize_model(
            # a prior draw, not init_to_median: the median's 15 model evaluations doubled the compile time
            k_init,
            model,
            model_args=(cells,),
            dynamic_args=True,
            init_strategy=init_to_sample,
        )
        init_kernel, sample_kernel = hmc(potential_fn_gen=potential_gen, algo="NUTS")
        state = init_kernel(
            init.z,
            num_warmup=cfg.warmup,
            target_accept_prob=cfg.target_accept,
            max_tree_depth=cfg.max_tree_depth,
            dense_mass=True,
            model_args=(cells,),
            rng_key=k_run,
        )
        z, diverging = fori_collect(
            cfg.warmup,
            cfg.warmup + cfg.draws,
            lambda s: sample_kernel(s, model_args=(cells,)),
            state,
            transform=lambda s: (s.z, s.diverging),
            progbar=False,
        )
        z = jax.tree.map(lambda a: a[cfg.thin - 1 :: cfg.thin], z)
        samples = jax.vmap(postprocess_gen(cells))(z)
        q = _quantities(samples)
        ll = log_likelihood(model, {k: samples[k] for k in _LATENT if k in samples}, cells)
        q["log_lik"] = sum(v.reshape(v.shape[0], -1).sum(axis=1) for v in ll.values())
        return q, diverging.sum()

    axes = CellData(None, None, None, None, 0, 0, None, 0)
    return jax.jit(jax.vmap(one, in_axes=(0, axes)))


def run_sbc(
    occupations: pd.DataFrame,
    evidence: pd.DataFrame,
    priors: PriorSet,
    growth: tuple[float, float],
    *,
    key,
    config: AutomationSBCConfig = AutomationSBCConfig(),
    mutant: str | None = None,
    progress=None,
) -> AutomationSBCResult:
    """Simulation-based calibration of the automation model.

    Parameters
    ----------
    occupations, evidence
        The real layout (groups, cells, task counts scaled by ``config.scale``).
    priors
        From :func:`forecast.automation.load_automation_priors`.
    growth
        ``(mean, sd)`` of the label -> use effective-compute growth (the model's data-derived prior).
    key
        Root key; simulation ``i`` uses ``fold_in`` of it.
    config
        :class:`AutomationSBCConfig`.
    mutant
        ``None`` or ``"no_between_groups"`` (the simulator gives every group the same requirement).
    progress
        Optional callable receiving one-line progress messages.
    """
    import jax
    import jax.numpy as jnp
    from numpyro.handlers import condition
    from numpyro.infer import Predictive

    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    occupations = occupations.iloc[:: config.group_stride].reset_index(drop=True)
    evidence = evidence[evidence["group"].isin(set(occupations["group"]))]
    n_groups = len(occupations)
    base = sbc_cells(occupations, evidence, config.scale)
    arrays = CellData(*(jnp.asarray(a) if a is not None else None for a in base))
    k_prior, k_data, k_fit, k_rank = jax.random.split(key, 4)
    truth = Predictive(automation_model, num_samples=config.simulations)(
        k_prior, arrays, growth, priors=priors, n_groups=n_groups
    )
    latent = {k: truth[k] for k in _LATENT if k in truth}
    if mutant == "no_between_groups":
        latent = {**latent, "between_group_share": jnp.full_like(latent["between_group_share"], 1e-6)}
    elif mutant is not None:
        raise ValueError(f"unknown mutant {mutant!r}")

    def simulate(k, draw):
        return Predictive(condition(automation_model, draw), num_samples=1)(
            k, arrays, growth, priors=priors, n_groups=n_groups
        )

    keys = jax.random.split(k_data, config.simulations)
    sims = jax.vmap(simulate)(keys, latent)
    exposed, levels, use = (np.asarray(sims[s])[:, 0] for s in ("obs_exposed", "obs_levels", "obs_use"))
    say(f"simulated {config.simulations} data sets")
    fitter = _make_fitter(priors, config, n_groups, growth)
    fit_keys = jax.random.split(k_fit, config.simulations)
    out, divergences = {}, []
    c = config.chunk_size
    for start in range(0, config.simulations, c):
        idx = np.arange(start, min(start + c, config.simulations))
        pad = np.concatenate([idx, np.full(c - len(idx), idx[0])])
        batch = arrays._replace(
            exposed=jnp.asarray(exposed[pad]), levels=jnp.asarray(levels[pad]), use_seen=jnp.asarray(use[pad])
        )
        q, div = fitter(fit_keys[pad], batch)
        for name, v in q.items():
            out.setdefault(name, []).append(np.asarray(v)[: len(idx)])
        divergences.append(np.asarray(div)[: len(idx)])
        say(f"fitted {idx[-1] + 1}/{config.simulations}")
    t_fit = time.perf_counter()
    draws = {k: np.concatenate(v) for k, v in out.items()}
    true_q = _quantities({k: np.asarray(v) for k, v in truth.items()})
    model = partial(automation_model, priors=priors, n_groups=n_groups, growth_label_to_use=growth)
    from numpyro.infer.util import log_likelihood

    filled = arrays._replace(exposed=jnp.asarray(exposed), levels=jnp.asarray(levels), use_seen=jnp.asarray(use))
    ll = jax.vmap(
        lambda d, e, lv, u: sum(
            v.sum()
            for v in log_likelihood(
                model, {k: a[None] for k, a in d.items()}, filled._replace(exposed=e, levels=lv, use_seen=u)
            ).values()
        )
    )({k: truth[k] for k in _LATENT if k in truth}, jnp.asarray(exposed), jnp.asarray(levels), jnp.asarray(use))
    true_q["log_lik"] = np.asarray(ll)
    rng = np.random.default_rng(np.asarray(jax.random.key_data(k_rank)).ravel())
    ranks, pits = {}, {}
    for name in SBC_QUANTITIES:
        ranks[name], pits[name] = rank_statistics(np.asarray(true_q[name]), draws[name], rng=rng)
    ranks_df = pd.DataFrame(ranks)
    pit_df = pd.DataFrame(pits)
    tests, _ = test_table(pit_df, bins=config.bins, family_alpha=config.family_alpha)
    fits = pd.DataFrame({"divergences": np.concatenate(divergences)})
    timing = {"fit": t_fit - t0, "total": time.perf_counter() - t0}
    return AutomationSBCResult(ranks_df, pit_df, tests, fits, timing)


__all__ = ["SBC_QUANTITIES", "AutomationSBCConfig", "AutomationSBCResult", "label_check", "run_sbc", "sbc_cells"]
