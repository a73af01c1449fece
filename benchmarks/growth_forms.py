"""Growth forms of the trend series compared (PSIS-LOO, stacking) and backtested (issue 14).

Three steps, each writing into ``--out`` (default ``/tmp/forms``):

- ``fit``: each form (``constant``, ``changepoint``, ``local_linear``; priors: ``priors/trends.toml``
  plus the form's overlay ``priors/growth_<form>.toml``) fitted to the packaged extract as
  ``forecast fit`` does (``forecast.infer.run_nuts``, 4 chains x 1000 draws + 1000 warm-up,
  target acceptance 0.99, seed 0), the convergence gate (``forecast.gate.check_convergence``),
  PSIS-LOO per form on the same observation units (``forecast.loo.loo_table``: trend units, and
  all units), stacking weights (``arviz_stats.compare(method="stacking")``), and the doubling
  times at the data end per form and for the stacked mixture (``forecast.forms.stack_draws``,
  20 000 draws, key 1);
- ``backtest``: ``forecast.form_backtest.backtest_forms`` at a 5-year horizon (observations released in
  ``(Y + 4, Y + 5]``), origins 2014-2020, each form and the stacked mixture (weights from each
  origin's own fits) against OLS; 2 chains x 400 draws + 400 warm-up per fit; results are written
  after every origin;
- ``report``: the tables of both as Markdown.

Usage
-----
    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/growth_forms.py fit [--out /tmp/forms]
    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/growth_forms.py backtest [--origins 2020 2017 ...]
    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/growth_forms.py report
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("JAX_ENABLE_X64", "True")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

FORMS = ("constant", "changepoint", "local_linear")
#: Origins in an order that spreads them, so that a run cut short still covers the range.
ORIGINS = (2020, 2017, 2014, 2019, 2016, 2018, 2015)


def _fit(args) -> None:
    import arviz as az
    import jax
    import numpy as np
    import pandas as pd

    from forecast.data import load_data
    from forecast.form_backtest import _empty_domain
    from forecast.forms import form_draws, load_form_priors, stack_draws
    from forecast.gate import check_convergence
    from forecast.infer import GATED_VARS, SamplerConfig, fit
    from forecast.loo import loo_table
    from forecast.model import TREND_SITES, model_data, observation_units
    from forecast.units import doubling_months
    from forecast.vocab import DOMAINS

    frames = load_data(None)
    data, scaling = model_data(frames)
    if not args.with_domains:
        data = data._replace(**{d: _empty_domain() for d in DOMAINS})
    config = SamplerConfig(chains=args.chains, draws=args.draws, warmup=args.warmup, target_accept=args.target_accept)
    units = observation_units(frames)
    if not args.with_domains:
        units = {s: u for s, u in units.items() if s in TREND_SITES}
    fits, gates = {}, []
    for form in args.forms:
        path = args.out / f"fit_{form}.nc"
        priors = load_form_priors(form)
        t0 = time.perf_counter()
        if path.exists() and not args.refit:
            dt = az.from_netcdf(path).load()
        else:
            dt = fit(data, priors, config, key=jax.random.key(args.seed), posterior_predictive=False)
            dt.attrs["ref_year"] = scaling.ref_year
            dt.attrs["growth_form"] = form
            dt.to_netcdf(path)
        seconds = time.perf_counter() - t0
        gate = check_convergence(dt, GATED_VARS, max_tree_depth=config.max_tree_depth)
        table = gate.table
        gates.append(
            {
                "form": form,
                "passed": gate.passed,
                "divergences": gate.divergences,
                "max_rhat": float(table["rhat"].max()),
                "min_ess_bulk": float(table["ess_bulk"].min()),
                "min_ess_tail": float(table["ess_tail"].min()),
                "min_bfmi": min(gate.bfmi) if gate.bfmi else float("nan"),
                "treedepth_share": gate.treedepth_share,
                "failures": "; ".join(gate.failures[:4]),
                "seconds": seconds,
            }
        )
        table.to_csv(args.out / f"gate_{form}.csv")
        fits[form] = dt
        print(f"{form}: {gates[-1]}", flush=True)
    pd.DataFrame(gates).to_csv(args.out / "gates.csv", index=False)
    trend_units = {s: u for s, u in units.items() if s in TREND_SITES}
    loo_trend = loo_table(fits, dict.fromkeys(fits, trend_units))
    loo_all = loo_table(fits, dict.fromkeys(fits, units))
    loo_trend.to_csv(args.out / "loo_trend_units.csv")
    loo_all.to_csv(args.out / "loo_all_units.csv")
    print(loo_trend.to_string(float_format=lambda v: f"{v:.3f}"), flush=True)
    print(loo_all.to_string(float_format=lambda v: f"{v:.3f}"), flush=True)

    draws = {f: form_draws(fits[f], f, scaling.ref_year) for f in fits}
    weights = {f: float(loo_trend.loc[f, "weight"]) for f in fits}
    mix = stack_draws(draws, weights, args.mixture_draws, key=jax.random.key(1))
    rows = []
    for label, d in [*draws.items(), ("stacked", mix)]:
        dm = doubling_months(d.growth_end)
        for j, s in enumerate(("compute", "spending", "hardware")):
            q = np.quantile(dm[:, j], [0.05, 0.5, 0.95])
            g = np.quantile(d.growth_end[:, j], [0.05, 0.5, 0.95])
            rows.append(
                {
                    "form": label,
                    "series": s,
                    "dm_q05": q[0],
                    "dm_q50": q[1],
                    "dm_q95": q[2],
                    "g_q05": g[0],
                    "g_q50": g[1],
                    "g_q95": g[2],
                }
            )
        if label == "local_linear":
            sd = np.quantile(d.innovation_sd, [0.05, 0.5, 0.95], axis=0)
            print(f"local_linear innovation sd (5/50/95%, compute/spending/hardware): {np.round(sd, 4).tolist()}")
    pd.DataFrame(rows).to_csv(args.out / "doubling_end.csv", index=False)
    with open(args.out / "stacking.json", "w") as fh:
        json.dump({"weights": weights, "data_end_year": mix.end_year, "mixture_draws": args.mixture_draws}, fh)
    for form in ("changepoint",):
        if form in fits:
            post = fits[form]["posterior"]
            q = post["changepoint_time"].quantile([0.05, 0.5, 0.95], dim=("chain", "draw")) + scaling.ref_year
            print(f"changepoint dates (5/50/95%): {q.values.round(2).tolist()}")
            for s in ("compute", "spending", "hardware"):
                v = post[f"slope_change_{s}"].quantile([0.05, 0.5, 0.95], dim=("chain", "draw")).values
                print(f"slope change {s}: {v.round(3).tolist()}")


def _backtest(args) -> None:
    import jax

    from forecast.form_backtest import backtest_forms
    from forecast.infer import SamplerConfig

    sampler = SamplerConfig(chains=2, draws=args.bt_draws, warmup=args.bt_warmup, target_accept=args.target_accept)

    def save(result, weights):
        result.scores.to_csv(args.out / "backtest_scores.csv", index=False)
        result.fits.to_csv(args.out / "backtest_fits.csv", index=False)
        weights.to_csv(args.out / "backtest_weights.csv", index=False)
        with open(args.out / "backtest_config.json", "w") as fh:
            json.dump(result.config, fh, default=str)

    t0 = time.perf_counter()
    backtest_forms(
        origins=args.origins,
        horizons=(5,),
        key=jax.random.key(args.seed),
        forms=args.forms,
        sampler=sampler,
        progress=lambda m: print(f"[{time.perf_counter() - t0:6.0f} s] {m}", flush=True),
        on_origin=save,
        trend_only=not args.with_domains,
        fit_dir=args.out / "backtest_fits",
    )


def backtest_summary(scores):
    """Per method (and pooled / per series): n, 90% and 50% coverage, mean CRPS, CRPS / OLS."""
    import pandas as pd

    keys = ["cutoff", "horizon", "series", "name", "year"]
    ols = scores[scores["method"] == "ols"][[*keys, "crps"]].rename(columns={"crps": "crps_ols"})
    rows = []
    for series, g in [("pooled", scores), *scores.groupby("series")]:
        for method, gm in g.groupby("method", sort=False):
            m = gm.merge(ols, on=keys)
            rows.append(
                {
                    "series": series,
                    "method": method,
                    "n": len(gm),
                    "cov90": gm["in90"].mean(),
                    "cov50": gm["in50"].mean(),
                    "crps": gm["crps"].mean(),
                    "crps_vs_ols": m["crps"].mean() / m["crps_ols"].mean(),
                    "log_score": gm["log_score"].mean(),
                }
            )
    return pd.DataFrame(rows)


def _md(df, fmt: str = "{:.3f}") -> str:
    """A DataFrame as a Markdown table (no tabulate dependency)."""
    cells = [[fmt.format(v) if isinstance(v, float) else str(v) for v in row] for row in df.itertuples(index=False)]
    head = "| " + " | ".join(map(str, df.columns)) + " |\n| " + " | ".join("---" for _ in df.columns) + " |\n"
    return head + "\n".join("| " + " | ".join(r) + " |" for r in cells)


def _report(args) -> None:
    import pandas as pd

    for name in ("gates.csv", "loo_trend_units.csv", "doubling_end.csv"):
        p = args.out / name
        if p.exists():
            print(f"\n{name}\n\n{_md(pd.read_csv(p))}")
    p = args.out / "backtest_scores.csv"
    if p.exists():
        scores = pd.read_csv(p)
        print(f"\nbacktest (origins {sorted(scores['cutoff'].unique().tolist())})\n")
        print(_md(backtest_summary(scores)))
        print("\n" + _md(pd.read_csv(args.out / "backtest_weights.csv")))
        fits = pd.read_csv(args.out / "backtest_fits.csv")
        print("\n" + _md(fits[[c for c in fits if not c.startswith("rows_")]], "{:.0f}"))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("step", choices=("fit", "backtest", "report"))
    p.add_argument("--out", type=Path, default=Path("/tmp/forms"))
    p.add_argument("--forms", nargs="+", default=list(FORMS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--refit", action="store_true", help="refit even when fit_<form>.nc exists")
    p.add_argument("--mixture-draws", type=int, default=20_000)
    p.add_argument("--origins", type=int, nargs="+", default=list(ORIGINS))
    p.add_argument("--bt-draws", type=int, default=400)
    p.add_argument("--bt-warmup", type=int, default=400)
    p.add_argument(
        "--with-domains", action="store_true", help="keep the algorithmic-progress rows (default: trend series only)"
    )
    p.add_argument("--target-accept", type=float, default=0.95)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}", flush=True)
    {"fit": _fit, "backtest": _backtest, "report": _report}[args.step](args)


if __name__ == "__main__":
    main()
