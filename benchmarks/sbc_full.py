"""Full simulation-based calibration of the joint trend model (calibration.md SBC-1 / SBC-4).

Prints the command, date, device and timing; writes ranks, PIT, per-quantity tests, per-fit
diagnostics and the ECDF-difference plot to ``--out``. Exit code 0 when every quantity passes
(or, with ``--mutant``, when the planted bug is rejected), 1 otherwise.

Usage
-----
    .venv/bin/python benchmarks/sbc_full.py [--simulations 1000] [--scale 1.0] [--warmup 500]
        [--draws 1000] [--thin 10] [--chunk 50] [--seed N | --seed-from-date]
        [--mutant none|prior|variance|half] [--out runs/sbc-full]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_ENABLE_X64", "True")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--simulations", type=int, default=1000)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--thin", type=int, default=10)
    p.add_argument("--chunk", type=int, default=50)
    p.add_argument("--seed", type=int, default=None, help="default: forecast.calibrate.SBC_SEED")
    p.add_argument("--seed-from-date", action="store_true", help="nightly: seed = YYYYMMDD of today")
    p.add_argument(
        "--mutant",
        choices=["none", "prior", "variance", "half", "correlation", "sim-zero-correlation"],
        default="none",
        help="correlation: the fitter drops the compute-cost correlation; sim-zero-correlation: the "
        "generator draws no correlation while the fitter keeps its prior",
    )
    p.add_argument("--alpha", type=float, default=0.01)
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "sbc-full")
    args = p.parse_args(argv)

    import jax
    from numpyro.handlers import substitute

    from forecast.calibrate import SBCConfig, plot_sbc_ecdf, run_sbc
    from forecast.model import load_trend_priors, trend_model
    from forecast.mutants import half_data, ignore_correlation, variance_as_scale

    if args.seed_from_date:
        seed = int(dt.date.today().strftime("%Y%m%d"))
    elif args.seed is not None:
        seed = args.seed
    else:
        from forecast.calibrate import SBC_SEED

        seed = SBC_SEED
    cfg = SBCConfig(
        simulations=args.simulations,
        scale=args.scale,
        warmup=args.warmup,
        draws=args.draws,
        thin=args.thin,
        chunk_size=args.chunk,
        family_alpha=args.alpha,
    )
    kwargs = {
        "none": {},
        "prior": {"fitter": "prior"},
        "variance": {"fit_model": variance_as_scale()},
        "half": {"fit_model": half_data()},
        "correlation": {"fit_model": ignore_correlation()},
        "sim-zero-correlation": {"sim_model": substitute(trend_model, data={"compute_spending_corr": 0.0})},
    }[args.mutant]
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"date: {dt.datetime.now().isoformat(timespec='seconds')}")
    print(
        f"device: {jax.devices()[0].device_kind} x{jax.device_count()} ({jax.default_backend()}); "
        f"cpu cores {os.cpu_count()}; {platform.platform()}"
    )
    print(
        f"versions: jax {jax.__version__}, numpyro {__import__('numpyro').__version__}, x64 {jax.config.jax_enable_x64}"
    )
    print(f"config: {json.dumps(cfg.to_dict())}; seed {seed}; mutant {args.mutant}", flush=True)

    priors = load_trend_priors()
    t0 = time.perf_counter()
    result = run_sbc(
        priors,
        cfg,
        key=jax.random.key(seed),
        progress=lambda m: print(f"  [{time.perf_counter() - t0:7.1f} s] {m}", flush=True),
        **kwargs,
    )
    wall = time.perf_counter() - t0
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    result.ranks.to_csv(out / "ranks.csv")
    result.pit.to_csv(out / "pit.csv")
    result.tests.to_csv(out / "tests.csv")
    result.fits.to_csv(out / "fits.csv")
    plot_sbc_ecdf(result, out / "sbc_ecdf.png")
    meta = {
        "seed": seed,
        "mutant": args.mutant,
        "config": result.config,
        "timing": result.timing,
        "wall_s": wall,
        "passed": result.passed,
        "failures": result.failures,
        "dropped": result.dropped,
        "divergent_share": result.divergent_share,
        "device": str(jax.devices()[0]),
    }
    (out / "sbc.json").write_text(json.dumps(meta, indent=2))
    print(result.tests.round(5).to_string())
    print(result.summary())
    print(
        f"timing: {json.dumps({k: round(v, 1) for k, v in result.timing.items()})}; wall {wall:.1f} s; outputs in {out}"
    )
    ok = result.passed if args.mutant == "none" else not result.passed
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
