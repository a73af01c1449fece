"""The planted bugs of the SBC harness change exactly what they claim, and nothing else (no MCMC;
their rejection by the harness is tested in tests/test_calibrate.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.handlers import condition, seed, trace

from forecast.model import load_trend_priors, trend_model
from forecast.mutants import half_data, ignore_correlation, variance_as_scale
from tests.helpers import TRUTH, design, simulate


@pytest.fixture(scope="module")
def setup():
    priors = load_trend_priors()
    data = simulate(design(), priors, jax.random.key(0))
    return priors, data


def _sites(model, priors, data):
    conditioned = condition(model, data={k: jnp.asarray(v) for k, v in TRUTH.items()})
    return trace(seed(conditioned, rng_seed=0)).get_trace(data, priors)


def test_variance_as_scale_squares_the_univariate_scales(setup):
    priors, data = setup
    true, mutant = _sites(trend_model, priors, data), _sites(variance_as_scale(), priors, data)
    for name in ("obs_compute", "obs_hardware_release"):
        np.testing.assert_allclose(mutant[name]["fn"].scale, true[name]["fn"].scale ** 2)


def test_ignore_correlation_keeps_the_marginal_scales_and_drops_the_correlation(setup):
    priors, data = setup
    true, mutant = _sites(trend_model, priors, data), _sites(ignore_correlation(), priors, data)
    cov_true = np.asarray(true["obs_pair"]["fn"].covariance_matrix)
    cov_mut = np.asarray(mutant["obs_pair"]["fn"].covariance_matrix)
    np.testing.assert_allclose(np.diagonal(cov_mut, axis1=-2, axis2=-1), np.diagonal(cov_true, axis1=-2, axis2=-1))
    assert np.all(cov_mut[..., 0, 1] == 0.0) and np.all(cov_true[..., 0, 1] > 0.0)
    np.testing.assert_array_equal(mutant["obs_compute"]["value"], true["obs_compute"]["value"])
    np.testing.assert_allclose(mutant["obs_compute"]["fn"].scale, true["obs_compute"]["fn"].scale)


def test_half_data_sees_the_first_half_of_every_series(setup):
    priors, data = setup
    mutant = _sites(half_data(), priors, data)
    assert mutant["obs_compute"]["value"].shape[0] == data.compute.t.shape[0] // 2
    assert mutant["obs_pair"]["value"].shape[0] == data.pair.t.shape[0] // 2
