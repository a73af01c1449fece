"""Prior specs: the registry mirrors NumPyro, the default file is valid, broken files fail clearly."""

import inspect
import json
from pathlib import Path

import numpy as np
import numpyro.distributions as dist
import pytest
from scipy import stats

from forecast.errors import ConfigError
from forecast.forms import FORM_PRIORS
from forecast.model import OPTIONAL_PRIORS, REQUIRED_PRIORS, load_trend_priors
from forecast.priors import REGISTRY, PriorSpec, load_priors
from forecast.resources import priors_path


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
    priors = load_trend_priors()
    # the time-varying residual scale (trend and walk) won the PSIS-LOO comparisons: on by default
    assert set(priors.specs) == set(REQUIRED_PRIORS) | {"noise_trend", "noise_walk_sd"}
    for spec in priors.specs.values():
        assert PriorSpec.model_validate(spec.to_dict()) == spec
        assert spec.to_numpyro() is not None
    # centred near the published doubling times: 7 / 30 / 9 months
    assert 12 * 0.30103 / priors["growth_spending"].params["loc"] == pytest.approx(7, abs=0.1)
    assert 12 * 0.30103 / priors["growth_hardware"].params["loc"] == pytest.approx(30, abs=0.2)
    assert 12 * 0.30103 / priors["algorithmic_hypermean"].params["loc"] == pytest.approx(9, abs=0.1)


def test_ho2024_prior_file_is_the_default_plus_the_language_rate_prior():
    """Ho et al. (2024): compute halves every ~8 months, 95% CI roughly 5-14 months."""
    default = load_trend_priors()
    ho = load_trend_priors(priors_path("trends_ho2024.toml"))
    assert set(ho.specs) - set(default.specs) == {"ho2024_language_rate"}
    assert all(ho[k] == default[k] for k in default.specs)
    spec = ho["ho2024_language_rate"]
    assert spec.distribution == "LogNormal"
    rate = stats.lognorm(s=spec.params["scale"], scale=np.exp(spec.params["loc"]))
    months = 12 * np.log10(2) / rate.ppf([0.975, 0.5, 0.025])
    assert months[1] == pytest.approx(8.0, abs=0.05)
    assert months[0] == pytest.approx(5.0, abs=0.4) and months[2] == pytest.approx(14.0, abs=0.8)


def test_optional_priors_are_checked_like_required_ones(tmp_path):
    text = priors_path("trends.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad_optional_dims.toml"
    bad.write_text(text.replace('dims = ["trend_series"]', 'dims = ["series"]'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[noise_trend\] has dims \['series'\], the model needs \['trend_series'\]"):
        load_trend_priors(bad)
    # without the optional table the file is still valid (constant residual scales)
    start = text.index("\n[noise_trend]\n")
    constant = tmp_path / "constant.toml"
    constant.write_text(text[:start] + text[text.index("\n[compute_spending_corr]\n") :], encoding="utf-8")
    assert not {"noise_trend", "noise_walk_sd"} & set(load_trend_priors(constant).specs)
    forms = {name for form in FORM_PRIORS.values() for name in form}  # growth forms, forecast.forms
    scales = {"noise_trend", "noise_walk_sd", "residual_skew", "residual_tail"}
    assert set(OPTIONAL_PRIORS) == {*scales, "ho2024_language_rate", *forms}


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
