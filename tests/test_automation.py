"""The requirement model of technical automation: priors, array core, and a fit to the task data."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.infer import Predictive

from forecast.automation import (
    COGNITIVE_QUANTILES,
    REQUIRED_PRIORS,
    AutomationParams,
    automation_model,
    cell_data,
    group_share,
    group_shares_at,
    load_automation_priors,
    share_change_by_task_type,
    unit_share,
)
from forecast.errors import ConfigError
from forecast.occupations import load_occupations
from forecast.tasks import load_task_evidence


@pytest.fixture(scope="module")
def cells():
    occ = load_occupations()
    return cell_data(occ, load_task_evidence(groups=list(occ["group"]))), occ


def test_packaged_priors_load():
    priors = load_automation_priors()
    assert set(priors.specs) == set(REQUIRED_PRIORS)  # no cap unless a file opts in
    assert priors.settings.label_year < priors.settings.use_year


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("typo_target_accept.toml", "settings.inference.target_acept"),
        ("use_before_label.toml", "use_year must be after label_year"),
        ("negative_scale.toml", "[label_concentration]"),
        ("wrong_dims.toml", "dims"),
        ("missing_inference.toml", "settings.inference"),
        ("typo_table.toml", "did you mean 'flop_gap_oom'"),
        ("unknown_distribution.toml", "did you mean 'LogNormal'"),
    ],
)
def test_broken_automation_priors(fixtures, name, needle):
    path = fixtures / "automation" / name
    with pytest.raises(ConfigError) as err:
        load_automation_priors(path)
    msg = str(err.value)
    assert str(path) in msg and needle in msg and "\n" not in msg


def test_cell_layout(cells):
    c, occ = cells
    assert len(c.group) == 2 * len(occ) and abs(c.weight.sum() - 1.0) < 1e-12
    assert c.n_tasks.dtype.kind == "i" and (c.levels.sum(axis=1) == c.n_tasks).all()
    assert set(np.asarray(c.physical)) == {0.0, 1.0}


def test_unit_share_reaches_one_and_is_monotone():
    p = AutomationParams(jnp.array([[1.0, 4.0]]), jnp.array([[1.5, 0.5]]), jnp.ones((1, 2)))
    x = jnp.linspace(-10.0, 30.0, 401)
    s = np.asarray(unit_share(x[:, None], p))[:, 0, :]
    assert np.all(np.diff(s, axis=0) >= 0) and np.allclose(s[-1], 1.0) and np.allclose(s[0], 0.0, atol=1e-9)
    np.testing.assert_allclose(unit_share(jnp.array([[4.0]]), p)[0, 0, 1], 0.5)
    member = np.array([[1.0], [0.0]])
    np.testing.assert_allclose(group_share(s, member)[:, 0], s[:, 0])


def test_prior_predictive_gives_valid_evidence(cells):
    c, occ = cells
    arrays = c._replace(exposed=None, levels=None, use_seen=None)
    draws = Predictive(automation_model, num_samples=20)(
        jax.random.key(0), arrays, (2.2, 0.15), priors=load_automation_priors(), n_groups=len(occ)
    )
    assert np.all(np.asarray(draws["obs_levels"]).sum(axis=-1) == np.asarray(c.n_tasks))
    assert np.all(np.asarray(draws["obs_exposed"]) <= np.asarray(c.n_tasks))
    q = np.asarray(draws["cognitive_requirement_oom"])
    assert q.shape == (20, len(COGNITIVE_QUANTILES)) and np.all(np.diff(q, axis=1) > 0)


def test_fit_orders_groups_and_reaches_every_task(automation_fit):
    fit, occ, _, _ = automation_fit
    post = fit.posterior
    offsets = post.params.offset_oom  # (n, C)
    groups = list(occ["group"])
    cognitive = np.asarray(post.cell_cognitive)
    computing = np.flatnonzero((np.asarray(post.cell_group) == groups.index("15")) & cognitive)[0]
    construction = np.flatnonzero((np.asarray(post.cell_group) == groups.index("47")) & ~cognitive)[0]
    assert np.median(offsets[:, construction] - offsets[:, computing]) > 2.0  # manual work comes later
    # no plateau: at 40 OOM beyond the label date every group is fully automatable
    np.testing.assert_allclose(group_shares_at(post, 40.0), 1.0, atol=1e-6)
    q = post.cognitive_requirement_oom
    assert np.all(np.diff(q, axis=1) > 0)
    change = share_change_by_task_type(post, -4.0, 0.0)
    assert change.loc["physical", "median_pp"] < change.loc["data_processing", "median_pp"]
    exposed = group_shares_at(post, 0.0, "exposure")
    technical = group_shares_at(post, 0.0, "technical")
    assert np.all(exposed.mean(axis=0) > technical.mean(axis=0))  # exposure comes before automatability
