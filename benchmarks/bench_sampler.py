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

PYMC_NAMES = {  # NumPyro parameter name -> PyMC, per registry distribution
    "Normal": ("Normal", {"loc": "mu", "scale": "sigma"}),
    "StudentT": ("StudentT", {"df": "nu", "loc": "mu", "scale": "sigma"}),
    "Cauchy": ("Cauchy", {"loc": "alpha", "scale": "beta"}),
    "LogNormal": ("LogNormal", {"loc": "mu", "scale": "sigma"}),
    "HalfNormal": ("HalfNormal", {"scale": "sigma"}),
    "HalfCauchy": ("HalfCauchy", {"scale": "beta"}),
    "Exponential": ("Exponential", {"rate": "lam"}),
    "Gamma": ("Gamma", {"concentration": "alpha", "rate": "beta"}),
    "InverseGamma": ("InverseGamma", {"concentration": "alpha", "rate": "beta"}),
    "Beta": ("Beta", {"concentration1": "alpha", "concentration0": "beta"}),
    "Uniform": ("Uniform", {"low": "lower", "high": "upper"}),
    "TruncatedNormal": ("TruncatedNormal", {"loc": "mu", "scale": "sigma", "low": "lower", "high": "upper"}),
}


def pymc_trend_model(data, priors):
    """forecast.model.trend_model written in PyMC (same priors, parameterisation and likelihoods)."""
    import numpy as np
    import pymc as pm
    import pytensor.tensor as pt

    from forecast.model import DOMAINS, LOG10_2_MONTHS, SERIES

    def prior(name, shape=None):
        spec = priors[name]
        cls, names = PYMC_NAMES[spec.distribution]
        return getattr(pm, cls)(name, **{names[k]: v for k, v in spec.params.items()}, shape=shape)

    with pm.Model() as m:
        g_spending = prior("growth_spending")
        g_hardware = prior("growth_hardware")
        hw_sd = prior("hardware_source_sd")
        hardware_z = pm.Normal("hardware_z", 0.0, 1.0, shape=2)
        g_source = g_hardware + hw_sd * hardware_z
        gap = prior("identity_gap")
        g_algo = prior("growth_algorithmic")
        algo_sd = prior("algorithmic_domain_sd")
        g_compute = g_spending + g_hardware + gap
        domain_z = pm.Normal("domain_z", 0.0, 1.0, shape=len(DOMAINS))
        perf_intercept = prior("perf_intercept", len(DOMAINS))
        perf_slope = prior("perf_slope", len(DOMAINS))
        g_domain = g_algo + algo_sd * domain_z
        noise = prior("noise", len(SERIES))
        df = prior("student_df")
        level_compute = prior("level_compute")
        level_spending = prior("level_spending")
        level_release = prior("level_hardware_release")
        level_cloud = prior("level_hardware_cloud")
        growth = pt.stack([g_compute, g_spending, g_hardware, g_algo])
        pm.Deterministic("doubling_months", LOG10_2_MONTHS / growth)

        def student(name, mean, scale, obs):
            obs = np.asarray(obs)
            if obs.shape[0]:
                pm.StudentT(f"obs_{name}", nu=df, mu=mean, sigma=scale, observed=obs)

        t = {name: np.asarray(getattr(data, name).t) for name in SERIES}
        student("compute", level_compute + g_compute * t["compute"], noise[0], data.compute.y)
        student("spending", level_spending + g_spending * t["spending"], noise[1], data.spending.y)
        student(
            "hardware_release", level_release + g_source[0] * t["hardware_release"], noise[2], data.hardware_release.y
        )
        student("hardware_cloud", level_cloud + g_source[1] * t["hardware_cloud"], noise[3], data.hardware_cloud.y)
        for i, name in enumerate(DOMAINS):
            d = getattr(data, name)
            mean = perf_intercept[i] + perf_slope[i] * (np.asarray(d.x) + g_domain[i] * np.asarray(d.t))
            student(name, mean, noise[4 + i], d.y)
    return m


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
    ap.add_argument("--skip-pymc", action="store_true")
    args = ap.parse_args(argv)

    import jax
    import numpy as np

    from forecast.data import load_data
    from forecast.infer import SamplerConfig, fit, resolve_chain_method, run_nuts
    from forecast.model import REQUIRED_PRIORS, model_data
    from forecast.priors import load_priors

    data, _ = model_data(load_data(None))
    priors = load_priors(None, REQUIRED_PRIORS)
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

    if not args.skip_pymc:
        import pymc as pm

        model = pymc_trend_model(data, priors)
        t = time.perf_counter()
        with model:
            idata = pm.sample(
                draws=args.draws,
                tune=args.warmup,
                chains=args.chains,
                cores=min(args.chains, os.cpu_count() or 1),
                target_accept=cfg.target_accept,
                random_seed=args.seed,
                progressbar=False,
                compute_convergence_checks=False,
            )
        t_pm = time.perf_counter() - t
        post = idata["posterior"] if "posterior" in getattr(idata, "children", {}) else idata.posterior
        ss = idata["sample_stats"] if "sample_stats" in getattr(idata, "children", {}) else idata.sample_stats
        d = post["doubling_months"].transpose("chain", "draw", ...).values
        t_pm_sampling = float(ss.attrs.get("sampling_time", t_pm))
        ess_pm = min_bulk_ess(d)
        rows.append(("pymc", ess_pm, t_pm, ess_pm, t_pm_sampling, int(np.asarray(ss["diverging"]).sum())))

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
