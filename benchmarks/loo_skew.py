"""PSIS-LOO of skewed (sinh-arcsinh Student-t) residuals against the default model, same units.

Compares fits written by ``forecast fit`` (each run directory's ``posterior.nc`` holds the
pointwise log-likelihood), all fitted to the packaged extract:

    forecast fit --seed 0 --runs-dir /tmp/tails --run-id default
    forecast fit --seed 0 --priors priors/trends_skew.toml --runs-dir /tmp/tails --run-id skew
    .venv/bin/python benchmarks/loo_skew.py default=/tmp/tails/default skew=/tmp/tails/skew

Units (forecast.model.observation_units): one per frontier model (compute and cost together),
chip and cloud price (first table), and with the algorithmic-progress rows too (second table);
both variants have the same sites, so the units agree by construction (checked by
``forecast.loo.loo_table``). Also prints, per fit, the posterior of the skew, the tail weight and
the degrees of freedom, and the correlation of each log tail weight with log df (whether the two
tail parameters are separately identified).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("JAX_ENABLE_X64", "True")
os.environ.setdefault("JAX_PLATFORMS", "cpu")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("fits", nargs="+", help="name=run_dir (a forecast fit run directory)")
    p.add_argument("--out", type=Path, default=None, help="folder for the CSV tables")
    args = p.parse_args(argv)

    import arviz as az
    import numpy as np

    from forecast.data import load_data
    from forecast.loo import loo_table
    from forecast.model import TREND_SITES, observation_units
    from forecast.vocab import TREND_SERIES

    frames = load_data(None)
    fits = {}
    for item in args.fits:
        name, run = item.split("=", 1)
        fits[name] = az.from_netcdf(Path(run) / "posterior.nc").load()
    units = observation_units(frames)
    trend_units = {s: u for s, u in units.items() if s in TREND_SITES}
    tables = {
        "trend units": loo_table(fits, dict.fromkeys(fits, trend_units)),
        "all units": loo_table(fits, dict.fromkeys(fits, units)),
    }
    for label, t in tables.items():
        print(f"\n{label}\n{t.to_string(float_format=lambda v: f'{v:.2f}')}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        tables["trend units"].to_csv(args.out / "loo_skew_trend_units.csv")
        tables["all units"].to_csv(args.out / "loo_skew_all_units.csv")

    for name, dt in fits.items():
        post = dt["posterior"]
        df = post["student_df"].values.reshape(-1)
        lo, mid, hi = np.quantile(df, [0.05, 0.5, 0.95])
        print(f"\n{name}: student_df median {mid:.2f} (90% {lo:.2f}-{hi:.2f})")
        for site in ("residual_skew", "residual_tail"):
            if site not in post:
                continue
            arr = post[site].transpose("chain", "draw", "trend_series").values.reshape(-1, len(TREND_SERIES))
            for i, s in enumerate(TREND_SERIES):
                q = np.quantile(arr[:, i], [0.05, 0.5, 0.95])
                line = f"  {site}[{s}] median {q[1]:+.3f} (90% {q[0]:+.3f} to {q[2]:+.3f})"
                if site == "residual_tail":
                    line += f"; corr(log tail, log df) {np.corrcoef(np.log(arr[:, i]), np.log(df))[0, 1]:+.2f}"
                print(line)


if __name__ == "__main__":
    main()
