"""Growth forms (forecast.forms): slope recovery on synthetic data, the stacked mixture's draws,
the form prior files, and the forms inside the trend model.

Recovery tolerance: a fit passes when ``|posterior mean - truth| <= Z * sqrt(sd^2 + MCSE^2)``
with ``Z = 3.29`` (two-sided p = 0.001 for a calibrated posterior): the truth is a draw-free
constant, so the posterior sd is the estimation error and the MCSE the Monte Carlo error on top.
"""

from types import SimpleNamespace

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.handlers import seed, trace
from numpyro.infer import MCMC, NUTS
from scipy import stats

from forecast.errors import ConfigError
from forecast.forms import FormDraws, form_terms, growth_form, load_form_priors, stack_draws
from forecast.model import TrendSeries, trend_model
from forecast.vocab import GROWTH_FORMS
from tests.helpers import design

Z = 3.29  # two-sided p = 0.001
NOISE = 0.15  # residual sd of the synthetic series (log10 units)


def _series(t, y=None) -> TrendSeries:
    return TrendSeries(t=jnp.asarray(t), y=None if y is None else jnp.asarray(y))


def _toy_data(t, y):
    """The trend series' times as the form sees them: one compute series; the hardware group
    has the same dates (the changepoint of a group needs its span)."""
    empty = _series(np.zeros(0))
    return SimpleNamespace(
        compute=_series(t, y),
        spending=empty,
        pair=empty,
        hardware_release=_series(t),
        hardware_cloud=empty,
    )


def _toy_model(data, priors):
    # One compute series with the form's mean, known noise: isolates forecast.forms.form_terms.
    g = numpyro.sample("g", dist.Normal(0.5, 0.5))
    level = numpyro.sample("level", dist.Normal(20.0, 5.0))
    t = data.compute.t
    form = form_terms(priors, data, jnp.max(t))
    numpyro.deterministic("slope_end", g + form.slope_end[0])
    numpyro.sample("obs", dist.Normal(level + g * t + form.shift(0, t), NOISE), obs=data.compute.y)


def _synthetic(changepoint: float | None, key=0):
    """Yearly-spaced dates 2010-2025 (t = year - 2020), slope 0.3 OOM/yr, then 0.8 after the change."""
    rng = np.random.default_rng(key)
    t = np.sort(rng.uniform(-10.0, 5.0, 120))
    if changepoint is None:
        mean = 22.0 + 0.3 * t
    else:
        mean = 22.0 + 0.3 * t + 0.5 * np.maximum(t - changepoint, 0.0) - 0.5 * max(-changepoint, 0.0)
    return t, mean + NOISE * rng.standard_normal(t.shape)


def _fit(form, t, y, seed_=0):
    priors = load_form_priors(form)
    mcmc = MCMC(
        NUTS(_toy_model, target_accept_prob=0.9),
        num_warmup=400,
        num_samples=400,
        num_chains=2,
        chain_method="vectorized",
        progress_bar=False,
    )
    mcmc.run(jax.random.key(seed_), _toy_data(t, y), priors)
    return az.from_numpyro(mcmc)


def _assert_recovers(dt, var, truth):
    s = az.summary(dt, var_names=[var], round_to="none").iloc[0]
    assert s["r_hat"] < 1.05, s
    tol = Z * np.hypot(s["sd"], s["mcse_mean"])
    assert abs(s["mean"] - truth) <= tol, f"{var}: {s['mean']:.3f} vs truth {truth} (tolerance {tol:.3f})"
    return s


# Plain CI fits three toy models (the straight line on a straight line, the changepoint on a bend,
# and the straight line that must miss the bend); the other forms' recoveries run with --run-slow.
@pytest.mark.parametrize(
    "form", [f if f == "constant" else pytest.param(f, marks=pytest.mark.slow) for f in GROWTH_FORMS]
)
def test_every_form_recovers_a_constant_slope(form):
    t, y = _synthetic(None)
    dt = _fit(form, t, y)
    _assert_recovers(dt, "slope_end", 0.3)


@pytest.mark.parametrize("form", ["changepoint", pytest.param("local_linear", marks=pytest.mark.slow)])
def test_bending_forms_recover_the_slope_after_a_changepoint(form):
    # slope 0.3 until 2016 (t = -4), 0.8 after: the end slope is 0.8; a straight line would give ~0.6
    t, y = _synthetic(-4.0)
    dt = _fit(form, t, y)
    s = _assert_recovers(dt, "slope_end", 0.8)
    assert s["sd"] < 0.15  # informative, so the tolerance is not vacuous
    if form == "changepoint":
        tau = dt["posterior"]["changepoint_time"].values[..., 0]  # the frontier group
        mean, sd = float(tau.mean()), float(tau.std())
        assert abs(mean - (-4.0)) <= Z * sd, (mean, sd)


def test_constant_form_misses_the_changepoint():
    # the control: the straight line cannot reach the end slope 0.8 (the recovery test has power)
    t, y = _synthetic(-4.0)
    dt = _fit("constant", t, y)
    s = az.summary(dt, var_names=["slope_end"], round_to="none").iloc[0]
    assert abs(s["mean"] - 0.8) > Z * np.hypot(s["sd"], s["mcse_mean"])


def _draws(form_index: int, n: int, value: float, end_year: float = 2025.3) -> FormDraws:
    g = np.full((n, 3), value) + np.arange(n)[:, None] * 1e-3
    return FormDraws(
        form=np.full(n, form_index),
        growth_end=g,
        identity_gap_end=g[:, 0] - g[:, 1] - g[:, 2],
        innovation_sd=np.zeros((n, 3)),
        growth_algorithmic=np.full(n, 0.4),
        log10_compute_end=np.full(n, 26.0),
        log10_spending_end=np.full(n, 8.0),
        end_year=end_year,
    )


def test_stack_draws_respects_the_weights_and_is_deterministic():
    draws = {f: _draws(i, 500 + 100 * i, 0.1 * (i + 1)) for i, f in enumerate(GROWTH_FORMS)}
    weights = {"constant": 0.2, "changepoint": 0.5, "local_linear": 0.3}
    n = 20_000
    key = jax.random.key(3)
    mix = stack_draws(draws, weights, n, key=key)
    assert mix.growth_end.shape == (n, 3) and mix.form.shape == (n,)
    for i, f in enumerate(GROWTH_FORMS):
        k = int((mix.form == i).sum())
        # binomial test, two-sided, alpha = 0.001 per form
        assert stats.binomtest(k, n, weights[f]).pvalue > 1e-3, (f, k / n)
        # every draw carries its own form's values
        np.testing.assert_allclose(np.round(mix.growth_end[mix.form == i, 0], 0), 0.0, atol=0.1 * (i + 1) + 1.0)
        assert np.all(np.isin(mix.growth_end[mix.form == i, 0], draws[f].growth_end[:, 0]))
    again = stack_draws(draws, weights, n, key=key)
    for a, b in zip(mix, again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = stack_draws(draws, weights, n, key=jax.random.key(4))
    assert not np.array_equal(other.form, mix.form)
    # a zero weight never draws that form
    only = stack_draws(draws, {"changepoint": 1.0}, 1000, key=key)
    assert np.all(only.form == GROWTH_FORMS.index("changepoint"))


def test_stack_draws_refuses_bad_weights_and_mixed_data():
    draws = {"constant": _draws(0, 10, 0.1), "changepoint": _draws(1, 10, 0.2, end_year=2024.0)}
    with pytest.raises(ValueError, match="different data"):
        stack_draws(draws, {"constant": 0.5, "changepoint": 0.5}, 10, key=jax.random.key(0))
    with pytest.raises(ValueError, match="non-negative"):
        stack_draws({"constant": _draws(0, 10, 0.1)}, {"constant": -1.0}, 10, key=jax.random.key(0))


@pytest.mark.parametrize(
    ("form", "text", "needle"),
    [
        (
            "changepoint",
            "[slope_chnage_compute]\ndistribution = 'Normal'\nloc = 0.0\nscale = 0.3\n",
            "slope_chnage_compute",
        ),
        ("local_linear", None, "slope_innovation_sd_hardware"),
    ],
)
def test_broken_form_prior_file_fails_with_one_line(tmp_path, form, text, needle):
    from forecast.resources import priors_path

    good = priors_path(f"growth_{form}.toml").read_text()
    if text is None:  # a negative scale
        broken = good.replace("scale = 0.02", "scale = -0.02")
        assert broken != good
    else:  # a misspelt table
        broken = good.replace("[slope_change_compute]", text.split("\n")[0])
    path = tmp_path / f"growth_{form}.toml"
    path.write_text(broken)
    with pytest.raises(ConfigError) as exc:
        load_form_priors(form, overlay=path)
    msg = str(exc.value)
    assert str(path) in msg and needle in msg and "\n" not in msg


def test_unknown_form_and_two_forms_fail_with_one_line(tmp_path):
    with pytest.raises(ConfigError, match="unknown growth form 'cubic'"):
        load_form_priors("cubic")
    from forecast.resources import priors_path

    both = priors_path("trends.toml").read_text() + priors_path("growth_changepoint.toml").read_text()
    both += priors_path("growth_local_linear.toml").read_text()
    path = tmp_path / "trends_two_forms.toml"
    path.write_text(both)
    from forecast.model import load_trend_priors

    with pytest.raises(ConfigError) as exc:
        load_trend_priors(path)
    assert str(path) in str(exc.value) and "two growth forms" in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("form", GROWTH_FORMS)
def test_forms_in_the_trend_model_keep_levels_and_identity(form):
    priors = load_form_priors(form)
    assert growth_form(priors) == form
    data = design()
    tr = trace(seed(trend_model, 1)).get_trace(data, priors, forecast_t=jnp.array([6.0, 8.5]))
    v = {k: np.asarray(s["value"]) for k, s in tr.items()}
    # growth_end is the base rates plus the form's deviation at the data end; constant: equal
    if form == "constant":
        np.testing.assert_allclose(v["growth_end"], v["growth"][:3], rtol=1e-12)
    # the mean at the reference date is the level (the form's shift is 0 at t = 0)
    pred = trace(seed(trend_model, 1)).get_trace(data, priors, forecast_t=jnp.array([0.0]))
    assert float(pred["pred_compute"]["fn"].loc[0]) == pytest.approx(float(pred["level_compute"]["value"]), abs=1e-12)
    if form == "local_linear":
        assert "slope_z" in v and "slope_z_future" in v  # the walk continues to the forecast times
        np.testing.assert_allclose(v["growth_end"], v["growth"][:3], rtol=1e-12)  # anchored at the data end
    if form == "changepoint":
        assert v["changepoint_time"].shape == (2,)


def test_weighted_mixture_scores_match_the_equal_weight_mixture():
    # one form with weight 1 (and another with weight 0) scores as backtest's equal-weight mixture
    from forecast.backtest import _mixture_cdf, _mixture_quantiles
    from forecast.form_backtest import _score_mixture, _weighted_components
    from forecast.scoring import log_score_mixture

    rng = np.random.default_rng(0)
    d, n = 300, 7
    plain = (np.zeros((d, n)), np.ones((d, n)))  # skew 0, tail 1: the Student-t
    a = (np.full((d, n), 4.0), rng.normal(0, 0.3, (d, n)), rng.uniform(0.2, 0.4, (d, n)), *plain)
    b = (
        np.full((d // 2, n), 6.0),
        rng.normal(2, 0.3, (d // 2, n)),
        rng.uniform(0.2, 0.4, (d // 2, n)),
        *(x[: d // 2] for x in plain),
    )
    y = rng.normal(0, 0.5, n)
    mix, per = _weighted_components([a, b], [1.0, 0.0])
    pit, logs, crps, q = _score_mixture(y, mix, per, np.random.default_rng(1), 4)
    np.testing.assert_allclose(pit, _mixture_cdf(y, *a), rtol=1e-12)
    lp = stats.t.logpdf((y[None, :] - a[1]) / a[2], a[0]) - np.log(a[2])
    np.testing.assert_allclose(logs, log_score_mixture(lp, axis=0), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(q), _mixture_quantiles((0.05, 0.5, 0.95), *a), atol=1e-8)
    assert np.all(crps > 0)
    # half and half: the PIT is the average of the two mixtures' PITs
    mix, per = _weighted_components([a, b], [0.5, 0.5])
    pit2 = _score_mixture(y, mix, per, np.random.default_rng(1), 4)[0]
    np.testing.assert_allclose(pit2, 0.5 * (_mixture_cdf(y, *a) + _mixture_cdf(y, *b)), rtol=1e-12)
