"""The published-figures table, and the files a simulation writes."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import xarray as xr

from forecast.scenarios import load_scenario
from forecast.seeds import seeds_table
from forecast.simulate import simulate
from forecast.summaries import write_outputs
from tests.synthetic import fake_automation, synthetic_posterior

SEED = 20240601


@pytest.fixture(scope="module")
def inputs():
    return synthetic_posterior(jax.random.key(SEED), 4, 500), fake_automation(SEED)


def test_outputs_and_seeds(tmp_path, inputs):
    posterior_dt, automation = inputs
    results = {
        name: simulate(
            posterior_dt,
            load_scenario(name),
            automation,
            paths=4_000,
            until_year=2035,
            key=jax.random.key(SEED),
            chunk_size=4_000,
        )
        for name in ("trend", "conservative", "central", "explosive", "structural")
    }
    res = results["central"]
    assert res.attrs["backend"] == "cpu" and res.attrs["scenario"] == "central"
    assert res["share_group"].sizes == {"group": 22, "year": 14, "quantile": 5}
    files = write_outputs(res, tmp_path / "central")
    for f in files.values():
        assert f.is_file() and f.stat().st_size > 0
    back = xr.open_datatree(files["netcdf"])
    np.testing.assert_array_equal(back["histograms"]["log_hist"].values, res["histograms"]["log_hist"].values)
    back.close()
    table = seeds_table(posterior_dt, results, automation)
    assert {"item", "published_low", "published_high", "ours_median", "ours_q05", "ours_q95"} <= set(table.columns)
    # 20 rows before the structural forecast: + P(>= 1e4/1e8/1e12 | structural forecast) + its median
    assert len(table) == 24 and table["ours_median"].notna().all()
    items = set(table["item"])
    assert "2030 factor, central reference scenario median (imposed, not forecast)" in items
    assert "P(2030 factor >= 1e8 | structural forecast)" in items
    structural = table.set_index("item").loc["2030 factor, structural median (structural forecast)"]
    assert structural["published_low"] == 8.0 and "not tuned" in structural["note"]
    assert {
        "effective FLOP for 20% of cognitive tasks",
        "effective FLOP for 100% (99%) of cognitive tasks",
        "gen-AI uplift 2019->2023, physical, exposure",
        "gen-AI uplift 2019->2023, physical, technical",
    } <= items
    ftm = table.set_index("item").loc["effective FLOP for 100% (99%) of cognitive tasks"]
    # fake requirements: 99% at ~8 OOM beyond the ~10^24.8 label-date frontier, +~0.6 OOM to 2022 algorithms
    assert ftm["published_low"] == 36.0 and 32.0 < ftm["ours_median"] < 35.0
    row = table.set_index("item").loc["doubling time, algorithmic"]
    assert 8.5 < row["ours_median"] < 12.0  # synthetic 0.362 OOM/yr -> 10.0 months
