"""Monte Carlo driver: carry the posterior into effective-compute and automation paths on the
available devices, and summarise them.

Units: every level is a log10 quantity ("OOM"), every rate OOM per year.

- Frontier training compute ``log10_compute`` (FLOP) = spending (2023 USD) + hardware (FLOP/$)
  + the fitted identity gap.
- Algorithmic progress ``algorithmic_oom`` ``A(t)``, with ``A(2023.0) = 0`` on the fitted trend,
  so effective compute ``log10_eff = log10_compute + A`` is in 2023-algorithm-equivalent FLOP.

The path arithmetic is :mod:`forecast.kernel` (pure ``init`` / ``step`` / ``snapshot`` functions);
this module only decides where it runs. One jitted program runs a chunk of paths over monthly
steps and all occupation groups. On each device it loops over blocks of paths
(:data:`PATH_BLOCK` = 1024 on CPU, so a block's per-group parameters stay in cache; one block on
accelerators); a block runs a loop over years with an inner loop over 12 months and adds its
yearly values straight into the integer outputs, so no ``paths x steps x groups`` array (nor any
per-path yearly array) is ever in memory. Device memory per chunk is bounded by
:func:`chunk_memory_bytes`. The path state is ``dtype`` (float64 on CPU, float32 on
accelerators); the normal CDF of the automation curves is always a float32 ``erf`` (error <
:data:`~forecast.kernel.CDF_ABS_ERROR`).

Each path ``p`` gets its own key ``fold_in(root_key, p)``, from which it picks one trend draw and
one automation draw, so a path's trajectory depends only on ``(root_key, p)``: never on the chunk
size or the device count. Chunks are sharded over the chosen devices with :func:`jax.shard_map`
(path axis) and reduced on device to **integer histograms** that are ``psum``-ed over devices and
added over chunks. Integer addition is associative, so the outputs are bit-identical for any
chunk size, device count and process count, and memory is bounded by the histogram size whatever
the number of paths. Quantiles and probabilities are read off them by :mod:`forecast.summaries`.
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np

from forecast import kernel as K
from forecast import macro_kernel as MK
from forecast.automation import AutomationParams, AutomationPosterior
from forecast.errors import ConfigError
from forecast.kernel import histogram_shapes
from forecast.macro_kernel import MacroKernelInputs
from forecast.posterior import TrendDraws, trend_draws
from forecast.scenarios import NamedScenario, ScenarioParams, scenario_params
from forecast.structural import StructuralDraws, load_structural_priors, off_draws, structural_pool
from forecast.summaries import assemble, assemble_macro

DTYPES = ("float32", "float64")
#: Paths per block on CPU: a block's per-group CDF parameters (3 x 22 x 1024 float64, 0.5 MB)
#: stay in L2 cache over all monthly steps. Accelerators run a device's whole share as one block.
PATH_BLOCK = 1024
#: Draws in a scenario's structural pool (every kind: one shape, one compilation).
POOL_SIZE = 4096


def chunk_memory_bytes(
    chunk_size: int,
    n_devices: int,
    n_years: int,
    n_groups: int = 22,
    *,
    dtype_bytes: int = 8,
    block: int | None = None,
    macro: bool = False,
) -> int:
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
    shapes = histogram_shapes(n_years, n_groups, macro, True)
    counts = sum(int(np.prod(s)) for s in shapes.values())
    return 12 * n_local + blk * (24 + 6 * n_groups) * dtype_bytes + 3 * 8 * counts


@functools.lru_cache(maxsize=16)
def _chunk_runner(
    devices: tuple,
    base_year: int,
    n_years: int,
    with_macro: bool = False,
    dtype_name: str = "float64",
    block: int | None = None,
    n_groups: int = 22,
):
    """Build (once per device set, horizon, macro layer, dtype and block) the jitted, sharded chunk program.

    ``with_macro`` False: no macro layer (the program takes no macro argument); True: it takes a
    :class:`~forecast.macro_kernel.MacroKernelInputs` and also returns the macro histograms and sums.
    """
    import jax
    import jax.numpy as jnp
    from jax.sharding import Mesh
    from jax.sharding import PartitionSpec as P

    mesh = Mesh(np.array(devices), ("paths",))
    dtype = jnp.dtype(dtype_name)
    t0 = float(base_year)

    def varying(x):
        # pcast: a constant must be marked as varying over the path axis to be a loop carry
        return jax.lax.pcast(x, ("paths",), to="varying")

    def program(
        path_idx,
        valid,
        key_data,
        trend: TrendDraws,
        auto: AutomationParams,
        layout: K.CellLayout,
        sc: ScenarioParams,
        pool: StructuralDraws,
        *macro_args,
    ):
        root = jax.random.wrap_key_data(key_data)
        n_trend = trend.growth_compute.shape[0]
        n_auto = auto.offset_oom.shape[0]
        n_local = path_idx.shape[0]
        n_blocks = -(-n_local // (block or n_local))
        blk = -(-n_local // n_blocks)
        pad = n_blocks * blk - n_local  # padded paths have weight 0
        idx_blocks = jnp.pad(path_idx, (0, pad)).reshape(n_blocks, blk)
        valid_blocks = jnp.pad(valid, (0, pad)).reshape(n_blocks, blk)
        shapes = histogram_shapes(n_years, n_groups, with_macro, valid.dtype == jnp.int64)
        hist0 = {name: varying(jnp.zeros(shape, valid.dtype)) for name, shape in shapes.items()}

        def run_block(b, hist):
            idx, val = idx_blocks[b], valid_blocks[b]
            it, ia = K.pick_draws(root, idx, n_trend, n_auto)
            tr = jax.tree.map(lambda a: a[it], trend._replace(ref_year=jnp.zeros(n_trend, dtype)))
            ap = jax.tree.map(lambda a: a[ia], auto)
            sd = K.pick_structural(root, idx, pool)
            params = K.path_params(tr, ap, sc, t0, trend.ref_year, layout.anchor_year, sd)
            curves = K.automation_curves(params, layout)
            params = K.with_research_start(params, curves, tr, sc, t0, trend.ref_year)
            state0 = K.init(tr, t0, trend.ref_year, idx)
            hist = K.accumulate(hist, 0, K.snapshot(state0, state0, curves, layout), val)
            if not with_macro:
                mstate0 = md = mk = None
            else:
                mk = macro_args[0]
                md = MK.pick_macro(root, idx, mk.draws)
                mstate0, my = MK.macro_init(
                    state0, tr.growth_compute + tr.growth_algorithmic, md, params, layout, mk, t0
                )
                hist = MK.accumulate_macro(hist, 0, my, val)

            def month(k, state):
                return K.step(state, k, t0=t0, params=params, scenario=sc, curves=curves)

            def year(y, carry):
                state, mstate, hist = carry
                state = jax.lax.fori_loop(y * K.STEPS_PER_YEAR, (y + 1) * K.STEPS_PER_YEAR, month, state)
                hist = K.accumulate(hist, y + 1, K.snapshot(state, state0, curves, layout), val)
                if mstate is not None:
                    mstate, my = MK.macro_step(state, mstate, t0 + 1.0 + y.astype(dtype), md, params, layout, mk)
                    hist = MK.accumulate_macro(hist, y + 1, my, val)
                return state, mstate, hist

            state, _, hist = jax.lax.fori_loop(0, n_years, year, (state0, mstate0, hist))
            return K.accumulate_crossings(hist, state, curves, n_years, val)

        hist = jax.lax.fori_loop(0, n_blocks, run_block, hist0)
        return jax.tree.map(lambda a: jax.lax.psum(a, "paths"), hist)

    rep = P()
    sharded = jax.shard_map(
        program,
        mesh=mesh,
        in_specs=(P("paths"), P("paths"), rep, rep, rep, rep, rep, rep) + (() if not with_macro else (rep,)),
        out_specs=rep,
    )
    return jax.jit(sharded), mesh


def _key_data(key):
    import jax
    import jax.numpy as jnp

    if jnp.issubdtype(getattr(key, "dtype", None), jax.dtypes.prng_key):
        return jax.random.key_data(key)
    arr = jnp.asarray(key)
    if arr.dtype != jnp.uint32 or arr.shape != (2,):
        raise ConfigError(
            "simulate: 'key' must be a jax.random.key or a raw uint32[2] key", "pass jax.random.key(seed)"
        )
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
            raise ConfigError(f"simulate: devices={devices} but {len(local)} local devices", f"pass 1..{len(local)}")
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


def run_histograms(
    trend: TrendDraws,
    automation: AutomationPosterior,
    scenario: ScenarioParams,
    *,
    paths: int,
    base_year: int,
    until_year: int,
    key,
    chunk_size: int,
    devices=None,
    macro=None,
    dtype=None,
    structural=None,
) -> tuple[dict, dict]:
    """Run all chunks and return the summed integer histograms and engine metadata.

    ``structural``: the scenario's pool of :class:`~forecast.structural.StructuralDraws`
    (:data:`POOL_SIZE` each; ``None``: the "off" draws of trend and reference scenarios).

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
    runner, mesh = _chunk_runner(devs, int(base_year), n_years, macro is not None, dtype_name, block, n_groups)
    count_dtype = jnp.int64 if jax.config.jax_enable_x64 else jnp.int32
    dtype = jnp.dtype(dtype_name)
    key_data = np.asarray(jax.device_get(_key_data(key)))
    rep = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())

    def put_rep(tree):
        return jax.tree.map(lambda a: _put(np.asarray(a, dtype), rep), tree)

    layout = K.CellLayout(
        automation.cell_weight,
        automation.cognitive_weight(),
        automation.membership(),
        np.float64(automation.anchor_year),
        automation.research_weight(),
    )
    tr, ap, cells, sc = put_rep(trend), put_rep(automation.params), put_rep(layout), put_rep(scenario)
    pool = put_rep(structural if structural is not None else off_draws(POOL_SIZE))
    key_arg = _put(key_data, rep)
    paths_sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("paths"))
    extra = ()
    if macro is not None:
        mk = MacroKernelInputs(
            macro.draws, macro.employment_weight, macro.wage_bill_weight, macro.tier_weight, macro.size_weight
        )
        extra = (put_rep(mk),)
    total = None
    # The macro layer has matrix products; in float32 on a GPU they must not drop to tf32/bf16.
    with jax.default_matmul_precision("highest"):
        for start in range(0, paths, chunk):
            idx = np.arange(start, start + chunk, dtype=np.int64)
            valid = (idx < paths).astype(np.int64 if count_dtype == jnp.int64 else np.int32)
            out = runner(
                _put(idx.astype(np.uint32), paths_sharding),
                _put(valid, paths_sharding),
                key_arg,
                tr,
                ap,
                cells,
                sc,
                pool,
                *extra,
            )
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


def simulate(
    dt_posterior,
    scenario,
    automation: AutomationPosterior,
    *,
    paths: int,
    until_year: int,
    key,
    chunk_size: int = 100_000,
    devices=None,
    base_year: int = 2022,
    prob_year: int = 2030,
    macro=None,
    dtype=None,
    structural_priors=None,
):
    """Carry the posterior into effective-compute and automation paths and summarise them.

    Parameters
    ----------
    dt_posterior
        Fitted posterior DataTree (or :class:`TrendDraws`).
    scenario
        :class:`NamedScenario` from :func:`~forecast.scenarios.load_scenario` (or bare :class:`ScenarioParams`).
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
        :data:`~forecast.kernel.CDF_ABS_ERROR`, far under the 0.001 share bins).

    Returns
    -------
    xarray.DataTree
        Root dataset: yearly quantiles, probabilities and crossing-year distributions; child
        ``histograms``: the exact integer counts they were computed from. Root attrs record the
        scenario, seed, backend, devices and chunk size.
    """
    import jax

    trend = trend_draws(dt_posterior)
    if not isinstance(scenario, NamedScenario):
        values = tuple(scenario)
        params = ScenarioParams(*values) if len(values) == len(ScenarioParams._fields) else scenario_params(*values)
        scenario = NamedScenario("custom", params, "", "", "", "reference", {})
    name, params, rationale, source, sha = scenario[:5]
    pool, structural_meta = None, {"structural": "off"}
    if scenario.kind == "forecast":
        priors = load_structural_priors(structural_priors)
        # the pool key is a split of the root, never a path's fold_in(key, p)
        pool, p_condition = structural_pool(
            priors, jax.random.split(key)[1], POOL_SIZE, scenario.conditions, source=source or name
        )
        structural_meta = {
            "structural": "on",
            "structural_priors": str(priors.path),
            "structural_priors_sha256": priors.sha256,
            "structural_conditions": json.dumps(scenario.conditions),
            "structural_prior_probability": p_condition,
        }
    if paths < 1:
        raise ConfigError(f"simulate: paths={paths}", "pass at least 1 path")
    if not base_year < until_year <= 2200:
        raise ConfigError(
            f"simulate: until_year={until_year} must be after base_year={base_year}", "pass a later --until year"
        )
    if params.start_year < base_year:
        raise ConfigError(
            f"{source or 'scenario'}: start_year {params.start_year} is before base year {base_year}",
            "scenarios start at or after the base year",
        )
    if macro is not None and tuple(macro.groups) != tuple(automation.groups):
        raise ConfigError(
            "simulate: macro inputs and automation posterior list different occupation groups",
            "build both from the same forecast.occupations.load_occupations() table",
        )
    hist, meta = run_histograms(
        trend,
        automation,
        params,
        paths=paths,
        base_year=base_year,
        until_year=until_year,
        key=key,
        chunk_size=chunk_size,
        devices=devices,
        macro=macro,
        dtype=dtype,
        structural=pool,
    )
    dt = assemble(
        hist,
        meta,
        trend,
        automation,
        name,
        params,
        rationale,
        source,
        sha,
        paths=paths,
        base_year=base_year,
        until_year=until_year,
        prob_year=prob_year,
    )
    dt.attrs.update({"scenario_kind": scenario.kind, "scenario_label": scenario.label, **structural_meta})
    if macro is not None:
        dt = assemble_macro(dt, hist, macro, paths=paths, base_year=base_year, until_year=until_year)
    return dt


__all__ = [
    "DTYPES",
    "PATH_BLOCK",
    "chunk_memory_bytes",
    "resolve_dtype",
    "run_histograms",
    "select_devices",
    "simulate",
]
