"""SBC test quantities: every named quantity gets a value, the flags add exactly their sites, and the
correlation gap vanishes where it should."""

import jax
import numpy as np
import pytest
from numpyro.infer import Predictive

from forecast.model import OBSERVATIONS, load_trend_priors, trend_model, with_observations, without_observations
from forecast.sbc_quantities import (
    QUANTITIES,
    data_quantities,
    latent,
    pair_corr_gap,
    parameter_quantities,
    quantities_order,
    quantity_names,
)
from forecast.vocab import TREND_SERIES
from tests.helpers import TRUTH, design


@pytest.fixture(scope="module")
def drawn():
    """Three prior draws of every site (latent and deterministic) on a small simulated design."""
    priors = load_trend_priors()
    empty = design(sizes=(30, 20, 20, 40, 25, 30))
    samples = Predictive(trend_model, num_samples=3)(jax.random.key(2), without_observations(empty), priors)
    # the first draw's observations as the data set (one trace serves both)
    data = with_observations(empty, {site: samples[site][0] for site in OBSERVATIONS if site in samples})
    return priors, data, samples


def test_every_named_quantity_gets_a_value(drawn):
    priors, data, samples = drawn
    values = parameter_quantities(samples, 10.0) | data_quantities(trend_model, latent(samples), data, priors)
    # pred_compute is the one quantity a fitter draws itself (the posterior predictive)
    assert set(values) | {"pred_compute"} == set(quantities_order())
    assert all(np.shape(v) == (3,) for v in values.values())
    assert all(np.isfinite(v).all() for v in values.values())


def test_flags_add_one_quantity_per_trend_series():
    base = quantity_names(time_varying_scale=False, scale_walk=False)
    assert len(QUANTITIES) == len(base) + 2 * len(TREND_SERIES) == 46
    extra = set(quantity_names(skew=True, tail=True)) - set(QUANTITIES)
    assert extra == {f"residual_{k}_{s}" for k in ("skew", "tail") for s in TREND_SERIES}
    assert quantity_names(2035.5)[-2:] == ("trend_compute_2035.5", "pred_compute_2035.5")


def test_pair_corr_gap_is_zero_at_the_residual_correlation(drawn):
    """Set the correlation parameter to the pairs' residual correlation under the same draw: gap 0."""
    _, data, samples = drawn
    truth = {k: np.asarray(v)[None] for k, v in TRUTH.items()}
    gap_at_zero = pair_corr_gap({**truth, "compute_spending_corr": np.zeros(1)}, data)
    rho = np.sqrt(gap_at_zero)  # |rho| of the residuals when r = 0
    for sign in (1.0, -1.0):
        gap = pair_corr_gap({**truth, "compute_spending_corr": sign * rho}, data)
        if np.allclose(gap, 0.0, atol=1e-12):
            break
    else:
        pytest.fail("no sign of |rho| gives a zero gap")
    assert float(gap_at_zero[0]) > 0.0
