"""Adoption diffusion model: data extract, series break, fit, coverage and held-out check."""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd
import pytest

from forecast.adoption import (
    EU_GEO,
    adoption_curve,
    adoption_from_upstream,
    check_table,
    context_table,
    fit_adoption,
    load_adoption,
    load_adoption_priors,
    projection_table,
)
from forecast.errors import ConfigError, DataError

SEED = 20240601


def small_priors():
    """The packaged priors with a shorter NUTS run (2 x 250 draws) to keep the suite fast."""
    priors = load_adoption_priors()
    inf = priors.settings.inference.model_copy(update={"num_warmup": 250, "num_samples": 250, "num_chains": 2})
    return priors.with_settings(inference=inf)


@pytest.fixture(scope="module")
def table():
    return load_adoption()


@pytest.fixture(scope="module")
def posterior(table):
    return fit_adoption(table, small_priors(), key=jax.random.key(SEED))


@pytest.fixture(scope="module")
def held_out(table):
    return fit_adoption(table, small_priors(), key=jax.random.key(SEED), years=(2023, 2024))


# ----------------------------------------------------------------------------- data


def test_packaged_extract(table):
    assert set(table["year"]) == {2021, 2023, 2024, 2025}
    assert table["geo"].nunique() == 28 and EU_GEO in set(table["geo"])
    nl = table[table["geo"] == "NL"].set_index("year")["pct_enterprises"]
    assert nl.loc[2025] == pytest.approx(33.21) and nl.loc[2023] == pytest.approx(14.10)
    # the series break: 2021 is kept for reference but never fitted
    assert not table.loc[table["year"] == 2021, "fitted"].any()
    assert table.loc[table["year"] != 2021, "fitted"].all()


def test_extract_rebuilds_from_upstream(shared_data, table):
    rebuilt = adoption_from_upstream(shared_data / "eurostat_ai_adoption")
    pd.testing.assert_frame_equal(rebuilt[["geo", "year", "fitted"]], table[["geo", "year", "fitted"]])
    np.testing.assert_allclose(rebuilt["pct_enterprises"], table["pct_enterprises"], atol=0.005)  # 2 decimals
    # independent of the mirror's own tidy file
    tidy = pd.read_csv(shared_data / "eurostat_ai_adoption" / "ai_adoption_enterprises_by_country.csv")
    merged = table.merge(tidy, on=["geo", "year"])
    assert len(merged) == len(table)
    np.testing.assert_allclose(merged["pct_enterprises"], merged["pct_enterprises_using_any_ai"], atol=0.005)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("adoption_2021_fitted.csv", "year 2021 marked fitted"),
        ("adoption_pct_out_of_range.csv", "row 5, 'pct_enterprises' not in"),
    ],
)
def test_broken_extract(fixtures, name, match):
    with pytest.raises(DataError, match=match):
        load_adoption(fixtures / "macro" / name)


def test_priors_reject_series_break_and_typos(fixtures, table):
    with pytest.raises(ConfigError, match="years.*series break"):
        load_adoption_priors(fixtures / "macro" / "adoption_2021.toml")
    with pytest.raises(ConfigError, match="did you mean 'time_offset'"):
        load_adoption_priors(fixtures / "macro" / "adoption_typo.toml")
    with pytest.raises(ConfigError, match="series break"):
        fit_adoption(table, small_priors(), key=jax.random.key(0), years=(2021, 2023))


def test_context_table(table):
    ctx = context_table(table).set_index("year")
    assert ctx.loc["2023", "NL_pct"] == pytest.approx(14.10) and ctx.loc["2023", "EU27_pct"] == pytest.approx(8.04)
    assert ctx.loc["context (2023-ish)", "NL_pct"] == 13.4 and ctx.loc["context (2023-ish)", "EU27_pct"] == 8.0


# ----------------------------------------------------------------------------- model


def test_curve_core():
    t = np.linspace(2000, 2060, 61)
    a = np.asarray(adoption_curve(t, 0.8, 0.5, 2030.0))
    assert np.all(np.diff(a) > 0) and a.max() < 0.8 and a[30] == pytest.approx(0.4)


def test_nl_2025_covered_by_predictive(posterior, table):
    """Acceptance: the posterior predictive for NL 2025 covers the observed 33.2%."""
    checks = check_table(posterior, table, [("NL", 2025), (EU_GEO, 2025), ("NL", 2023)], key=jax.random.key(1))
    assert checks["in_90"].all(), checks.to_string()
    assert not checks["held_out"].any()
    nl = checks.iloc[0]
    assert nl["q05_pct"] < 33.21 < nl["q95_pct"]
    # the latent curve for the data years stays near the data (pooled fit, not a free interpolation)
    assert abs(nl["q50_pct"] - 33.21) < 4.0


def test_held_out_2025(held_out, table):
    """Fit 2023-2024 only: NL and EU 2025 must fall inside the central 95% of the predictive."""
    assert held_out.years == (2023, 2024)
    checks = check_table(held_out, table, [("NL", 2025), (EU_GEO, 2025)], key=jax.random.key(2))
    assert checks["held_out"].all()
    assert ((checks["pit"] > 0.025) & (checks["pit"] < 0.975)).all(), checks.to_string()


def test_projection_to_2040(posterior):
    years = list(range(2025, 2041))
    proj = projection_table(posterior, ["NL", "EU", "US"], years)
    for unit, df in proj.groupby("unit"):
        med = df["q50_pct"].to_numpy()
        assert np.all(np.diff(med) >= 0), unit
        assert (df["q05_pct"] <= df["q50_pct"]).all() and (df["q50_pct"] <= df["q95_pct"]).all()
        assert med[-1] < 100.0
    nl = proj[proj["unit"] == "NL"].set_index("year")
    eu = proj[proj["unit"] == "EU"].set_index("year")
    assert nl.loc[2025, "q50_pct"] > eu.loc[2025, "q50_pct"]  # NL ahead of the EU, as in the data
    # the US (no data) uses the population predictive: wider than NL in 2025
    us = proj[proj["unit"] == "US"].set_index("year")
    assert (us.loc[2025, "q95_pct"] - us.loc[2025, "q05_pct"]) > (nl.loc[2025, "q95_pct"] - nl.loc[2025, "q05_pct"])
    with pytest.raises(ConfigError, match="did you mean 'NL'"):
        posterior.unit_curve("NLD")
