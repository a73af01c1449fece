"""Test-wide set-up. Runs before any test module imports JAX.

Device topology is chosen here, once: 4 simulated CPU devices so that sharding tests can check
that results do not depend on the device count. float64 is on, as the CLI enables it. XLA
programs are kept in a persistent compilation cache (as the CLI does), so the many fits of one
model shape compile once per machine, not per test.
"""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JAX_NUM_CPU_DEVICES", "4")
os.environ.setdefault("JAX_ENABLE_X64", "True")
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR", str(os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "jax"))
)

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: pass --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Upstream data in ../shared/data; CI has it beside the checkout."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data not present")
    return SHARED_DATA


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def fx(fixtures) -> Path:
    """The data-layer fixtures: small upstream-like and extract CSVs, good and broken."""
    return fixtures / "data"


@pytest.fixture(scope="session")
def upstream(shared_data):
    """``load_upstream(shared_data)`` with the default rule, loaded once for the data tests."""
    from forecast.data import load_upstream  # lazily: most test runs never load the data

    return load_upstream(shared_data)


@pytest.fixture(scope="session")
def automation_fit():
    """One short fit of the automation model to the packaged task evidence (shared by its tests).

    The trend input is the synthetic posterior; the inference settings are the short ones of
    ``tests/fixtures/fast/automation.toml`` (the packaged file runs a longer fit).
    """
    import jax

    from forecast.automation import calibrate, load_automation_priors
    from forecast.occupations import load_occupations
    from forecast.posterior import trend_draws
    from forecast.tasks import load_task_evidence
    from tests.synthetic import synthetic_posterior

    occupations = load_occupations()
    evidence = load_task_evidence(groups=list(occupations["group"]))
    priors = load_automation_priors(FIXTURES / "fast" / "automation.toml")
    trend = trend_draws(synthetic_posterior(jax.random.key(5), 2, 200))
    fit = calibrate(occupations, evidence, priors, trend, key=jax.random.key(6))
    return fit, occupations, evidence, priors
