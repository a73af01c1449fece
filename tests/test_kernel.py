"""The Monte Carlo kernel, one pure function at a time (no devices, chunks or histograms of runs).

Tolerances: levels are compared to closed forms within 1e-9 OOM after at most 240 float64 steps
(rounding ~1e-13); automation shares within ``CDF_ABS_ERROR`` (the float32 ``erf``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from forecast import kernel as K
from forecast import macro_kernel as MK
from forecast.automation import AutomationParams, group_share, unit_share
from forecast.posterior import ALGORITHMIC_ANCHOR_YEAR, TrendDraws, trend_draws
from forecast.scenarios import NO_LIMIT, ScenarioParams, load_scenario, scenario_params
from forecast.structural import (
    algorithmic_oom,
    constants,
    largest_run,
    load_structural_priors,
    off_draws,
    sample_structural,
)
from tests.synthetic import fake_automation, synthetic_posterior

N = 64
T0 = 2022.0


@pytest.fixture(scope="module")
def inputs():
    trend = trend_draws(synthetic_posterior(jax.random.key(3), 1, N))
    auto = fake_automation(seed=3, n_draws=N)
    return trend, auto


def per_path(trend: TrendDraws) -> TrendDraws:
    return jax.tree.map(jnp.asarray, trend._replace(ref_year=jnp.zeros(N)))


def no_schedule(start_year: float = 2100.0) -> ScenarioParams:
    """A scenario that never applies before ``start_year``: the fitted trend."""
    return scenario_params(start_year, 1.0, NO_LIMIT, 1.0, 1.0, NO_LIMIT, 0.5, 1.0, 0.0)


def layout_of(auto) -> K.CellLayout:
    return K.CellLayout(
        jnp.asarray(auto.cell_weight),
        jnp.asarray(auto.cognitive_weight()),
        jnp.asarray(auto.membership()),
        jnp.asarray(auto.anchor_year),
        jnp.asarray(auto.research_weight()),
    )


def setup(inputs, scenario, structural=None):
    trend, auto = inputs
    tr = per_path(trend)
    ap = jax.tree.map(jnp.asarray, auto.params)
    layout = layout_of(auto)
    sd = jax.tree.map(jnp.asarray, structural if structural is not None else off_draws(N))
    params = K.path_params(tr, ap, scenario, T0, trend.ref_year, layout.anchor_year, sd)
    curves = K.automation_curves(params, layout)
    params = K.with_research_start(params, curves, tr, scenario, T0, trend.ref_year)
    state0 = K.init(tr, T0, trend.ref_year, jnp.arange(N, dtype=jnp.uint32))
    return tr, ap, params, curves, state0


def run_months(state, n_months, params, scenario, curves):
    def body(k, s):
        return K.step(s, k, t0=T0, params=params, scenario=scenario, curves=curves)

    return jax.lax.fori_loop(0, n_months, body, state)


def test_init_is_the_fitted_trend_at_the_base_year(inputs):
    trend, _ = inputs
    _, _, _, _, s0 = setup(inputs, no_schedule())
    np.testing.assert_allclose(s0.log10_compute, trend.log10_compute_ref + trend.growth_compute * (T0 - trend.ref_year))
    np.testing.assert_allclose(s0.algorithmic_oom, trend.growth_algorithmic * (T0 - ALGORITHMIC_ANCHOR_YEAR))
    assert np.all(s0.hardware_oom == 0) and s0.first_cross_step.shape == (N, len(K.SHARE_THRESHOLDS))
    assert np.all(s0.first_cross_step == K.NEVER)


def test_steps_follow_the_fitted_rates_before_a_scenario_starts(inputs):
    trend, _ = inputs
    _, _, params, curves, s0 = setup(inputs, no_schedule())
    s = run_months(s0, 120, params, no_schedule(), curves)
    years = 10.0
    np.testing.assert_allclose(s.log10_compute - s0.log10_compute, trend.growth_compute * years, atol=1e-9)
    np.testing.assert_allclose(s.log10_spending - s0.log10_spending, trend.growth_spending * years, atol=1e-9)
    np.testing.assert_allclose(s.hardware_oom, trend.growth_hardware * years, atol=1e-9)
    np.testing.assert_allclose(s.algorithmic_oom - s0.algorithmic_oom, trend.growth_algorithmic * years, atol=1e-9)


def test_spending_cap_slows_spending_to_gdp_growth(inputs):
    """A cap 0.5 OOM above today's spending: growth slows inside the taper and stops at GDP growth."""
    _, _, _, _, s0 = setup(inputs, no_schedule())
    cap_2024 = float(np.max(s0.log10_spending)) + 0.5
    sc = no_schedule(T0)._replace(spending_cap_log10_2024=cap_2024, spending_taper_oom=0.5)
    _, _, params, curves, s0 = setup(inputs, sc)
    s = run_months(s0, 240, params, sc, curves)
    gdp = sc.structural_gdp_growth_oom
    cap_end = cap_2024 + gdp * (T0 + 20.0 - 2024.0)
    assert np.all(s.log10_spending <= cap_end + 1e-9)
    r_s, _, _ = K.step_rates(s, T0 + 20.0, params, sc, jnp.zeros(N))
    np.testing.assert_allclose(r_s, gdp, atol=0.02)  # within the taper's last few hundredths


def test_hardware_ceiling_stops_flop_per_dollar(inputs):
    sc = no_schedule(T0)._replace(hardware_max_gain_oom=0.3, hardware_taper_oom=0.05)
    _, _, params, curves, s0 = setup(inputs, sc)
    s = run_months(s0, 240, params, sc, curves)
    assert np.all(s.hardware_oom <= 0.3 + 1e-9) and np.all(s.hardware_oom > 0.25)


def test_feedback_speeds_up_algorithms(inputs):
    _, _, params, curves, s0 = setup(inputs, no_schedule(T0))
    plain = run_months(s0, 60, params, no_schedule(T0), curves)
    fed = run_months(s0, 60, params, no_schedule(T0)._replace(feedback_oom_per_year=0.5), curves)
    gain = fed.algorithmic_oom - plain.algorithmic_oom
    assert np.all(gain > 0) and np.all(gain <= 0.5 * 5.0)


def structural_case(inputs, **fixed):
    """Prior draws of the structural quantities (some fixed), a scenario starting at ``T0``."""
    priors = load_structural_priors()
    sd = sample_structural(priors, jax.random.key(11), N)._replace(**{k: jnp.full(N, v) for k, v in fixed.items()})
    c = constants(priors.settings)
    sc = no_schedule(T0)._replace(
        log10_gdp_base=c.log10_gdp_base,
        structural_gdp_growth_oom=c.gdp_growth_oom,
        limit_year=c.limit_year,
        physical_approach_oom=c.physical_approach_oom,
    )
    return sd, sc


def test_structural_largest_run_is_the_reference_month_step(inputs):
    """With the fitted rates (no slowdown, no feedback) the kernel's largest run is forecast.structural.largest_run."""
    trend, _ = inputs
    sd, sc = structural_case(inputs, algorithmic_slowdown=0.0, research_feedback=0.0, hardware_gain_limit_oom=NO_LIMIT)
    c = constants(load_structural_priors().settings)
    _, _, params, curves, s0 = setup(inputs, sc, sd)
    ref = largest_run(per_path(trend)._replace(ref_year=trend.ref_year), sd, c, T0, 20)
    state, years = s0, []
    for y in range(20):
        state = run_year(state, y, params, sc, curves)
        years.append(state)
    comp = np.stack([y.log10_compute for y in years]) + np.asarray(sd.offset_oom)
    cost = np.stack([y.log10_spending for y in years]) + np.asarray(sd.offset_oom)
    np.testing.assert_allclose(comp, ref.log10_compute[1:], atol=1e-9)
    np.testing.assert_allclose(cost, ref.log10_cost[1:], atol=1e-9)
    # both caps bind on some paths over 20 years and are never exceeded
    assert np.all(cost <= np.asarray(ref.log10_cost_cap[1:]) + 1e-12)
    assert np.all(comp <= np.asarray(ref.log10_compute_limit[1:]) + 1e-12)
    assert np.any(np.isclose(comp[-1], ref.log10_compute_limit[-1])) and np.any(
        np.isclose(cost[-1], ref.log10_cost_cap[-1], atol=1e-6)
    )


def run_year(state, y, params, scenario, curves):
    def body(k, s):
        return K.step(s, k, t0=T0, params=params, scenario=scenario, curves=curves)

    return jax.lax.fori_loop(12 * y, 12 * (y + 1), body, state)


def test_structural_hardware_ceiling_holds(inputs):
    """FLOP/$ gained after the start never passes the path's ceiling draw and reaches it on fast paths."""
    sd, sc = structural_case(inputs, research_feedback=0.0)
    sd = sd._replace(hardware_gain_limit_oom=jnp.linspace(0.2, 3.0, N))
    _, _, params, curves, s0 = setup(inputs, sc, sd)
    s = run_months(s0, 12 * 30, params, sc, curves)
    gained = np.asarray(s.hardware_oom - params.hardware_at_start)
    limit = np.asarray(sd.hardware_gain_limit_oom)
    assert np.all(gained <= limit + 1e-12)
    fast = np.asarray(params.growth_hardware) * 30.0 > limit + 1.0
    assert fast.sum() > 5 and np.all(gained[fast] > limit[fast] - sc.hardware_limit_approach_oom)


def test_structural_slowdown_is_the_closed_form(inputs):
    """Algorithmic OOM under the slowdown draw: the monthly Euler sum of the rate against its integral."""
    trend, _ = inputs
    sd, sc = structural_case(inputs, research_feedback=0.0)
    _, _, params, curves, s0 = setup(inputs, sc, sd)
    s = run_months(s0, 120, params, sc, curves)
    exact = algorithmic_oom(trend.growth_algorithmic, sd.algorithmic_slowdown, T0 + 10.0, T0)
    # left Riemann sum of an exponential rate: error <= rate * |s| / 10 * dt / 2 * 10 years
    bound = np.abs(trend.growth_algorithmic) * np.abs(sd.algorithmic_slowdown) * np.exp(np.abs(sd.algorithmic_slowdown))
    assert np.all(np.abs((s.algorithmic_oom - s0.algorithmic_oom) - exact) <= bound / 24.0 + 1e-12)
    assert np.any(np.asarray(sd.algorithmic_slowdown) < -0.3) and np.any(np.asarray(sd.algorithmic_slowdown) > 0.3)


def test_research_feedback_multiplies_the_algorithmic_rate(inputs):
    sd, sc = structural_case(inputs, algorithmic_slowdown=0.0, research_feedback=2.0)
    _, _, params, curves, s0 = setup(inputs, sc, sd)
    research = jnp.linspace(0.0, 1.0, N)
    _, _, r_a = K.step_rates(s0, T0 + 1.0, params, sc, research)
    rel = (1.0 + 2.0 * research) / (1.0 + 2.0 * params.research_start)
    np.testing.assert_allclose(r_a, params.growth_algorithmic * rel, rtol=1e-12)
    # at the start's own share the fitted rate is unchanged: the data already hold it
    _, _, r_0 = K.step_rates(s0, T0 + 1.0, params, sc, params.research_start)
    np.testing.assert_allclose(r_0, params.growth_algorithmic, rtol=1e-12)
    assert np.all(params.research_start > 0) and np.all(params.research_start < 1)
    _, _, erf = K.shares(s0, curves)
    share = K.research_share(erf, curves)
    assert np.all((share >= 0) & (share <= 1))


def test_off_draws_leave_the_schedule_alone(inputs):
    """Trend and reference scenarios carry the off draws: the same path as the schedule alone."""
    trend, _ = inputs
    _, _, params, curves, s0 = setup(inputs, no_schedule(T0))
    s = run_months(s0, 120, params, no_schedule(T0), curves)
    np.testing.assert_allclose(s.log10_compute - s0.log10_compute, trend.growth_compute * 10.0, atol=1e-9)
    np.testing.assert_allclose(s.log10_spending - s0.log10_spending, trend.growth_spending * 10.0, atol=1e-9)


def test_shares_are_the_weighted_cell_shares(inputs):
    trend, auto = inputs
    _, ap, params, curves, s0 = setup(inputs, no_schedule())
    x = s0.log10_compute + s0.algorithmic_oom
    anchor = (
        trend.log10_compute_ref
        + trend.growth_compute * (auto.anchor_year - trend.ref_year)
        + trend.growth_algorithmic * (auto.anchor_year - ALGORITHMIC_ANCHOR_YEAR)
    )
    np.testing.assert_allclose(params.anchor, anchor, rtol=1e-14)
    exact = np.asarray(unit_share(x - anchor, ap))  # (N, C)
    total, cognitive, _ = K.shares(s0, curves)
    np.testing.assert_allclose(total, exact @ auto.cell_weight, atol=K.CDF_ABS_ERROR)
    np.testing.assert_allclose(cognitive, exact @ auto.cognitive_weight(), atol=K.CDF_ABS_ERROR)
    snap = K.snapshot(s0, s0, curves, layout_of(auto))
    assert snap.shares.shape == (len(K.SHARE_SERIES) + len(auto.groups), N)
    np.testing.assert_allclose(snap.shares[2:].T, exact @ auto.membership(), atol=K.CDF_ABS_ERROR)
    np.testing.assert_allclose(snap.shares[1], exact @ auto.cognitive_weight(), atol=K.CDF_ABS_ERROR)
    assert np.all(snap.factor == 0) and np.all(snap.series[:5] == 0)
    np.testing.assert_allclose(snap.series[5], x)


def test_shares_reach_one_as_effective_compute_grows(inputs):
    """No plateau: without a cap every cell's share tends to 1."""
    _, _, params, curves, s0 = setup(inputs, no_schedule())
    far = s0._replace(log10_compute=s0.log10_compute + 40.0)
    total, cognitive, _ = K.shares(far, curves)
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    np.testing.assert_allclose(cognitive, 1.0, atol=1e-6)


def test_mark_crossings_keeps_the_first_step():
    state = K.PathState(*(jnp.zeros(3) for _ in range(4)), jnp.full((3, 3), K.NEVER, jnp.int32))
    state = K.mark_crossings(state, jnp.array([0.1, 0.3, 0.9]), jnp.int32(5))
    state = K.mark_crossings(state, jnp.array([0.6, 0.6, 0.995]), jnp.int32(7))
    expected = [[7, 7, K.NEVER], [5, 7, K.NEVER], [5, 5, 7]]
    np.testing.assert_array_equal(state.first_cross_step, expected)


def test_accumulate_counts_each_valid_path_once(inputs):
    _, _, params, curves, s0 = setup(inputs, no_schedule())
    s = run_months(s0, 12 * 8, params, no_schedule(), curves)
    valid = jnp.asarray(np.r_[np.ones(N - 4), np.zeros(4)].astype(np.int64))
    n_groups = len(inputs[1].groups)
    hist = {k: jnp.zeros(v, jnp.int64) for k, v in K.histogram_shapes(8, n_groups, False, True).items()}
    hist = K.accumulate(hist, 8, K.snapshot(s, s0, curves, layout_of(inputs[1])), valid)
    assert int(hist["log_hist"][8].sum()) == len(K.PATH_SERIES) * (N - 4)
    assert int(hist["share_hist"][8].sum()) == (len(K.SHARE_SERIES) + n_groups) * (N - 4)
    factor = np.asarray(K.snapshot(s, s0, curves, layout_of(inputs[1])).factor)[: N - 4]
    assert list(np.asarray(hist["factor_exceed"][8])) == [int((factor >= t).sum()) for t in K.FACTOR_THRESHOLDS_OOM]
    hist = K.accumulate_crossings(hist, s, curves, 8, valid)
    assert int(hist["crossing"].sum()) == len(K.SHARE_THRESHOLDS) * (N - 4)


def test_pick_draws_depends_only_on_the_path_index():
    root = jax.random.key(0)
    a = K.pick_draws(root, jnp.arange(10, dtype=jnp.uint32), 50, 40)
    b = K.pick_draws(root, jnp.arange(5, 10, dtype=jnp.uint32), 50, 40)
    np.testing.assert_array_equal(a[0][5:], b[0])
    np.testing.assert_array_equal(a[1][5:], b[1])


def test_macro_init_and_step(inputs):
    """Realised automation = technical share at lagged effective compute x the realised layer; channels add up."""
    from forecast.macro import CHANNELS, ChannelParams, MacroDraws, channel_init, channel_step
    from forecast.realised import RealisedDraws, realised_year

    trend, auto = inputs
    tr, ap, params, curves, s0 = setup(inputs, no_schedule())
    n = N
    full = lambda v: jnp.full(n, v)
    rd = RealisedDraws(
        size_offset=jnp.tile(jnp.array([-0.9, -0.2, 0.5, 1.6]), (n, 1)),
        lag_years=full(2.0),
        intensive_ref=full(0.1),
        intensive_rate=full(0.45),
        intensive_ceiling=full(0.5),
        profitable_ref=full(0.23),
        cost_sd_oom=full(0.25),
        cost_passthrough=full(0.25),
        wage_growth=full(0.01),
        time_saving=full(0.25),
        labour_share=full(0.57),
    )
    md = MacroDraws(full(0.8), full(0.5), full(2027.0), rd, full(0.5), full(1.0))
    g = len(auto.groups)
    weight = jnp.asarray(auto.group_weight)
    size_weight = jnp.array([0.285, 0.203, 0.153, 0.359])
    mk = MK.MacroKernelInputs(md, weight, weight, jnp.ones((g, 3)) / g, size_weight)
    layout = layout_of(auto)
    member = np.asarray(auto.membership())

    def direct(eff_lagged, time):
        technical = jnp.asarray(group_share(unit_share(eff_lagged - params.anchor, ap), member))
        firms = 0.8 / (1.0 + jnp.exp(-0.5 * (time - 2027.0)))
        growth_cost = params.growth_hardware + params.growth_algorithmic
        return realised_year(technical, firms, time, rd, size_weight, weight, growth_cost)

    mstate, year0 = MK.macro_init(s0, tr.growth_compute + tr.growth_algorithmic, md, params, layout, mk, T0)
    eff_lagged = s0.log10_compute + s0.algorithmic_oom - 2.0 * (tr.growth_compute + tr.growth_algorithmic)
    ry0 = direct(eff_lagged, T0)
    np.testing.assert_allclose(year0.shares[:, 0], ry0.adoption_firms)
    np.testing.assert_allclose(year0.shares[:, 2], ry0.hours_with_ai, rtol=1e-12)
    np.testing.assert_allclose(year0.shares[:, 6], ry0.realised @ auto.group_weight, rtol=1e-12)
    assert year0.effects.shape == (n, 2 * len(CHANNELS)) and np.all(year0.effects == 0)

    s1 = run_months(s0, 12, params, no_schedule(), curves)
    mstate1, year1 = MK.macro_step(s1, mstate, T0 + 1.0, md, params, layout, mk)
    np.testing.assert_allclose(mstate1.eff_buffer[-1], s1.log10_compute + s1.algorithmic_oom)
    np.testing.assert_allclose(mstate1.eff_buffer[0], mstate.eff_buffer[1])
    # the channel flows equal a direct channel_step on the same realised shares and TFP levels
    ry1 = direct(mstate1.eff_buffer[-3], T0 + 1.0)  # a lag of exactly 2 years: two entries back
    _, flows = channel_step(
        channel_init(ry0.realised, ry0.tfp_level), ry1.realised, ry1.tfp_level, weight, ChannelParams(md[4], md[5])
    )
    np.testing.assert_allclose(year1.effects[:, len(CHANNELS) :], np.stack(flows, axis=-1), rtol=1e-10, atol=1e-15)


def test_preset_scenarios_resolve_to_kernel_floats():
    for name in ("trend", "conservative", "central", "explosive"):
        params = load_scenario(name).params
        assert all(isinstance(v, float) for v in params)


def test_step_is_jittable_without_retracing(inputs):
    """Stepping a new scenario of the same shape reuses the compiled program (scenarios are traced)."""
    _, _, params, curves, s0 = setup(inputs, no_schedule())
    traces = []

    @jax.jit
    def advance(state, sc):
        traces.append(1)
        return run_months(state, 12, params, sc, curves)

    advance(s0, no_schedule())
    advance(s0, no_schedule(T0)._replace(spending_multiplier=1.3))
    assert len(traces) == 1


def test_automation_params_shape_contract(inputs):
    _, auto = inputs
    assert isinstance(auto.params, AutomationParams)
    assert auto.params.offset_oom.shape == (N, 2 * len(auto.groups))
    np.testing.assert_allclose(auto.membership().sum(axis=0), 1.0)
