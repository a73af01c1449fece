"""Sampler speed: NumPyro NUTS (forecast.infer) vs the same trend model in PyMC, same CPU, one run.

Metric: effective samples per second = min bulk ESS over the four doubling times
(``doubling_months``: compute, spending, hardware, algorithmic) / wall time, with compilation
included and excluded. Both fit the packaged extract (``forecast.data.load_data(None)`` ->
``forecast.model.model_data``) with the priors of ``priors/trends.toml`` and the same Student-t
likelihoods, 4 chains x 1000 warm-up x 1000 draws, target acceptance 0.98 (our default).

Compile time: NumPyro traces and compiles for every new ``MCMC`` object. This script points
JAX's persistent compilation cache at a fresh temporary directory, so the first NumPyro run is
cold (compile + sampling) and a second run with another key finds its programs in the cache
(trace + sampling): that second run is the "excl. compile" time, as a user's second fit sees it.
Every NumPyro timing blocks until the draws exist (JAX dispatches asynchronously). PyMC reports
its own sampling time (``sampling_time``, after model compilation and initialisation). PyMC's C
cache persists on disk (``~/.pytensor``), so its compile time is smaller on a second run of this
script.

PyMC is a benchmark-only dependency: ``.venv/bin/pip install pymc==6.4.0`` (not in pyproject).
The PyMC port covers the trend model before issue 11 (commit 22a6723: separate compute and cost
likelihoods, recorded compute as a covariate); it has not been ported to the joint model (no PyMC
in the environment that changed the model, so a port could not be checked), so on today's model
the script needs ``--skip-pymc``; run commit 22a6723's copy for the comparison of RESULTS.md §3.

Usage
-----
    .venv/bin/python benchmarks/bench_sampler.py [--draws 1000] [--warmup 1000] [--chains 4] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_ENABLE_X64", "True")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JAX_NUM_CPU_DEVICES", str(os.cpu_count() or 1))
# A fresh persistent compilation cache: the first fit below is cold, the second warm.
os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-sampler-jax-")


def min_bulk_ess(doubling):
    """Min over components of the bulk ESS of ``doubling`` (chain, draw, component)."""
    import arviz as az
    import numpy as np
    import xarray as xr

    ds = xr.Dataset({"d": (("chain", "draw", "component"), np.asarray(doubling))})
    ess = az.ess(xr.DataTree.from_dict({"posterior": ds}), method="bulk")
    return float(np.min(ess["d"].values))


def main(argv: list[str] | None = None) -> int:
    """Fit both and print ESS/s with and without compile, plus the full forecast fit time."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-pymc", action="store_true", help="required on today's model (see the docstring)")
    args = ap.parse_args(argv)

    import jax
    import numpy as np

    from forecast.data import load_data
    from forecast.infer import SamplerConfig, fit, resolve_chain_method, run_nuts
    from forecast.model import load_trend_priors, model_data

    if not args.skip_pymc:
        print("bench_sampler: the PyMC port is of the model before issue 11 (commit 22a6723); pass --skip-pymc")
        return 2
    data, _ = model_data(load_data(None))
    priors = load_trend_priors()
    cfg = SamplerConfig(chains=args.chains, draws=args.draws, warmup=args.warmup)
    rows = []

    def timed_nuts(seed):
        t = time.perf_counter()
        mcmc = run_nuts(data, priors, cfg, key=jax.random.key(seed))
        jax.block_until_ready(mcmc.get_samples())
        return mcmc, time.perf_counter() - t

    mcmc, t_np = timed_nuts(args.seed)  # cold: compile + sampling
    mcmc_warm, t_np_warm = timed_nuts(args.seed + 1)  # programs from the persistent cache
    ess_np = min_bulk_ess(mcmc.get_samples(group_by_chain=True)["doubling_months"])
    ess_np_warm = min_bulk_ess(mcmc_warm.get_samples(group_by_chain=True)["doubling_months"])
    div_np = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    rows.append(("numpyro", ess_np, t_np, ess_np_warm, t_np_warm, div_np))
    # the full fit as `forecast fit` runs it, cache warm for NUTS, cold for the predictive
    t = time.perf_counter()
    fit(data, priors, cfg, key=jax.random.key(args.seed))
    t_fit = time.perf_counter() - t

    print(f"date      {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")
    print(f"command   {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"host      {platform.node()} ({os.cpu_count()} CPUs), jax {jax.__version__}, devices "
        f"{jax.local_device_count()}, numpyro chain_method={resolve_chain_method(cfg.chain_method, cfg.chains)}"
    )
    print(
        f"config    {args.chains} chains x {args.warmup} warm-up x {args.draws} draws, "
        f"target_accept {cfg.target_accept}"
    )
    print(
        f"{'sampler':8s} {'minESS':>7s} {'wall s':>7s} {'ESS/s':>7s} | {'minESS':>7s} {'excl.compile s':>14s} "
        f"{'ESS/s':>7s} {'diverg':>6s}"
    )
    for name, ess, tw, ess_x, tx, div in rows:
        print(f"{name:8s} {ess:7.0f} {tw:7.1f} {ess / tw:7.1f} | {ess_x:7.0f} {tx:14.1f} {ess_x / tx:7.1f} {div:6d}")
    if len(rows) == 2:
        (_, e1, w1, f1, x1, _), (_, e2, w2, f2, x2, _) = rows
        print(
            f"ratio     numpyro/pymc ESS/s: {(e1 / w1) / (e2 / w2):.2f}x incl. compile, "
            f"{(f1 / x1) / (f2 / x2):.2f}x excl."
        )
    # fit ran with NUTS programs already cached and a cold predictive; add NUTS's compile time
    # (cold minus warm run) for a fit in a fresh environment
    print(
        f"fit       forecast.infer.fit (NUTS + DataTree + log-lik + posterior predictive): "
        f"{t_fit:.1f} s with NUTS cached, {t_fit + t_np - t_np_warm:.1f} s cold (goal <= 60 s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
