"""Largest-run paths under the structural priors (issue 14), beside the uncapped trend.

Draws trend paths from a fitted posterior (``--run runs/<id>``) or from the synthetic posterior
that mirrors the issue-11 fit (default; no NUTS run), structural draws from
``priors/structural.toml``, and prints yearly quantiles of the largest run's log10 compute and
cost with and without the caps, how often each cap binds, and the year the uncapped trend's
largest run would cost all of world GDP. Seconds on a CPU.

    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/structural_paths.py [--paths 20000] [--run DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_ENABLE_X64", "True")


def main(argv: list[str] | None = None) -> int:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=20_000)
    ap.add_argument("--start", type=float, default=2025.0)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--run", type=Path, default=None, help="a run directory with posterior.nc")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import jax
    import jax.numpy as jnp
    import numpy as np

    from forecast.posterior import trend_draws
    from forecast.structural import constants, largest_run, load_structural_priors, log10_gdp, sample_structural

    k_post, k_pick, k_struct = jax.random.split(jax.random.key(args.seed), 3)
    if args.run is not None:
        import xarray as xr

        post = trend_draws(xr.open_datatree(args.run / "posterior.nc"))
        source = str(args.run)
    else:
        from tests.synthetic import synthetic_posterior

        post = trend_draws(synthetic_posterior(k_post, 4, 1000))
        source = "synthetic posterior (issue-11 fit)"
    idx = np.asarray(jax.random.randint(k_pick, (args.paths,), 0, post.growth_compute.shape[0]))
    trend = post._replace(**{f: getattr(post, f)[idx] for f in post._fields if f != "ref_year"})
    priors = load_structural_priors()
    c = constants(priors.settings)
    draws = sample_structural(priors, k_struct, args.paths)
    n = args.paths
    free = draws._replace(log10_gdp_share_cap=jnp.zeros(n), log10_limit_2030=jnp.full(n, 99.0))
    capped, uncapped = largest_run(trend, draws, c, args.start, args.years), largest_run(trend, free, c, args.start, 0)

    print(f"trend: {source}; {n} paths; start {args.start}; priors {priors.path}")
    cols = ("year  ", "uncapped compute", "capped compute 5/50/95%  ", "capped cost 50%", "share GDP 50%")
    print(" | ".join([*cols, "P(GDP cap)", "P(limit)"]))
    for k in range(args.years + 1):
        year = args.start + k
        unc = np.median(np.asarray(uncapped.log10_compute[0] + trend.growth_compute * k))
        q = np.quantile(np.asarray(capped.log10_compute[k]), [0.05, 0.5, 0.95])
        cost = np.asarray(capped.log10_cost[k])
        share = np.median(cost - float(log10_gdp(year, c)))
        p_gdp = float(np.mean(np.asarray(capped.log10_cost_cap[k]) - cost < 0.05))
        p_lim = float(np.mean(np.asarray(capped.log10_compute_limit[k] - capped.log10_compute[k]) < 0.05))
        print(
            f"{year:6.1f} | {unc:16.2f} | {q[0]:7.2f} {q[1]:7.2f} {q[2]:7.2f} | {np.median(cost):15.2f} "
            f"| {10**share:13.1e} | {p_gdp:10.2f} | {p_lim:8.2f}"
        )
    # the uncapped largest run costs all of world GDP when cost0 + g (t - start) = log10 GDP(t)
    gap = float(log10_gdp(args.start, c)) - np.asarray(uncapped.log10_cost[0])
    years_to_gdp = gap / (np.asarray(trend.growth_spending) - c.gdp_growth_oom)
    line = years_to_gdp + np.asarray(draws.offset_oom) / (np.asarray(trend.growth_spending) - c.gdp_growth_oom)
    print(
        f"uncapped: the largest run costs world GDP in {np.median(args.start + years_to_gdp):.1f}, "
        f"the regression line in {np.median(args.start + line):.1f} (medians)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
