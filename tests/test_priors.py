"""Prior specs: the registry mirrors NumPyro, the default file is valid, broken files fail clearly."""

import inspect
import json
from pathlib import Path

import numpyro.distributions as dist
import pytest

from forecast.errors import ConfigError
from forecast.model import REQUIRED_PRIORS
from forecast.priors import REGISTRY, PriorSpec, load_priors


def test_registry_matches_numpyro_signatures():
    # The registry is hand-written so that validation never needs JAX; keep it in step.
    for name, info in REGISTRY.items():
        if name == "TruncatedNormal":
            # a factory taking *args/**kwargs; its parameters are those of Normal plus low/high
            continue
        cls = getattr(dist, name)
        params = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "validate_args")]
        assert set(info.params) <= set(params), (name, params)
        assert set(info.params) <= set(cls.arg_constraints) | {"low", "high"}, name


def test_default_priors_load_and_round_trip():
    priors = load_priors(required=REQUIRED_PRIORS)
    assert set(priors.specs) == set(REQUIRED_PRIORS)
    for spec in priors.specs.values():
        assert PriorSpec.model_validate(spec.to_dict()) == spec
        assert spec.to_numpyro() is not None
    # centred near the published doubling times: 7 / 30 / 9 months
    assert 12 * 0.30103 / priors["growth_spending"].params["loc"] == pytest.approx(7, abs=0.1)
    assert 12 * 0.30103 / priors["growth_hardware"].params["loc"] == pytest.approx(30, abs=0.2)
    assert 12 * 0.30103 / priors["growth_algorithmic"].params["loc"] == pytest.approx(9, abs=0.1)


BAD = json.loads((Path(__file__).parent / "fixtures/priors/expected.json").read_text())


@pytest.mark.parametrize("name", sorted(BAD))
def test_broken_prior_files_fail_with_one_line(fixtures, name):
    path = fixtures / "priors" / name
    with pytest.raises(ConfigError) as info:
        load_priors(path, required=REQUIRED_PRIORS)
    message = info.value.one_line()
    assert "\n" not in message
    assert name in message, message
    assert BAD[name] in message, message
    assert "fix:" in message


def test_missing_file():
    with pytest.raises(ConfigError, match="file not found"):
        load_priors("no/such/priors.toml", required=REQUIRED_PRIORS)
