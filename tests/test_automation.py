"""Task-automation layer: curated data, priors validation, the share curve and its calibration."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from forecast.automation import (
    PHYSICAL_MAJOR_GROUPS,
    AutomationParams,
    calibrate,
    load_automation_priors,
    load_occupations,
    occupations_from_upstream,
    share_change_by_task_type,
    task_share,
    total_share,
)
from forecast.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def occupations():
    return load_occupations()


@pytest.fixture(scope="module")
def posterior(occupations):
    # Real priors and sampler settings (what the CLI runs); ~12 s on 2 CPU cores.
    return calibrate(occupations, load_automation_priors(), key=jax.random.key(20240601))


def test_packaged_occupations(occupations):
    assert len(occupations) == 22
    assert occupations["group"].str.len().eq(2).all()
    assert set(occupations.loc[occupations["physical"], "group"]) == set(PHYSICAL_MAJOR_GROUPS)
    # OEWS May 2021 all-occupation total is 140,886,310; major groups sum to it up to rounding.
    assert abs(occupations["employment"].sum() - 140_886_310) < 1_000
    assert ((occupations["e1_share"] + occupations["e2_share"]) <= 1.0).all()


def test_extract_rebuilds_from_upstream(shared_data, occupations):
    rebuilt = occupations_from_upstream(shared_data / "gpts_are_gpts")
    pd.testing.assert_frame_equal(
        rebuilt[["group", "employment"]], occupations[["group", "employment"]], check_dtype=False
    )
    np.testing.assert_allclose(rebuilt["e1_share"], occupations["e1_share"], atol=1e-6)  # CSV keeps 6 decimals


@pytest.mark.parametrize(
    "change",
    [
        ("e1_share", 1.5, "outside"),
        ("task_type", "robots", "task_type"),
        ("employment", -3, "employment"),
    ],
)
def test_broken_occupations_csv(tmp_path, occupations, change):
    col, value, needle = change
    bad = occupations.copy()
    bad[col] = bad[col].astype("object")
    bad.loc[3, col] = value
    path = tmp_path / "occ.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match=needle) as err:
        load_occupations(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_task_share_shape_bounds_monotone():
    params = AutomationParams(jnp.array([25.0, 28.0]), jnp.array([1.0, 2.0]), jnp.array([0.9, 0.5]))
    x = jnp.linspace(15.0, 40.0, 101)
    s = task_share(x, params)
    assert s.shape == (101, 2)
    assert bool(jnp.all(jnp.diff(s, axis=0) >= 0))
    assert bool(jnp.all((s >= 0) & (s <= params.ceiling)))
    np.testing.assert_allclose(task_share(jnp.array(25.0), params)[0], 0.45, rtol=1e-12)
    assert total_share(s, jnp.array([0.25, 0.75])).shape == (101,)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("typo_target_accept.toml", "settings.inference.target_acept"),
        ("bad_labels.toml", "settings.observation.labels"),
        ("negative_spread.toml", "[threshold_spread]"),
        ("physical_below.toml", "threshold_physical"),
        ("missing_inference.toml", "settings.inference"),
        ("typo_table.toml", "did you mean 'ceiling'"),
    ],
)
def test_broken_automation_priors(fixtures, name, key):
    path = fixtures / "automation" / name
    with pytest.raises(ConfigError) as err:
        load_automation_priors(path)
    msg = str(err.value)
    assert str(path) in msg and key in msg and "\n" not in msg


def test_typo_gets_did_you_mean(fixtures):
    with pytest.raises(ConfigError, match="did you mean .target_accept."):
        load_automation_priors(fixtures / "automation" / "typo_target_accept.toml")


def test_calibration_fits_labels(occupations, posterior):
    p = posterior.params
    n, g = p.threshold_log10.shape
    assert g == 22 and n == 500 and posterior.employment_weight.sum() == pytest.approx(1.0)
    # Posterior-mean predicted E1 share at the 2023 frontier reproduces the labels (obs_sd = 0.03).
    pred = np.asarray(task_share(jnp.full((n,), posterior.log10_eff_2023), p)).mean(axis=0)
    assert np.abs(pred - occupations["e1_share"].to_numpy()).max() < 3 * 0.03
    phys = posterior.physical
    assert np.median(p.threshold_log10[:, phys]) > np.median(p.threshold_log10[:, ~phys]) + 1.0


def test_uplift_by_task_type_orders_like_published(posterior):
    change = share_change_by_task_type(posterior, 21.3, 25.5)
    assert change.loc["physical", "median_pp"] < 5.0
    assert change.loc["decision_management", "median_pp"] > 10.0
    assert change.loc["data_processing", "median_pp"] > 10.0
