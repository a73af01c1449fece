"""Quantiles read off the integer histograms, and the CSV/NetCDF outputs of a run."""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd
import xarray as xr

from forecast.scenarios import load_scenario
from forecast.simulate import simulate
from forecast.summaries import QUANTILES, histogram_quantiles, write_outputs
from tests.synthetic import fake_automation, synthetic_posterior


def test_histogram_quantiles_within_one_bin_of_the_sample_quantiles():
    rng = np.random.default_rng(0)
    values = rng.normal(3.0, 1.5, 50_000)
    width, low = 0.01, -20.0
    counts = np.bincount(np.floor((values - low) / width).astype(int), minlength=9000)
    got = histogram_quantiles(counts, low, width)
    np.testing.assert_allclose(got, np.quantile(values, QUANTILES), atol=width)
    # Mutation twin: a histogram shifted by two bins is caught at this tolerance.
    assert np.abs(histogram_quantiles(np.roll(counts, 2), low, width) - np.quantile(values, QUANTILES)).min() > width


def test_write_outputs_round_trip(tmp_path):
    dt = synthetic_posterior(jax.random.key(5), 2, 100)
    res = simulate(
        dt,
        load_scenario("central"),
        fake_automation(5),
        paths=3_000,
        until_year=2030,
        key=jax.random.key(6),
        chunk_size=3_000,
    )
    files = write_outputs(res, tmp_path)
    assert set(files) == {"quantiles", "shares", "probabilities", "crossing_years", "netcdf"}
    back = xr.open_datatree(files["netcdf"])
    np.testing.assert_array_equal(back["histograms"]["share_hist"].values, res["histograms"]["share_hist"].values)
    back.close()
    shares = pd.read_csv(files["shares"])
    total_2030 = shares[(shares["group"] == "total") & (shares["year"] == 2030)]
    assert float(total_2030["q50"].iloc[0]) == float(res["share_total"].sel(year=2030, quantile=0.5))
    probs = pd.read_csv(files["probabilities"])
    assert probs["probability"].between(0, 1).all() and len(probs) == 9 * 3
