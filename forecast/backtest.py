"""Rolling-origin backtest of the trend model against the OLS log-linear extrapolation, and
predictive quantiles for arbitrary release dates.

For each origin year ``Y`` the model is fitted on the data dated up to ``Y`` (decimal year
``Y.0``; :func:`forecast.data.truncate`, and :func:`forecast.model.model_data` centres and
scales with that data only). Each actual observation released in ``(Y + h - 1, Y + h]`` is then
scored under the posterior predictive of "a model (or chip) released on that date" (sites
``pred_compute``, ``pred_spending``, ``pred_hardware_release``): the exact predictive is the
equal-weight mixture of the posterior draws' residual laws (Student-t, or sinh-arcsinh t when the
priors hold ``residual_skew`` / ``residual_tail``: :mod:`forecast.sinharcsinh`), which gives the PIT,
the central-interval coverage (``|PIT - 0.5| <= p/2``) and the log score exactly; the CRPS uses
the ``fair`` ensemble estimator on draws from that mixture.

The baseline is what the published trend papers do: per series, OLS of log10 value on date
fitted to the same truncated data, with the classical Student-t prediction interval
(``n - 2`` degrees of freedom, scale ``s sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx)``); its CRPS,
log score and PIT are closed forms.

Series that are empty at an origin (the cloud-price series before 2017, ECI before 2023) add
nothing to the likelihood (the model skips them), so their parameters keep their prior.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import xarray as xr
from jax import Array
from numpyro.handlers import seed, substitute, trace
from scipy import stats

from forecast import sinharcsinh as sas
from forecast.model import (
    FORM_LATENT_SITES,
    LATENT_SITES,
    REF_YEAR,
    TREND_LATENT_SITES,
    ModelData,
    model_data,
    trend_model,
)
from forecast.priors import PriorSet
from forecast.scoring import (
    clustered_coverage_interval,
    coverage_region,
    crps_ensemble,
    crps_student_t,
    log_score_mixture,
    log_score_student_t,
)
from forecast.units import decimal_year

__all__ = [
    "TARGETS",
    "BacktestResult",
    "backtest",
    "decimal_year",
    "ols_predictive",
    "plot_backtest",
    "predict",
    "predictive_components",
]

#: Backtested series and the model's predictive site for each.
TARGETS: dict[str, str] = {
    "compute": "pred_compute",
    "spending": "pred_spending",
    "hardware_release": "pred_hardware_release",
}

# ---------------------------------------------------------------------------------------------
# Dates and predictive distributions
# ---------------------------------------------------------------------------------------------


def posterior_samples(dt: xr.DataTree) -> dict[str, Array]:
    """Latent posterior draws of a fit, chains flattened: ``{site: (draws, ...)}``."""
    post = dt["posterior"]
    out = {}
    for k in LATENT_SITES:
        if k not in post:
            continue  # checked against the model by predictive_components
        da = post[k]
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        arr = da.transpose("chain", "draw", *extra).values
        out[k] = jnp.asarray(arr.reshape(-1, *arr.shape[2:]))
    return out


def predictive_components(
    samples: dict, data: ModelData, priors: PriorSet, forecast_t, *, key: Array, model: Callable = trend_model
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Residual-law parameters of each posterior draw's predictive at the forecast times.

    Read from the model itself (a trace with the latent sites substituted), so the predictive
    cannot drift from the model's definition.

    Parameters
    ----------
    samples
        Latent draws with a leading draw axis (:func:`posterior_samples`).
    data
        Model arrays the model runs with (observations are irrelevant here).
    priors
        Trend priors.
    forecast_t
        Years since the reference date, shape ``(n,)``.
    key
        PRNG key for the (unused) predictive draws inside the trace.
    model
        The model (default :func:`~forecast.model.trend_model`).

    Returns
    -------
    dict
        ``{series: (df, loc, scale, skew, tail)}``, each ``(draws, n)``, for the series in
        :data:`TARGETS` (``skew`` 0 and ``tail`` 1 for the Student-t model).
    """
    t = jnp.asarray(forecast_t, dtype=float)
    n_draws = next(iter(samples.values())).shape[0]
    # A latent site the predictive needs but the posterior lacks would silently be drawn from
    # its prior inside the trace: refuse instead (e.g. a fit without noise_trend, priors with it).
    sites = trace(seed(model, rng_seed=0)).get_trace(data, priors, forecast_t=t)
    missing = [k for k in (*TREND_LATENT_SITES, *FORM_LATENT_SITES) if k in sites and k not in samples]
    if missing:
        raise ValueError(f"posterior lacks {missing} of the model with these priors; pass the fit's own priors")

    def one(s, k):
        tr = trace(seed(substitute(model, data=s), rng_seed=k)).get_trace(data, priors, forecast_t=t)
        out = {}
        for series, site in TARGETS.items():
            out[series] = tuple(jnp.broadcast_to(v, t.shape) for v in sas.residual_params(tr[site]["fn"]))
        return out

    res = jax.jit(jax.vmap(one))(samples, jax.random.split(key, n_draws))
    return {k: tuple(np.asarray(a) for a in v) for k, v in res.items()}


def _mixture_cdf(y, df, loc, scale, skew=0.0, tail=1.0):
    return sas.cdf(y[None, :], df, loc, scale, skew, tail).mean(axis=0)


def _mixture_quantiles(probs, df, loc, scale, skew=0.0, tail=1.0, iters: int = 60) -> np.ndarray:
    """Exact quantiles of the equal-weight mixture by bisection, shape ``(len(probs), n)``."""
    lo0 = sas.ppf(1e-4, df, loc, scale, skew, tail).min(axis=0)
    hi0 = sas.ppf(0.9999, df, loc, scale, skew, tail).max(axis=0)
    out = []
    for p in probs:
        lo, hi = lo0.copy(), hi0.copy()
        for _ in range(iters):
            mid = 0.5 * (lo + hi)
            below = _mixture_cdf(mid, df, loc, scale, skew, tail) < p
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        out.append(0.5 * (lo + hi))
    return np.asarray(out)


def predict(
    dt_posterior: xr.DataTree,
    dates,
    priors: PriorSet,
    data: ModelData,
    *,
    key: Array,
    quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
    series: Sequence[str] = ("compute", "spending"),
) -> pd.DataFrame:
    """Posterior-predictive quantiles of frontier log10 compute and log10 cost at release dates.

    The predictive of "a frontier model released on that date" is the mixture over posterior
    draws of the model's ``pred_*`` sites (Student-t or sinh-arcsinh t); its quantiles are computed exactly (by
    bisection on the mixture CDF), so they carry no extra Monte Carlo noise.

    Parameters
    ----------
    dt_posterior
        A fit's DataTree (``posterior.nc``); the root attr ``ref_year`` (default 2020.0) sets
        the time origin.
    dates
        Release dates: strings like ``"2026-01-01"``, datetimes or decimal years.
    priors
        The trend priors the run was fitted with.
    data
        Model arrays of the fit (:func:`forecast.model.model_data`); only their shapes matter.
    key
        PRNG key (the trace draws unused predictive values).
    quantiles
        Probabilities to report.
    series
        Any of :data:`TARGETS`.

    Returns
    -------
    pandas.DataFrame
        One row per (date, series): ``date``, ``year`` (decimal), ``series``, ``unit``, ``mean``
        and one column per quantile named ``q05``, ``q25``, ... (percent, two digits).
    """
    unknown = [s for s in series if s not in TARGETS]
    if unknown:
        raise ValueError(f"unknown series {unknown}; choose from {list(TARGETS)}")
    years = decimal_year(dates)
    ref_year = float(dt_posterior.attrs.get("ref_year", REF_YEAR))
    comps = predictive_components(posterior_samples(dt_posterior), data, priors, years - ref_year, key=key)
    units = {"compute": "log10 FLOP", "spending": "log10 USD (2023)", "hardware_release": "log10 FLOP/s per USD"}
    labels = [
        np.datetime_as_string(np.datetime64(pd.Timestamp(d), "D")) if not isinstance(d, int | float) else f"{d:g}"
        for d in np.atleast_1d(np.asarray(dates, dtype=object))
    ]
    rows = []
    for s in series:
        df, loc, scale, skew, tail = comps[s]
        qs = _mixture_quantiles(quantiles, df, loc, scale, skew, tail)
        # the mixture mean (finite when every component has df * tail > 1; NaN otherwise); with
        # skew it is not the mean of loc
        means = sas.mean(df, loc, scale, skew, tail).mean(axis=0)
        for j, y in enumerate(years):
            row = {"date": labels[j], "year": y, "series": s, "unit": units[s], "mean": float(means[j])}
            row |= {f"q{round(100 * p):02d}": float(qs[i, j]) for i, p in enumerate(quantiles)}
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# OLS baseline
# ---------------------------------------------------------------------------------------------


def ols_predictive(x, y, x0) -> tuple[float, np.ndarray, np.ndarray]:
    """Classical OLS prediction distribution of a new ``y`` at ``x0``: ``t_{n-2}(loc, scale)``.

    Parameters
    ----------
    x, y
        Fitting data (decimal year, log10 value); at least 3 points.
    x0
        Dates to predict at.

    Returns
    -------
    (df, loc, scale)
        ``loc = a + b x0`` and ``scale = s sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx)``, so that
        ``loc +- t_{n-2}(0.95) scale`` is the textbook 90% prediction interval.
    """
    x, y, x0 = (np.asarray(v, dtype=float) for v in (x, y, x0))
    n = x.shape[0]
    if n < 3:
        raise ValueError("OLS prediction interval needs at least 3 points")
    xbar = x.mean()
    sxx = ((x - xbar) ** 2).sum()
    b = ((x - xbar) * (y - y.mean())).sum() / sxx
    a = y.mean() - b * xbar
    s = np.sqrt(((y - a - b * x) ** 2).sum() / (n - 2))
    return float(n - 2), a + b * x0, s * np.sqrt(1 + 1 / n + (x0 - xbar) ** 2 / sxx)


# ---------------------------------------------------------------------------------------------
# The backtest
# ---------------------------------------------------------------------------------------------


@dataclass
class BacktestResult:
    """Outcome of :func:`backtest`.

    Attributes
    ----------
    scores
        Tidy, one row per (cutoff, horizon, series, method, observation): ``cutoff`` (origin
        year), ``horizon``, ``series``, ``method`` (``"model"`` or ``"ols"``), ``name``,
        ``year``, ``y``, ``median``, ``lo90``, ``hi90``, ``pit``, ``in50``, ``in90``, ``crps``,
        ``log_score`` (``-log`` predictive density; lower is better).
    fits
        One row per origin: rows used per series, divergences, convergence-gate failures, time.
    config
        Settings used.
    """

    scores: pd.DataFrame
    fits: pd.DataFrame
    config: dict = field(default_factory=dict)

    def summary(self, by: Sequence[str] = ("series",), alpha: float = 0.01) -> pd.DataFrame:
        """Coverage, CRPS and log score per method, grouped by ``by`` plus a pooled row.

        ``crps_ratio`` is the model's mean CRPS over the OLS mean CRPS on the same observations;
        ``cov90_lo``/``cov90_hi`` is the exact binomial acceptance region of the 90% coverage at
        ``alpha`` for the realised ``n`` (treating forecasts as independent, which overlapping
        horizons are not: read it as a red-flag line only). ``cov90_ci_lo``/``cov90_ci_hi`` (and
        ``cov50_ci_*``) is a 95% confidence interval for the model's true coverage that counts an
        observation scored from several origins and horizons, and a model's compute and cost, as
        one cluster (``name``; :func:`forecast.scoring.clustered_coverage_interval`);
        ``clusters`` and ``n_eff90`` say how many distinct observations and effective scores the
        pooled 90% figure rests on.

        Parameters
        ----------
        by
            Grouping columns (``"series"``, ``"horizon"``, ``"cutoff"``), or ``()``.
        alpha
            Level of the coverage region.

        Returns
        -------
        pandas.DataFrame
        """
        df = self.scores
        groups = [("pooled", df)]
        if by:
            groups = [(k if isinstance(k, tuple) else (k,), g) for k, g in df.groupby(list(by))] + groups
        rows = []
        for label, g in groups:
            row = dict(zip(by, label, strict=True)) if label != "pooled" else dict.fromkeys(by, "pooled")
            wide = {}
            for method, gm in g.groupby("method"):
                wide[method] = gm
                row[f"n_{method}"] = len(gm)
                row[f"cov50_{method}"] = gm["in50"].mean()
                row[f"cov90_{method}"] = gm["in90"].mean()
                row[f"crps_{method}"] = gm["crps"].mean()
                row[f"logs_{method}"] = gm["log_score"].mean()
            if "model" in wide and "ols" in wide:
                keys = ["cutoff", "horizon", "series", "name", "year"]
                m = wide["model"].merge(wide["ols"], on=keys, suffixes=("_m", "_o"))
                row["crps_ratio"] = m["crps_m"].mean() / m["crps_o"].mean()
            if "model" in wide:
                gm = wide["model"]
                row["cov90_lo"], row["cov90_hi"] = coverage_region(len(gm), 0.9, alpha)
                row["clusters"] = gm["name"].nunique()
                row["cov90_ci_lo"], row["cov90_ci_hi"], row["n_eff90"] = clustered_coverage_interval(
                    gm["in90"], gm["name"]
                )
                row["cov50_ci_lo"], row["cov50_ci_hi"], _ = clustered_coverage_interval(gm["in50"], gm["name"])
            rows.append(row)
        return pd.DataFrame(rows)


def backtest_targets(frames, origin, horizons, series) -> list[tuple[int, str, pd.DataFrame]]:
    """``(h, series, rows)`` of the observations released in ``(origin + h - 1, origin + h]``, non-empty only."""
    targets = []
    for h in horizons:
        for s in series:
            df = getattr(frames, s)
            yr = df["year"].to_numpy()
            sel = (yr > origin + h - 1) & (yr <= origin + h)
            if sel.any():
                targets.append((h, s, df.loc[sel]))
    return targets


def ols_rows(hist: pd.DataFrame, y, names, years, base: dict) -> list[pd.DataFrame]:
    """Scores of the OLS baseline fitted to ``hist`` (``year``, ``log10_value``) at ``y``; none under 4 rows."""
    if len(hist) < 4:
        return []
    odf, oloc, oscale = ols_predictive(hist["year"], hist["log10_value"], years)
    tq = stats.t.ppf(0.95, odf)
    return [
        _score_rows(
            y,
            names,
            years,
            method="ols",
            pit=stats.t.cdf((y - oloc) / oscale, odf),
            logs=log_score_student_t(y, odf, oloc, oscale),
            crps=crps_student_t(y, odf, oloc, oscale),
            lo90=oloc - tq * oscale,
            hi90=oloc + tq * oscale,
            median=oloc,
            base=base,
        )
    ]


def _score_rows(y, names, years, *, method, pit, logs, crps, lo90, hi90, median, base):
    dev = np.abs(pit - 0.5)
    return pd.DataFrame(
        {
            **base,
            "method": method,
            "name": names,
            "year": years,
            "y": y,
            "median": median,
            "lo90": lo90,
            "hi90": hi90,
            "pit": pit,
            "in50": dev <= 0.25,
            "in90": dev <= 0.45,
            "crps": crps,
            "log_score": logs,
        }
    )


def backtest(
    data_path: Path | str | None = None,
    origins: Iterable[int] = range(2016, 2024),
    horizons: Iterable[int] = (1, 2, 3),
    *,
    key: Array,
    priors_path: Path | str | None = None,
    sampler=None,
    series: Sequence[str] = tuple(TARGETS),
    draws_per_component: int = 4,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of the trend model and the OLS baseline.

    Parameters
    ----------
    data_path
        As for :func:`forecast.data.load_data` (``None``: the packaged extract).
    origins
        Origin years ``Y``: fit on data dated up to ``Y.0``.
    horizons
        Horizons ``h`` in years: score the observations released in ``(Y + h - 1, Y + h]``.
    key
        Root PRNG key; origin ``Y`` uses ``fold_in(key, Y)``.
    priors_path
        Trend priors (``None``: ``priors/trends.toml``).
    sampler
        :class:`forecast.infer.SamplerConfig`; default 2 chains x 500 draws, 500 warm-up.
    series
        Series to score, from :data:`TARGETS`.
    draws_per_component
        Predictive draws per posterior draw for the ensemble CRPS.
    progress
        Optional callable receiving one-line progress messages.

    Returns
    -------
    BacktestResult
    """
    from forecast.data import load_data, truncate
    from forecast.gate import check_convergence
    from forecast.infer import GATED_VARS, SamplerConfig, run_nuts, to_datatree
    from forecast.model import load_trend_priors

    say = progress or (lambda msg: None)
    sampler = sampler or SamplerConfig(chains=2, draws=500, warmup=500)
    priors = load_trend_priors(priors_path)
    frames = load_data(data_path)
    horizons = tuple(int(h) for h in horizons)
    parts, fit_rows = [], []
    for origin in origins:
        t0 = time.perf_counter()
        k_fit, k_comp, k_ens = (jax.random.fold_in(jax.random.fold_in(key, int(origin)), i) for i in range(3))
        cut = truncate(frames, float(origin))
        data, scaling = model_data(cut)
        empty = [name for name, series in zip(data._fields, data, strict=True) if series.t.shape[0] == 0]
        say(f"origin {origin}: fitting on {sum(cut.meta['rows'].values())} rows (empty: {empty or 'none'})")
        mcmc = run_nuts(data, priors, sampler, key=k_fit)
        dt = to_datatree(mcmc, data, priors, key=k_fit, posterior_predictive=False)
        gate = check_convergence(dt, GATED_VARS, max_tree_depth=sampler.max_tree_depth)
        samples = posterior_samples(dt)
        fit_rows.append(
            {
                "cutoff": int(origin),
                **{f"rows_{s}": int(n) for s, n in cut.meta["rows"].items()},
                "divergences": gate.divergences,
                "gate_failures": len(gate.failures),
                "first_failure": gate.failures[0] if gate.failures else "",
                "seconds": time.perf_counter() - t0,
            }
        )
        targets = backtest_targets(frames, origin, horizons, series)
        if not targets:
            continue
        all_years = np.concatenate([d["year"].to_numpy() for _, _, d in targets])
        comps = predictive_components(samples, data, priors, all_years - scaling.ref_year, key=k_comp)
        rng = np.random.default_rng(np.asarray(jax.random.key_data(k_ens)).ravel())
        offset = 0
        for h, s, d in targets:
            n = len(d)
            j = slice(offset, offset + n)
            offset += n
            y = d["log10_value"].to_numpy(dtype=float)
            years = d["year"].to_numpy(dtype=float)
            names = d["name"].astype(str).to_numpy()
            base = {"cutoff": int(origin), "horizon": h, "series": s}
            # model: exact mixture PIT and log score; ensemble CRPS from mixture draws
            tdf, loc, scale, skew, tail = (a[:, j] for a in comps[s])
            pit = _mixture_cdf(y, tdf, loc, scale, skew, tail)
            lp = sas.logpdf(y[None, :], tdf, loc, scale, skew, tail)
            ens = sas.sample(rng, tdf, loc, scale, skew, tail, size=(draws_per_component, *tdf.shape))
            ens = ens.reshape(-1, n).T
            q = _mixture_quantiles((0.05, 0.5, 0.95), tdf, loc, scale, skew, tail)
            parts.append(
                _score_rows(
                    y,
                    names,
                    years,
                    method="model",
                    pit=pit,
                    logs=log_score_mixture(lp, axis=0),
                    crps=crps_ensemble(y, ens, estimator="fair"),
                    lo90=q[0],
                    hi90=q[2],
                    median=q[1],
                    base=base,
                )
            )
            # OLS on the same truncated series
            parts.extend(ols_rows(getattr(cut, s), y, names, years, base))
        say(f"origin {origin}: scored {offset} observations in {time.perf_counter() - t0:.0f} s")
    scores = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    config = {
        "origins": [int(o) for o in origins],
        "horizons": list(horizons),
        "series": list(series),
        "sampler": sampler.to_dict(),
        "priors_sha256": priors.sha256,
        "data": str(data_path) if data_path else "packaged extract",
    }
    return BacktestResult(scores, pd.DataFrame(fit_rows), config)


def plot_backtest(result: BacktestResult, path: Path | str) -> Path:
    """Backtest figure (PNG): per series, forecasts vs actuals, CRPS by horizon, PIT histogram.

    Parameters
    ----------
    result
        From :func:`backtest`.
    path
        PNG file to write.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = result.scores
    series = list(dict.fromkeys(df["series"]))
    fig, axes = plt.subplots(len(series), 3, figsize=(14, 3.4 * len(series)), squeeze=False)
    colors = {"model": "C0", "ols": "C1"}
    for r, s in enumerate(series):
        d = df[df["series"] == s]
        ax = axes[r, 0]
        for method, off in (("model", -0.04), ("ols", 0.04)):
            g = d[d["method"] == method]
            ax.errorbar(
                g["year"] + off,
                g["median"],
                yerr=[g["median"] - g["lo90"], g["hi90"] - g["median"]],
                fmt="none",
                ecolor=colors[method],
                alpha=0.35,
                lw=0.8,
                label=f"{method} 90%",
            )
        obs = d[d["method"] == "model"]
        ax.scatter(
            obs["year"],
            obs["y"],
            s=8,
            c=np.where(obs["in90"], "k", "C3"),
            zorder=3,
            label="actual (red: outside model 90%)",
        )
        ax.set_title(f"{s}: 90% predictive intervals vs actuals", fontsize=9)
        ax.legend(fontsize=7)
        ax = axes[r, 1]
        for method, g in d.groupby("method"):
            m = g.groupby("horizon")["crps"].mean()
            ax.plot(m.index, m.values, "o-", color=colors[method], label=method)
        ax.set_xlabel("horizon (years)")
        ax.set_title(f"{s}: mean CRPS (log10 units)", fontsize=9)
        ax.legend(fontsize=7)
        ax = axes[r, 2]
        for method, g in d.groupby("method"):
            ax.hist(g["pit"], bins=10, range=(0, 1), histtype="step", color=colors[method], label=method, density=True)
        ax.axhline(1, color="0.5", lw=0.5)
        ax.set_title(f"{s}: PIT histogram", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
