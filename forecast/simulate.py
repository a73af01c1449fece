"""Monte Carlo layer: posterior growth rates -> effective-compute paths -> task automation.

Units: every level is a log10 quantity ("OOM"), every rate is OOM per year.

- Frontier training compute ``log10_compute`` (FLOP) = spending (2023 USD) + hardware (FLOP/$)
  + the fitted identity gap.
- Algorithmic progress ``algorithmic_oom`` ``A(t)``, with ``A(2023.0) = 0`` on the fitted trend,
  so effective compute ``log10_eff = log10_compute + A`` is in 2023-algorithm-equivalent FLOP.

Engine
------
One jitted kernel runs a chunk of paths over monthly steps and all occupation groups. On each
device it loops over blocks of paths (:data:`PATH_BLOCK` = 1024 on CPU, so a block's per-group
parameters stay in cache; one block on accelerators); a block runs a loop over years with an
inner loop over 12 months and scatter-adds its yearly values straight into the integer outputs,
so no ``paths x steps x groups`` array (nor any per-path yearly array) is ever in memory.
Device memory per chunk is bounded by :func:`chunk_memory_bytes`: ``12 * n_local`` bytes of
inputs plus ``block * (24 + 6 * n_groups) * dtype_bytes`` of working set plus the integer
outputs (about 3 x 0.6 MB per simulated year), with ``n_local = chunk_size / n_devices``.
The path state is ``dtype`` (float64 on CPU, float32 on accelerators); the normal CDF of the
automation curves is always evaluated as a float32 ``erf`` (error < :data:`CDF_ABS_ERROR`).
Each path ``p`` gets its own key
``fold_in(root_key, p)``, from which it resamples one trend draw and one automation draw, so a
path's trajectory depends only on ``(root_key, p)``: never on the chunk size or the device count.
Chunks are sharded over the chosen devices with :func:`jax.shard_map` (path axis), and reduced on
device to **integer histograms** that are ``psum``-ed over devices and added over chunks. Integer
addition is associative, so the outputs are bit-identical for any chunk size and device count,
and memory is bounded by the histogram size whatever the number of paths.

Quantiles are read off these fixed-bin histograms with linear interpolation inside a bin; the
error is at most one bin width: :data:`LOG_BIN_WIDTH` (0.01 OOM) for log10 factors and
:data:`SHARE_BIN_WIDTH` (0.001, i.e. 0.1 pp) for automation shares. Probabilities of the
effective-compute factor exceeding 1e4/1e8/1e12 and first-crossing years are exact counts.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import Field, field_validator, model_validator

from forecast.automation import AutomationParams, AutomationPosterior, share_change_by_task_type, task_share
from forecast.config import StrictModel, file_sha256, load_validated
from forecast.errors import ConfigError, DataError, did_you_mean
from forecast.priors import PRIORS_DIR

DEFAULT_SCENARIOS = PRIORS_DIR / "scenarios.toml"
COMPONENTS = ("compute", "spending", "hardware", "algorithmic")
#: Series whose yearly quantiles are reported as log10 factors vs the base year, plus the
#: absolute log10 effective FLOP.
SERIES = ("effective", "compute", "spending", "hardware", "algorithmic", "log10_effective_flop")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FACTOR_THRESHOLDS_OOM = (4.0, 8.0, 12.0)
SHARE_THRESHOLDS = (0.2, 0.5, 0.8)
LOG_BIN_LOW = -20.0
LOG_BIN_WIDTH = 0.01
LOG_N_BINS = 9000  # [-20, 70) OOM; values outside are clipped into the edge bins and counted
SHARE_BIN_WIDTH = 0.001
SHARE_N_BINS = 1001  # [0, 1.001)
STEPS_PER_YEAR = 12
ALGORITHMIC_ANCHOR_YEAR = 2023.0
NO_LIMIT = 1.0e6  # stands in for "no cap" so the kernel never sees inf
#: Paths per block on CPU: a block's per-group CDF parameters (3 x 22 x 1024 float64, 0.5 MB)
#: stay in L2 cache over all monthly steps. Accelerators run a device's whole share as one block.
PATH_BLOCK = 1024
#: Bound on |erf_float32(z) - erf(z)| over all z, rounding of z to float32 included (measured on a
#: 2e6-point grid of [-8, 8] against scipy's float64 erf: 3.1e-7). Shares, ceiling/2 * (1 + erf),
#: move by at most half of it: 2000x under the 0.001 share bins.
CDF_ABS_ERROR = 5.0e-7
DTYPES = ("float32", "float64")


# --------------------------------------------------------------------------------------------
# Trend posterior
# --------------------------------------------------------------------------------------------


class TrendDraws(NamedTuple):
    """Flat posterior draws of the trend model; each array leaf has shape ``(n_draws,)``.

    Attributes
    ----------
    growth_compute, growth_spending, growth_hardware, growth_algorithmic
        Fitted growth rates, OOM/yr.
    identity_gap
        ``compute - spending - hardware``, OOM/yr.
    log10_compute_ref
        log10 FLOP of frontier training compute at ``ref_year``.
    log10_spending_ref
        log10 2023-USD cost of a frontier run at ``ref_year``.
    ref_year
        Reference date (decimal year, a scalar).
    """

    growth_compute: np.ndarray
    growth_spending: np.ndarray
    growth_hardware: np.ndarray
    growth_algorithmic: np.ndarray
    identity_gap: np.ndarray
    log10_compute_ref: np.ndarray
    log10_spending_ref: np.ndarray
    ref_year: float


def trend_draws(dt) -> TrendDraws:
    """Flatten the fitted posterior (chain, draw) into :class:`TrendDraws`.

    Parameters
    ----------
    dt
        ``xarray.DataTree`` with a ``posterior`` group holding ``growth`` (chain, draw, component),
        ``identity_gap``, ``log10_compute_ref`` and ``log10_spending_ref``, and root attr
        ``ref_year``.

    Raises
    ------
    DataError
        A variable, component or attribute is missing.
    """
    if isinstance(dt, TrendDraws):
        return dt
    if "posterior" not in dt.children:
        raise DataError("posterior: group 'posterior' missing", "pass the DataTree written by `forecast fit`")
    post = dt["posterior"].to_dataset()
    for var in ("growth", "identity_gap", "log10_compute_ref", "log10_spending_ref"):
        if var not in post:
            raise DataError(f"posterior: variable '{var}' missing{did_you_mean(var, list(post.data_vars))}",
                            "refit with the current model")
    comps = [str(c) for c in post["growth"].coords["component"].values]
    for c in COMPONENTS:
        if c not in comps:
            raise DataError(f"posterior: growth component '{c}' missing", "refit with the current model")
    if "ref_year" not in dt.attrs:
        raise DataError("posterior: root attr 'ref_year' missing", "refit with the current model")

    def flat(da):
        return np.asarray(da.transpose("chain", "draw", ...).values, dtype="float64").reshape(-1)

    g = post["growth"]
    return TrendDraws(
        growth_compute=flat(g.sel(component="compute")),
        growth_spending=flat(g.sel(component="spending")),
        growth_hardware=flat(g.sel(component="hardware")),
        growth_algorithmic=flat(g.sel(component="algorithmic")),
        identity_gap=flat(post["identity_gap"]),
        log10_compute_ref=flat(post["log10_compute_ref"]),
        log10_spending_ref=flat(post["log10_spending_ref"]),
        ref_year=float(dt.attrs["ref_year"]),
    )


def synthetic_posterior(key, n_chains: int, n_draws: int):
    """A posterior DataTree with the fitted model's layout, for tests and benchmarks.

    Centred on the posterior fitted to the packaged extract (seed 0): compute 0.663, spending
    0.528, hardware 0.121, algorithmic 0.58 OOM/yr, ``log10_compute_ref`` 22.59 and
    ``log10_spending_ref`` 5.16 at 2020.0, with the fitted posterior sds. Compute is drawn
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

    spending = normal(keys[0], 0.528, 0.022)
    hardware = normal(keys[1], 0.121, 0.031)
    compute = normal(keys[2], 0.663, 0.013)
    gap = compute - spending - hardware
    algorithmic = normal(keys[3], 0.58, 0.145)
    growth = np.stack([compute, spending, hardware, algorithmic], axis=-1)
    coords = {"chain": np.arange(n_chains), "draw": np.arange(n_draws), "component": list(COMPONENTS)}
    posterior = xr.Dataset(
        {
            "growth": (("chain", "draw", "component"), growth, {"units": "OOM/yr"}),
            "identity_gap": (("chain", "draw"), gap, {"units": "OOM/yr"}),
            "doubling_months": (("chain", "draw", "component"), 12.0 * math.log10(2.0) / growth),
            "log10_compute_ref": (("chain", "draw"), normal(keys[4], 22.59, 0.05)),
            "log10_spending_ref": (("chain", "draw"), normal(keys[5], 5.16, 0.08)),
        },
        coords=coords,
    )
    dt = xr.DataTree.from_dict({"posterior": posterior})
    dt.attrs.update({"ref_year": 2020.0, "run_id": "synthetic"})
    return dt


# --------------------------------------------------------------------------------------------
# Scenarios (priors/scenarios.toml)
# --------------------------------------------------------------------------------------------

Multiplier = Annotated[float, Field(ge=0.0, le=10.0)]
Taper = Annotated[float, Field(gt=0.0, le=20.0)]


class SpendingSchedule(StrictModel):
    """Spending growth: a multiplier, then deceleration toward a cap on the share of world GDP.

    The rate is ``min(m*g, gdp + (m*g - gdp) * clip(headroom / taper_oom, 0, 1))`` where
    ``headroom`` is log10(cap) - log10(spending): full speed far from the cap, GDP growth at it.
    """

    multiplier: Multiplier = 1.0
    gdp_share_cap: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    taper_oom: Taper = 1.0


class HardwareSchedule(StrictModel):
    """FLOP/$ growth: a multiplier and a ceiling on the total OOM gained after the start date."""

    multiplier: Multiplier = 1.0
    max_gain_oom: Annotated[float, Field(ge=0.0, le=100.0)] | None = None
    taper_oom: Taper = 0.5


class AlgorithmicSchedule(StrictModel):
    """Algorithmic growth: a multiplier plus feedback ``feedback_oom_per_year * automated share``."""

    multiplier: Multiplier = 1.0
    feedback_oom_per_year: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0


class Scenario(StrictModel):
    """One growth schedule applied to the posterior draws from ``start_year`` on."""

    rationale: Annotated[str, Field(min_length=20)]
    start_year: Annotated[float, Field(ge=2000.0, le=2100.0)] | None = None
    spending: SpendingSchedule = SpendingSchedule()
    hardware: HardwareSchedule = HardwareSchedule()
    algorithmic: AlgorithmicSchedule = AlgorithmicSchedule()


class ScenarioDefaults(StrictModel):
    """Shared settings: default start date and the world-GDP path for spending caps."""

    start_year: Annotated[float, Field(ge=2000.0, le=2100.0)]
    world_gdp_usd_2024: Annotated[float, Field(gt=1e12, lt=1e16)]
    gdp_growth_per_year: Annotated[float, Field(gt=-0.1, lt=0.3)]


class ScenarioFile(StrictModel):
    """Validated content of ``priors/scenarios.toml``."""

    defaults: ScenarioDefaults
    scenario: dict[str, Scenario]

    @field_validator("scenario")
    @classmethod
    def _names(cls, value: dict[str, Scenario]) -> dict[str, Scenario]:
        if not value:
            raise ValueError("at least one [scenario.NAME] table is required")
        for name in value:
            if not name.isidentifier():
                raise ValueError(f"scenario name '{name}' must be an identifier (letters, digits, _)")
        return value

    @model_validator(mode="after")
    def _trend_is_plain(self) -> ScenarioFile:
        trend = self.scenario.get("trend")
        if trend is not None and (trend.spending != SpendingSchedule() or trend.hardware != HardwareSchedule()
                                  or trend.algorithmic != AlgorithmicSchedule()):
            raise ValueError("scenario 'trend' is the posterior as fitted and must not set schedules")
        return self


class ScenarioParams(NamedTuple):
    """Numeric form of a scenario for the kernel (floats; traced, so no recompilation)."""

    start_year: float
    spending_multiplier: float
    spending_cap_log10_2024: float
    gdp_growth_oom: float
    spending_taper_oom: float
    hardware_multiplier: float
    hardware_max_gain_oom: float
    hardware_taper_oom: float
    algorithmic_multiplier: float
    feedback_oom_per_year: float


class NamedScenario(NamedTuple):
    """A resolved scenario with its provenance."""

    name: str
    params: ScenarioParams
    rationale: str
    source: str
    source_sha256: str


def load_scenarios(path: Path | None = None) -> ScenarioFile:
    """Load and validate a scenario file (default ``priors/scenarios.toml``).

    Raises
    ------
    ConfigError
        One line naming the file and key path, with a did-you-mean hint.
    """
    return load_validated(Path(path) if path is not None else DEFAULT_SCENARIOS, ScenarioFile)


def resolve_scenario(spec: ScenarioFile, name: str, *, path: Path | str = "scenarios.toml") -> ScenarioParams:
    """Turn ``spec.scenario[name]`` into :class:`ScenarioParams`.

    Raises
    ------
    ConfigError
        Unknown scenario name (with a did-you-mean hint).
    """
    if name not in spec.scenario:
        raise ConfigError(f"{path}: unknown scenario '{name}'{did_you_mean(name, spec.scenario)}",
                          f"use one of {', '.join(sorted(spec.scenario))}")
    sc = spec.scenario[name]
    d = spec.defaults
    cap = sc.spending.gdp_share_cap
    return ScenarioParams(
        start_year=float(sc.start_year if sc.start_year is not None else d.start_year),
        spending_multiplier=sc.spending.multiplier,
        spending_cap_log10_2024=math.log10(cap * d.world_gdp_usd_2024) if cap is not None else NO_LIMIT,
        gdp_growth_oom=math.log10(1.0 + d.gdp_growth_per_year),
        spending_taper_oom=sc.spending.taper_oom,
        hardware_multiplier=sc.hardware.multiplier,
        hardware_max_gain_oom=sc.hardware.max_gain_oom if sc.hardware.max_gain_oom is not None else NO_LIMIT,
        hardware_taper_oom=sc.hardware.taper_oom,
        algorithmic_multiplier=sc.algorithmic.multiplier,
        feedback_oom_per_year=sc.algorithmic.feedback_oom_per_year,
    )


def load_scenario(name: str, path: Path | None = None) -> NamedScenario:
    """Load the scenario file and resolve one scenario by name (what the CLI calls)."""
    path = Path(path) if path is not None else DEFAULT_SCENARIOS
    spec = load_scenarios(path)
    params = resolve_scenario(spec, name, path=path)
    return NamedScenario(name, params, spec.scenario[name].rationale, str(path), file_sha256(path))


# --------------------------------------------------------------------------------------------
# Kernel
# --------------------------------------------------------------------------------------------


class EngineState(NamedTuple):
    """Per-path state, leaves ``(n_paths,)`` (``first_cross_step``: ``(n_paths, n_thresholds)``)."""

    log10_compute: object
    log10_spending: object
    hardware_oom: object  # log10 FLOP/$ gained since the base year
    algorithmic_oom: object  # A(t), OOM relative to 2023 algorithms
    first_cross_step: object  # monthly step at which the total share first reached a threshold


class PathParams(NamedTuple):
    """Posterior draws picked for each path, leaves ``(n_paths,)`` / ``(n_paths, n_groups)``."""

    growth_spending: object
    growth_hardware: object
    growth_algorithmic: object
    identity_gap: object
    hardware_at_start: object
    automation: AutomationParams


def step_rates(state: EngineState, t, p: PathParams, sc: ScenarioParams, share_total):
    """Growth rates (OOM/yr) of spending, hardware and algorithms at time ``t`` for each path.

    Before ``sc.start_year`` the fitted rates apply unchanged; afterwards the scenario schedule.
    Shared by the JAX kernel and (through ``xp``-agnostic arithmetic) by the NumPy reference.
    """
    import jax.numpy as jnp

    active = t >= sc.start_year
    g_s = p.growth_spending * sc.spending_multiplier
    cap = sc.spending_cap_log10_2024 + sc.gdp_growth_oom * (t - 2024.0)
    head_s = jnp.clip((cap - state.log10_spending) / sc.spending_taper_oom, 0.0, 1.0)
    r_s = jnp.where(active, jnp.minimum(g_s, sc.gdp_growth_oom + (g_s - sc.gdp_growth_oom) * head_s),
                    p.growth_spending)
    gained = state.hardware_oom - p.hardware_at_start
    head_h = jnp.clip((sc.hardware_max_gain_oom - gained) / sc.hardware_taper_oom, 0.0, 1.0)
    r_h = jnp.where(active, p.growth_hardware * sc.hardware_multiplier * head_h, p.growth_hardware)
    r_a = jnp.where(active, p.growth_algorithmic * sc.algorithmic_multiplier + sc.feedback_oom_per_year * share_total,
                    p.growth_algorithmic)
    return r_s, r_h, r_a


def _hist_add(counts, y, values, valid, low: float, width: float, n_bins: int):
    """Add a histogram of ``values`` ``(n_series, n)`` (weights ``valid``, ``(n,)``) into ``counts[y]``.

    ``counts`` is ``(n_years + 1, n_series, n_bins)``; values outside ``[low, low + width * n_bins)``
    are clipped into the edge bins. A scatter-add straight into the loop-carried counts: no
    ``(n_series, n_bins)`` temporary per year.
    """
    import jax.numpy as jnp

    idx = jnp.clip(jnp.floor((values - low) / width), 0, n_bins - 1).astype(jnp.int32)
    series = jnp.arange(values.shape[0], dtype=jnp.int32)[:, None]
    return counts.at[y, series, idx].add(jnp.broadcast_to(valid[None, :], idx.shape))


def _erf32(arg):
    """``erf`` evaluated in float32 whatever the kernel dtype.

    XLA's float64 ``erf`` runs scalar on CPU (14.7 ns/element measured against 0.32 ns in
    float32, see benchmarks/RESULTS.md) and was 55% of the kernel's time. The float32 value is
    within :data:`CDF_ABS_ERROR` of the exact one for any argument, far under the share bin
    width, so shares and crossings move by far less than their stated error.
    """
    import jax
    import jax.numpy as jnp

    return jax.lax.erf(arg.astype(jnp.float32))


class MacroKernelInputs(NamedTuple):
    """Replicated macro inputs of the kernel (see :class:`forecast.macro.MacroInputs`)."""

    draws: object  # forecast.macro.MacroDraws, leaves (n_macro_draws,)
    employment_weight: object  # (G,)
    wage_bill_weight: object  # (G,)
    tier_weight: object  # (G, 3)


#: ``fold_in(path_key, MACRO_STREAM)`` picks a path's macro draw; the trend/automation picks use
#: ``split(path_key)`` as before, so switching the macro layer on leaves them unchanged.
MACRO_STREAM = 1


def _histogram_shapes(n_years: int, n_groups: int, macro: bool, exact_sums: bool) -> dict:
    """Shapes of the integer outputs of one chunk (and of their sums over chunks)."""
    shapes = {
        "log_hist": (n_years + 1, len(SERIES), LOG_N_BINS),
        "share_hist": (n_years + 1, 1 + n_groups, SHARE_N_BINS),
        "factor_exceed": (n_years + 1, len(FACTOR_THRESHOLDS_OOM)),
        "out_of_range": (n_years + 1, len(SERIES)),
        "crossing": (len(SHARE_THRESHOLDS), n_years + 2),
    }
    if macro:
        from forecast.macro import CHANNELS, EFFECT_N_BINS, MACRO_SHARES

        n_eff = 2 * len(CHANNELS)
        shapes.update({
            "macro_share_hist": (n_years + 1, len(MACRO_SHARES), SHARE_N_BINS),
            "macro_effect_hist": (n_years + 1, n_eff, EFFECT_N_BINS),
            "macro_out_of_range": (n_years + 1, n_eff),
        })
        if exact_sums:
            shapes["macro_sum"] = (n_years + 1, len(MACRO_SHARES) + n_eff)
    return shapes


def chunk_memory_bytes(chunk_size: int, n_devices: int, n_years: int, n_groups: int = 22, *, dtype_bytes: int = 8,
                       block: int | None = None, macro: bool = False) -> int:
    """Upper bound on the device memory one chunk needs on each device, in bytes.

    ``chunk_size / n_devices`` paths go to each device (``n_local``); it runs them in blocks of
    ``block`` paths (``PATH_BLOCK`` on CPU, the whole ``n_local`` on accelerators). Per device:

    - inputs: path index (4 B) and validity weight (8 B) per path: ``12 * n_local``;
    - block working set: per path the picked draws and state (~24 values) plus the per-group CDF
      parameters and one group-major temporary set (``6 * n_groups`` values), all ``dtype``:
      ``block * (24 + 6 * n_groups) * dtype_bytes``;
    - integer outputs (int64): ``(n_years + 1) * (6 * 9000 + (1 + n_groups) * 1001 + 9)``
      counts, about 0.6 MB per simulated year (plus 0.3 MB per year with the macro layer),
      replicated once more for the cross-device sum and once for the running total over chunks.

    The posterior tables (trend draws, automation draws) are a few hundred kB and are ignored.

    Examples
    --------
    >>> round(chunk_memory_bytes(100_000, 2, 18, block=1024) / 1e6)  # CPU default: MB per device
    37
    """
    n_local = -(-int(chunk_size) // int(n_devices))
    blk = n_local if block is None else min(int(block), n_local)
    shapes = _histogram_shapes(n_years, n_groups, macro, True)
    counts = sum(int(np.prod(s)) for s in shapes.values())
    return 12 * n_local + blk * (24 + 6 * n_groups) * dtype_bytes + 3 * 8 * counts


@functools.lru_cache(maxsize=16)
def _chunk_runner(devices: tuple, base_year: int, n_years: int, macro_lag: int | None = None,
                  dtype_name: str = "float64", block: int | None = None, n_groups: int = 22):
    """Build (once per device set, horizon, macro lag, dtype and block) the jitted, sharded chunk kernel.

    ``macro_lag`` None: no macro layer (the kernel takes no macro argument); an int: the kernel
    takes a :class:`MacroKernelInputs` and also returns the macro histograms and sums.

    Each device loops over its paths in blocks of ``block`` paths (None: one block); a block
    runs all monthly steps with its per-group parameters resident in cache and scatter-adds its
    yearly values straight into the integer outputs carried by the loop, so no
    ``paths x steps x groups`` (nor ``paths x years``) array is ever formed.
    """
    import jax
    import jax.numpy as jnp
    from jax.sharding import Mesh
    from jax.sharding import PartitionSpec as P

    mesh = Mesh(np.array(devices), ("paths",))
    dtype = jnp.dtype(dtype_name)
    dt = 1.0 / STEPS_PER_YEAR
    t0 = float(base_year)
    n_steps = n_years * STEPS_PER_YEAR
    share_thr = jnp.asarray(SHARE_THRESHOLDS, dtype)
    factor_thr = jnp.asarray(FACTOR_THRESHOLDS_OOM, dtype)
    never = jnp.iinfo(jnp.int32).max
    inv_sqrt2 = 1.0 / math.sqrt(2.0)

    def varying(x):
        # pcast: a constant must be marked as varying over the path axis to be a loop carry
        return jax.lax.pcast(x, ("paths",), to="varying")

    def kernel(path_idx, valid, key_data, trend: TrendDraws, auto: AutomationParams, weight, sc: ScenarioParams,
               *macro_args):
        root = jax.random.wrap_key_data(key_data)
        n_trend = trend.growth_compute.shape[0]
        n_auto = auto.threshold_log10.shape[0]
        count_dtype = valid.dtype
        n_local = path_idx.shape[0]
        n_blocks = -(-n_local // (block or n_local))
        blk = -(-n_local // n_blocks)
        pad = n_blocks * blk - n_local  # padded paths have weight 0
        idx_blocks = jnp.pad(path_idx, (0, pad)).reshape(n_blocks, blk)
        valid_blocks = jnp.pad(valid, (0, pad)).reshape(n_blocks, blk)
        shapes = _histogram_shapes(n_years, n_groups, macro_lag is not None, count_dtype == jnp.int64)
        hist0 = {name: varying(jnp.zeros(shape, count_dtype)) for name, shape in shapes.items()}

        def run_block(b, hist):
            idx, val = idx_blocks[b], valid_blocks[b]

            def pick(i):
                k_trend, k_auto = jax.random.split(jax.random.fold_in(root, i))
                return (jax.random.randint(k_trend, (), 0, n_trend), jax.random.randint(k_auto, (), 0, n_auto))

            it, ia = jax.vmap(pick)(idx)
            tr = jax.tree.map(lambda a: a[it], trend._replace(ref_year=jnp.zeros(n_trend, dtype)))
            ap = jax.tree.map(lambda a: a[ia], auto)
            p = PathParams(tr.growth_spending, tr.growth_hardware, tr.growth_algorithmic, tr.identity_gap,
                           tr.growth_hardware * jnp.maximum(sc.start_year - t0, 0.0), ap)
            since_ref = t0 - trend.ref_year
            state0 = EngineState(
                log10_compute=tr.log10_compute_ref + tr.growth_compute * since_ref,
                log10_spending=tr.log10_spending_ref + tr.growth_spending * since_ref,
                hardware_oom=jnp.zeros_like(tr.growth_compute),
                algorithmic_oom=tr.growth_algorithmic * (t0 - ALGORITHMIC_ANCHOR_YEAR),
                first_cross_step=varying(jnp.full((blk, len(SHARE_THRESHOLDS)), never, jnp.int32)),
            )
            base = state0

            # share_g = ceiling_g * Phi((x - thr_g) / width_g) = c_g * (1 + erf(s_g * (x - thr_g))) with
            # c = ceiling / 2, s = 1 / (width sqrt 2); total = sum_g w_g share_g = h_sum + sum_g h_g erf(.)
            # with h = c * w. Groups-major layout (n_groups, blk): the group sum is a row add.
            s_gn = (inv_sqrt2 / ap.width_log10).T
            thr_gn = ap.threshold_log10.T
            c_gn = 0.5 * ap.ceiling.T
            h_gn = c_gn * weight[:, None]
            h_sum = functools.reduce(jnp.add, [h_gn[g] for g in range(n_groups)])

            def erf_at(state):
                x = state.log10_compute + state.algorithmic_oom
                return _erf32(s_gn * (x[None, :] - thr_gn)).astype(dtype)

            def group_sum(m):
                # rows added one by one (fixed order): XLA fuses this into one loop over paths that
                # vectorises, where a reduce over the major axis ran as a strided scalar loop
                return functools.reduce(jnp.add, [m[g] for g in range(m.shape[0])])

            def total_at(state):
                return h_sum + group_sum(h_gn * erf_at(state))

            def mark_crossing(state, total, k):
                hit = (total[:, None] >= share_thr[None, :]) & (state.first_cross_step == never)
                return state._replace(first_cross_step=jnp.where(hit, k, state.first_cross_step))

            def month(k, state):
                t = t0 + k.astype(dtype) / STEPS_PER_YEAR
                total = total_at(state)
                state = mark_crossing(state, total, k)
                r_s, r_h, r_a = step_rates(state, t, p, sc, total)
                return EngineState(
                    log10_compute=state.log10_compute + (r_s + r_h + p.identity_gap) * dt,
                    log10_spending=state.log10_spending + r_s * dt,
                    hardware_oom=state.hardware_oom + r_h * dt,
                    algorithmic_oom=state.algorithmic_oom + r_a * dt,
                    first_cross_step=state.first_cross_step,
                )

            def snapshot(state, hist, y):
                eff = state.log10_compute + state.algorithmic_oom
                factor = eff - (base.log10_compute + base.algorithmic_oom)
                series = jnp.stack([
                    factor,
                    state.log10_compute - base.log10_compute,
                    state.log10_spending - base.log10_spending,
                    state.hardware_oom,
                    state.algorithmic_oom - base.algorithmic_oom,
                    eff,
                ], axis=0)
                e = erf_at(state)
                total = h_sum + group_sum(h_gn * e)
                share_series = jnp.concatenate([total[None, :], c_gn * (1.0 + e)], axis=0)
                outside = (series < LOG_BIN_LOW) | (series >= LOG_BIN_LOW + LOG_BIN_WIDTH * LOG_N_BINS)
                hist = dict(hist)
                hist["log_hist"] = _hist_add(hist["log_hist"], y, series, val, LOG_BIN_LOW, LOG_BIN_WIDTH, LOG_N_BINS)
                hist["share_hist"] = _hist_add(hist["share_hist"], y, share_series, val, 0.0, SHARE_BIN_WIDTH,
                                               SHARE_N_BINS)
                hist["factor_exceed"] = hist["factor_exceed"].at[y].add(
                    jnp.sum(jnp.where(factor[None, :] >= factor_thr[:, None], val[None, :], 0), axis=1))
                hist["out_of_range"] = hist["out_of_range"].at[y].add(
                    jnp.sum(jnp.where(outside, val[None, :], 0), axis=1).astype(count_dtype))
                return hist

            def year(y, state):
                return jax.lax.fori_loop(y * STEPS_PER_YEAR, (y + 1) * STEPS_PER_YEAR, month, state)

            hist = snapshot(state0, hist, 0)
            if macro_lag is None:
                def year_body(y, carry):
                    state, hist = carry
                    state = year(y, state)
                    return state, snapshot(state, hist, y + 1)

                state, hist = jax.lax.fori_loop(0, n_years, year_body, (state0, hist))
            else:
                macro_init, macro_snapshot = _macro_fns(macro_args[0], root, idx, val, tr, p, t0, macro_lag)
                mstate0, hist = macro_init(state0, hist)

                def year_body(y, carry):
                    state, mstate, hist = carry
                    state = year(y, state)
                    hist = snapshot(state, hist, y + 1)
                    mstate, hist = macro_snapshot(state, mstate, t0 + 1.0 + y.astype(dtype), hist, y + 1)
                    return state, mstate, hist

                state, _, hist = jax.lax.fori_loop(0, n_years, year_body, (state0, mstate0, hist))
            state = mark_crossing(state, total_at(state), jnp.int32(n_steps))
            cross_year = jnp.where(state.first_cross_step == never, n_years + 1,
                                   state.first_cross_step // STEPS_PER_YEAR)
            hist["crossing"] = hist["crossing"].at[jnp.arange(len(SHARE_THRESHOLDS))[None, :], cross_year].add(
                jnp.broadcast_to(val[:, None], cross_year.shape))
            return hist

        hist = jax.lax.fori_loop(0, n_blocks, run_block, hist0)
        return jax.tree.map(lambda a: jax.lax.psum(a, "paths"), hist)

    rep = P()
    sharded = jax.shard_map(
        kernel,
        mesh=mesh,
        in_specs=(P("paths"), P("paths"), rep, rep, rep, rep, rep) + (() if macro_lag is None else (rep,)),
        out_specs=rep,
    )
    return jax.jit(sharded), mesh


def _macro_fns(mk: MacroKernelInputs, root, path_idx, valid, tr, p: PathParams, t0: float, lag: int):
    """Per-path macro layer inside a block: ``init(state0, hist)`` and ``snapshot(state, mstate, time, hist, y)``.

    Both return ``(mstate, hist)`` with the macro counts of year index ``y`` added into ``hist``.
    The carry holds the last ``lag + 1`` yearly log10 effective-compute values (years before the
    base come from the fitted trend's closed form, which applies there since scenarios start at
    or after the base year) and the :class:`forecast.macro.ChannelState`.
    """
    import jax
    import jax.numpy as jnp

    from forecast.adoption import adoption_curve
    from forecast.macro import (
        EFFECT_BIN_LOW, EFFECT_BIN_WIDTH, EFFECT_N_BINS, SUM_SCALE, channel_init, channel_step, effect_to_bin_space,
        macro_channel_params, tier_exposure,
    )

    n_macro = mk.draws.cost_saving.shape[0]

    def pick(i):
        return jax.random.randint(jax.random.fold_in(jax.random.fold_in(root, i), MACRO_STREAM), (), 0, n_macro)

    md = jax.tree.map(lambda a: a[jax.vmap(pick)(path_idx)], mk.draws)
    cparams = macro_channel_params(md)
    count_dtype = valid.dtype
    exact_sums = count_dtype == jnp.int64

    def realised(eff_lagged, time):
        adoption = adoption_curve(time, md.adoption_ceiling, md.adoption_rate, md.adoption_midpoint)
        return adoption, task_share(eff_lagged, p.automation) * adoption[:, None]

    def outputs(hist, y, adoption, r, cum, flows):
        shares = jnp.concatenate([adoption[:, None], (r @ mk.employment_weight)[:, None],
                                  tier_exposure(r, mk.tier_weight)], axis=-1)
        effects = jnp.stack([*cum, *flows], axis=-1)
        ybin = effect_to_bin_space(effects)
        hist = dict(hist)
        hist["macro_share_hist"] = _hist_add(hist["macro_share_hist"], y, shares.T, valid, 0.0, SHARE_BIN_WIDTH,
                                             SHARE_N_BINS)
        hist["macro_effect_hist"] = _hist_add(hist["macro_effect_hist"], y, ybin.T, valid, EFFECT_BIN_LOW,
                                              EFFECT_BIN_WIDTH, EFFECT_N_BINS)
        hist["macro_out_of_range"] = hist["macro_out_of_range"].at[y].add(jnp.sum(jnp.where(
            (ybin < EFFECT_BIN_LOW) | (ybin >= EFFECT_BIN_LOW + EFFECT_BIN_WIDTH * EFFECT_N_BINS) | ~jnp.isfinite(ybin),
            valid[:, None], 0), axis=0).astype(count_dtype))
        if exact_sums:
            # fixed-point integers: sums over paths are exact and order-independent
            vals = jnp.concatenate([shares, effects], axis=-1)
            fixed = jnp.round(jnp.where(jnp.isfinite(vals), vals, 0.0) * SUM_SCALE).astype(jnp.int64)
            hist["macro_sum"] = hist["macro_sum"].at[y].add(jnp.sum(fixed * valid[:, None], axis=0))
        return hist

    def init(state0, hist):
        eff0 = state0.log10_compute + state0.algorithmic_oom
        back = (lag - jnp.arange(lag + 1, dtype=eff0.dtype))[:, None]
        buf = eff0[None, :] - back * (tr.growth_compute + tr.growth_algorithmic)[None, :]
        adoption, r0 = realised(buf[0], t0)
        cstate = channel_init(r0)
        zeros = cstate.cumulative
        return (buf, cstate), outputs(hist, 0, adoption, r0, zeros, zeros)

    def snapshot(state, mstate, time, hist, y):
        buf, cstate = mstate
        buf = jnp.concatenate([buf[1:], (state.log10_compute + state.algorithmic_oom)[None, :]], axis=0)
        adoption, r = realised(buf[0], time)
        cstate, flows = channel_step(cstate, r, mk.wage_bill_weight, cparams)
        return (buf, cstate), outputs(hist, y, adoption, r, cstate.cumulative, flows)

    return init, snapshot


def _key_data(key):
    import jax
    import jax.numpy as jnp

    if jnp.issubdtype(getattr(key, "dtype", None), jax.dtypes.prng_key):
        return jax.random.key_data(key)
    arr = jnp.asarray(key)
    if arr.dtype != jnp.uint32 or arr.shape != (2,):
        raise ConfigError("simulate: 'key' must be a jax.random.key or a raw uint32[2] key",
                          "pass jax.random.key(seed)")
    return arr


def select_devices(devices=None) -> tuple:
    """Devices to shard over: ``devices`` if given (an int n = the first n local devices).

    ``None``: all local devices, or, after ``jax.distributed.initialize`` with several processes,
    all devices of all processes (``jax.devices()``), so each host runs its share of every chunk.
    """
    import jax

    local = jax.local_devices()
    if devices is None:
        return tuple(jax.devices()) if jax.process_count() > 1 else tuple(local)
    if isinstance(devices, int):
        if not 1 <= devices <= len(local):
            raise ConfigError(f"simulate: devices={devices} but {len(local)} local devices",
                              f"pass 1..{len(local)}")
        return tuple(local[:devices])
    return tuple(devices)


def _put(value, sharding):
    """``value`` (the same NumPy array on every process) as a global array with ``sharding``.

    ``make_array_from_callback`` hands each process only its own devices' slices, which also
    works when the mesh spans several processes (multi-host), where ``device_put`` cannot.
    """
    import jax

    value = np.asarray(value)
    return jax.make_array_from_callback(value.shape, sharding, lambda index: value[index])


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def resolve_dtype(dtype, devices) -> str:
    """The kernel dtype: ``dtype`` if given, else float64 on CPU (with x64) and float32 elsewhere.

    Raises
    ------
    ConfigError
        Unknown dtype, or float64 without ``jax_enable_x64``.
    """
    import jax

    x64 = bool(jax.config.jax_enable_x64)
    if dtype is None:
        return "float64" if x64 and devices[0].platform == "cpu" else "float32"
    name = str(np.dtype(dtype)) if not isinstance(dtype, str) else dtype
    if name not in DTYPES:
        raise ConfigError(f"simulate: dtype={dtype!r}", "pass 'float32' or 'float64'")
    if name == "float64" and not x64:
        raise ConfigError("simulate: dtype='float64' needs 64-bit JAX", "set JAX_ENABLE_X64=True before importing jax")
    return name


def run_histograms(trend: TrendDraws, automation: AutomationPosterior, scenario: ScenarioParams, *, paths: int,
                   base_year: int, until_year: int, key, chunk_size: int, devices=None,
                   macro=None, dtype=None) -> tuple[dict, dict]:
    """Run all chunks and return the summed integer histograms and engine metadata.

    ``macro`` (a :class:`forecast.macro.MacroInputs`) adds ``macro_share_hist``,
    ``macro_effect_hist``, ``macro_out_of_range`` and, with x64, ``macro_sum``. ``dtype``: see
    :func:`simulate`. Device memory per chunk: :func:`chunk_memory_bytes`.
    """
    import jax
    import jax.numpy as jnp

    devs = select_devices(devices)
    n_dev = len(devs)
    chunk = int(math.ceil(int(chunk_size) / n_dev) * n_dev)
    n_years = int(until_year) - int(base_year)
    dtype_name = resolve_dtype(dtype, devs)
    block = PATH_BLOCK if devs[0].platform == "cpu" else None
    n_groups = len(automation.groups)
    runner, mesh = _chunk_runner(devs, int(base_year), n_years, None if macro is None else int(macro.lag_years),
                                 dtype_name, block, n_groups)
    count_dtype = jnp.int64 if jax.config.jax_enable_x64 else jnp.int32
    dtype = jnp.dtype(dtype_name)
    key_data = np.asarray(jax.device_get(_key_data(key)))
    rep = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())

    def put_rep(tree):
        return jax.tree.map(lambda a: _put(np.asarray(a, dtype), rep), tree)

    tr, ap, weight, sc = put_rep(trend), put_rep(automation.params), put_rep(automation.employment_weight), \
        put_rep(scenario)
    key_arg = _put(key_data, rep)
    paths_sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("paths"))
    extra = ()
    if macro is not None:
        mk = MacroKernelInputs(macro.draws, macro.employment_weight, macro.wage_bill_weight, macro.tier_weight)
        extra = (put_rep(mk),)
    total = None
    # The macro layer has matrix products; in float32 on a GPU they must not drop to tf32/bf16.
    with jax.default_matmul_precision("highest"):
        for start in range(0, paths, chunk):
            idx = np.arange(start, start + chunk, dtype=np.int64)
            valid = (idx < paths).astype(np.int64 if count_dtype == jnp.int64 else np.int32)
            out = runner(_put(idx.astype(np.uint32), paths_sharding), _put(valid, paths_sharding), key_arg,
                         tr, ap, weight, sc, *extra)
            total = out if total is None else jax.tree.map(jnp.add, total, out)
    # outputs are replicated (psum), so every process holds the whole sum on its first device
    hist = jax.tree.map(lambda a: np.asarray(a.addressable_data(0)), total)
    meta = {
        "backend": jax.default_backend(),
        "devices": [str(d) for d in devs],
        "n_devices": n_dev,
        "n_processes": int(jax.process_count()),
        "chunk_size": chunk,
        "n_chunks": int(math.ceil(paths / chunk)),
        "dtype": dtype_name,
        "cdf_dtype": "float32",
        "path_block": int(block) if block is not None else chunk // n_dev,
        "jax_version": jax.__version__,
        "x64": bool(jax.config.jax_enable_x64),
        "threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
        "key_data": [int(v) for v in key_data.ravel()],
    }
    return hist, meta


def histogram_quantiles(counts: np.ndarray, low: float, width: float, quantiles=QUANTILES) -> np.ndarray:
    """Quantiles from fixed-bin counts ``(..., n_bins)`` by linear interpolation within a bin.

    The result is within one bin width of the sample quantile of the underlying values.

    Examples
    --------
    >>> histogram_quantiles(np.array([0, 2, 2, 0]), 0.0, 1.0, (0.5,)).tolist()
    [2.0]
    """
    counts = np.asarray(counts, dtype="float64")
    cum = np.cumsum(counts, axis=-1)
    n = cum[..., -1:]
    out = []
    for q in quantiles:
        target = q * n
        i = np.argmax(cum >= target, axis=-1)[..., None]
        below = np.where(i > 0, np.take_along_axis(cum, np.maximum(i - 1, 0), axis=-1), 0.0)
        inbin = np.take_along_axis(counts, i, axis=-1)
        frac = np.where(inbin > 0, (target - below) / np.where(inbin > 0, inbin, 1.0), 0.0)
        out.append((low + width * (i + frac))[..., 0])
    return np.stack(out, axis=-1)


def simulate(dt_posterior, scenario, automation: AutomationPosterior, *, paths: int, until_year: int, key,
             chunk_size: int = 100_000, devices=None, base_year: int = 2022, prob_year: int = 2030, macro=None,
             dtype=None):
    """Carry the posterior into effective-compute and automation paths and summarise them.

    Parameters
    ----------
    dt_posterior
        Fitted posterior DataTree (or :class:`TrendDraws`).
    scenario
        :class:`NamedScenario` from :func:`load_scenario` (or bare :class:`ScenarioParams`).
    automation
        :class:`~forecast.automation.AutomationPosterior` from ``automation.calibrate``.
    paths
        Number of Monte Carlo paths.
    until_year
        Last (integer) year simulated.
    key
        JAX PRNG key; path ``p`` uses ``fold_in(key, p)``.
    chunk_size
        Paths per kernel call (rounded up to a multiple of the device count). Does not change
        the results, only memory and speed.
    devices
        ``None`` (all local devices), an int (the first n), or a sequence of devices.
    base_year
        Year the effective-compute factors are measured from.
    prob_year
        Year of the headline probabilities P(factor >= 1e4/1e8/1e12).
    macro
        Optional :class:`forecast.macro.MacroInputs` (from :func:`forecast.macro.prepare_macro`):
        adds the macro/labour outputs ``macro_share``, ``channel_cumulative``, ``channel_annual``
        (yearly quantiles) and, with x64, their exact means; root attrs ``macro_*`` say the region
        and that occupation weights are US (BLS) for every region. The trend/automation outputs are
        bit-identical with and without it.
    dtype
        ``"float64"`` or ``"float32"``: the dtype of the path state and rates. ``None`` (default):
        float64 on CPU (when JAX runs with x64, as the CLI does) and float32 on accelerators, where
        the results stay within Monte Carlo error of float64 (``benchmarks/gpu_check.py``). The
        normal CDF of the automation curves is evaluated in float32 in both (error below
        :data:`CDF_ABS_ERROR`, far under the 0.001 share bins).

    Returns
    -------
    xarray.DataTree
        Root dataset: yearly quantiles, probabilities and crossing-year distributions; child
        ``histograms``: the exact integer counts they were computed from. Root attrs record the
        scenario, seed, backend, devices and chunk size.
    """
    trend = trend_draws(dt_posterior)
    if isinstance(scenario, NamedScenario):
        name, params, rationale, source, sha = scenario
    else:
        name, params, rationale, source, sha = "custom", ScenarioParams(*scenario), "", "", ""
    if paths < 1:
        raise ConfigError(f"simulate: paths={paths}", "pass at least 1 path")
    if not base_year < until_year <= 2200:
        raise ConfigError(f"simulate: until_year={until_year} must be after base_year={base_year}",
                          "pass a later --until year")
    if params.start_year < base_year:
        raise ConfigError(f"{source or 'scenario'}: start_year {params.start_year} is before base year {base_year}",
                          "scenarios start at or after the base year")
    if macro is not None and tuple(macro.groups) != tuple(automation.groups):
        raise ConfigError("simulate: macro inputs and automation posterior list different occupation groups",
                          "build both from the same forecast.automation.load_occupations() table")
    hist, meta = run_histograms(trend, automation, params, paths=paths, base_year=base_year, until_year=until_year,
                                key=key, chunk_size=chunk_size, devices=devices, macro=macro, dtype=dtype)
    dt = _assemble(hist, meta, trend, automation, name, params, rationale, source, sha, paths=paths,
                   base_year=base_year, until_year=until_year, prob_year=prob_year)
    if macro is not None:
        dt = _assemble_macro(dt, hist, macro, paths=paths, base_year=base_year, until_year=until_year)
    return dt


def _assemble_macro(dt, hist, macro, *, paths, base_year, until_year):
    """Add the macro quantiles (and exact means) to a :func:`simulate` result."""
    from forecast.macro import (
        CHANNELS, EFFECT_BIN_LOW, EFFECT_BIN_WIDTH, MACRO_SHARES, SUM_SCALE, WEIGHTS_NOTE, effect_from_bin_space,
    )

    nc = len(CHANNELS)
    share_q = histogram_quantiles(hist["macro_share_hist"], 0.0, SHARE_BIN_WIDTH)  # (year, 5, q)
    eff_q = effect_from_bin_space(histogram_quantiles(hist["macro_effect_hist"], EFFECT_BIN_LOW, EFFECT_BIN_WIDTH))
    note = f"region {macro.region}; {WEIGHTS_NOTE}"
    ds = dt.to_dataset()
    ds = ds.assign_coords(macro_share_series=list(MACRO_SHARES), channel=list(CHANNELS))
    ds["macro_share"] = (("macro_share_series", "year", "quantile"), np.moveaxis(share_q, 1, 0),
                         {"units": "fraction", "note": note,
                          "description": "adoption (share of enterprises using AI), realised automation "
                                         "(employment-weighted, technical share x adoption), and realised "
                                         "automation by wage tier (employment-weighted terciles of BLS mean wages)"})
    ds["channel_cumulative"] = (("channel", "year", "quantile"), np.moveaxis(eff_q[:, :nc], 1, 0),
                                {"units": "log points, cumulative from the base year", "note": note,
                                 "description": "Acemoglu-Restrepo channels; per path wage_bill = displacement + "
                                                "reinstatement + productivity; tfp by Hulten's theorem"})
    ds["channel_annual"] = (("channel", "year", "quantile"), np.moveaxis(eff_q[:, nc:], 1, 0),
                            {"units": "log points per year", "note": note})
    if "macro_sum" in hist:
        means = hist["macro_sum"] / (SUM_SCALE * paths)  # (year, 5 + 2 * nc)
        ns = len(MACRO_SHARES)
        ds["macro_share_mean"] = (("macro_share_series", "year"), means[:, :ns].T, {"units": "fraction"})
        ds["channel_cumulative_mean"] = (("channel", "year"), means[:, ns:ns + nc].T,
                                         {"units": "log points, cumulative from the base year",
                                          "description": f"exact fixed-point mean over paths (1/{SUM_SCALE:.0e})"})
        ds["channel_annual_mean"] = (("channel", "year"), means[:, ns + nc:].T, {"units": "log points per year"})
    hists = dt["histograms"].to_dataset()
    hists["macro_share_hist"] = (("year", "macro_share_series", "share_bin"), hist["macro_share_hist"])
    hists["macro_effect_hist"] = (("year", "macro_effect_series", "effect_bin"), hist["macro_effect_hist"])
    hists["macro_out_of_range_count"] = (("year", "macro_effect_series"), hist["macro_out_of_range"])
    hists = hists.assign_coords(macro_effect_series=[f"{c}_cumulative" for c in CHANNELS]
                                + [f"{c}_annual" for c in CHANNELS])
    hists.attrs.update({"effect_bin_low": EFFECT_BIN_LOW, "effect_bin_width": EFFECT_BIN_WIDTH,
                        "effect_bin_transform": "asinh(x / 1e-4)"})
    out = xr.DataTree.from_dict({"/": ds, "histograms": hists})
    out.attrs.update(dt.attrs)
    out.attrs.update({k: v for k, v in macro.attrs.items()})
    out.attrs["macro_out_of_range_values"] = int(hist["macro_out_of_range"].sum())
    out.attrs["macro_quantile_method"] = ("fixed-bin histograms: shares within 0.001; channels binned in "
                                          "asinh(x/1e-4) space, within 1% relative (1e-6 absolute near 0)")
    return out


def _assemble(hist, meta, trend, automation, name, params, rationale, source, sha, *, paths, base_year, until_year,
              prob_year):
    years = np.arange(base_year, until_year + 1)
    groups = list(automation.groups)
    q = list(QUANTILES)
    log_q = histogram_quantiles(hist["log_hist"], LOG_BIN_LOW, LOG_BIN_WIDTH)  # (year, series, q)
    share_q = histogram_quantiles(hist["share_hist"], 0.0, SHARE_BIN_WIDTH)  # (year, 1+G, q)
    exceed = hist["factor_exceed"] / paths  # (year, thr)
    cross = hist["crossing"]  # (thr, n_years + 2): bins = years..., never
    cross_years = np.concatenate([years.astype("float64"), [np.inf]])
    cross_cdf = np.cumsum(cross[:, :-1], axis=-1) / paths
    cross_q = np.full((len(SHARE_THRESHOLDS), len(q)), np.nan)
    for i in range(len(SHARE_THRESHOLDS)):
        cum = np.cumsum(cross[i]) / paths
        for j, qq in enumerate(q):
            k = int(np.argmax(cum >= qq))
            cross_q[i, j] = cross_years[k]
    ds = xr.Dataset(
        {
            "log10_factor": (("series", "year", "quantile"), np.moveaxis(log_q[:, :5], 1, 0),
                             {"units": "OOM", "description": f"log10 factor vs {base_year}"}),
            "log10_effective_flop": (("year", "quantile"), log_q[:, 5],
                                     {"units": "log10 FLOP (2023-algorithm-equivalent)"}),
            "share_total": (("year", "quantile"), share_q[:, 0], {"units": "fraction of tasks (employment-weighted)"}),
            "share_group": (("group", "year", "quantile"), np.moveaxis(share_q[:, 1:], 1, 0),
                            {"units": "fraction of the group's tasks"}),
            "prob_factor_at_least": (("year", "factor_threshold_oom"), exceed,
                                     {"description": f"P(log10 effective-compute factor {base_year}->year >= threshold)"}),
            "prob_crossed_by": (("share_threshold", "year"), cross_cdf,
                                {"description": "P(total automated share has reached the threshold by the year)"}),
            "crossing_year_quantile": (("share_threshold", "quantile"), cross_q,
                                       {"description": "first calendar year the total share reaches the threshold; "
                                                       "inf = not by until_year"}),
        },
        coords={
            "series": list(SERIES[:5]),
            "year": years,
            "quantile": q,
            "group": groups,
            "group_title": ("group", list(automation.titles)),
            "factor_threshold_oom": list(FACTOR_THRESHOLDS_OOM),
            "share_threshold": list(SHARE_THRESHOLDS),
        },
    )
    if base_year <= prob_year <= until_year:
        ds["prob_factor_headline"] = (("factor_threshold_oom",), exceed[prob_year - base_year],
                                      {"description": f"P(factor {base_year}->{prob_year} >= 10**threshold)"})
    histograms = xr.Dataset(
        {
            "log_hist": (("year", "series_all", "log_bin"), hist["log_hist"]),
            "share_hist": (("year", "share_series", "share_bin"), hist["share_hist"]),
            "crossing_count": (("share_threshold", "crossing_bin"), cross),
            "factor_exceed_count": (("year", "factor_threshold_oom"), hist["factor_exceed"]),
            "out_of_range_count": (("year", "series_all"), hist["out_of_range"]),
        },
        coords={"year": years, "series_all": list(SERIES), "share_series": ["total", *groups],
                "crossing_bin": [*(str(y) for y in years), "never"],
                "share_threshold": list(SHARE_THRESHOLDS), "factor_threshold_oom": list(FACTOR_THRESHOLDS_OOM)},
        attrs={"log_bin_low": LOG_BIN_LOW, "log_bin_width": LOG_BIN_WIDTH, "share_bin_width": SHARE_BIN_WIDTH},
    )
    dt = xr.DataTree.from_dict({"/": ds, "histograms": histograms})
    dt.attrs.update({
        "scenario": name,
        "scenario_params": json.dumps(params._asdict()),
        "scenario_rationale": rationale,
        "scenario_source": source,
        "scenario_sha256": sha,
        "paths": int(paths),
        "base_year": int(base_year),
        "until_year": int(until_year),
        "prob_year": int(prob_year),
        "steps_per_year": STEPS_PER_YEAR,
        "n_groups": len(groups),
        "cells": int(paths) * (until_year - base_year) * STEPS_PER_YEAR * len(groups),
        "ref_year": float(trend.ref_year),
        "n_trend_draws": int(trend.growth_compute.shape[0]),
        "n_automation_draws": int(automation.params.threshold_log10.shape[0]),
        "quantile_method": f"fixed-bin histograms; error <= one bin ({LOG_BIN_WIDTH} OOM, {SHARE_BIN_WIDTH} share)",
        "out_of_range_values": int(hist["out_of_range"].sum()),
        # NetCDF attrs: no bools or lists
        **{k: (json.dumps(v) if isinstance(v, list) else int(v) if isinstance(v, bool) else v)
           for k, v in meta.items()},
    })
    return dt


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


def write_outputs(result, run_dir: Path) -> dict[str, Path]:
    """Write a :func:`simulate` result as NetCDF plus CSVs into ``run_dir`` (created if needed).

    Files: ``simulation.nc`` (the whole DataTree), ``quantiles.csv`` (series x year, long),
    ``shares.csv`` (total and per group x year), ``probabilities.csv``, ``crossing_years.csv``.

    Returns
    -------
    dict
        File role -> path written.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ds = result.to_dataset()
    qcols = {q: f"q{int(round(q * 100)):02d}" for q in QUANTILES}
    paths = {}

    def wide(da, index):
        df = da.to_dataframe(name="value").reset_index().pivot(index=index, columns="quantile", values="value")
        return df.rename(columns=qcols).reset_index()

    quant = wide(ds["log10_factor"], ["series", "year"])
    eff = wide(ds["log10_effective_flop"], ["year"]).assign(series="log10_effective_flop")
    paths["quantiles"] = run_dir / "quantiles.csv"
    pd.concat([quant, eff[quant.columns]], ignore_index=True).to_csv(paths["quantiles"], index=False)
    shares = wide(ds["share_group"], ["group", "year"])
    total = wide(ds["share_total"], ["year"]).assign(group="total")
    paths["shares"] = run_dir / "shares.csv"
    pd.concat([total[shares.columns], shares], ignore_index=True).to_csv(paths["shares"], index=False)
    paths["probabilities"] = run_dir / "probabilities.csv"
    ds["prob_factor_at_least"].to_dataframe(name="probability").reset_index().to_csv(paths["probabilities"], index=False)
    paths["crossing_years"] = run_dir / "crossing_years.csv"
    cy = ds["crossing_year_quantile"].to_dataframe(name="year").reset_index().pivot(
        index="share_threshold", columns="quantile", values="year").rename(columns=qcols)
    cy["p_by_until"] = ds["prob_crossed_by"].isel(year=-1).to_numpy()
    cy.reset_index().to_csv(paths["crossing_years"], index=False)
    if "channel_cumulative" in ds:
        paths["macro"] = run_dir / "macro.csv"
        macro_table(result).to_csv(paths["macro"], index=False)
    paths["netcdf"] = run_dir / "simulation.nc"
    result.to_netcdf(paths["netcdf"])
    return paths


def macro_table(result) -> pd.DataFrame:
    """Long table of the macro outputs of a :func:`simulate` result (``macro.csv``).

    Columns ``series, measure, year, q05..q95, mean, units, region, note``; ``measure`` is
    ``share`` (adoption, realised automation, exposure by wage tier), ``cumulative`` or
    ``annual`` (channels, log points). ``note`` says that occupation weights are US (BLS) for
    every region.
    """
    ds = result.to_dataset()
    qcols = {qq: f"q{int(round(qq * 100)):02d}" for qq in QUANTILES}
    region = result.attrs.get("macro_region", "")
    note = result.attrs.get("macro_occupation_weights", "")
    parts = []
    for var, dim, measure, mean_var in (("macro_share", "macro_share_series", "share", "macro_share_mean"),
                                        ("channel_cumulative", "channel", "cumulative", "channel_cumulative_mean"),
                                        ("channel_annual", "channel", "annual", "channel_annual_mean")):
        df = ds[var].to_dataframe(name="value").reset_index().pivot(index=[dim, "year"], columns="quantile",
                                                                    values="value").rename(columns=qcols)
        if mean_var in ds:
            df["mean"] = ds[mean_var].to_series().reindex(df.index).to_numpy()
        else:
            df["mean"] = np.nan
        df = df.reset_index().rename(columns={dim: "series"})
        df.insert(1, "measure", measure)
        df["units"] = ds[var].attrs.get("units", "")
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    out["region"] = region
    out["note"] = note
    return out


# --------------------------------------------------------------------------------------------
# Seeds: published figures beside ours
# --------------------------------------------------------------------------------------------

GPT2_RELEASE = 2019.0 + 1.5 / 12  # mid-February 2019
GPT4_RELEASE = 2023.0 + 2.5 / 12  # mid-March 2023
PRESET_BANDS = {"conservative": 4.0, "central": 8.0, "explosive": 12.0}
PUBLISHED_UPLIFT_PP = {"decision_management": (30.0, 30.0), "data_processing": (10.0, 20.0), "physical": (2.0, 2.0)}


def log10_effective_trend(trend: TrendDraws, year) -> np.ndarray:
    """log10 effective FLOP per draw on the fitted trend (closed form; no scenario)."""
    year = np.asarray(year, dtype="float64")
    return (trend.log10_compute_ref + trend.growth_compute * (year - trend.ref_year)
            + trend.growth_algorithmic * (year - ALGORITHMIC_ANCHOR_YEAR))


def seeds_table(dt_posterior, result_by_scenario: Mapping[str, object], automation: AutomationPosterior) -> pd.DataFrame:
    """Set published headline figures beside the fitted model's.

    Parameters
    ----------
    dt_posterior
        Fitted posterior DataTree (``doubling_months`` is used when present).
    result_by_scenario
        ``{name: simulate(...) result}``; uses ``conservative``, ``central``, ``explosive`` and
        ``trend`` when present (missing ones give NaN rows).
    automation
        Calibrated :class:`~forecast.automation.AutomationPosterior`.

    Returns
    -------
    pandas.DataFrame
        Columns ``item, published_low, published_high, ours_median, ours_q05, ours_q95, unit, note``.
    """
    trend = trend_draws(dt_posterior)
    rows = []

    def add(item, lo, hi, values, unit, note):
        v = np.asarray(values, dtype="float64").ravel()
        rows.append({"item": item, "published_low": lo, "published_high": hi,
                     "ours_median": float(np.median(v)) if v.size else np.nan,
                     "ours_q05": float(np.quantile(v, 0.05)) if v.size > 1 else np.nan,
                     "ours_q95": float(np.quantile(v, 0.95)) if v.size > 1 else np.nan,
                     "unit": unit, "note": note})

    growth = {"algorithmic": trend.growth_algorithmic, "hardware": trend.growth_hardware,
              "spending": trend.growth_spending}
    for comp, published in (("algorithmic", 9.0), ("hardware", 30.0), ("spending", 7.0)):
        months = 12.0 * math.log10(2.0) / growth[comp]
        if not isinstance(dt_posterior, TrendDraws) and "doubling_months" in dt_posterior["posterior"].data_vars:
            months = dt_posterior["posterior"]["doubling_months"].sel(component=comp).values
        add(f"doubling time, {comp}", published, published, months, "months", "posterior median and 90% interval")
    add("effective compute growth per year", 10.0, 10.0, 10.0 ** (trend.growth_compute + trend.growth_algorithmic),
        "x per year", "frontier compute x algorithms, fitted trend")
    for name, band in PRESET_BANDS.items():
        res = result_by_scenario.get(name)
        if res is None:
            add(f"2030 factor, {name} preset median", band, band, [], "log10 factor", "scenario not simulated")
        else:
            qv = res["log10_factor"].sel(series="effective", year=res.attrs.get("prob_year", 2030))
            rows.append({"item": f"2030 factor, {name} preset median", "published_low": band, "published_high": band,
                         "ours_median": float(qv.sel(quantile=0.5)), "ours_q05": float(qv.sel(quantile=0.05)),
                         "ours_q95": float(qv.sel(quantile=0.95)), "unit": "log10 factor",
                         "note": f"{res.attrs['base_year']}->{res.attrs['prob_year']}, {res.attrs['paths']} paths"})
        tr = result_by_scenario.get("trend")
        p = float(tr["prob_factor_headline"].sel(factor_threshold_oom=band)) if tr is not None else np.nan
        rows.append({"item": f"P(2030 factor >= 1e{int(band)} | trend)", "published_low": np.nan,
                     "published_high": np.nan, "ours_median": p, "ours_q05": np.nan, "ours_q95": np.nan,
                     "unit": "probability", "note": "under the fitted trend scenario"})
    factor = (trend.growth_compute + trend.growth_algorithmic) * (GPT4_RELEASE - GPT2_RELEASE)
    add("GPT-2 (2019-02) -> GPT-4 (2023-03) effective compute", 5.0, 6.0, factor, "log10 factor", "fitted trend")
    n = automation.params.threshold_log10.shape[0]
    pair = np.arange(n) % trend.growth_compute.shape[0]
    change = _uplift_draws(automation, log10_effective_trend(trend, 2019.0)[pair],
                           log10_effective_trend(trend, 2023.0)[pair])
    for ttype, (lo, hi) in PUBLISHED_UPLIFT_PP.items():
        add(f"gen-AI uplift 2019->2023, {ttype}", lo, hi, change.get(ttype, []), "pp of tasks",
            "model's change in automatable share; SOC mapping in forecast.automation.TASK_TYPE_BY_GROUP")
    return pd.DataFrame(rows)


def _uplift_draws(automation: AutomationPosterior, x0, x1) -> dict[str, np.ndarray]:
    params = AutomationParams(*(np.asarray(a) for a in automation.params))
    delta = np.asarray(task_share(x1, params)) - np.asarray(task_share(x0, params))
    types = np.asarray(automation.task_types)
    out = {}
    for t in set(types.tolist()):
        m = types == t
        w = automation.employment_weight[m] / automation.employment_weight[m].sum()
        out[t] = 100.0 * delta[:, m] @ w
    return out


__all__ = [
    "TrendDraws", "trend_draws", "synthetic_posterior", "ScenarioFile", "Scenario", "ScenarioParams",
    "NamedScenario", "load_scenarios", "resolve_scenario", "load_scenario", "EngineState", "step_rates",
    "simulate", "run_histograms", "histogram_quantiles", "write_outputs", "seeds_table", "log10_effective_trend",
    "share_change_by_task_type", "macro_table", "MacroKernelInputs", "chunk_memory_bytes", "resolve_dtype",
]
