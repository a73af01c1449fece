"""Simulation-based calibration (SBC) of the trend model (Talts et al. 2018; Modrák et al. 2023).

For each of ``N`` simulations: draw every latent quantity from the prior and a data set of the
real data's shape (the packaged extract's dates, covariates and series sizes, optionally
subsampled by ``scale``), fit it by NUTS, thin the draws to ``L`` near-independent ones and
record the rank of the true value of each test quantity among them. If the model, the
simulator and the sampler agree, every rank is uniform on ``{0, ..., L}``.

Test quantities (:data:`QUANTITIES`) are the growth rates (their doubling times are a monotone
map of them and share their ranks; ``growth_algorithmic`` is the language-domain rate), the
identity gap, the algorithmic hyper-mean, domain spread and ImageNet rate, the lineage effects,
the compute measurement error and population parameters of the errors-in-variables block, the
noise scales and their time trends, the compute-cost correlation, the Student-t degrees of
freedom, the levels, and -- beyond parameters, because an algorithm that ignores the data
passes SBC on parameters alone (Modrák et al. 2023) -- the log-likelihood of the simulated data
at each draw (``log_lik``) and of the frontier models with both compute and cost alone
(``log_lik_pair``), the squared gap between the compute-cost correlation and the residual
correlation of those pairs under the same draw (``pair_corr_gap``: a fitter that mishandles the
correlation shows there; in ``log_lik_pair`` it did not), the trend of log10 frontier compute at the forecast year
(``trend_compute_<year>``) and the posterior predictive draw of a frontier model's log10 compute
released then (``pred_compute_<year>``).

Uniformity: a chi-square test on ``bins`` equal bins and a Kolmogorov-Smirnov test, both on the
randomised PIT ``(rank + U) / (L + 1)`` (exactly uniform under the null, whatever ``L``),
Bonferroni-corrected over quantities and both tests at family ``alpha``. The report also draws
ECDF-difference plots with simultaneous bands (Säilynoja et al. 2022, via
:func:`arviz_stats.ecdf_utils.ecdf_pit`).

Fits are vmapped NUTS over simulations with NumPyro's functional API (``initialize_model(...,
dynamic_args=True)`` + ``hmc`` + ``fori_collect``) in chunks: a vmapped NUTS batch waits for
its slowest tree at every step, so chunks of 25-50 are much faster on CPU than one big vmap
(calibration.md §1.3). Every chunk is padded to ``chunk_size`` so it compiles once and the
draws of a simulation do not depend on ``N``. Simulation ``i`` uses ``fold_in(key, i)``.

A simulation is dropped only on a data-only criterion (a non-finite simulated value), which
keeps SBC valid for the rest; the count is reported. Divergences are recorded per fit.

The mutation twins (:mod:`forecast.mutants`: noise as variance, half the data, no compute-cost
correlation; and ``fitter="prior"`` here) are planted bugs the same harness must reject.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax import Array
from numpyro.infer import Predictive, init_to_median
from numpyro.infer.hmc import hmc
from numpyro.infer.util import initialize_model
from numpyro.util import fori_collect

from forecast.model import (
    LATENT_SITES,
    OBSERVATIONS,
    REF_YEAR,
    ModelData,
    model_data,
    trend_model,
    with_observations,
    without_observations,
)
from forecast.priors import PriorSet
from forecast.ranks import plot_pit_ecdf, rank_statistics, test_table, uniformity_tests
from forecast.sbc_quantities import (
    QUANTITIES,
    data_quantities,
    latent,
    parameter_quantities,
    quantities_order,
    quantity_names,
)

__all__ = [
    "QUANTITIES",
    "SBCConfig",
    "SBCResult",
    "plot_sbc_ecdf",
    "quantity_names",
    "rank_statistics",
    "run_sbc",
    "sbc_design",
    "uniformity_tests",
]

#: The fixed root seed of the calibration checks (CI's SBC test, ``forecast calibrate`` without
#: ``--seed``, ``benchmarks/sbc_full.py``), so every one of them tests the same simulations.
SBC_SEED = 20260101


@dataclass(frozen=True)
class SBCConfig:
    """Settings of an SBC run.

    Parameters
    ----------
    simulations
        Number of simulated data sets ``N``.
    warmup, draws
        NUTS warm-up and post-warm-up iterations per fit (one chain per simulation).
    thin
        Keep every ``thin``-th draw: ``L = draws // thin`` ranks per quantity. NUTS draws of this
        model have ESS/draw well above 1/``thin`` for ``thin >= 5``.
    chunk_size
        Simulations per vmapped batch.
    scale
        Subsample each series to ``max(min_size, round(scale * n))`` evenly spaced rows of the
        real data (``1.0`` = the real sizes).
    min_size
        Smallest series size when subsampling.
    target_accept, max_tree_depth, dense_mass
        NUTS settings. Prior draws with tiny noise scales (< 0.01) give very narrow
        posteriors whose fits run maximal trees; a dense metric did not help (measured: slower).
    forecast_year
        Decimal year of the forecast test quantities.
    bins
        Chi-square bins of the randomised PIT.
    family_alpha
        Family-wise error rate, Bonferroni-split over quantities and the two tests.
    """

    simulations: int = 1000
    warmup: int = 500
    draws: int = 1000
    thin: int = 10
    chunk_size: int = 50
    scale: float = 1.0
    min_size: int = 5
    target_accept: float = 0.9
    max_tree_depth: int = 8
    dense_mass: bool = False
    forecast_year: float = 2030.0
    bins: int = 20
    family_alpha: float = 0.01

    def __post_init__(self):
        if self.simulations < 1 or self.chunk_size < 1:
            raise ValueError("simulations and chunk_size must be >= 1")
        if self.draws // self.thin < 1:
            raise ValueError("draws // thin must be >= 1")
        if not 0 < self.scale <= 1:
            raise ValueError("scale must be in (0, 1]")
        if not 0 < self.family_alpha < 1:
            raise ValueError("family_alpha must be in (0, 1)")

    @property
    def num_ranks(self) -> int:
        """``L``, the number of thinned posterior draws per fit."""
        return self.draws // self.thin

    def to_dict(self) -> dict:
        """Plain dict (for manifests)."""
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# Design and simulation
# ---------------------------------------------------------------------------------------------


def sbc_design(frames, *, scale: float = 1.0, min_size: int = 5) -> ModelData:
    """Dates and covariates of the real data, optionally subsampled, for SBC simulations.

    Parameters
    ----------
    frames
        :class:`forecast.data.TrendFrames` (e.g. ``load_data(None)``).
    scale
        Keep ``max(min_size, round(scale * n))`` rows of each model series (frontier models with
        both values count as one series, so pairs stay pairs), evenly spaced in date order, so
        the date range is preserved.
    min_size
        Smallest series size kept.

    Returns
    -------
    ModelData
        Arrays with the real observations (the simulator replaces them).
    """
    data, _ = model_data(frames)
    picked = {}
    for name, series in data._asdict().items():
        n = series.t.shape[0]
        k = min(n, max(min_size, int(round(scale * n))))
        idx = np.unique(np.round(np.linspace(0, n - 1, k)).astype(int)) if k else np.zeros(0, int)
        picked[name] = jax.tree.map(lambda a, idx=idx: a[idx], series)
    return ModelData(**picked)


_SIMULATORS: dict = {}


def _simulator(sim_model: Callable, priors: PriorSet, n: int, forecast_t: float) -> Callable:
    """A jitted prior-predictive simulator ``(key, design) -> draws``, cached per process.

    Compiling it takes ~30 s on CPU (the Student-t samplers), so SBC runs that share the
    generator (a check and its mutation twins) compile it once.
    """
    cache_key = (sim_model, id(priors), priors.sha256, n, forecast_t)
    if cache_key not in _SIMULATORS:
        t_fc = jnp.array([forecast_t])
        _SIMULATORS[cache_key] = (
            priors,  # keep the prior set alive so its id is not reused
            jax.jit(lambda k, d: Predictive(sim_model, num_samples=n)(k, d, priors, forecast_t=t_fc)),
        )
    return _SIMULATORS[cache_key][1]


def _batched_axes(data: ModelData) -> ModelData:
    """vmap axes: simulated observations batched, times and covariates shared."""
    observed = set(OBSERVATIONS.values())
    return ModelData(
        *(
            s._replace(**{f: (0 if (n, f) in observed else None) for f in s._fields})
            for n, s in zip(data._fields, data, strict=True)
        )
    )


def _simulated_batch(design: ModelData, sims: dict, n: int) -> ModelData:
    """The design with every observed field replaced by its ``n`` simulated values (leading axis).

    An empty series has no site; it gets an empty array with the batch axis, so that every
    observed field is batched alike.
    """
    values = {}
    for site, (series, attr) in OBSERVATIONS.items():
        empty = getattr(getattr(design, series), attr)
        values[site] = sims[site] if site in sims else jnp.zeros((n, *jnp.shape(empty)))
    return with_observations(design, values)


# ---------------------------------------------------------------------------------------------
# Fitters: vmapped NUTS (the real one) and "posterior = prior" (a mutant)
# ---------------------------------------------------------------------------------------------


def _posterior_quantities(fit_model, samples, data, priors, key, forecast_t: float):
    t_fc = jnp.array([forecast_t])
    q = parameter_quantities(samples, forecast_t)
    # the log-likelihood is a fixed function of (parameters, data): always the true model's
    q |= data_quantities(trend_model, latent(samples), data, priors)
    pred = Predictive(fit_model, latent(samples), return_sites=["pred_compute"])(key, data, priors, forecast_t=t_fc)
    q["pred_compute"] = pred["pred_compute"][:, 0]
    return q


def _make_nuts_fitter(fit_model, priors, cfg, forecast_t, data_template):
    model = partial(fit_model, priors=priors)

    def one(key, data):
        k_init, k_run, k_pred = jax.random.split(key, 3)
        init, potential_gen, postprocess_gen, _ = initialize_model(
            k_init, model, model_args=(data,), dynamic_args=True, init_strategy=init_to_median(num_samples=15)
        )
        init_kernel, sample_kernel = hmc(potential_fn_gen=potential_gen, algo="NUTS")
        state = init_kernel(
            init.z,
            num_warmup=cfg.warmup,
            target_accept_prob=cfg.target_accept,
            max_tree_depth=cfg.max_tree_depth,
            dense_mass=cfg.dense_mass,
            model_args=(data,),
            rng_key=k_run,
        )
        z, diverging, steps = fori_collect(
            cfg.warmup,
            cfg.warmup + cfg.draws,
            lambda s: sample_kernel(s, model_args=(data,)),
            state,
            transform=lambda s: (s.z, s.diverging, s.num_steps),
            progbar=False,
        )
        z = jax.tree.map(lambda a: a[cfg.thin - 1 :: cfg.thin], z)
        samples = jax.vmap(postprocess_gen(data))(z)
        diag = {
            "divergences": diverging.sum(),
            "mean_steps": steps.mean(),
            "treedepth_hits": (steps >= 2**cfg.max_tree_depth - 1).sum(),
        }
        return _posterior_quantities(fit_model, samples, data, priors, k_pred, forecast_t), diag

    return jax.jit(jax.vmap(one, in_axes=(0, _batched_axes(data_template))))


def _make_prior_fitter(fit_model, priors, cfg, forecast_t, data_template):
    """Mutant "posterior = prior": ignores the data and returns ``L`` prior draws."""

    def one(key, data):
        k_prior, k_pred = jax.random.split(key)
        draws = Predictive(fit_model, num_samples=cfg.num_ranks)(k_prior, without_observations(data), priors)
        keep = (*LATENT_SITES, "growth", "growth_domain", "growth_hardware_source")
        samples = {k: v for k, v in draws.items() if k in keep}
        zero = jnp.zeros((), dtype=int)
        return _posterior_quantities(fit_model, samples, data, priors, k_pred, forecast_t), {
            "divergences": zero,
            "mean_steps": jnp.zeros(()),
            "treedepth_hits": zero,
        }

    return jax.jit(jax.vmap(one, in_axes=(0, _batched_axes(data_template))))


_FITTERS = {"nuts": _make_nuts_fitter, "prior": _make_prior_fitter}


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


@dataclass
class SBCResult:
    """Outcome of :func:`run_sbc`.

    Attributes
    ----------
    ranks, pit
        One row per kept simulation, one column per quantity.
    tests
        Per-quantity uniformity tests (:func:`test_table`).
    per_test_alpha
        Bonferroni threshold each p-value is compared with.
    fits
        Per-simulation diagnostics: ``divergences``, ``mean_steps``, ``treedepth_hits``,
        ``dropped``.
    num_ranks
        ``L``.
    config
        The :class:`SBCConfig` as a dict, plus the fitter name.
    timing
        Seconds: ``simulate``, ``fit`` (compile included), ``total``.
    """

    ranks: pd.DataFrame
    pit: pd.DataFrame
    tests: pd.DataFrame
    per_test_alpha: float
    fits: pd.DataFrame
    num_ranks: int
    config: dict
    timing: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every quantity passes both uniformity tests."""
        return bool(self.tests["passed"].all())

    @property
    def failures(self) -> list[str]:
        """Failing quantities with their p-values."""
        bad = self.tests.loc[~self.tests["passed"]]
        return [
            f"{q}: chi2 p={r.chi2_p:.2e}, KS p={r.ks_p:.2e}, 90% coverage {r.coverage90:.2f}" for q, r in bad.iterrows()
        ]

    @property
    def dropped(self) -> int:
        """Simulations dropped on the data-only criterion."""
        return int(self.fits["dropped"].sum())

    @property
    def divergent_share(self) -> float:
        """Share of kept fits with at least one post-warm-up divergence."""
        kept = self.fits.loc[~self.fits["dropped"]]
        return float((kept["divergences"] > 0).mean()) if len(kept) else 0.0

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [
            f"SBC: N={len(self.ranks)} kept ({self.dropped} dropped on non-finite data), L={self.num_ranks}, "
            f"K={self.tests.shape[0]} quantities, per-test alpha={self.per_test_alpha:.2e} "
            f"(family {self.config['family_alpha']}, Bonferroni over K x 2 tests)",
            f"fits with divergences: {self.divergent_share:.1%}; time {self.timing.get('total', float('nan')):.1f} s",
            "PASSED" if self.passed else "FAILED: " + "; ".join(self.failures),
        ]
        return "\n".join(lines)


def run_sbc(
    priors: PriorSet,
    config: SBCConfig,
    *,
    key: Array,
    frames=None,
    fit_model: Callable = trend_model,
    sim_model: Callable = trend_model,
    fitter: str = "nuts",
    progress: Callable[[str], None] | None = None,
) -> SBCResult:
    """Run simulation-based calibration of the trend model.

    Parameters
    ----------
    priors
        Trend priors (the generator's and, unless a mutant says otherwise, the fitter's).
    config
        SBC settings.
    key
        Root PRNG key: ``fold_in(key, 0)`` simulates, ``fold_in(key, 1)`` seeds the fits
        (simulation ``i`` gets ``fold_in(fold_in(key, 1), i)``), ``fold_in(key, 2)`` the rank
        randomisation.
    frames
        Data whose dates and covariates the simulations copy; ``None`` loads the packaged
        extract.
    fit_model, sim_model
        The fitted model and the generator (both :func:`~forecast.model.trend_model` unless a
        mutant is being checked).
    fitter
        ``"nuts"`` or ``"prior"`` (the "posterior = prior" mutant).
    progress
        Optional callable receiving one-line progress messages.

    Returns
    -------
    SBCResult
    """
    say = progress or (lambda msg: None)
    if fitter not in _FITTERS:
        raise ValueError(f"fitter must be one of {sorted(_FITTERS)}, got {fitter!r}")
    if frames is None:
        from forecast.data import load_data

        frames = load_data(None)
    t0 = time.perf_counter()
    design = sbc_design(frames, scale=config.scale, min_size=config.min_size)
    forecast_t = config.forecast_year - REF_YEAR
    n = config.simulations
    k_sim, k_fit, k_rank = (jax.random.fold_in(key, i) for i in range(3))

    # -- simulate: truth and data from the generator's prior predictive
    sims = _simulator(sim_model, priors, n, forecast_t)(k_sim, without_observations(design))
    batch = _simulated_batch(design, sims, n)
    axes = _batched_axes(design)
    truth = {k: np.asarray(v) for k, v in parameter_quantities(sims, forecast_t).items()}
    truth["pred_compute"] = np.asarray(sims["pred_compute"][:, 0])
    true_ll = jax.jit(
        jax.vmap(
            lambda s, d: {
                k: v[0] for k, v in data_quantities(trend_model, jax.tree.map(lambda a: a[None], s), d, priors).items()
            },
            in_axes=(0, axes),
        )
    )(latent(sims), batch)
    truth |= {k: np.asarray(v) for k, v in true_ll.items()}
    finite = np.ones(n, dtype=bool)
    for series, attr in OBSERVATIONS.values():
        y = np.asarray(getattr(getattr(batch, series), attr)).reshape(n, -1)
        finite &= np.isfinite(y).all(axis=1)
    t_sim = time.perf_counter()
    say(f"simulated {n} data sets ({(~finite).sum()} non-finite, dropped)")

    # -- fit in padded chunks
    fit_chunk = _FITTERS[fitter](fit_model, priors, config, forecast_t, design)
    flags = {
        "time_varying_scale": "noise_trend" in priors,
        "scale_walk": "noise_walk_sd" in priors,
        "skew": "residual_skew" in priors,
        "tail": "residual_tail" in priors,
    }
    keys = jax.vmap(lambda i: jax.random.fold_in(k_fit, i))(jnp.arange(n))
    kept_idx = np.flatnonzero(finite)
    draws: dict[str, list] = {}
    diags: dict[str, list] = {}
    c = config.chunk_size
    for start in range(0, len(kept_idx), c):
        idx = kept_idx[start : start + c]
        padded = np.concatenate([idx, np.full(c - len(idx), idx[0])])
        d_chunk = jax.tree.map(lambda a, ax, rows=padded: a if ax is None else a[rows], batch, axes)
        q, diag = fit_chunk(keys[padded], d_chunk)
        for name, v in q.items():
            draws.setdefault(name, []).append(np.asarray(v)[: len(idx)])
        for name, v in diag.items():
            diags.setdefault(name, []).append(np.asarray(v)[: len(idx)])
        say(f"fitted {min(start + c, len(kept_idx))}/{len(kept_idx)}")
    t_fit = time.perf_counter()

    # -- ranks and tests
    rng = np.random.default_rng(np.asarray(jax.random.key_data(k_rank)).ravel())
    year = f"{config.forecast_year:g}"
    rename = {"trend_compute": f"trend_compute_{year}", "pred_compute": f"pred_compute_{year}"}
    ranks, pits = {}, {}
    for name in quantities_order(**flags):
        col = rename.get(name, name)
        r, p = rank_statistics(truth[name][kept_idx], np.concatenate(draws[name]), rng=rng)
        ranks[col], pits[col] = r, p
    ranks_df = pd.DataFrame(ranks, index=pd.Index(kept_idx, name="simulation"))
    pit_df = pd.DataFrame(pits, index=ranks_df.index)
    tests, per_test = test_table(pit_df, bins=config.bins, family_alpha=config.family_alpha)
    fits = pd.DataFrame(index=pd.Index(np.arange(n), name="simulation"))
    fits["dropped"] = ~finite
    for name, parts in diags.items():
        fits[name] = np.nan
        fits.loc[kept_idx, name] = np.concatenate(parts)
    timing = {"simulate": t_sim - t0, "fit": t_fit - t_sim, "total": time.perf_counter() - t0}
    return SBCResult(
        ranks_df, pit_df, tests, per_test, fits, config.num_ranks, {**config.to_dict(), "fitter": fitter}, timing
    )


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def plot_sbc_ecdf(result: SBCResult, path: Path | str, *, n_simulations: int = 1000) -> Path:
    """ECDF-difference plots of every SBC quantity with simultaneous bands (:func:`forecast.ranks.plot_pit_ecdf`)."""
    return plot_pit_ecdf(
        result.pit,
        result.tests,
        path,
        family_alpha=result.config["family_alpha"],
        num_ranks=result.num_ranks,
        n_simulations=n_simulations,
    )
