"""Monte Carlo driver: determinism over chunks and devices, agreement with the NumPy reference, presets."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from forecast.errors import ConfigError
from forecast.kernel import LOG_BIN_WIDTH, SHARE_BIN_WIDTH
from forecast.posterior import trend_draws
from forecast.scenarios import load_scenario
from forecast.simulate import run_histograms, simulate
from tests.synthetic import fake_automation, synthetic_posterior

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from reference_numpy import simulate_numpy

Z = 4.0  # two-sided per-comparison level ~6e-5; a few dozen comparisons per test
SEED = 20240601


@pytest.fixture(scope="module")
def posterior_dt():
    return synthetic_posterior(jax.random.key(SEED), 4, 500)


@pytest.fixture(scope="module")
def automation():
    """The engine's tests need requirement draws, not a fitted automation model."""
    return fake_automation(SEED, 200)


# ----------------------------------------------------------------------------- validation


def test_start_before_base_year_rejected(posterior_dt, automation):
    params = load_scenario("central").params._replace(start_year=2021.0)
    with pytest.raises(ConfigError, match="base year"):
        simulate(posterior_dt, params, automation, paths=10, until_year=2025, key=jax.random.key(0), chunk_size=10)


# ----------------------------------------------------------------------------- determinism


def test_identical_across_chunk_sizes_and_device_counts(posterior_dt, automation):
    """Same seed -> bit-identical histograms for chunk 1e4 vs 1e5 and for 1 vs 4 devices."""
    assert len(jax.local_devices()) == 4  # set by conftest
    tr, sc = trend_draws(posterior_dt), load_scenario("central").params
    kw = dict(paths=100_000, base_year=2022, until_year=2030, key=jax.random.key(SEED))
    h_a, m_a = run_histograms(tr, automation, sc, chunk_size=10_000, devices=4, **kw)
    h_b, m_b = run_histograms(tr, automation, sc, chunk_size=100_000, devices=4, **kw)
    h_c, m_c = run_histograms(tr, automation, sc, chunk_size=100_000, devices=1, **kw)
    assert (m_a["n_chunks"], m_b["n_chunks"], m_c["n_devices"], m_a["n_devices"]) == (10, 1, 1, 4)
    for name in h_a:
        np.testing.assert_array_equal(h_a[name], h_b[name], err_msg=name)
        np.testing.assert_array_equal(h_a[name], h_c[name], err_msg=name)
    assert h_a["crossing"].sum() == 3 * 100_000
    # Mutation twin: a different seed must change the histograms.
    h_d, _ = run_histograms(
        tr, automation, sc, chunk_size=100_000, devices=4, **{**kw, "key": jax.random.key(SEED + 1)}
    )
    assert not np.array_equal(h_a["log_hist"], h_d["log_hist"])


# ----------------------------------------------------------------------------- JAX vs NumPy


def _disagreements(res, ref, n_jax):
    """Comparisons of the JAX result with the NumPy reference that fail at level Z.

    Quantiles: the reference's ECDF at the JAX quantile (+- one bin) must reach q within
    Z * sqrt(q(1-q)(1/n_jax + 1/n_ref)). Probabilities: two-sample binomial z-test.
    """
    n_ref = ref.share_total.shape[0]
    bad = []
    years = res["year"].values
    checks = [
        ("effective", res["log10_factor"].sel(series="effective"), ref.log10_factor, LOG_BIN_WIDTH),
        ("share_total", res["share_total"], ref.share_total, SHARE_BIN_WIDTH),
    ]
    for label, jq, values, width in checks:
        for i, year in enumerate(years[1:], start=1):
            for q in res["quantile"].values:
                x = float(jq.sel(year=year, quantile=q))
                lo = np.mean(values[:, i] <= x - width)
                hi = np.mean(values[:, i] <= x + width)
                tol = Z * np.sqrt(q * (1 - q) * (1 / n_jax + 1 / n_ref))
                if not (lo - tol <= q <= hi + tol):
                    bad.append((label, int(year), float(q), lo, hi))
    for thr in res["factor_threshold_oom"].values:
        for i, year in enumerate(years):
            p1 = float(res["prob_factor_at_least"].sel(year=year, factor_threshold_oom=thr))
            p2 = np.mean(ref.log10_factor[:, i] >= thr)
            pbar = (p1 * n_jax + p2 * n_ref) / (n_jax + n_ref)
            se = np.sqrt(pbar * (1 - pbar) * (1 / n_jax + 1 / n_ref))
            if abs(p1 - p2) > Z * se + 1e-12:
                bad.append(("prob", int(year), float(thr), p1, p2))
    for j, thr in enumerate(res["share_threshold"].values):
        for year in years:
            p1 = float(res["prob_crossed_by"].sel(share_threshold=thr, year=year))
            p2 = np.mean(ref.first_cross_year[:, j] <= year)
            pbar = (p1 * n_jax + p2 * n_ref) / (n_jax + n_ref)
            se = np.sqrt(pbar * (1 - pbar) * (1 / n_jax + 1 / n_ref))
            if abs(p1 - p2) > Z * se + 1e-12:
                bad.append(("crossing", int(year), float(thr), p1, p2))
    return bad


def test_jax_agrees_with_numpy_reference(posterior_dt, automation):
    tr, sc = trend_draws(posterior_dt), load_scenario("central").params
    n = 20_000
    res = simulate(tr, sc, automation, paths=n, until_year=2032, key=jax.random.key(SEED), chunk_size=n)
    ref = simulate_numpy(tr, automation, sc, paths=n, base_year=2022, until_year=2032, seed=SEED)
    assert _disagreements(res, ref, n) == []
    # Mutation twin: the same comparison must catch a slightly different scenario.
    wrong = simulate_numpy(
        tr, automation, sc._replace(algorithmic_multiplier=0.9), paths=n, base_year=2022, until_year=2032, seed=SEED
    )
    assert len(_disagreements(res, wrong, n)) > 10


# ----------------------------------------------------------------------------- presets


@pytest.mark.parametrize(("name", "target"), [("conservative", 4.0), ("central", 8.0), ("explosive", 12.0)])
def test_preset_median_factor_2030(posterior_dt, automation, name, target):
    res = simulate(
        posterior_dt,
        load_scenario(name),
        automation,
        paths=20_000,
        until_year=2030,
        key=jax.random.key(SEED),
        chunk_size=20_000,
    )
    median = float(res["log10_factor"].sel(series="effective", year=2030, quantile=0.5))
    assert abs(median - target) <= 0.5


def test_structural_forecast_scenarios(posterior_dt, automation):
    """Forecast scenarios carry their label and conditions; limits binding early lower the 2030 factor.

    Common random numbers (same key): the condition only moves structural draws toward tighter
    caps and slower algorithms, so the median must drop.
    """
    out = {}
    for name in ("trend", "structural", "caps_bind_early"):
        out[name] = simulate(
            posterior_dt,
            load_scenario(name),
            automation,
            paths=4_000,
            until_year=2030,
            key=jax.random.key(SEED),
            chunk_size=4_000,
        )
    med = {n: float(r["log10_factor"].sel(series="effective", year=2030, quantile=0.5)) for n, r in out.items()}
    assert med["caps_bind_early"] < med["structural"] - 0.3
    assert out["trend"].attrs["structural"] == "off" and out["trend"].attrs["scenario_kind"] == "trend"
    early = out["caps_bind_early"].attrs
    assert early["structural"] == "on" and early["scenario_kind"] == "forecast"
    from forecast.structural import load_structural_priors

    assert early["structural_priors_sha256"] == load_structural_priors().sha256
    assert "largest_run_gdp_share_cap <= 0.0001" in early["scenario_label"]
    # P(cap <= 1e-4) P(limit <= 1e29) P(slowdown <= 0) = 0.250 * 0.384 * 0.5 = 0.048 (independent priors)
    assert 0.035 < early["structural_prior_probability"] < 0.062
