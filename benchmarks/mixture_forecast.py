"""The 2030 factor under the stacked mixture of growth forms (issue 14), through the Monte Carlo kernel.

The mixture's trend draws are :func:`forecast.mixture.mixture_trend`'s (what ``forecast simulate
--forms`` runs) from the output of ``benchmarks/growth_forms.py fit`` or ``forecast forms``; the paths
then run the trend and the structural forecast as ``forecast run`` does, beside the constant form of
the full fit. Approximations: see :mod:`forecast.mixture`.

    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/mixture_forecast.py --forms /tmp/forms --run runs/<id>
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_ENABLE_X64", "True")


def main(argv: list[str] | None = None) -> int:
    """Print P(2030 factor >= 1e4 / 1e8 / 1e12) and the medians under the mixture."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forms", type=Path, required=True, help="output folder of growth_forms.py fit")
    ap.add_argument("--run", type=Path, required=True, help="a forecast run (posterior.nc and automation/)")
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import arviz as az
    import jax
    import xarray as xr

    from forecast import automation as A
    from forecast.mixture import MIXTURE_DRAWS, STACKING_FILE, load_forms, mixture_trend
    from forecast.occupations import load_occupations
    from forecast.posterior import trend_draws
    from forecast.scenarios import load_scenario
    from forecast.simulate import simulate
    from forecast.tasks import load_task_evidence

    k_mix, k_sim = jax.random.split(jax.random.key(args.seed))
    full = trend_draws(xr.open_datatree(args.run / "posterior.nc"))
    trend = mixture_trend(load_forms(args.forms), full, MIXTURE_DRAWS, key=k_mix)
    weights = json.loads((args.forms / STACKING_FILE).read_text())["weights"]
    occ = load_occupations()
    evidence = load_task_evidence(groups=list(occ["group"]))
    dt_auto = az.from_netcdf(args.run / "automation" / "posterior.nc").load()
    auto = A.fit_from_datatree(dt_auto, occ, evidence, A.load_automation_priors()).posterior
    print(f"stacking weights {weights}; {args.paths} paths, seed {args.seed}; data end {trend.ref_year:.2f}")
    for source, tr in (("mixture", trend), ("constant (full fit)", full)):
        for name in ("trend", "structural"):
            res = simulate(tr, load_scenario(name), auto, paths=args.paths, until_year=2030, key=k_sim)
            q = res["log10_factor"].sel(series="effective", year=2030)
            p = res["prob_factor_headline"].values
            print(
                f"{source:20s} {name:10s} 2030 factor vs 2022: median {float(q.sel(quantile=0.5)):.2f} "
                f"(90% {float(q.sel(quantile=0.05)):.2f}-{float(q.sel(quantile=0.95)):.2f}); "
                f"P(>=1e4/1e8/1e12) {p[0]:.3f} / {p[1]:.3f} / {p[2]:.4f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
