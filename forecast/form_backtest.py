"""Rolling-origin backtest of the growth forms (issue 14), each alone and as their stacked mixture.

At each origin every form (:mod:`forecast.forms`) is fitted on the data up to the origin, the
stacking weights come from that origin's own PSIS-LOO fits (:func:`forecast.loo.loo_table`), and
the observations released ``h`` years later are scored under each form's predictive, the
weighted mixture and OLS (the scoring of :mod:`forecast.backtest`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import xarray as xr
from jax import Array

from forecast import sinharcsinh as sas
from forecast.backtest import (
    TARGETS,
    BacktestResult,
    _score_rows,
    backtest_targets,
    ols_rows,
    posterior_samples,
    predictive_components,
)
from forecast.model import DomainSeries, model_data
from forecast.scoring import crps_ensemble
from forecast.vocab import DOMAINS, ECI_EFFECTS

__all__ = ["backtest_forms"]


def _empty_domain() -> DomainSeries:
    return DomainSeries(t=jnp.zeros(0), xy=jnp.zeros((0, 2)), effects=jnp.zeros((0, len(ECI_EFFECTS))))


def _weighted_components(comps: Sequence[tuple], weights: Sequence[float]):
    """Concatenate components ``(df, loc, scale, skew, tail)`` of several mixtures ``(D_f, n)`` into one,
    each component weighted ``w_f / D_f`` (weights normalised to sum 1; weight-0 mixtures dropped)."""
    w = np.asarray(weights, dtype=float)
    keep = w > 0  # a form with weight 0 adds no component (and no log 0)
    comps, w = [c for c, k in zip(comps, keep, strict=True) if k], w[keep] / w[keep].sum()
    per = np.concatenate([np.full(c[1].shape[0], wf / c[1].shape[0]) for c, wf in zip(comps, w, strict=True)])
    return tuple(np.concatenate([c[i] for c in comps], axis=0) for i in range(len(comps[0]))), per


def _score_mixture(y, comps, weights, rng, draws_per_component, bisect_iters: int = 60):
    """PIT, log score, fair ensemble CRPS and 5/50/95% quantiles of a weighted t mixture at ``y``.

    ``comps`` is ``(df, loc, scale, skew, tail)`` of shape ``(components, n)`` (the sinh-arcsinh
    Student-t of :mod:`forecast.sinharcsinh`; skew 0, tail 1 is the plain t), ``weights``
    ``(components,)`` summing to 1. The ensemble for the CRPS draws ``draws_per_component x
    components`` members, the component of each by its weight.
    """
    tdf, loc, scale, skew, tail = comps
    wcol = weights[:, None]

    def cdf(v):
        return (wcol * sas.cdf(v[None, :], tdf, loc, scale, skew, tail)).sum(axis=0)

    pit = cdf(y)
    lp = sas.logpdf(y[None, :], tdf, loc, scale, skew, tail) + np.log(wcol)
    logs = -np.logaddexp.reduce(lp, axis=0)
    m = draws_per_component * loc.shape[0]
    pick = rng.choice(loc.shape[0], size=m, p=weights)
    ens = sas.sample(rng, tdf[pick], loc[pick], scale[pick], skew[pick], tail[pick])
    crps = crps_ensemble(y, ens.T, estimator="fair")
    lo0 = sas.ppf(1e-4, tdf, loc, scale, skew, tail).min(axis=0)
    hi0 = sas.ppf(0.9999, tdf, loc, scale, skew, tail).max(axis=0)
    qs = []
    for p in (0.05, 0.5, 0.95):
        lo, hi = lo0.copy(), hi0.copy()
        for _ in range(bisect_iters):
            mid = 0.5 * (lo + hi)
            below = cdf(mid) < p
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        qs.append(0.5 * (lo + hi))
    return pit, logs, crps, qs


def backtest_forms(
    data_path: Path | str | None = None,
    origins: Iterable[int] = range(2014, 2021),
    horizons: Iterable[int] = (5,),
    *,
    key: Array,
    forms: Sequence[str] = ("constant", "changepoint", "local_linear"),
    priors_path: Path | str | None = None,
    sampler=None,
    series: Sequence[str] = tuple(TARGETS),
    draws_per_component: int = 4,
    progress: Callable[[str], None] | None = None,
    on_origin: Callable[[BacktestResult, pd.DataFrame], None] | None = None,
    trend_only: bool = False,
    fit_dir: Path | str | None = None,
) -> tuple[BacktestResult, pd.DataFrame]:
    """Rolling-origin backtest of each growth form, of their stacked mixture and of OLS.

    At each origin every form is fitted to the data up to the origin (as :func:`backtest`); the
    stacking weights come from PSIS-LOO of *those* fits on the trend observation units
    (:func:`forecast.loo.loo_table`, ``arviz_stats.compare(method="stacking")``), so the mixture
    uses nothing after the origin. Each form's predictive is the equal-weight mixture of its
    draws' Student-t components; the stacked predictive weights form ``f``'s components by
    ``w_f / draws_f``. Methods in ``scores``: each form's name, ``"stacked"`` and ``"ols"``.

    Parameters
    ----------
    data_path, origins, horizons, key, series, draws_per_component, progress
        As for :func:`backtest` (origin ``Y`` uses ``fold_in(key, Y)``; every form the same key).
    forms
        Growth forms (:data:`forecast.vocab.GROWTH_FORMS`).
    priors_path
        Base trend priors (``None``: ``priors/trends.toml``); each form's packaged overlay is laid
        over it (:func:`forecast.forms.load_form_priors`).
    sampler
        :class:`forecast.infer.SamplerConfig`; default 2 chains x 400 draws, 400 warm-up.
    on_origin
        Called after each origin with the results so far (e.g. to write them to disk).
    trend_only
        Fit without the algorithmic-progress rows (ImageNet, ECI emptied): the forms bend only
        the trend series, which share nothing with those rows but the Student-t degrees of
        freedom, and the errors-in-variables block is most of a fit's cost.
    fit_dir
        If given, each origin's fit of each form is written there (``<origin>_<form>.nc``) and
        read back instead of refitting when present (a rerun resumes).

    Returns
    -------
    (BacktestResult, pandas.DataFrame)
        The scores and fit rows (one per origin and form, with ``form``), and the stacking table
        per origin (``cutoff``, ``form``, ``weight``, ``elpd_loo``, ``se``, ``elpd_diff``, ``dse``,
        ``max_khat``).
    """
    from forecast.data import load_data, truncate
    from forecast.forms import load_form_priors
    from forecast.gate import check_convergence
    from forecast.infer import GATED_VARS, SamplerConfig, run_nuts, to_datatree
    from forecast.loo import loo_table
    from forecast.model import TREND_SITES, observation_units

    say = progress or (lambda msg: None)
    sampler = sampler or SamplerConfig(chains=2, draws=400, warmup=400)
    priors = {f: load_form_priors(f, priors_path) for f in forms}
    frames = load_data(data_path)
    horizons = tuple(int(h) for h in horizons)
    origins = [int(o) for o in origins]
    parts, fit_rows, weight_rows = [], [], []

    def result():
        scores = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        config = {
            "origins": origins,
            "horizons": list(horizons),
            "series": list(series),
            "forms": list(forms),
            "sampler": sampler.to_dict(),
            "priors_sha256": {f: p.sha256 for f, p in priors.items()},
            "data": str(data_path) if data_path else "packaged extract",
            "trend_only": trend_only,
        }
        return BacktestResult(scores, pd.DataFrame(fit_rows), config), pd.DataFrame(weight_rows)

    for origin in origins:
        k_fit, k_comp, k_ens = (jax.random.fold_in(jax.random.fold_in(key, origin), i) for i in range(3))
        cut = truncate(frames, float(origin))
        data, scaling = model_data(cut)
        if trend_only:
            data = data._replace(**{d: _empty_domain() for d in DOMAINS})
        targets = backtest_targets(frames, origin, horizons, series)
        if not targets:
            continue
        all_years = np.concatenate([d["year"].to_numpy() for _, _, d in targets])
        fits, comps = {}, {}
        for form in forms:
            t0 = time.perf_counter()
            cached = Path(fit_dir) / f"{origin}_{form}.nc" if fit_dir is not None else None
            if cached is not None and cached.exists():
                dt = xr.open_datatree(cached).load()
            else:
                say(f"origin {origin}, {form}: fitting on {sum(cut.meta['rows'].values())} rows")
                mcmc = run_nuts(data, priors[form], sampler, key=k_fit)
                dt = to_datatree(mcmc, data, priors[form], key=k_fit, posterior_predictive=False)
                if cached is not None:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    dt.to_netcdf(cached)
            gate = check_convergence(dt, GATED_VARS, max_tree_depth=sampler.max_tree_depth)
            comps[form] = predictive_components(
                posterior_samples(dt), data, priors[form], all_years - scaling.ref_year, key=k_comp
            )
            fits[form] = dt
            fit_rows.append(
                {
                    "cutoff": origin,
                    "form": form,
                    **{f"rows_{s}": int(n) for s, n in cut.meta["rows"].items()},
                    "divergences": gate.divergences,
                    "gate_failures": len(gate.failures),
                    "first_failure": gate.failures[0] if gate.failures else "",
                    "seconds": time.perf_counter() - t0,
                }
            )
            say(
                f"origin {origin}, {form}: {gate.divergences} divergences, {len(gate.failures)} gate failures, "
                f"{time.perf_counter() - t0:.0f} s"
            )
        units = {s: u for s, u in observation_units(cut).items() if s in TREND_SITES}
        table = loo_table(fits, dict.fromkeys(fits, units))
        weights = {f: float(table.loc[f, "weight"]) for f in forms}
        for f in forms:
            row = table.loc[f]
            weight_rows.append(
                {
                    "cutoff": origin,
                    "form": f,
                    **{k: float(row[k]) for k in ("weight", "elpd_loo", "se", "elpd_diff", "dse", "max_khat")},
                }
            )
        say(f"origin {origin}: stacking weights {weights}")
        rng = np.random.default_rng(np.asarray(jax.random.key_data(k_ens)).ravel())
        offset = 0
        for h, s, d in targets:
            n = len(d)
            j = slice(offset, offset + n)
            offset += n
            y = d["log10_value"].to_numpy(dtype=float)
            years = d["year"].to_numpy(dtype=float)
            names = d["name"].astype(str).to_numpy()
            base = {"cutoff": origin, "horizon": h, "series": s}
            methods = [(f, [f], [1.0]) for f in forms] + [("stacked", list(forms), [weights[f] for f in forms])]
            for method, members, w in methods:
                mix, per = _weighted_components([tuple(a[:, j] for a in comps[f][s]) for f in members], w)
                pit, logs, crps, q = _score_mixture(y, mix, per, rng, draws_per_component)
                parts.append(
                    _score_rows(
                        y,
                        names,
                        years,
                        method=method,
                        pit=pit,
                        logs=logs,
                        crps=crps,
                        lo90=q[0],
                        hi90=q[2],
                        median=q[1],
                        base=base,
                    )
                )
            parts.extend(ols_rows(getattr(cut, s), y, names, years, base))
        if on_origin is not None:
            on_origin(*result())
    return result()
