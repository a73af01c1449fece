"""PSIS-LOO comparison: units summed across sites, the same units required, the true model preferred."""

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from forecast.loo import loo_table, unit_log_likelihood

SEED = 20261203


def _fit(draws_mu, y, sd, sites=("obs",)):
    """A DataTree whose pointwise log-likelihood is N(y | mu, sd) per draw of mu, split over sites."""
    ll = stats.norm.logpdf(y[None, None, :], draws_mu[..., None], sd)
    parts = np.array_split(np.arange(y.size), len(sites))
    coords = {"chain": np.arange(draws_mu.shape[0]), "draw": np.arange(draws_mu.shape[1])}
    log_lik = xr.Dataset(
        {s: (("chain", "draw", f"{s}_dim"), ll[..., idx]) for s, idx in zip(sites, parts, strict=True)}, coords=coords
    )
    post = xr.Dataset({"mu": (("chain", "draw"), draws_mu)}, coords=coords)
    return xr.DataTree.from_dict({"posterior": post, "log_likelihood": log_lik}), parts


def test_units_sum_elements_with_the_same_label():
    rng = np.random.default_rng(SEED)
    y = rng.normal(size=6)
    dt, parts = _fit(rng.normal(size=(2, 50)), y, 1.0, sites=("a", "b"))
    # a's 3 elements and b's 3 elements pair up as three units
    units = {"a": ["u0", "u1", "u2"], "b": ["u2", "u1", "u0"]}
    out = unit_log_likelihood(dt, units)["log_likelihood"]["units"]
    assert list(out["unit"].values) == ["u0", "u1", "u2"]
    ll = dt["log_likelihood"]
    np.testing.assert_allclose(out.sel(unit="u0"), ll["a"].values[..., 0] + ll["b"].values[..., 2], rtol=1e-12)
    with pytest.raises(ValueError, match="3 elements but 2 unit labels"):
        unit_log_likelihood(dt, {"a": ["u0", "u1"]})


def test_loo_prefers_the_true_model_and_requires_the_same_units():
    rng = np.random.default_rng(SEED)
    n = 60
    y = rng.normal(0.0, 1.0, n)
    post = y.mean() + rng.normal(size=(4, 250)) / np.sqrt(n)  # exact posterior of mu, sd known
    right, _ = _fit(post, y, 1.0)
    wrong, _ = _fit(post, y, 3.0)
    labels = [f"u{i}" for i in range(n)]
    table = loo_table({"sd 1": right, "sd 3": wrong}, {"sd 1": {"obs": labels}, "sd 3": {"obs": labels}})
    assert list(table.index) == ["sd 1", "sd 3"]
    # the exact ELPD difference is sum(log N(y|0,1) - log N(y|0,3)) ~ -n (log 3 - 4/9); elpd_diff is
    # estimated, so allow 4 of its standard errors
    exact = (stats.norm.logpdf(y, y.mean(), 3) - stats.norm.logpdf(y, y.mean(), 1)).sum()
    row = table.loc["sd 3"]
    assert row["elpd_diff"] == pytest.approx(exact, abs=4 * row["dse"] + 1.0)
    assert row["elpd_diff"] < -4 * row["dse"]
    assert (table["n_units"] == n).all() and (table["max_khat"] < 0.7).all()
    with pytest.raises(ValueError, match="different observation units"):
        loo_table({"a": right, "b": wrong}, {"a": {"obs": labels}, "b": {"obs": [*labels[:-1], "other"]}})
