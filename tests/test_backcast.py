"""Backcast of the labour layer against the 2023-2025 observations (acceptance of the labour issue).

Real inputs: the packaged adoption data (a short NUTS fit), the automation model fitted to the
packaged task evidence (session fixture) and the synthetic trend posterior, whose rates sit near
the fitted ones. Every independent observation must fall inside the model's 90% interval except
the one documented failure (the NL/EU ratio of people using AI for work; see the report text in
``forecast.sections.labour``); a new failure or a fixed one both make this test fail, so the
documentation has to follow.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from forecast import adoption as adopt
from forecast.backcast import labour_checks
from forecast.macro import REGIONS, load_macro_priors, prepare_macro
from forecast.posterior import trend_draws
from forecast.reference import OBSERVED_LABOUR
from tests.synthetic import synthetic_posterior

KNOWN_OUTSIDE = {"NL / EU ratio of workers using AI (2025)"}


@pytest.fixture(scope="module")
def inputs(automation_fit):
    fit, occupations, _, _ = automation_fit
    priors = adopt.load_adoption_priors()
    short = priors.settings.inference.model_copy(update={"num_warmup": 300, "num_samples": 300, "num_chains": 2})
    post = adopt.fit_adoption(adopt.load_adoption(), priors.with_settings(inference=short), key=jax.random.key(2))
    macro = {r: prepare_macro(r, post, load_macro_priors(), occupations, key=jax.random.key(3)) for r in REGIONS}
    trend = trend_draws(synthetic_posterior(jax.random.key(5), 2, 200))
    return trend, fit.posterior, macro


@pytest.fixture(scope="module")
def checks(inputs):
    trend, automation, macro = inputs
    return labour_checks(trend, automation, macro, "NL", key=jax.random.key(1), n=2000)


def test_every_observation_inside_but_the_documented_one(checks):
    table = checks.backcast
    assert list(table["check"]) == [o["check"] for o in OBSERVED_LABOUR]
    outside = set(table.loc[~table["inside"], "check"])
    assert outside == KNOWN_OUTSIDE, table[["check", "observed_low", "observed_high", "q05", "median", "q95"]]
    assert (table["q05"] <= table["median"]).all() and (table["median"] <= table["q95"]).all()
    assert set(table["role"]) == {"check", "prior source"}


def test_ten_year_tfp_and_decomposition_tables(checks):
    tfp = checks.ten_year_tfp
    assert list(tfp["window"].unique()) == ["2024-2034"] and (tfp["median"] > 0).all()
    dec = checks.decomposition.set_index("channel")
    assert dec.loc["displacement", "q95"] <= 0 <= dec.loc["reinstatement", "q05"]
    assert 0 < dec.loc["productivity_share", "median"] < 1
    assert "2025-2043" in checks.decomposition.attrs["window"]


def test_adoption_sensitivity(checks):
    sens = checks.adoption_sensitivity.set_index(["parameter", "tercile"])
    assert len(sens) == 6 and "2025-2035" in checks.adoption_sensitivity.attrs["window"]
    # a higher adoption ceiling means more tasks done by AI in 2035 (the midpoint is not monotone:
    # the survey years fix the early slope, so a later midpoint comes with a higher ceiling)
    realised = sens["realised_total"]
    assert realised[("adoption_ceiling", "high")] > realised[("adoption_ceiling", "low")]


def test_same_key_same_tables_and_a_mutant_is_caught(inputs, checks):
    trend, automation, macro = inputs
    again = labour_checks(trend, automation, macro, "NL", key=jax.random.key(1), n=2000)
    np.testing.assert_array_equal(again.backcast[["q05", "median", "q95"]], checks.backcast[["q05", "median", "q95"]])

    # Mutant: no intensive margin (every hour in an adopting firm uses AI, the head-count reading of
    # firm adoption the labour layer had before) must fail the time-saved checks.
    def no_intensive_margin(m):
        rd = m.draws.realised._replace(intensive_ref=np.full(4000, 0.999), intensive_ceiling=np.ones(4000))
        return m._replace(draws=m.draws._replace(realised=rd))

    heavy = {r: no_intensive_margin(m) for r, m in macro.items()}
    mutant = labour_checks(trend, automation, heavy, "NL", key=jax.random.key(1), n=2000).backcast
    assert not mutant.set_index("check").loc["time saved, share of all work hours", "inside"].any()
