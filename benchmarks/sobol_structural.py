"""Sobol indices of the largest run's effective compute to the structural priors and the trend (issue 14).

Outputs (per path: compute of the largest run under the GDP-share cap and the physical limit,
plus algorithmic OOM under the slowdown; factor vs 2022): the log10 factor in 2030 and the years
it first reaches 1e4 and 1e8 (capped at the horizon). Inputs: the six priors of
``priors/structural.toml`` and a posterior draw of the trend as one factor. Prints the table
(first-order and total indices with bootstrap standard errors), the outputs' quantiles, n, the
device and the seconds. Trend from a fitted posterior (``--run runs/<id>``) or the synthetic
posterior mirroring the issue-11 fit (default). ~2 min on 2 CPU cores at the default n.

    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/sobol_structural.py --run /tmp/sobol/fit [--n 524288]
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
    ap.add_argument("--n", type=int, default=524_288, help="rows of A and B (9 n paths; se < 0.02 needs ~5e5)")
    ap.add_argument("--start", type=float, default=2025.0, help="where the data end: the caps act from here")
    ap.add_argument("--horizon", type=float, default=2060.0)
    ap.add_argument("--boot", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=65_536, help="paths per call of the model")
    ap.add_argument("--run", type=Path, default=None, help="a run directory with posterior.nc")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import jax
    import numpy as np

    from forecast.posterior import trend_draws
    from forecast.sensitivity import structural_design, structural_outputs, structural_sensitivity
    from forecast.structural import constants, load_structural_priors

    k_post, k_sobol = jax.random.split(jax.random.key(args.seed))
    if args.run is not None:
        import xarray as xr

        post = trend_draws(xr.open_datatree(args.run / "posterior.nc"))
        source = f"{args.run} ({post.growth_compute.shape[0]} draws)"
    else:
        from tests.synthetic import synthetic_posterior

        post = trend_draws(synthetic_posterior(k_post, 4, 1000))
        source = "synthetic posterior (issue-11 fit)"
    priors = load_structural_priors()
    t0 = time.perf_counter()
    df = structural_sensitivity(
        post, priors, k_sobol, args.n, start_year=args.start, horizon=args.horizon, n_boot=args.boot, chunk=args.chunk
    )
    seconds = time.perf_counter() - t0

    dev = jax.devices()[0]
    print(f"trend: {source}; priors {priors.path}; start {args.start}; horizon {args.horizon}")
    print(
        f"n = {args.n} (A, B: {9 * args.n} paths), {args.boot} bootstrap replicates, seed {args.seed}; "
        f"{seconds:.1f} s on {dev.platform} ({dev.device_kind}, {os.cpu_count()} cores), compile included"
    )
    print(df.to_string(float_format="{:.3f}".format))
    print(f"max se: S1 {df['S1_se'].max():.4f}, ST {df['ST_se'].max():.4f}")
    # the outputs themselves, on the rows of A (the same design as the indices)
    A = structural_design(post, priors, jax.random.split(k_sobol, 3)[0], args.n)
    n_years = int(np.ceil(args.horizon - args.start))
    Y = np.asarray(structural_outputs(A, constants(priors.settings), post.ref_year, args.start, n_years))
    for name, y in zip(df.index.get_level_values("output").unique(), Y.T, strict=True):
        q = np.quantile(y, [0.05, 0.5, 0.95])
        at_cap = np.mean(y >= args.start + n_years)
        print(f"{name}: 5/50/95% {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}; at the cap {at_cap:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
