"""PSIS-LOO of the residual-scale variants against today's model, on the same observation units.

Variants, each fitted to the packaged extract (seed 0, 4 chains x 1000 draws + 1000 warm-up,
chains vectorised, as ``forecast fit`` runs on a 2-core host):

- ``today``: the model of ``--baseline`` (default 22a6723, before issue 11: separate compute and
  cost likelihoods, constant residual scales), exported with ``git archive`` and run in a
  subprocess on the same, de-duplicated extract;
- ``joint, constant scale``: this model, prior file without ``[noise_trend]`` and
  ``[noise_walk_sd]``;
- ``joint, trend``: without ``[noise_walk_sd]`` (a log-linear scale trend only);
- ``joint, walk``: without ``[noise_trend]`` (the yearly random walk only);
- ``joint, trend + walk``: this model, default priors.

Units (forecast.model.observation_units): one per frontier model (compute and cost together:
today's two sites are summed), chip and cloud price. The algorithmic-progress rows are compared
only between the joint variants (second table): today's model takes the recorded compute as a
covariate while the new one models it, so those likelihoods are not of the same data.

Usage
-----
    .venv/bin/python benchmarks/loo_scale.py [--baseline 22a6723] [--out runs/loo-scale]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("JAX_ENABLE_X64", "True")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

# Run inside the exported baseline checkout: fit its model to the extract, write the DataTree.
_BASELINE_FIT = """
import sys, jax
from forecast.data import load_data
from forecast.infer import SamplerConfig, fit
from forecast.model import REQUIRED_PRIORS, model_data
from forecast.priors import load_priors
frames = load_data(sys.argv[1])
data, _ = model_data(frames)
priors = load_priors(sys.argv[2], required=REQUIRED_PRIORS)
config = SamplerConfig(chains=4, draws=1000, warmup=1000, chain_method="vectorized")
fit(data, priors, config, key=jax.random.key(0), posterior_predictive=False).to_netcdf(sys.argv[3])
"""


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--baseline", default="22a6723", help="commit of today's model")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "loo-scale")
    args = p.parse_args(argv)

    import arviz as az
    import jax

    from forecast.data import load_data
    from forecast.infer import SamplerConfig, fit
    from forecast.loo import loo_table
    from forecast.model import TREND_SITES, load_trend_priors, model_data, observation_units
    from forecast.priors import PriorSet
    from forecast.resources import data_path

    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {dt.datetime.now().isoformat(timespec='seconds')}; {platform.node()}, {os.cpu_count()} CPUs")
    args.out.mkdir(parents=True, exist_ok=True)
    extract = data_path("extract.csv")
    frames = load_data(extract)
    data, _ = model_data(frames)
    default = load_trend_priors()
    # every subset of the optional time-varying-scale tables; the default holds both
    drops = {
        "joint, constant scale": ("noise_trend", "noise_walk_sd"),
        "joint, trend": ("noise_walk_sd",),
        "joint, walk": ("noise_trend",),
        "joint, trend + walk": (),
    }
    config = SamplerConfig(chains=4, draws=1000, warmup=1000, chain_method="vectorized")
    fits, units = {}, {}
    for name, drop in drops.items():
        priors = PriorSet({k: v for k, v in default.specs.items() if k not in drop}, default.path, default.sha256)
        t0 = time.perf_counter()
        fits[name] = fit(data, priors, config, key=jax.random.key(0), posterior_predictive=False)
        units[name] = observation_units(frames)
        print(f"{name}: fitted in {time.perf_counter() - t0:.0f} s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        nc = Path(tmp) / "today.nc"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _BASELINE_FIT, str(extract), str(Path(tmp) / "priors" / "trends.toml"), str(nc)],
            check=True,
            cwd=tmp,
            env={**os.environ, "PYTHONPATH": tmp},
        )
        fits["today"] = az.from_netcdf(nc).load()
        units["today"] = observation_units(frames, paired=False)
        print(f"today ({args.baseline}): fitted in {time.perf_counter() - t0:.0f} s", flush=True)

    trend_units = {name: {s: u for s, u in units[name].items() if s in TREND_SITES} for name in fits}
    table = loo_table(fits, trend_units)
    joint = [n for n in fits if n != "today"]
    table_all = loo_table({n: fits[n] for n in joint}, {n: units[n] for n in joint})
    for label, t in (("trend units (all variants)", table), ("all units (joint variants)", table_all)):
        print(f"\n{label}\n{t.to_string(float_format=lambda v: f'{v:.2f}')}")
    table.to_csv(args.out / "loo_trend_units.csv")
    table_all.to_csv(args.out / "loo_all_units.csv")


if __name__ == "__main__":
    main()
