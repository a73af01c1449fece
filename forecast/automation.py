"""Technical automation from effective compute: task requirement distributions fitted to task data.

Quantities, kept apart in code and outputs:

- **technically automatable** (capability): a task is automatable once the frontier's effective
  compute reaches the task's *requirement* ``r`` (log10 2023-algorithm-equivalent FLOP);
- **exposure** (time saving): E1/E2 labels, reached a ``lead`` earlier than the requirement;
- **observed use**: tasks seen in Claude conversations (Anthropic Economic Index);
- **realised automation**: technical capability actually in use at work (:mod:`forecast.macro`).

Model (Davidson's takeoff model and Epoch's GATE give each task an effective-FLOP requirement;
all tasks become automatable at a finite, uncertain requirement). Units are *cells*: an SOC major
group ``g`` times a task class (cognitive / physical, :mod:`forecast.tasks`). Requirements are
measured in OOM beyond the fitted trend's effective compute at the label date (``x_label``, early
2023), so every Monte Carlo path anchors them to its own trend draw::

    r ~ Normal(m_c, s)                  m_c = m_g + robotics_lag * [physical]
    m_g ~ Normal(mu, tau)               tau = sigma sqrt(omega), s = sigma sqrt(1 - omega)
    sigma = flop_gap / (z_.99 - z_.20)  mu = requirement_full - z_.99 * sigma

so ``requirement_full`` (where ~99% of cognitive tasks are automatable) and ``flop_gap`` (OOM from
20% to 99%) carry the FTM/GATE priors directly. Share automatable at effective compute ``x``:
``S_c(x) = cap * Phi((x - x_label - m_c) / s)`` with ``cap = 1`` unless a prior file opts into a
cap. Measurement models, each with its own noise (rater disagreement is not requirement spread):

- exposure: P(E1 or E2) = Phi((exposure_lead - m_c) / sqrt(s^2 + exposure_noise^2)), beta-binomial;
- GPT-4 automation level: P(T >= k) = Phi((cut_k - m_c) / sqrt(s^2 + level_noise^2)), cut_4 = 0
  (T4, "the model does the whole task", is the definition of technically automatable at the label
  date), cut_3 < ... ascending by ``level_step`` OOM; Dirichlet-multinomial;
- observed use (2025.0, ``growth_label_to_use`` OOM later, taken from the trend posterior): a task
  appears in the conversation data with probability ``detection * Phi((growth + use_lead - m_c) /
  sqrt(s^2 + use_noise^2))``: absence does not mean unusable (``detection`` < 1, privacy
  threshold, a coding-heavy user base) and conversation *shares* are not used as volumes;
  beta-binomial.

Layers: array core (:func:`unit_share`, :func:`group_share`; ``jax.numpy``), the NumPyro model and
its fit (:func:`automation_model`, :func:`calibrate`), and derived summaries
(:func:`group_shares_at`, :func:`share_change_draws`).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, NamedTuple

import numpy as np
import pandas as pd
from pydantic import Field

from forecast.config import InferenceSpec, StrictModel
from forecast.errors import ConfigError
from forecast.occupations import TASK_TYPES
from forecast.priors import PriorSet, load_priors
from forecast.resources import priors_path
from forecast.tasks import AUTOMATION_LEVELS, TASK_CLASSES

DEFAULT_PRIORS = priors_path("automation.toml")
#: Cumulative cognitive shares the requirement quantiles are reported at; 0.99 stands for "100%".
COGNITIVE_QUANTILES = (0.2, 0.5, 0.99)
_Z20, _Z99 = -0.8416212335729143, 2.3263478740408408


class AutomationSettings(StrictModel):
    """The ``[settings]`` table of ``priors/automation.toml``."""

    label_year: Annotated[float, Field(ge=2020.0, le=2030.0)] = 2023.2
    use_year: Annotated[float, Field(ge=2020.0, le=2030.0)] = 2025.0
    inference: InferenceSpec


#: Priors of :func:`automation_model`; ``automatable_cap`` is optional (no cap: all tasks
#: become automatable at a finite requirement).
REQUIRED_PRIORS: dict[str, tuple[str, ...]] = {
    "requirement_full_oom": (),
    "flop_gap_oom": (),
    "between_group_share": (),
    "robotics_lag_oom": (),
    "exposure_lead_oom": (),
    "exposure_noise_oom": (),
    "level_step_oom": ("level_step",),
    "level_noise_oom": (),
    "use_lead_oom": (),
    "use_noise_oom": (),
    "use_detection": (),
    "label_concentration": ("instrument",),
}
OPTIONAL_PRIORS: dict[str, tuple[str, ...]] = {"automatable_cap": ()}
INSTRUMENTS = ("exposure", "automation_level", "observed_use")


def load_automation_priors(path: Path | None = None) -> PriorSet:
    """``priors/automation.toml`` (or ``path``) via :func:`forecast.priors.load_priors`.

    Raises
    ------
    ConfigError
        Also when the label date is after the observed-use date.
    """
    path = Path(path) if path is not None else DEFAULT_PRIORS
    priors = load_priors(path, REQUIRED_PRIORS, settings=AutomationSettings, optional=OPTIONAL_PRIORS)
    if priors.settings.use_year <= priors.settings.label_year:
        raise ConfigError(f"{path}: [settings] use_year must be after label_year", "observed use is the later date")
    return priors


# --------------------------------------------------------------------------------------------
# Array core
# --------------------------------------------------------------------------------------------


class AutomationParams(NamedTuple):
    """Per-cell requirement distributions; leaves ``(..., n_cells)``.

    Attributes
    ----------
    offset_oom
        Median requirement, OOM beyond the frontier's effective compute at the label date.
    width_oom
        Spread (sd) of requirements within the cell, OOM.
    ceiling
        Share automatable in the limit (1 unless a cap is opted into).
    """

    offset_oom: object
    width_oom: object
    ceiling: object


#: SOC major groups whose cognitive tasks stand for AI research (15: computer and mathematical
#: occupations, where software developers, data scientists and computer research scientists are).
RESEARCH_GROUPS: tuple[str, ...] = ("15",)


class AutomationPosterior(NamedTuple):
    """Posterior draws of the requirement distributions plus the cell and group layout.

    Attributes
    ----------
    params
        :class:`AutomationParams`, leaves ``(n_draws, n_cells)``.
    cell_weight
        ``(n_cells,)`` employment-weighted share of all tasks (sums to one).
    cell_group
        ``(n_cells,)`` index of each cell's group.
    cell_cognitive
        ``(n_cells,)`` bool.
    groups, titles, task_types
        One per group.
    group_weight
        ``(n_groups,)`` employment shares (OEWS May 2021).
    anchor_year
        Label date: requirements are OOM beyond the trend's effective compute at this date.
    exposure_lead_oom, exposure_noise_oom
        ``(n_draws,)``: exposure precedes automatability by this many OOM (with rater noise).
    cognitive_requirement_oom
        ``(n_draws, 3)``: OOM beyond the label-date frontier at which 20% / 50% / 99% of cognitive
        tasks are technically automatable (:data:`COGNITIVE_QUANTILES`).
    """

    params: AutomationParams
    cell_weight: np.ndarray
    cell_group: np.ndarray
    cell_cognitive: np.ndarray
    groups: tuple
    titles: tuple
    task_types: tuple
    group_weight: np.ndarray
    anchor_year: float
    exposure_lead_oom: np.ndarray
    exposure_noise_oom: np.ndarray
    cognitive_requirement_oom: np.ndarray

    def membership(self) -> np.ndarray:
        """``(n_cells, n_groups)`` weights that turn cell shares into group shares (columns sum to 1)."""
        m = np.zeros((len(self.cell_group), len(self.groups)))
        m[np.arange(len(self.cell_group)), self.cell_group] = self.cell_weight
        return m / m.sum(axis=0, keepdims=True)

    def cognitive_weight(self) -> np.ndarray:
        """``(n_cells,)`` weights of the cognitive cells in all cognitive tasks (zero for physical)."""
        w = np.where(self.cell_cognitive, self.cell_weight, 0.0)
        return w / w.sum()

    def research_weight(self) -> np.ndarray:
        """``(n_cells,)`` weights of the AI-research tasks: cognitive cells of :data:`RESEARCH_GROUPS`.

        Raises
        ------
        ValueError
            When none of :data:`RESEARCH_GROUPS` is among the groups.
        """
        research = np.isin(np.asarray(self.groups, dtype=str)[self.cell_group], RESEARCH_GROUPS)
        w = np.where(self.cell_cognitive & research, self.cell_weight, 0.0)
        if not w.sum() > 0:
            raise ValueError(f"no cognitive cell of the AI-research groups {RESEARCH_GROUPS} among {self.groups}")
        return w / w.sum()


_SQRT_HALF = 0.7071067811865476


def unit_share(x_rel, params: AutomationParams):
    """Share of each cell's tasks automatable ``x_rel`` OOM beyond the label-date frontier.

    Parameters
    ----------
    x_rel
        Array ``(...)`` of log10 effective FLOP minus the trend's value at the label date.
    params
        :class:`AutomationParams` with leaves broadcastable to ``(..., n_cells)``.

    Returns
    -------
    Array ``(..., n_cells)`` in [0, 1].

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> p = AutomationParams(jnp.array([2.0]), jnp.array([1.0]), jnp.array([1.0]))
    >>> float(unit_share(jnp.array(2.0), p)[0])
    0.5
    """
    import jax.numpy as jnp
    from jax.lax import erf

    # Phi via erf, not ndtr: ndtr evaluates both erf and erfc under a select and was 11x slower in
    # float64 on CPU; the absolute error of this form (<1e-16) is what matters for a share.
    z = (jnp.asarray(x_rel)[..., None] - params.offset_oom) / params.width_oom
    return params.ceiling * (0.5 + 0.5 * erf(z * _SQRT_HALF))


def group_share(cell_shares, membership):
    """Group shares ``(..., n_groups)`` from cell shares ``(..., n_cells)`` and ``membership``."""
    return cell_shares @ membership


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


class CellData(NamedTuple):
    """Task evidence per cell (a pytree of arrays; ``None`` outcomes for prior predictive)."""

    group: object  # (C,) int
    physical: object  # (C,) float 0/1
    weight: object  # (C,) employment-weighted share of all tasks
    n_tasks: object  # (C,)
    exposed: object  # (C,) E1 or E2
    levels: object  # (C, 5) T0..T4
    use_n: object  # (C,) O*NET 20.1 tasks
    use_seen: object  # (C,) of them seen in conversations


def cell_data(occupations: pd.DataFrame, evidence: pd.DataFrame) -> CellData:
    """Arrays of :class:`CellData` from ``occupations.csv`` and ``task_evidence.csv`` (cells sorted)."""
    groups = list(occupations["group"])
    ev = evidence.set_index(["group", "task_class"]).reindex(
        pd.MultiIndex.from_product([groups, TASK_CLASSES]), fill_value=0
    )
    gi = np.repeat(np.arange(len(groups)), len(TASK_CLASSES))
    n = ev["n_tasks"].to_numpy(dtype="float64")
    per_group = np.bincount(gi, weights=n, minlength=len(groups))
    emp = occupations["employment"].to_numpy(dtype="float64")
    weight = emp[gi] / emp.sum() * n / np.where(per_group[gi] > 0, per_group[gi], 1.0)
    levels = ev[[f"auto_{t.lower()}" for t in AUTOMATION_LEVELS]].to_numpy(dtype="float64")
    # counts stay integers: the binomial samplers of the prior predictive need integer totals
    return CellData(
        group=gi.astype("int32"),
        physical=np.tile(np.array([0.0, 1.0]), len(groups)),
        weight=weight / weight.sum(),
        n_tasks=n.astype("int64"),
        exposed=(ev["exposed_e1"] + ev["exposed_e2"]).to_numpy(dtype="int64"),
        levels=levels.astype("int64"),
        use_n=ev["aei_n_tasks"].to_numpy(dtype="int64"),
        use_seen=ev["aei_present"].to_numpy(dtype="int64"),
    )


def _probit(numerator, *scales):
    import jax.numpy as jnp
    from jax.scipy.special import ndtr

    return ndtr(numerator / jnp.sqrt(sum(s**2 for s in scales)))


def automation_model(cells: CellData, growth_label_to_use, *, priors: PriorSet, n_groups: int):
    """NumPyro model of the task evidence; see the module docstring.

    Parameters
    ----------
    cells
        :class:`CellData`; outcomes may be ``None`` (prior predictive).
    priors
        From :func:`load_automation_priors`.
    n_groups
        Number of occupation groups.
    growth_label_to_use
        ``(mean, sd)`` (a pair or a 2-array) of the trend posterior's effective-compute growth (OOM)
        from the label date to the observed-use date.
    """
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    def prior(name):
        return numpyro.sample(name, priors[name].to_numpyro())

    full, gap, omega, robot = (
        prior(k) for k in ("requirement_full_oom", "flop_gap_oom", "between_group_share", "robotics_lag_oom")
    )
    lead_e, noise_e, noise_t = prior("exposure_lead_oom"), prior("exposure_noise_oom"), prior("level_noise_oom")
    lead_u, noise_u, detect = prior("use_lead_oom"), prior("use_noise_oom"), prior("use_detection")
    cap = prior("automatable_cap") if "automatable_cap" in priors.specs else 1.0
    growth = numpyro.sample("growth_label_to_use", dist.Normal(growth_label_to_use[0], growth_label_to_use[1]))
    with numpyro.plate("level_step", 3):
        steps = prior("level_step_oom")
    with numpyro.plate("instrument", len(INSTRUMENTS)):
        conc = prior("label_concentration")
    with numpyro.plate("group", n_groups):
        z = numpyro.sample("group_z", dist.Normal(0.0, 1.0))
    # Every OOM-valued quantity shares one scale that only the priors fix (the labels are ordinal):
    # with positive quantities on log scales and group offsets in units of that scale, the ridge
    # is a straight line in the sampler's coordinates, which a dense mass matrix follows.
    sigma = gap / (_Z99 - _Z20)
    width = numpyro.deterministic("width_oom", sigma * jnp.sqrt(1.0 - omega))
    group_offset = numpyro.deterministic("group_offset_oom", full - sigma * (_Z99 - jnp.sqrt(omega) * z))
    offset = numpyro.deterministic("cell_offset_oom", group_offset[cells.group] + robot * cells.physical)
    numpyro.deterministic("automatable_cap_used", jnp.asarray(cap))
    # T4 (the model does the whole task) defines "automatable at the label date": its cut is 0.
    cuts = jnp.stack([steps.sum(), steps[1:].sum(), steps[2], jnp.zeros_like(steps[2])])
    eps = 1e-9
    p_exp = jnp.clip(_probit(lead_e - offset, width, noise_e), eps, 1 - eps)
    at_least = _probit(cuts[None, :] - offset[:, None], width, noise_t)  # P(T >= k), k = 1..4
    p_lev = jnp.clip(
        jnp.concatenate([1 - at_least[:, :1], at_least[:, :-1] - at_least[:, 1:], at_least[:, -1:]], axis=1), eps, 1.0
    )
    p_use = jnp.clip(detect * _probit(growth + lead_u - offset, width, noise_u), eps, 1 - eps)
    with numpyro.plate("cell", offset.shape[0]):
        numpyro.sample(
            "obs_exposed", dist.BetaBinomial(conc[0] * p_exp, conc[0] * (1 - p_exp), cells.n_tasks), obs=cells.exposed
        )
        numpyro.sample("obs_levels", dist.DirichletMultinomial(conc[1] * p_lev, cells.n_tasks), obs=cells.levels)
        numpyro.sample(
            "obs_use", dist.BetaBinomial(conc[2] * p_use, conc[2] * (1 - p_use), cells.use_n), obs=cells.use_seen
        )
    numpyro.deterministic("cognitive_requirement_oom", _mixture_quantiles(offset, width, cells, COGNITIVE_QUANTILES))


def _mixture_quantiles(offset, width, cells: CellData, quantiles):
    """OOM beyond the label-date frontier at which the cognitive tasks' automatable share reaches each quantile.

    The cognitive share is an employment-weighted mixture of normal CDFs; bisection (60 halvings of
    a 200-OOM bracket: exact to 1e-16 OOM) inverts it.
    """
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import ndtr

    w = cells.weight * (1.0 - cells.physical)
    w = w / w.sum()

    def cdf(x):
        return jnp.sum(w * ndtr((x - offset) / width))

    def solve(q):
        def halve(_, bracket):
            lo, hi = bracket
            mid = 0.5 * (lo + hi)
            below = cdf(mid) < q
            return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

        lo, hi = jax.lax.fori_loop(0, 60, halve, (jnp.asarray(-100.0), jnp.asarray(100.0)))
        return 0.5 * (lo + hi)

    return jnp.stack([solve(q) for q in quantiles])


class AutomationFit(NamedTuple):
    """What :func:`calibrate` returns: the posterior for the Monte Carlo, its DataTree and verdict."""

    posterior: AutomationPosterior
    datatree: object
    verdict: object


#: The model's scalar and vector latent sites that carry a meaning of their own (the SBC and the
#: gate both read them).
LATENT_SITES = (
    "requirement_full_oom",
    "flop_gap_oom",
    "between_group_share",
    "robotics_lag_oom",
    "exposure_lead_oom",
    "exposure_noise_oom",
    "level_step_oom",
    "level_noise_oom",
    "use_lead_oom",
    "use_noise_oom",
    "use_detection",
    "label_concentration",
)
#: Posterior variables the automation convergence gate checks.
GATED_VARS = (*LATENT_SITES, "group_offset_oom", "width_oom", "cognitive_requirement_oom")


def growth_label_to_use(trend, settings: AutomationSettings) -> tuple[float, float]:
    """Mean and sd of the trend posterior's effective-compute growth from the label to the use date (OOM)."""
    growth = (np.asarray(trend.growth_compute) + np.asarray(trend.growth_algorithmic)) * (
        settings.use_year - settings.label_year
    )
    return float(growth.mean()), float(max(growth.std(), 1e-3))


def calibrate(occupations: pd.DataFrame, evidence: pd.DataFrame, priors: PriorSet, trend, *, key) -> AutomationFit:
    """Fit the requirement model to the task evidence with NUTS and apply the convergence gate.

    Parameters
    ----------
    occupations
        From :func:`forecast.occupations.load_occupations`.
    evidence
        From :func:`forecast.tasks.load_task_evidence`.
    priors
        From :func:`load_automation_priors`.
    trend
        :class:`forecast.posterior.TrendDraws`: its 2023 -> 2025 effective-compute growth is the
        observed-use date's offset.
    key
        JAX PRNG key (explicit; never defaulted).

    Returns
    -------
    AutomationFit
    """
    import arviz as az
    import jax.numpy as jnp

    from forecast.infer import sample_nuts

    cells = cell_data(occupations, evidence)
    growth = growth_label_to_use(trend, priors.settings)
    arrays = CellData(*(jnp.asarray(a) for a in cells))
    # cells and growth traced, not baked into the program: one compilation serves every trend posterior
    model = partial(automation_model, priors=priors, n_groups=len(occupations))
    mcmc = sample_nuts(model, priors.settings.inference, key, arrays, jnp.asarray(growth), jit_model_args=True)
    dt = az.from_numpyro(
        mcmc,
        log_likelihood=False,
        coords={"instrument": list(INSTRUMENTS), "group": list(occupations["group"])},
        dims={"label_concentration": ["instrument"], "group_z": ["group"], "group_offset_oom": ["group"]},
    )
    dt.attrs.update(
        {
            "label_year": priors.settings.label_year,
            "use_year": priors.settings.use_year,
            "growth_label_to_use": list(growth),
        }
    )
    return fit_from_datatree(dt, occupations, evidence, priors)


def fit_from_datatree(dt, occupations: pd.DataFrame, evidence: pd.DataFrame, priors: PriorSet) -> AutomationFit:
    """Rebuild an :class:`AutomationFit` (posterior for the engine, verdict) from its saved DataTree."""
    from forecast.gate import check_convergence

    verdict = check_convergence(dt, GATED_VARS)
    post = dt["posterior"].to_dataset()
    s = {k: np.asarray(post[k].values).reshape(-1, *post[k].shape[2:]) for k in post.data_vars}
    cells = cell_data(occupations, evidence)
    n = s["width_oom"].shape[0]
    n_cells = cells.group.shape[0]
    emp = occupations["employment"].to_numpy(dtype="float64")
    posterior = AutomationPosterior(
        params=AutomationParams(
            offset_oom=s["cell_offset_oom"],
            width_oom=np.broadcast_to(s["width_oom"][:, None], (n, n_cells)).copy(),
            ceiling=np.broadcast_to(np.asarray(s["automatable_cap_used"]).reshape(-1, 1), (n, n_cells)).copy(),
        ),
        cell_weight=np.asarray(cells.weight),
        cell_group=np.asarray(cells.group),
        cell_cognitive=np.asarray(cells.physical) == 0,
        groups=tuple(occupations["group"]),
        titles=tuple(occupations["title"]),
        task_types=tuple(occupations["task_type"]),
        group_weight=emp / emp.sum(),
        anchor_year=float(priors.settings.label_year),
        exposure_lead_oom=s["exposure_lead_oom"],
        exposure_noise_oom=s["exposure_noise_oom"],
        cognitive_requirement_oom=s["cognitive_requirement_oom"],
    )
    return AutomationFit(posterior, dt, verdict)


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------


def group_shares_at(posterior: AutomationPosterior, x_rel, quantity: str = "technical") -> np.ndarray:
    """``(n_draws, n_groups)`` shares ``x_rel`` OOM beyond the label-date frontier.

    ``quantity`` is ``"technical"`` (automatable) or ``"exposure"`` (E1/E2-type time saving, which
    comes ``exposure_lead_oom`` earlier, seen through rater noise).
    """
    p = AutomationParams(*(np.asarray(a) for a in posterior.params))
    x = np.asarray(x_rel, dtype="float64")
    if quantity == "exposure":
        lead = posterior.exposure_lead_oom[:, None]
        scale = np.sqrt(p.width_oom**2 + posterior.exposure_noise_oom[:, None] ** 2)
        p = AutomationParams(p.offset_oom - lead, scale, np.ones_like(p.ceiling))
    elif quantity != "technical":
        raise ValueError(f"quantity must be 'technical' or 'exposure', got {quantity!r}")
    return np.asarray(group_share(unit_share(x, p), posterior.membership()))


def share_change_draws(
    posterior: AutomationPosterior, x_rel_from, x_rel_to, quantity: str = "technical"
) -> dict[str, np.ndarray]:
    """Per-draw change in the technically automatable (or exposed) share, percentage points, per task type.

    ``x_rel_from``/``x_rel_to`` are OOM beyond the label-date frontier, scalars or ``(n_draws,)``
    arrays paired with the automation draws (e.g. the trend posterior's 2019 and 2023 values), so
    the spread carries both uncertainties. Within a task type, groups are weighted by employment.
    """
    n = posterior.params.offset_oom.shape[0]
    x0 = np.broadcast_to(np.asarray(x_rel_from, dtype="float64"), (n,))
    x1 = np.broadcast_to(np.asarray(x_rel_to, dtype="float64"), (n,))
    delta = group_shares_at(posterior, x1, quantity) - group_shares_at(posterior, x0, quantity)  # (n, G)
    types = np.asarray(posterior.task_types)
    out = {}
    for t in TASK_TYPES:
        m = types == t
        if m.any():
            w = posterior.group_weight[m] / posterior.group_weight[m].sum()
            out[t] = 100.0 * delta[:, m] @ w
    return out


def share_change_by_task_type(posterior: AutomationPosterior, x_rel_from, x_rel_to) -> pd.DataFrame:
    """Median and 90% interval of :func:`share_change_draws` (columns ``median_pp, q05_pp, q95_pp``)."""
    rows = {
        t: {
            "median_pp": float(np.median(d)),
            "q05_pp": float(np.quantile(d, 0.05)),
            "q95_pp": float(np.quantile(d, 0.95)),
        }
        for t, d in share_change_draws(posterior, x_rel_from, x_rel_to).items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def check_groups(posterior: AutomationPosterior, path: Path | str = "automation") -> None:
    """Raise :class:`ConfigError` if the posterior's arrays disagree with its cell layout."""
    c = len(posterior.cell_group)
    for name, arr in zip(AutomationParams._fields, posterior.params, strict=True):
        if np.ndim(arr) != 2 or np.shape(arr)[1] != c:
            raise ConfigError(
                f"{path}: '{name}' has shape {np.shape(arr)}, expected (n_draws, {c})",
                "recalibrate with forecast.automation.calibrate",
            )


__all__ = [
    "COGNITIVE_QUANTILES",
    "GATED_VARS",
    "LATENT_SITES",
    "INSTRUMENTS",
    "RESEARCH_GROUPS",
    "REQUIRED_PRIORS",
    "AutomationFit",
    "AutomationParams",
    "AutomationPosterior",
    "AutomationSettings",
    "CellData",
    "automation_model",
    "calibrate",
    "cell_data",
    "check_groups",
    "fit_from_datatree",
    "group_share",
    "growth_label_to_use",
    "load_automation_priors",
    "group_shares_at",
    "share_change_by_task_type",
    "share_change_draws",
    "unit_share",
]
