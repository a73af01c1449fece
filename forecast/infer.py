"""Inference: NUTS over the trend model, returned as an ArviZ DataTree, plus the convergence gate.

Chains run vectorised on one device (``vmap``) or in parallel across devices when there are at
least as many devices as chains; the method actually used is recorded. PRNG keys are explicit
arguments; the sampler never draws a hidden seed.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

import arviz as az
import jax
import xarray as xr
from jax import Array
from numpyro.infer import MCMC, NUTS, Predictive, init_to_median

from forecast.model import COORDS, DIMS, OBSERVATIONS, ModelData, trend_model, without_observations
from forecast.priors import PriorSet

# arviz_base.io_numpyro reads ``numpyro.infer.initialization`` and ``numpyro.ops.pytree`` as
# attributes; depending on import order the submodules are loaded but not bound on their parent
# package, and from_numpyro fails with AttributeError. Bind them explicitly.
for _parent, _child in (("numpyro.infer", "initialization"), ("numpyro.ops", "pytree")):
    importlib.import_module(f"{_parent}.{_child}")
    setattr(sys.modules[_parent], _child, sys.modules[f"{_parent}.{_child}"])

ChainMethod = Literal["auto", "vectorized", "parallel", "sequential"]

#: Posterior variables the convergence gate checks (parameters and the derived quantities users read;
#: the per-row latent compute values of the errors-in-variables model are not listed one by one).
GATED_VARS = (
    "growth",
    "doubling_months",
    "identity_gap",
    "algorithmic_hypermean",
    "growth_domain",
    "algorithmic_domain_sd",
    "eci_effect_oom",
    "growth_hardware_source",
    "hardware_source_sd",
    "level_compute",
    "level_spending",
    "level_hardware_release",
    "level_hardware_cloud",
    "perf_intercept",
    "perf_slope",
    "compute_meas_sd",
    "compute_pop_loc",
    "compute_pop_trend",
    "compute_pop_sd",
    "noise",
    "noise_trend",
    "noise_walk_sd",
    "residual_skew",
    "residual_tail",
    "compute_spending_corr",
    "student_df",
    # growth forms (forecast.forms): present only in fits of that form
    "growth_end",
    "changepoint_time",
    "slope_change_compute",
    "slope_change_spending",
    "slope_change_hardware",
    "slope_innovation_sd",
)


@dataclass(frozen=True)
class SamplerConfig:
    """NUTS settings. ``chains >= 2`` for the convergence gate: rank-normalised R-hat needs several chains."""

    chains: int = 4
    draws: int = 1000
    warmup: int = 1000
    # 0.99: the errors-in-variables block has a ridge the measurement-error prior alone bounds;
    # at 0.98 a 4 x 1000 fit of the extract diverged 1-3 times near its end (seeds 0, 1), at 0.99 not.
    target_accept: float = 0.99
    max_tree_depth: int = 10
    dense_mass: bool = False
    chain_method: ChainMethod = "auto"

    def __post_init__(self):
        if self.chains < 1:
            raise ValueError("chains must be >= 1 (and >= 2 for the convergence gate: R-hat needs several)")
        if self.draws < 1 or self.warmup < 1:
            raise ValueError("draws and warmup must be >= 1")
        if not 0.5 <= self.target_accept < 1.0:
            raise ValueError("target_accept must be in [0.5, 1)")

    def to_dict(self) -> dict:
        return asdict(self)


def resolve_chain_method(method: ChainMethod, chains: int) -> str:
    """Pick how chains run: parallel across devices when there are enough, else vectorised."""
    if method != "auto":
        return method
    return "parallel" if jax.local_device_count() >= chains else "vectorized"


def run_nuts(
    data: ModelData,
    priors: PriorSet,
    config: SamplerConfig,
    *,
    key: Array,
    model: Callable = trend_model,
) -> MCMC:
    """Run NUTS and return the fitted :class:`numpyro.infer.MCMC` object."""
    kernel = NUTS(
        model,
        target_accept_prob=config.target_accept,
        max_tree_depth=config.max_tree_depth,
        dense_mass=config.dense_mass,
        init_strategy=init_to_median(num_samples=15),
    )
    mcmc = MCMC(
        kernel,
        num_warmup=config.warmup,
        num_samples=config.draws,
        num_chains=config.chains,
        chain_method=resolve_chain_method(config.chain_method, config.chains),
        progress_bar=False,
    )
    mcmc.run(key, data, priors, extra_fields=("diverging", "num_steps", "energy"))
    return mcmc


def sample_nuts(model: Callable, inference, key: Array, *args, jit_model_args: bool = False, **kwargs) -> MCMC:
    """NUTS for the small models fitted inside a job (automation curves, adoption), chains vmapped.

    Parameters
    ----------
    model
        A NumPyro model.
    inference
        :class:`forecast.config.InferenceSpec` (warm-up, draws, chains, target acceptance).
    key
        PRNG key.
    *args, **kwargs
        Passed to the model.
    jit_model_args
        Trace ``args`` (arrays only) instead of baking them into the program, so fits that differ
        only in those values share one compilation.
    """
    mcmc = MCMC(
        NUTS(model, target_accept_prob=inference.target_accept, dense_mass=inference.dense_mass),
        num_warmup=inference.num_warmup,
        num_samples=inference.num_samples,
        num_chains=inference.num_chains,
        chain_method="vectorized",
        progress_bar=False,
        jit_model_args=jit_model_args,
    )
    mcmc.run(key, *args, extra_fields=("diverging", "num_steps", "energy"), **kwargs)
    return mcmc


def to_datatree(
    mcmc: MCMC, data: ModelData, priors: PriorSet, *, key: Array, posterior_predictive: bool = True
) -> xr.DataTree:
    """Convert a fitted MCMC to a DataTree with log-likelihood and posterior predictive.

    Parameters
    ----------
    mcmc
        Fitted sampler from :func:`run_nuts`.
    data, priors
        What the model was conditioned on (needed for the log-likelihood and predictions).
    key
        PRNG key for the posterior-predictive draws.
    posterior_predictive
        Also draw replicated data for every observed series.
    """
    pp = None
    if posterior_predictive:
        samples = mcmc.get_samples()
        # Vmapped (parallel=True) rather than lax.map, and jitted as one program: Student-t draws
        # are gamma rejection loops, cheap only when batched, and one jitted program is what the
        # persistent compilation cache can keep (4000 draws, 2 CPU cores: 37 s -> 14 s cold, 2 s warm).
        # The draws are an argument, not a closure: closed-over arrays become constants of the
        # program and would defeat the cache.
        replicate_data = without_observations(data)
        sites = list(OBSERVATIONS)  # sites of empty series are simply absent

        def replicate(k, draws):
            return Predictive(trend_model, draws, return_sites=sites, parallel=True)(k, replicate_data, priors)

        pp = jax.jit(replicate)(key, samples)
    dt = az.from_numpyro(
        mcmc,
        posterior_predictive=pp,
        log_likelihood=True,
        coords=COORDS,
        dims=DIMS,
    )
    return dt


def fit(
    data: ModelData,
    priors: PriorSet,
    config: SamplerConfig,
    *,
    key: Array,
    posterior_predictive: bool = True,
) -> xr.DataTree:
    """Fit the trend model by NUTS and return the posterior as an ArviZ DataTree.

    Parameters
    ----------
    data
        Model arrays from :func:`forecast.model.model_data`.
    priors
        Validated trend priors.
    config
        Sampler settings.
    key
        Root PRNG key; split here into a sampling key and a predictive key.
    posterior_predictive
        Include a ``posterior_predictive`` group for PPC plots.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior``, ``sample_stats``, ``log_likelihood``, ``observed_data`` and
        (optionally) ``posterior_predictive``; root attrs hold the effective chain method.
    """
    k_sample, k_pred = jax.random.split(key)
    mcmc = run_nuts(data, priors, config, key=k_sample)
    dt = to_datatree(mcmc, data, priors, key=k_pred, posterior_predictive=posterior_predictive)
    dt.attrs["chain_method"] = mcmc.chain_method if isinstance(mcmc.chain_method, str) else "callable"
    return dt
