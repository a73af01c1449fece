"""Macro and labour layer: Hulten/Acemoglu preset, channel identity, wage tiers, engine outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from scipy.special import expit, ndtr, ndtri

from forecast.adoption import AdoptionPosterior
from forecast.errors import ConfigError, DataError
from forecast.kernel import SHARE_BIN_WIDTH
from forecast.macro import (
    CHANNELS,
    MACRO_SHARES,
    WEIGHTS_NOTE,
    ChannelParams,
    acemoglu_tfp,
    hulten_tfp,
    labour_channels,
    load_macro_priors,
    prepare_macro,
)
from forecast.occupations import WAGE_COLUMNS, load_occupations, occupation_wages_from_upstream, occupation_weights
from forecast.posterior import trend_draws
from forecast.realised import MAX_LAG_YEARS
from forecast.scenarios import load_scenario
from forecast.simulate import run_histograms, simulate
from forecast.summaries import macro_table, write_outputs
from tests.synthetic import fake_automation, synthetic_posterior

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from reference_numpy import simulate_numpy

SEED = 20240601
Z = 4.0  # per-comparison two-sided level ~6e-5 (as in test_simulate)


@pytest.fixture(scope="module")
def occupations():
    return load_occupations()


@pytest.fixture(scope="module")
def automation():
    """Cheap automation posterior (no NUTS): requirement draws from plausible ranges."""
    return fake_automation(SEED, 300)


@pytest.fixture(scope="module")
def adoption():
    """Synthetic adoption posterior near the fitted one (NL midpoint ~2026, rate ~0.6/yr)."""
    n = 400
    k = jax.random.split(jax.random.key(SEED + 1), 6)
    normal = lambda key, shape: np.asarray(jax.random.normal(key, shape))
    return AdoptionPosterior(
        units=("NL", "EU27_2020"),
        ceiling=np.asarray(jax.random.beta(k[0], 12.0, 3.0, (n,))),
        rate=np.exp(np.log(0.6) + 0.1 * normal(k[1], (n, 2))),
        midpoint=np.array([2026.0, 2027.0]) + 0.5 * normal(k[2], (n, 2)),
        obs_sd=np.full(n, 0.15),
        rate_new=np.exp(np.log(0.6) + 0.3 * normal(k[3], (n,))),
        midpoint_new=2027.0 + 2.0 * normal(k[4], (n,)),
        years=(2023, 2024, 2025),
        time_offset=0.25,
    )


@pytest.fixture(scope="module")
def posterior_dt():
    return synthetic_posterior(jax.random.key(SEED), 2, 500)


@pytest.fixture(scope="module")
def macro_nl(adoption, occupations):
    return prepare_macro("NL", adoption, load_macro_priors(), occupations, key=jax.random.key(7))


# ----------------------------------------------------------------------------- Hulten / Acemoglu


def test_acemoglu_preset_reproduces_066():
    """Acemoglu (2024): 4.6% of tasks x 14.4% cost saving ~ 0.66% TFP over ten years."""
    preset = load_macro_priors().settings.acemoglu2024
    assert acemoglu_tfp(preset) == pytest.approx(0.0066, abs=0.0002)
    assert preset.tasks_exposed * preset.profitably_automated == pytest.approx(0.046, abs=0.0005)
    assert preset.labour_cost_saving * preset.labour_share == pytest.approx(0.144, abs=0.0005)
    # the same number through the engine's channel machinery: a ten-year path on which 4.6% of
    # the (wage-bill-weighted) tasks become automated, spread unevenly over groups and years
    omega = jnp.array([0.5, 0.3, 0.2])
    end = jnp.array([0.046 * 0.4 / 0.5, 0.046 * 0.3 / 0.3, 0.046 * 0.3 / 0.2])  # omega @ end = 0.046
    ramp = jnp.linspace(0.0, 1.0, 11) ** 2
    realised = ramp[:, None] * end[None, :]
    cs = preset.labour_cost_saving * preset.labour_share
    tfp_level = hulten_tfp(realised @ omega, cs)
    cum, _ = labour_channels(realised, tfp_level, omega, ChannelParams(0.5, 1.0))
    assert float(cum.tfp[-1]) == pytest.approx(0.0066, abs=0.0002)
    assert float(cum.tfp[-1]) == pytest.approx(float(hulten_tfp(0.046, cs)), rel=1e-12)


# ----------------------------------------------------------------------------- identity


def _random_paths(key, t=15, n=64, g=22):
    k1, k2, k3 = jax.random.split(key, 3)
    steps = jax.random.uniform(k1, (t, n, g)) * 0.05
    realised = jnp.minimum(jnp.cumsum(steps, axis=0), 0.95)
    omega = jax.random.dirichlet(k2, jnp.ones(g))
    tfp_level = jnp.cumsum(jax.random.uniform(k3, (t, n)) * 0.02, axis=0)
    params = ChannelParams(jnp.linspace(0.0, 1.0, n), jnp.full((n,), 1.5))
    return realised, tfp_level, omega, params


def test_wage_bill_identity_exact_per_path():
    """displacement + reinstatement + productivity == wage-bill change (from the level), per path and year."""
    realised, tfp_level, omega, params = _random_paths(jax.random.key(SEED))
    cum, flows = labour_channels(realised, tfp_level, omega, params)
    for ch in (cum, flows):
        total = np.asarray(ch.displacement + ch.reinstatement + ch.productivity)
        # float rounding only: the parts and the level are computed along different routes
        np.testing.assert_allclose(total, np.asarray(ch.wage_bill), rtol=0, atol=1e-13)
    assert float(jnp.max(cum.displacement)) <= 0.0 <= float(jnp.min(cum.reinstatement))
    np.testing.assert_allclose(np.asarray(cum.productivity), 1.5 * np.asarray(cum.tfp), rtol=1e-12)
    # Mutation twin: dropping the reinstatement part breaks the identity wherever rho > 0.
    gap = np.asarray(cum.displacement + cum.productivity - cum.wage_bill)
    assert np.all(np.abs(gap[-1, 1:]) > 1e-4)
    assert np.all(np.asarray(cum.reinstatement[:, 0]) == 0.0)  # rho = 0 on path 0: no new tasks


def test_channels_match_closed_form():
    """Independent check of the task-content algebra: Gamma_T = 1 - (1 - rho) D_T."""
    realised, tfp_level, omega, params = _random_paths(jax.random.key(SEED + 3))
    cum, _ = labour_channels(realised, tfp_level, omega, params)
    d_total = np.asarray((realised[-1] - realised[0]) @ omega)
    rho = np.asarray(params.reinstatement_ratio)
    gamma = 1.0 - (1.0 - rho) * d_total
    np.testing.assert_allclose(np.asarray(cum.displacement + cum.reinstatement)[-1], np.log(gamma), atol=1e-12)
    np.testing.assert_allclose(np.asarray(cum.tfp)[-1], np.asarray(tfp_level[-1] - tfp_level[0]), rtol=1e-12)


# ----------------------------------------------------------------------------- wages and tiers


def test_wage_columns(shared_data, occupations):
    assert set(WAGE_COLUMNS) <= set(occupations.columns)
    rebuilt = occupation_wages_from_upstream(shared_data / "gpts_are_gpts")
    np.testing.assert_allclose(rebuilt["a_mean_wage"], occupations["a_mean_wage"])
    np.testing.assert_allclose(rebuilt["emp_share_low_wage"], occupations["emp_share_low_wage"], atol=1e-6)
    tiers = occupations[[f"emp_share_{t}_wage" for t in ("low", "middle", "high")]].to_numpy()
    np.testing.assert_allclose(tiers.sum(axis=1), 1.0, atol=1e-5)
    # terciles: each tier holds about a third of employment (major-group totals vs detailed rows)
    share = (tiers * occupations["employment"].to_numpy()[:, None]).sum(axis=0) / occupations["employment"].sum()
    np.testing.assert_allclose(share, 1 / 3, atol=0.01)
    ocs = occupations.set_index("group")
    assert ocs.loc["35", "emp_share_low_wage"] > 0.8 and ocs.loc["11", "emp_share_high_wage"] > 0.9
    emp, omega, tier = occupation_weights(occupations)
    np.testing.assert_allclose([emp.sum(), omega.sum()], 1.0)
    np.testing.assert_allclose(tier.sum(axis=0), 1.0)
    with pytest.raises(DataError, match="a_mean_wage"):
        occupation_weights(occupations.drop(columns="a_mean_wage"))


# ----------------------------------------------------------------------------- config


def test_macro_priors_errors(fixtures, adoption, occupations):
    with pytest.raises(ConfigError, match="did you mean 'intensive_rate'"):
        load_macro_priors(fixtures / "macro" / "macro_typo.toml")
    with pytest.raises(ConfigError, match="must sum to 1"):
        load_macro_priors(fixtures / "macro" / "macro_size_shares.toml")
    with pytest.raises(ConfigError, match="lag_years"):
        prepare_macro("NL", adoption, load_macro_priors(), occupations, key=jax.random.key(0), lag_years=7.0)
    with pytest.raises(ConfigError, match="did you mean 'NL'"):
        prepare_macro("NLD", adoption, load_macro_priors(), occupations, key=jax.random.key(0))


# ----------------------------------------------------------------------------- engine


def test_engine_deterministic_and_trend_outputs_unchanged(posterior_dt, automation, macro_nl):
    tr, sc = trend_draws(posterior_dt), load_scenario("central").params
    kw = dict(paths=4_000, base_year=2022, until_year=2027, key=jax.random.key(SEED))
    h_a, _ = run_histograms(tr, automation, sc, chunk_size=1_000, devices=4, macro=macro_nl, **kw)
    h_b, _ = run_histograms(tr, automation, sc, chunk_size=4_000, devices=1, macro=macro_nl, **kw)
    for name in h_a:
        np.testing.assert_array_equal(h_a[name], h_b[name], err_msg=name)
    # switching the macro layer on leaves the trend and automation histograms bit-identical
    h_0, _ = run_histograms(tr, automation, sc, chunk_size=1_000, devices=4, **kw)
    assert set(h_a) - set(h_0) == {"macro_share_hist", "macro_effect_hist", "macro_out_of_range", "macro_sum"}
    for name in h_0:
        np.testing.assert_array_equal(h_0[name], h_a[name], err_msg=name)
    assert int(h_a["macro_out_of_range"].sum()) == 0


def test_engine_against_numpy_reference(posterior_dt, automation, macro_nl):
    """Realised automation, TFP and the wage bill agree with an independent NumPy computation."""
    tr, sc = trend_draws(posterior_dt), load_scenario("central").params
    n = 8_000
    res = simulate(tr, sc, automation, paths=n, until_year=2032, key=jax.random.key(SEED), chunk_size=n, macro=macro_nl)
    ref = simulate_numpy(tr, automation, sc, paths=n, base_year=2022, until_year=2032, seed=SEED)
    rng = np.random.default_rng(SEED)
    d = jax.tree.map(np.asarray, macro_nl.draws)
    im = rng.integers(0, d.adoption_ceiling.shape[0], n)
    rd = jax.tree.map(lambda a: a[im], d.realised)
    years = ref.years.astype("float64")
    t = years[None, :]
    # effective compute history: the trend's closed form before the base year, then the path
    k = np.arange(MAX_LAG_YEARS, 0, -1.0)
    history = np.concatenate(
        [ref.log10_effective_flop[:, :1] - k[None, :] * ref.growth_effective[:, None], ref.log10_effective_flop], 1
    )
    pos = np.arange(len(years))[None, :] + MAX_LAG_YEARS - rd.lag_years[:, None]
    lo = np.clip(np.floor(pos).astype(int), 0, history.shape[1] - 2)
    frac = pos - lo
    eff_lagged = (1 - frac) * np.take_along_axis(history, lo, 1) + frac * np.take_along_axis(history, lo + 1, 1)
    technical = np.stack([ref.group_shares_at(eff_lagged[:, y]) for y in range(len(years))], axis=1)  # (n, T, G)
    firms = d.adoption_ceiling[im, None] / (
        1 + np.exp(-d.adoption_rate[im, None] * (t - d.adoption_midpoint[im, None]))
    )
    logit_firms = np.log(firms) - np.log1p(-firms)
    employment = (expit(logit_firms[..., None] + rd.size_offset[:, None, :]) * macro_nl.size_weight).sum(-1)
    q = np.clip(rd.intensive_ref / rd.intensive_ceiling, 1e-6, 1 - 1e-6)  # as forecast.realised: capped at the ceiling
    intensive = rd.intensive_ceiling[:, None] * expit(
        np.log(q / (1 - q))[:, None] + rd.intensive_rate[:, None] * (t - 2024.0)
    )
    hours = employment * intensive
    decline = rd.cost_passthrough * ref.growth_cost + rd.wage_growth / np.log(10.0)
    sd = rd.cost_sd_oom[:, None]
    mu = -sd * ndtri(rd.profitable_ref)[:, None] - decline[:, None] * (t - 2024.0)
    profitable = ndtr(-mu / sd)
    a = np.log(10.0)
    saving = 1 - np.exp(a * mu + 0.5 * (a * sd) ** 2) * ndtr((-mu - a * sd**2) / sd) / profitable
    realised = technical * (profitable * hours)[..., None]
    automated = realised @ macro_nl.wage_bill_weight
    tfp_level = rd.labour_share[:, None] * (automated * saving + rd.time_saving[:, None] * (hours - automated))
    dshare = automated - automated[:, :1]  # cumulative newly automated, (n, T)
    tfp = tfp_level - tfp_level[:, :1]
    rho = d.reinstatement_ratio[im, None]
    wage = np.log(1.0 - (1.0 - rho) * dshare) + d.output_multiplier[im, None] * tfp
    share = res["macro_share"]
    checks = [
        (
            "realised_total",
            share.sel(macro_share_series="realised_total"),
            realised @ macro_nl.employment_weight,
            SHARE_BIN_WIDTH,
        ),
        ("hours_with_ai", share.sel(macro_share_series="hours_with_ai"), hours, SHARE_BIN_WIDTH),
        ("profitable", share.sel(macro_share_series="profitable"), profitable, SHARE_BIN_WIDTH),
        ("cost_saving", share.sel(macro_share_series="cost_saving"), saving, SHARE_BIN_WIDTH),
        ("tfp", res["channel_cumulative"].sel(channel="tfp"), tfp, None),
        ("wage_bill", res["channel_cumulative"].sel(channel="wage_bill"), wage, None),
    ]
    bad = []
    for label, jq, values, width in checks:
        for i, year in enumerate(res["year"].values[1:], start=1):
            for q in res["quantile"].values:
                x = float(jq.sel(year=year, quantile=q))
                w = width if width is not None else 0.011 * abs(x) + 1e-6  # asinh bins: ~1% relative
                lo, hi = np.mean(values[:, i] <= x - w), np.mean(values[:, i] <= x + w)
                tol = Z * np.sqrt(q * (1 - q) * 2 / n)
                if not (lo - tol <= q <= hi + tol):
                    bad.append((label, int(year), float(q), lo, hi))
    assert bad == []
    # exact means: the identity holds for the engine's path means too (fixed-point rounding only)
    m = res["channel_cumulative_mean"]
    parts = m.sel(channel="displacement") + m.sel(channel="reinstatement") + m.sel(channel="productivity")
    np.testing.assert_allclose(parts.values, m.sel(channel="wage_bill").values, rtol=0, atol=3e-9)
    # Mutation twin: without reinstatement the reference wage bill must disagree.
    wrong = np.log(1.0 - dshare) + tfp
    assert (
        abs(
            np.median(wrong[:, -1]) - float(res["channel_cumulative"].sel(channel="wage_bill", year=2032, quantile=0.5))
        )
        > 0.01
    )


def test_lag_and_regions(posterior_dt, automation, adoption, occupations, macro_nl, tmp_path):
    sc = load_scenario("central")
    kw = dict(paths=4_000, until_year=2030, key=jax.random.key(SEED), chunk_size=4_000)
    base = simulate(posterior_dt, sc, automation, macro=macro_nl, **kw)
    fixed = {
        lag: simulate(
            posterior_dt,
            sc,
            automation,
            macro=prepare_macro("NL", adoption, load_macro_priors(), occupations, key=jax.random.key(7), lag_years=lag),
            **kw,
        )
        for lag in (0.0, 2.5)
    }
    r0, r2 = (fixed[lag]["macro_share_mean"].sel(macro_share_series="realised_total").values for lag in (0.0, 2.5))
    assert np.all(r2 < r0)  # effective compute grows, so a lag lowers realised automation
    # adoption does not depend on the lag
    for series in ("adoption_firms", "adoption_employment", "hours_with_ai"):
        np.testing.assert_array_equal(
            fixed[0.0]["macro_share"].sel(macro_share_series=series).values,
            fixed[2.5]["macro_share"].sel(macro_share_series=series).values,
        )
    us = simulate(
        posterior_dt,
        sc,
        automation,
        macro=prepare_macro("US", adoption, load_macro_priors(), occupations, key=jax.random.key(7)),
        **kw,
    )
    assert us.attrs["macro_region"] == "US" and "population predictive" in us.attrs["macro_adoption_source"]
    assert base.attrs["macro_occupation_weights"] == WEIGHTS_NOTE and "only US occupation weights" in WEIGHTS_NOTE
    # outputs: yearly quantiles of every series, the note in the CSV, NetCDF round trip
    assert list(base["macro_share_series"].values) == list(MACRO_SHARES)
    assert list(base["channel"].values) == list(CHANNELS)
    files = write_outputs(base, tmp_path / "nl")
    table = macro_table(base)
    assert (table["region"] == "NL").all() and table["note"].str.contains("only US occupation weights").all()
    assert files["macro"].is_file()
    back = xr.open_datatree(files["netcdf"])
    np.testing.assert_array_equal(back["channel_cumulative"].values, base["channel_cumulative"].values)
    back.close()
    with pytest.raises(ConfigError, match="occupation groups"):
        simulate(posterior_dt, sc, automation, macro=macro_nl._replace(groups=macro_nl.groups[::-1]), **kw)
