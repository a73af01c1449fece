"""Sobol indices of the structural forecast to the structural priors and the posteriors (issue 14).

Outputs (per path, run by the Monte Carlo kernel under a forecast scenario, factor vs 2022): the
log10 effective-compute factor in 2030, the years it first reaches 1e4 and 1e8 and the year the
cognitive share first reaches 50% (capped at the horizon). Inputs: the seven priors of
``priors/structural.toml``, a trend posterior draw and an automation posterior draw (one factor
each). Prints the table (first-order and total indices with bootstrap standard errors), n, the
device and the seconds. Posteriors of a ``forecast run`` directory (``--run runs/<id>``, with its
``automation/``) or the synthetic ones of the tests (default).

    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/sobol_structural.py --run runs/<id> [--n 16384]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_ENABLE_X64", "True")


def main(argv: list[str] | None = None) -> int:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=16_384, help="rows of A and B (11 n kernel paths)")
    ap.add_argument("--scenario", default="structural", help="a forecast scenario of priors/scenarios.toml")
    ap.add_argument("--horizon", type=int, default=2060)
    ap.add_argument("--boot", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=32_768, help="paths per call of the kernel")
    ap.add_argument("--run", type=Path, default=None, help="a run directory with posterior.nc and automation/")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import jax

    from forecast.posterior import trend_draws
    from forecast.scenarios import load_scenario
    from forecast.sensitivity import structural_sensitivity
    from forecast.structural import load_structural_priors

    k_post, k_sobol = jax.random.split(jax.random.key(args.seed))
    if args.run is not None:
        import arviz as az
        import xarray as xr

        from forecast import automation as A
        from forecast.occupations import load_occupations
        from forecast.tasks import load_task_evidence

        post = trend_draws(xr.open_datatree(args.run / "posterior.nc"))
        occ = load_occupations()
        evidence = load_task_evidence(groups=list(occ["group"]))
        dt_auto = az.from_netcdf(args.run / "automation" / "posterior.nc").load()
        auto = A.fit_from_datatree(dt_auto, occ, evidence, A.load_automation_priors()).posterior
        source = f"{args.run} ({post.growth_compute.shape[0]} trend draws)"
    else:
        from tests.synthetic import fake_automation, synthetic_posterior

        post, auto = trend_draws(synthetic_posterior(k_post, 4, 1000)), fake_automation(args.seed, 200)
        source = "synthetic posteriors of the tests"
    priors = load_structural_priors()
    scenario = load_scenario(args.scenario)
    t0 = time.perf_counter()
    df = structural_sensitivity(
        post, auto, scenario, priors, k_sobol, args.n, horizon=args.horizon, n_boot=args.boot, chunk=args.chunk
    )
    seconds = time.perf_counter() - t0
    dev = jax.devices()[0]
    print(f"posteriors: {source}; scenario {args.scenario} ({scenario.label}); horizon {args.horizon}")
    print(
        f"n = {args.n} ({df.attrs['paths']} kernel paths), {args.boot} bootstrap replicates, seed {args.seed}; "
        f"{seconds:.1f} s on {dev.platform} ({dev.device_kind}, {os.cpu_count()} cores), compile included"
    )
    print(df.to_string(float_format="{:.3f}".format))
    print(f"max se: S1 {df['S1_se'].max():.4f}, ST {df['ST_se'].max():.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
