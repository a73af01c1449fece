"""Checks of the automation model: label and observed-use predictive checks, and SBC with a mutant.

SBC: 20 simulations (the mutant: 40) on a reduced design (every fourth occupation group, task
counts scaled by 0.1; the model is the same for any design) and L = 100 ranks; each quantity is tested with chi-square
and KS at a family level alpha = 0.01 (Bonferroni over quantities and tests). The mutant, whose
simulator gives every group the same requirement while the model estimates the spread, must be
rejected with 40 (measured: between-group share chi-square p ~1e-5 and log-likelihood
p ~1e-31 at 50; 20 simulations were not enough to reject it reliably).
"""

from __future__ import annotations

import jax
import pytest

from forecast.automation import growth_label_to_use
from forecast.automation_checks import AutomationSBCConfig, label_check, run_sbc
from forecast.posterior import trend_draws
from tests.synthetic import synthetic_posterior

CI = AutomationSBCConfig(simulations=40, chunk_size=20, group_stride=4)
# the calibrated model passes at any size (false-failure rate <= alpha); one chunk keeps CI short
CI_PASS = AutomationSBCConfig(simulations=20, chunk_size=20, group_stride=4)


@pytest.fixture(scope="module")
def growth(automation_fit):
    priors = automation_fit[3]
    return growth_label_to_use(trend_draws(synthetic_posterior(jax.random.key(5), 2, 200)), priors.settings)


def test_label_and_observed_use_check(automation_fit):
    fit, occ, ev, priors = automation_fit
    table = label_check(fit, occ, ev, priors, key=jax.random.key(0), max_draws=200)
    assert len(table) == 3 * len(occ) and table["observed"].between(0, 1).all()
    use = table[table["instrument"] == "observed_use"]
    # acceptance of the automation issue: observed use inside the 90% interval for >= 80% of groups
    assert use["inside"].mean() >= 0.8, use[~use["inside"]]


def test_sbc_passes(automation_fit, growth):
    _, occ, ev, priors = automation_fit
    result = run_sbc(occ, ev, priors, growth, key=jax.random.key(2026), config=CI_PASS)
    assert result.passed, result.failures


def test_sbc_rejects_the_no_between_groups_mutant(automation_fit, growth):
    _, occ, ev, priors = automation_fit
    # same chunk shape as the real run: the compiled fitter is reused (persistent compilation cache)
    result = run_sbc(occ, ev, priors, growth, key=jax.random.key(2026), config=CI, mutant="no_between_groups")
    assert not result.passed
    assert "between_group_share" in " ".join(result.failures)
