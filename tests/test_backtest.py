"""Backtest and predict: exact predictive quantiles, the OLS baseline, and a small real backtest."""

import jax
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from forecast import console
from forecast.backtest import (
    TARGETS,
    BacktestResult,
    backtest,
    decimal_year,
    ols_predictive,
    plot_backtest,
    predict,
)
from forecast.infer import SamplerConfig
from forecast.model import DIMS, TREND_LATENT_SITES, load_trend_priors
from tests.helpers import TRUTH, design


@pytest.fixture(scope="module")
def priors():
    return load_trend_priors()


def _point_posterior(draws=8):
    """A posterior DataTree whose every draw is the known truth (the trend block, all prediction needs)."""
    data_vars = {}
    for k in TREND_LATENT_SITES:
        if k not in TRUTH:
            continue  # optional sites the default priors do not have (residual_skew, residual_tail)
        v = np.asarray(TRUTH[k], dtype=float)
        arr = np.broadcast_to(v, (1, draws, *v.shape)).copy()
        data_vars[k] = (["chain", "draw", *DIMS.get(k, [])], arr)
    dt = xr.DataTree.from_dict({"posterior": xr.Dataset(data_vars)})
    dt.attrs["ref_year"] = 2020.0
    return dt


def test_predict_quantiles_are_the_exact_student_t_quantiles(priors):
    dates = ["2026-01-01", "2027-07-02", 2030.0]
    out = predict(_point_posterior(), dates, priors, design(), key=jax.random.key(0))
    assert list(out.columns) == ["date", "year", "series", "unit", "mean", "q05", "q25", "q50", "q75", "q95"]
    assert len(out) == 2 * len(dates)
    g_c = TRUTH["growth_spending"] + TRUTH["growth_hardware"] + TRUTH["identity_gap"]
    years = decimal_year(dates)
    # the residual scale at each date: noise * exp(noise_trend * (t - the series' mean t)), t = year - 2020,
    # held at the series' last date beyond it
    data = design()
    times = {
        "compute": np.concatenate([data.compute.t, data.pair.t]),
        "spending": np.concatenate([data.spending.t, data.pair.t]),
    }
    expect = {
        "compute": (TRUTH["level_compute"], g_c, 0, times["compute"]),
        "spending": (TRUTH["level_spending"], TRUTH["growth_spending"], 1, times["spending"]),
    }
    for series, (level, g, i, t_obs) in expect.items():
        rows = out[out["series"] == series]
        t = np.minimum(years - 2020.0, np.max(t_obs))
        assert (t < years - 2020.0).all(), "the dates must lie beyond the data to test the hold"
        noise = TRUTH["noise"][i] * np.exp(TRUTH["noise_trend"][i] * (t - np.mean(t_obs)))
        for p in (0.05, 0.25, 0.5, 0.75, 0.95):
            ref = stats.t.ppf(p, TRUTH["student_df"], level + g * (years - 2020.0), noise)
            # bisection to 60 halvings of a bracket of width < 1e3: error < 1e-12
            np.testing.assert_allclose(rows[f"q{round(100 * p):02d}"], ref, atol=1e-9)


def test_decimal_year_matches_the_data_layer():
    from forecast.units import decimal_year as _decimal_year

    dates = pd.Series(pd.to_datetime(["2024-03-01", "2023-12-31", "2020-01-01"]))
    np.testing.assert_allclose(decimal_year(dates.astype(str).tolist()), _decimal_year(dates), rtol=0, atol=1e-12)


def test_ols_predictive_is_the_textbook_interval():
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(2010, 2020, 30))
    y = 20 + 0.5 * (x - 2010) + rng.normal(0, 0.4, 30)
    df, loc, scale = ols_predictive(x, y, np.array([2021.0, 2023.0]))
    fit = stats.linregress(x, y)
    np.testing.assert_allclose(loc, fit.intercept + fit.slope * np.array([2021.0, 2023.0]), rtol=1e-12)
    resid = y - fit.intercept - fit.slope * x
    s = np.sqrt((resid**2).sum() / 28)
    # var(prediction) = s^2 (1 + 1/n) + (x0 - xbar)^2 * stderr(slope)^2
    ref = np.sqrt(s**2 * (1 + 1 / 30) + (np.array([2021.0, 2023.0]) - x.mean()) ** 2 * fit.stderr**2)
    np.testing.assert_allclose(scale, ref, rtol=1e-10)
    assert df == 28


def test_summary_counts_an_observation_scored_twice_as_one_cluster():
    """Coverage intervals of the summary cluster by observation: the same model scored from two
    origins (and its compute and cost) is one cluster, so the pooled interval equals the one from a
    single copy of each observation, and the printed table shows it."""
    rng = np.random.default_rng(3)
    names = [f"m{i}" for i in range(40)]
    one = pd.DataFrame(
        {
            "horizon": 1,
            "series": rng.choice(["compute", "spending"], 40),
            "name": names,
            "year": 2020.5,
            "in90": rng.random(40) < 0.9,
            "in50": rng.random(40) < 0.5,
            "crps": rng.uniform(0.1, 1, 40),
            "log_score": rng.normal(1, 0.2, 40),
        }
    )
    frames = [one.assign(cutoff=c, method=m) for c in (2019, 2020) for m in ("model", "ols")]
    twice = BacktestResult(pd.concat(frames, ignore_index=True), pd.DataFrame())
    single = BacktestResult(pd.concat(frames[:2], ignore_index=True), pd.DataFrame())
    pooled = twice.summary(by=()).iloc[0]
    assert pooled["n_model"] == 80 and pooled["clusters"] == 40
    ref = single.summary(by=()).iloc[0]
    cols = ["cov90_ci_lo", "cov90_ci_hi", "n_eff90", "cov50_ci_lo", "cov50_ci_hi"]
    np.testing.assert_allclose(pooled[cols].to_numpy(float), ref[cols].to_numpy(float), rtol=1e-12)
    assert pooled["cov90_ci_lo"] <= pooled["cov90_model"] <= pooled["cov90_ci_hi"]
    with console.console.capture() as cap:
        console.print_backtest(twice.summary(by=("series",)))
    assert f"{pooled['cov90_ci_lo']:.2f}–{pooled['cov90_ci_hi']:.2f}".replace("0.", ".") in cap.get()


def test_small_real_backtest(tmp_path):
    """Two origins, one horizon, a tiny sampler: exercises fit -> predictive -> scores -> summary."""
    res = backtest(
        None,
        origins=(2019, 2022),
        horizons=(1,),
        key=jax.random.key(0),
        sampler=SamplerConfig(chains=2, draws=60, warmup=60),
    )
    df = res.scores
    assert set(df["cutoff"]) == {2019, 2022} and set(df["horizon"]) == {1}
    assert set(df["method"]) == {"model", "ols"} and set(df["series"]) <= set(TARGETS)
    # only observations released in (Y, Y + 1] are scored: no leakage of the fitting window
    assert ((df["year"] > df["cutoff"]) & (df["year"] <= df["cutoff"] + 1)).all()
    assert df[["pit", "crps", "log_score"]].notna().all().all()
    assert ((df["pit"] >= 0) & (df["pit"] <= 1)).all() and (df["crps"] >= 0).all()
    assert (df["in90"] | ~df["in50"]).all()  # the 50% interval lies inside the 90% one
    assert set(res.fits["cutoff"]) == {2019, 2022}
    # the fit at 2019 saw no data dated after 2019.0
    rows = res.fits.set_index("cutoff")
    assert rows.loc[2019, "rows_compute"] < rows.loc[2022, "rows_compute"]
    summary = res.summary()
    assert "pooled" in set(summary["series"]) and "crps_ratio" in summary
    by_origin = res.summary(by=("cutoff",)).set_index("cutoff")
    assert list(by_origin.index) == [2019, 2022, "pooled"]
    assert by_origin.loc[[2019, 2022], "n_model"].sum() == by_origin.loc["pooled", "n_model"]
    assert plot_backtest(res, tmp_path / "bt.png").stat().st_size > 0
