"""The posterior adapter: a fitted DataTree as flat per-draw arrays."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from forecast.errors import DataError
from forecast.posterior import ALGORITHMIC_ANCHOR_YEAR, log10_effective_trend, trend_draws
from tests.synthetic import synthetic_posterior

SEED = 20240601


@pytest.fixture(scope="module")
def posterior_dt():
    return synthetic_posterior(jax.random.key(SEED), 4, 500)


def test_trend_draws_flattens(posterior_dt):
    tr = trend_draws(posterior_dt)
    assert tr.growth_compute.shape == (2000,) and tr.ref_year == 2020.0
    np.testing.assert_allclose(tr.growth_compute, tr.growth_spending + tr.growth_hardware + tr.identity_gap)
    assert abs(np.median(tr.log10_compute_ref) - 22.59) < 0.05


def test_trend_draws_missing_variable(posterior_dt):
    broken = posterior_dt.copy()
    broken["posterior"] = broken["posterior"].to_dataset().drop_vars("identity_gap")
    with pytest.raises(DataError, match="identity_gap"):
        trend_draws(broken)


def test_effective_trend_closed_form(posterior_dt):
    tr = trend_draws(posterior_dt)
    at_anchor = log10_effective_trend(tr, ALGORITHMIC_ANCHOR_YEAR)
    np.testing.assert_allclose(at_anchor, tr.log10_compute_ref + tr.growth_compute * (ALGORITHMIC_ANCHOR_YEAR - 2020.0))
    np.testing.assert_allclose(log10_effective_trend(tr, 2024.0) - at_anchor, tr.growth_compute + tr.growth_algorithmic)
