"""The trend model: identities, shapes, forecasts, and recovery of known doubling times."""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.infer import Predictive

from forecast.infer import SamplerConfig, fit
from forecast.model import LOG10_2_MONTHS, REQUIRED_PRIORS, trend_model, without_observations
from forecast.priors import load_priors
from tests.helpers import TRUTH, design, simulate


@pytest.fixture(scope="module")
def priors():
    return load_priors(required=REQUIRED_PRIORS)


def test_prior_predictive_identity_and_units(priors):
    data = design()
    draws = Predictive(trend_model, num_samples=200)(jax.random.key(0), without_observations(data), priors)
    growth = np.asarray(draws["growth"])
    # compute = spending + hardware + gap, exactly, in every draw
    np.testing.assert_allclose(
        growth[:, 0], draws["growth_spending"] + draws["growth_hardware"] + draws["identity_gap"], rtol=1e-12
    )
    np.testing.assert_allclose(np.asarray(draws["doubling_months"]), LOG10_2_MONTHS / growth, rtol=1e-12)
    assert draws["obs_compute"].shape == (200, data.compute.t.shape[0])
    assert draws["obs_eci"].shape == (200, data.eci.t.shape[0])


def test_empty_series_add_no_likelihood(priors):
    """An as-of fit before a series starts (ECI before 2023) simply has no site for it."""
    from numpyro.handlers import seed, trace

    d = design()
    empty = d._replace(eci=d.eci._replace(t=d.eci.t[:0], x=d.eci.x[:0], y=d.eci.y[:0]))
    sites = trace(seed(trend_model, 0)).get_trace(empty, priors)
    assert "obs_eci" not in sites and "obs_compute" in sites
    assert "obs_eci" in trace(seed(trend_model, 0)).get_trace(d, priors)


def test_forecast_sites_follow_the_trend(priors):
    data = design()
    t = jnp.array([0.0, 5.0])
    samples = {
        k: jnp.full((400,), v) if np.ndim(v) == 0 else jnp.tile(jnp.asarray(v), (400, 1)) for k, v in TRUTH.items()
    }
    pred = Predictive(trend_model, samples, return_sites=["pred_compute"])(
        jax.random.key(1), data, priors, forecast_t=t
    )
    med = np.median(np.asarray(pred["pred_compute"]), axis=0)
    g_c = TRUTH["growth_spending"] + TRUTH["growth_hardware"] + TRUTH["identity_gap"]
    # medians of 400 Student-t draws: MCSE ~ 1.25 * scale / sqrt(n) ~ 0.03; allow 4 MCSE
    assert med[0] == pytest.approx(TRUTH["level_compute"], abs=4 * 0.03)
    assert med[1] - med[0] == pytest.approx(5 * g_c, abs=4 * 0.03 * np.sqrt(2))


def test_parameter_recovery_of_known_doubling_times(priors):
    """Fit data simulated at the published doubling times; the 90% intervals cover the truth.

    Each interval end is an MCMC estimate, so it is widened by 3 MCSE of the quantile
    (``arviz.mcse(method="quantile")``): the check fails only when the truth is outside the
    interval by more than Monte Carlo error. Whole-posterior calibration is SBC (tests/test_calibrate.py).
    """
    data = simulate(design(seed=1), priors, jax.random.key(11))
    dt = fit(
        data, priors, SamplerConfig(chains=2, draws=500, warmup=500), key=jax.random.key(3), posterior_predictive=False
    )
    months = dt["posterior"]["doubling_months"]
    truth_growth = {
        "compute": TRUTH["growth_spending"] + TRUTH["growth_hardware"] + TRUTH["identity_gap"],
        "spending": TRUTH["growth_spending"],
        "hardware": TRUTH["growth_hardware"],
    }
    for comp, g in truth_growth.items():
        da = months.sel(component=comp)
        lo, hi = float(da.quantile(0.05)), float(da.quantile(0.95))
        ds = da.to_dataset(name="m")
        mcse_lo = float(az.mcse(ds, method="quantile", prob=0.05)["m"])
        mcse_hi = float(az.mcse(ds, method="quantile", prob=0.95)["m"])
        truth = LOG10_2_MONTHS / g
        assert lo - 3 * mcse_lo <= truth <= hi + 3 * mcse_hi, (comp, lo, truth, hi)
    # the algorithmic hyper-mean is informed by two domains only: check each domain rate instead
    dom = dt["posterior"]["growth_domain"]
    true_dom = TRUTH["growth_algorithmic"] + TRUTH["algorithmic_domain_sd"] * TRUTH["domain_z"]
    for i, name in enumerate(["imagenet", "eci"]):
        da = dom.sel(domain=name)
        ds = da.to_dataset(name="g")
        lo, hi = float(da.quantile(0.05)), float(da.quantile(0.95))
        m_lo = float(az.mcse(ds, method="quantile", prob=0.05)["g"])
        m_hi = float(az.mcse(ds, method="quantile", prob=0.95)["g"])
        assert lo - 3 * m_lo <= true_dom[i] <= hi + 3 * m_hi, (name, lo, true_dom[i], hi)
