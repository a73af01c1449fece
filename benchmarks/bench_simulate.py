"""Throughput of the simulate kernel: JAX vs the NumPy reference, in one process.

cells = paths x monthly steps x occupation groups. JAX is timed warm (a first call of the same
shapes compiles; its time is reported separately). Each side runs ``--repeats`` times,
interleaved, and the medians are compared, so a busy shared machine slows both alike.

Usage
-----
    .venv/bin/python benchmarks/bench_simulate.py [--paths-jax 400000] [--paths-numpy 40000]
        [--until 2040] [--chunk 100000] [--scenario central] [--devices N] [--dtype float64]
        [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("JAX_ENABLE_X64", "True")
# One XLA CPU device per core, so the kernel can shard chunks over the cores (NumPy stays on one).
os.environ.setdefault("JAX_NUM_CPU_DEVICES", str(os.cpu_count() or 1))


def main(argv: list[str] | None = None) -> int:
    """Run both implementations and print cells/s and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths-jax", type=int, default=400_000)
    ap.add_argument("--paths-numpy", type=int, default=40_000)
    ap.add_argument("--until", type=int, default=2040)
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--scenario", default="central")
    ap.add_argument("--devices", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=("float32", "float64"), default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    import statistics

    import jax
    from reference_numpy import simulate_numpy

    from forecast.kernel import STEPS_PER_YEAR
    from forecast.posterior import trend_draws
    from forecast.scenarios import load_scenario
    from forecast.simulate import chunk_memory_bytes, run_histograms
    from tests.synthetic import fake_automation, synthetic_posterior

    base = 2022
    key = jax.random.key(args.seed)
    k_post, k_auto, k_sim = jax.random.split(key, 3)
    trend = trend_draws(synthetic_posterior(k_post, 4, 1000))
    auto = fake_automation(int(jax.random.randint(k_auto, (), 0, 2**31 - 1)), 1000)
    sc = load_scenario(args.scenario).params
    n_groups = len(auto.groups)
    steps = (args.until - base) * STEPS_PER_YEAR

    def cells(paths):
        return paths * steps * n_groups

    kw = dict(
        base_year=base, until_year=args.until, key=k_sim, chunk_size=args.chunk, devices=args.devices, dtype=args.dtype
    )
    t = time.perf_counter()
    _, meta = run_histograms(trend, auto, sc, paths=min(args.chunk, args.paths_jax), **kw)
    t_compile = time.perf_counter() - t
    t_jax, t_np = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        hist, meta = run_histograms(trend, auto, sc, paths=args.paths_jax, **kw)
        t_jax.append(time.perf_counter() - t)
        t = time.perf_counter()
        simulate_numpy(trend, auto, sc, paths=args.paths_numpy, base_year=base, until_year=args.until, seed=args.seed)
        t_np.append(time.perf_counter() - t)
    m_jax, m_np = statistics.median(t_jax), statistics.median(t_np)

    r_jax, r_np = cells(args.paths_jax) / m_jax, cells(args.paths_numpy) / m_np
    mem = chunk_memory_bytes(
        meta["chunk_size"],
        meta["n_devices"],
        args.until - base,
        n_groups,
        dtype_bytes=8 if meta["dtype"] == "float64" else 4,
        block=meta["path_block"],
    )
    print(f"date      {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")
    print(f"command   {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"host      {platform.node()} ({os.cpu_count()} CPUs), jax {jax.__version__}, x64={jax.config.jax_enable_x64}"
    )
    print(
        f"device    backend={meta['backend']} devices={meta['devices']} chunk={meta['chunk_size']} "
        f"block={meta['path_block']} dtype={meta['dtype']} (CDF {meta['cdf_dtype']}); "
        f"memory bound {mem / 1e6:.1f} MB/device/chunk"
    )
    print(f"grid      {steps} monthly steps x {n_groups} groups, scenario={args.scenario}")
    print(
        f"jax       {args.paths_jax} paths, median {m_jax:.2f} s of {[f'{v:.2f}' for v in t_jax]} "
        f"(first call incl. compile {t_compile:.2f} s): {r_jax:.3e} cells/s"
    )
    print(
        f"numpy     {args.paths_numpy} paths, median {m_np:.2f} s of {[f'{v:.2f}' for v in t_np]}: {r_np:.3e} cells/s"
    )
    print(f"ratio     jax/numpy = {r_jax / r_np:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
