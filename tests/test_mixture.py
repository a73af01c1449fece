"""The stacked mixture of growth forms as the engine's trend (forecast.mixture)."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest
import xarray as xr

from forecast.errors import DataError, ForecastInputError
from forecast.mixture import STACKING_FILE, fit_forms, forms_record, load_forms, mixture_trend
from forecast.posterior import TrendDraws

CHAINS, DRAWS = 2, 50


def _posterior(g_end: tuple[float, float, float], level_end: float, *, innovation: bool = False) -> xr.DataTree:
    """A minimal form fit: constant values per variable, so each draw's origin is recognisable."""
    shape = (CHAINS, DRAWS)
    post = xr.Dataset(
        {
            "growth_end": (("chain", "draw", "form_series"), np.broadcast_to(g_end, (*shape, 3)).copy()),
            "growth": (
                ("chain", "draw", "component"),
                np.broadcast_to((*g_end, 0.4), (*shape, 4)).copy(),
            ),
            "log10_compute_end": (("chain", "draw"), np.full(shape, level_end)),
            "log10_spending_end": (("chain", "draw"), np.full(shape, level_end - 17.0)),
            "data_end_time": (("chain", "draw"), np.full(shape, 5.5)),
        },
        coords={"component": ["compute", "spending", "hardware", "algorithmic"]},
    )
    if innovation:
        post["slope_innovation_sd"] = (("chain", "draw", "form_series"), np.full((*shape, 3), 0.01))
    dt = xr.DataTree.from_dict({"posterior": post})
    dt.attrs["ref_year"] = 2020.0
    return dt


def _forms_dir(tmp_path, weights: dict[str, float]):
    values = {"constant": ((0.60, 0.50, 0.10), 26.0), "changepoint": ((0.70, 0.55, 0.20), 26.5)}
    for form, (g, level) in values.items():
        _posterior(g, level).to_netcdf(tmp_path / f"fit_{form}.nc")
    (tmp_path / STACKING_FILE).write_text(json.dumps({"weights": weights}))
    return tmp_path


def _full(n: int = 7) -> TrendDraws:
    a = np.arange(n, dtype=float)
    return TrendDraws(a, a, a, 0.3 + 0.01 * a, a, a, a, 2020.0)


def test_mixture_trend_follows_the_weights_and_starts_at_the_data_end(tmp_path):
    forms = _forms_dir(tmp_path, {"constant": 0.25, "changepoint": 0.75})
    trend = mixture_trend(load_forms(forms), _full(), 4000, key=jax.random.key(0))
    assert trend.ref_year == pytest.approx(2025.5)
    from_changepoint = np.isclose(trend.growth_compute, 0.70)
    # binomial(4000, 0.75): 4 sd = 0.027
    assert abs(from_changepoint.mean() - 0.75) < 0.027
    # each draw keeps its own form's slopes, gap and level together
    np.testing.assert_allclose(trend.log10_compute_ref, np.where(from_changepoint, 26.5, 26.0))
    np.testing.assert_allclose(trend.identity_gap, np.where(from_changepoint, 0.70 - 0.55 - 0.20, 0.0), atol=1e-12)
    # the algorithmic rate comes from the full fit (forms leave it alone), every full draw used
    assert set(np.round(trend.growth_algorithmic, 6)) == set(np.round(0.3 + 0.01 * np.arange(7), 6))
    again = mixture_trend(load_forms(forms), _full(), 4000, key=jax.random.key(0))
    np.testing.assert_array_equal(again.growth_compute, trend.growth_compute)


def test_a_form_with_weight_zero_need_not_be_there(tmp_path):
    forms = _forms_dir(tmp_path, {"constant": 1.0, "changepoint": 0.0, "local_linear": 0.0})
    draws, weights = load_forms(forms)
    assert list(draws) == ["constant"] and weights["local_linear"] == 0.0
    record = forms_record(forms)
    assert json.loads(record["forms_weights"]) == {"constant": 1.0, "changepoint": 0.0, "local_linear": 0.0}
    assert len(record["forms_stacking_sha256"]) == 64


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: (d / STACKING_FILE).unlink(), "stacking.json: not found"),
        (lambda d: (d / STACKING_FILE).write_text("{"), "unreadable"),
        (lambda d: (d / STACKING_FILE).write_text('{"weights": {"cubic": 1.0}}'), "unknown form 'cubic'"),
        (lambda d: (d / "fit_changepoint.nc").unlink(), "fit_changepoint.nc: not found"),
        (lambda d: (d / STACKING_FILE).write_text('{"weights": {"constant": 0.0}}'), "no form has a positive weight"),
    ],
)
def test_broken_forms_directories_fail_with_one_line(tmp_path, mutate, needle):
    forms = _forms_dir(tmp_path, {"constant": 0.5, "changepoint": 0.5})
    mutate(forms)
    with pytest.raises(DataError, match=needle) as info:
        load_forms(forms)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("forms", [["constant"], ["constant", "constant"], ["constant", "cubic"]])
def test_fit_forms_needs_two_known_forms_and_writes_nothing(tmp_path, forms):
    from forecast.infer import SamplerConfig

    with pytest.raises(ForecastInputError, match="at least two different forms"):
        fit_forms(tmp_path, seed=0, sampler=SamplerConfig(), forms=forms)
    assert not any(tmp_path.iterdir())


def test_a_form_that_failed_its_gate_is_refused_unless_allowed(tmp_path):
    forms = _forms_dir(tmp_path, {"constant": 0.5, "changepoint": 0.5})
    summary = {
        "weights": {"constant": 0.5, "changepoint": 0.5},
        "gates_passed": {"constant": True, "changepoint": False},
    }
    (forms / STACKING_FILE).write_text(json.dumps(summary))
    with pytest.raises(ForecastInputError, match="changepoint form .* failed the convergence gate") as info:
        load_forms(forms)
    assert "--allow-unconverged" in info.value.fix
    draws, _ = load_forms(forms, allow_unconverged=True)
    assert set(draws) == {"constant", "changepoint"}
    # a failed form with a negligible weight (stacking returns ~1e-17) is never used: no block
    summary["weights"] = {"constant": 1.0, "changepoint": 5e-17}
    (forms / STACKING_FILE).write_text(json.dumps(summary))
    assert list(load_forms(forms)[0]) == ["constant"]
