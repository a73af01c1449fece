"""Scenario files: validation with did-you-mean hints, and their numeric form."""

from __future__ import annotations

import pytest

from forecast.errors import ConfigError
from forecast.scenarios import display_name, load_scenario, load_scenarios


def test_presets_validate():
    spec = load_scenarios()
    assert {"trend", "conservative", "central", "explosive"} <= set(spec.scenario)
    for name in spec.scenario:
        assert len(spec.scenario[name].rationale) > 50
    with pytest.raises(ConfigError, match="did you mean 'central'"):
        load_scenario("centrl")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("typo_key.toml", "scenario.central.spending.multiplierr"),
        ("negative_multiplier.toml", "scenario.central.hardware.multiplier"),
        ("cap_above_one.toml", "scenario.central.spending.gdp_share_cap"),
        ("stale_gdp_settings.toml", "world_gdp_usd_2024: world GDP and its growth are set once, in priors/structural"),
        ("short_rationale.toml", "scenario.central.rationale"),
        ("typo_feedback.toml", "scenario.central.algorithmic.feedback_oom_per_yr"),
        ("trend_with_schedule.toml", "trend"),
        ("typo_start_year.toml", "scenario.central.start_yaer"),
        ("bad_syntax.toml", "TOML"),
        ("missing_kind.toml", "scenario.central.kind"),
        ("condition_typo.toml", "did you mean 'largest_run_gdp_share_cap'"),
        ("condition_on_reference.toml", "only 'forecast' scenarios take conditions"),
        ("forecast_with_schedule.toml", "must not set schedules"),
    ],
)
def test_broken_scenarios(fixtures, name, key):
    path = fixtures / "scenarios" / name
    with pytest.raises(ConfigError) as err:
        load_scenarios(path)
    msg = str(err.value)
    assert str(path) in msg and key in msg and "\n" not in msg


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("typo_key.toml", "multiplier"),
        ("typo_feedback.toml", "feedback_oom_per_year"),
        ("typo_start_year.toml", "start_year"),
    ],
)
def test_scenario_typos_did_you_mean(fixtures, name, hint):
    with pytest.raises(ConfigError, match=f"did you mean '{hint}'"):
        load_scenarios(fixtures / "scenarios" / name)


def test_every_scenario_says_what_it_is():
    """Reference scenarios are labelled imposed; forecasts name their conditions; all start where the data end."""
    spec = load_scenarios()
    kinds = {name: sc.kind for name, sc in spec.scenario.items()}
    assert kinds["trend"] == "trend"
    assert {kinds[n] for n in ("conservative", "central", "explosive")} == {"reference"}
    assert {kinds[n] for n in ("structural", "caps_bind_early", "feedback")} == {"forecast"}
    for name in spec.scenario:
        sc = load_scenario(name)
        assert sc.params.start_year == 2025.5  # the model tables end 2025-06-30
        if sc.kind == "reference":
            assert "imposed, not forecast" in sc.label
            assert display_name(name, {"scenario_kind": sc.kind}) == f"{name} (imposed, not forecast)"
    early = load_scenario("caps_bind_early")
    assert early.conditions["largest_run_gdp_share_cap"] == (None, 1e-4)
    assert "largest_run_gdp_share_cap <= 0.0001" in early.label


def test_caps_are_shares_of_the_structural_gdp_path():
    """World GDP and its growth have one source, priors/structural.toml: a scenario's spending cap
    is its GDP share of that path in 2024, and moving the structural GDP moves the cap with it."""
    import math

    from forecast.scenarios import resolve_scenario
    from forecast.structural import GDP_BASE_YEAR, constants, load_structural_priors

    spec = load_scenarios()
    c = constants(load_structural_priors().settings)
    share = spec.scenario["central"].spending.gdp_share_cap
    params = resolve_scenario(spec, "central", structural=c)
    gdp_2024 = c.log10_gdp_base + c.gdp_growth_oom * (2024.0 - GDP_BASE_YEAR)
    assert params.spending_cap_log10_2024 == pytest.approx(math.log10(share) + gdp_2024, abs=1e-12)
    # one field carries GDP growth, for the caps and the structural layer alike
    assert params.structural_gdp_growth_oom == c.gdp_growth_oom
    assert [f for f in type(params)._fields if "gdp_growth" in f] == ["structural_gdp_growth_oom"]
    richer = resolve_scenario(spec, "central", structural=c._replace(log10_gdp_base=c.log10_gdp_base + 0.5))
    assert richer.spending_cap_log10_2024 - params.spending_cap_log10_2024 == pytest.approx(0.5, abs=1e-12)
