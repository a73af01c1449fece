"""Task automation as a function of effective compute.

For each occupation group g (the 22 SOC 2018 major groups) the share of its tasks that can be
automated at effective compute ``E`` (2023-algorithm-equivalent FLOP) is

    share_g(E) = ceiling_g * Phi((log10 E - threshold_g) / width_g),

a normal-CDF "FLOP gap" curve. The curves are calibrated with a small NumPyro model on the
GPTs-are-GPTs exposure labels (Eloundou et al. 2024):

- the share of tasks rated E1 (an LLM alone halves the time) is observed at the 2023 frontier,
  ``log10 E = log10_eff_2023`` (GPT-4 era, about 25.3);
- the share rated E1 or E2 (LLM plus software built on it) is observed at a later, uncertain
  level ``log10_eff_2023 + tools_extra_oom`` with a prior on ``tools_extra_oom``;
- thresholds are hierarchical across groups, with a separate, higher group mean for physical
  work (SOC 37, 45, 47, 49, 51, 53).

Layers: an array core (:func:`task_share`, :func:`total_share`, pure ``jax.numpy``), the NumPyro
model and its driver (:func:`automation_model`, :func:`calibrate`), and pandas at the edges
(:func:`load_occupations`, :func:`occupations_from_upstream`, :func:`share_change_by_task_type`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from pydantic import Field

from forecast.config import InferenceSpec, StrictModel
from forecast.errors import ConfigError, DataError
from forecast.priors import PriorSet, load_priors
from forecast.resources import data_path, priors_path

DEFAULT_OCCUPATIONS = data_path("occupations.csv")
DEFAULT_PRIORS = priors_path("automation.toml")

#: SOC major groups whose tasks are mostly physical (building/grounds, farming, construction,
#: installation/repair, production, transportation). They get their own threshold prior.
PHYSICAL_MAJOR_GROUPS = ("37", "45", "47", "49", "51", "53")

#: Mapping of SOC major groups to the task types of the published gen-AI uplift figures
#: ("seeds": about +30 pp decision/management, +10-20 pp data processing, about +2 pp physical).
#: Groups not listed are "other". Decision/management = management, business and financial
#: operations, legal; data processing = computer and mathematical, office and administrative
#: support; physical = :data:`PHYSICAL_MAJOR_GROUPS`.
TASK_TYPE_BY_GROUP = {
    "11": "decision_management",
    "13": "decision_management",
    "23": "decision_management",
    "15": "data_processing",
    "43": "data_processing",
    **dict.fromkeys(PHYSICAL_MAJOR_GROUPS, "physical"),
}
TASK_TYPES = ("decision_management", "data_processing", "physical", "other")

OCCUPATION_COLUMNS = (
    "group",
    "title",
    "employment",
    "e1_share",
    "e2_share",
    "e1_share_gpt4",
    "e2_share_gpt4",
    "n_tasks",
    "matched_employment_share",
    "physical",
    "task_type",
    "source",
)
SOURCE_TAG = "OEWS May 2021 TOT_EMP (major group); GPTs-are-GPTs full_labelset.tsv @0471612f"


# --------------------------------------------------------------------------------------------
# Data: upstream -> curated extract -> validated table
# --------------------------------------------------------------------------------------------


def _employment(series: pd.Series) -> pd.Series:
    """OEWS ``TOT_EMP`` strings ("1,234", "**") to floats (NaN when not available)."""
    cleaned = series.astype("str").str.replace(",", "", regex=False).str.strip()
    return pd.to_numeric(cleaned, errors="coerce")


def occupations_from_upstream(upstream_dir: Path) -> pd.DataFrame:
    """Aggregate the published GPTs-are-GPTs and OEWS files to SOC major groups.

    Task shares are computed per 6-digit SOC code (the first 7 characters of the O*NET-SOC
    code; all tasks of the O*NET specialisations of one SOC code pooled), then averaged within
    each major group with OEWS May 2021 detailed-occupation employment as weights. SOC codes
    without an OEWS match are left out of the weighting (``matched_employment_share`` says how
    much of the group's employment the matched codes cover). Group employment is the OEWS
    May 2021 national cross-industry ``TOT_EMP`` of the major-group row.

    Parameters
    ----------
    upstream_dir
        Directory holding ``full_labelset.tsv`` and ``national_May2021_dl.csv`` exactly as
        published upstream.

    Returns
    -------
    pandas.DataFrame
        One row per major group with the columns of :data:`OCCUPATION_COLUMNS`.
    """
    upstream_dir = Path(upstream_dir)
    labels_path = upstream_dir / "full_labelset.tsv"
    oews_path = upstream_dir / "national_May2021_dl.csv"
    for p in (labels_path, oews_path):
        if not p.is_file():
            raise DataError(f"{p}: upstream file not found", "pass the GPTs-are-GPTs data directory")
    labels = pd.read_csv(labels_path, sep="\t", dtype={"O*NET-SOC Code": "str"})
    oews = pd.read_csv(oews_path, encoding="utf-8-sig", dtype={"OCC_CODE": "str", "TOT_EMP": "str"})
    for col in ("O*NET-SOC Code", "human_exposure_agg", "gpt4_exposure"):
        if col not in labels.columns:
            raise DataError(f"{labels_path}: column '{col}' missing", "use the file as published upstream")

    labels = labels.assign(
        soc=labels["O*NET-SOC Code"].str[:7],
        h1=(labels["human_exposure_agg"] == "E1").astype("float64"),
        h2=(labels["human_exposure_agg"] == "E2").astype("float64"),
        g1=(labels["gpt4_exposure"] == "E1").astype("float64"),
        g2=(labels["gpt4_exposure"] == "E2").astype("float64"),
    )
    by_soc = labels.groupby("soc").agg(
        h1=("h1", "mean"), h2=("h2", "mean"), g1=("g1", "mean"), g2=("g2", "mean"), n_tasks=("h1", "size")
    )
    by_soc["group"] = by_soc.index.str[:2]

    oews = oews.assign(emp=_employment(oews["TOT_EMP"]))
    detailed = oews[oews["O_GROUP"] == "detailed"].set_index("OCC_CODE")["emp"]
    major = oews[oews["O_GROUP"] == "major"].assign(group=lambda d: d["OCC_CODE"].str[:2])
    by_soc["emp"] = detailed.reindex(by_soc.index).to_numpy()

    rows = []
    for _, m in major.sort_values("group").iterrows():
        g = m["group"]
        socs = by_soc[by_soc["group"] == g]
        if socs.empty:
            raise DataError(f"{labels_path}: no tasks for SOC major group {g}", "check the upstream files")
        w = socs["emp"].fillna(0.0).to_numpy()
        if w.sum() <= 0:
            w = np.ones(len(socs))
        w = w / w.sum()
        rows.append(
            {
                "group": g,
                "title": str(m["OCC_TITLE"]).removesuffix(" Occupations"),
                "employment": int(m["emp"]),
                "e1_share": float(w @ socs["h1"].to_numpy()),
                "e2_share": float(w @ socs["h2"].to_numpy()),
                "e1_share_gpt4": float(w @ socs["g1"].to_numpy()),
                "e2_share_gpt4": float(w @ socs["g2"].to_numpy()),
                "n_tasks": int(socs["n_tasks"].sum()),
                "matched_employment_share": float(socs["emp"].sum(skipna=True) / m["emp"]),
                "physical": g in PHYSICAL_MAJOR_GROUPS,
                "task_type": TASK_TYPE_BY_GROUP.get(g, "other"),
                "source": SOURCE_TAG,
            }
        )
    return pd.DataFrame(rows, columns=list(OCCUPATION_COLUMNS))


def load_occupations(path: Path | None = None) -> pd.DataFrame:
    """Load and validate the curated occupation-group table shipped with the package.

    Parameters
    ----------
    path
        CSV written by ``scripts/build_occupations.py``; defaults to the packaged
        ``forecast/curated/occupations.csv``.

    Returns
    -------
    pandas.DataFrame
        Rows sorted by group code; ``group`` is a 2-character string.

    Raises
    ------
    DataError
        Missing file or column, shares outside [0, 1], E1 + E2 > 1, or non-positive employment.
    """
    path = Path(path) if path is not None else DEFAULT_OCCUPATIONS
    if not path.is_file():
        raise DataError(f"{path}: file not found", "run scripts/build_occupations.py")
    table = pd.read_csv(path, dtype={"group": "str", "title": "str", "task_type": "str", "source": "str"})
    missing = [c for c in OCCUPATION_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path}: column '{missing[0]}' missing", "rebuild with scripts/build_occupations.py")
    for col in ("e1_share", "e2_share", "e1_share_gpt4", "e2_share_gpt4"):
        bad = ~table[col].between(0.0, 1.0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise DataError(f"{path}: row {row}, '{col}' outside [0, 1]", "shares are fractions of tasks")
    over = (table["e1_share"] + table["e2_share"]) > 1.0 + 1e-9
    if over.any():
        row = int(np.flatnonzero(over.to_numpy())[0]) + 2
        raise DataError(f"{path}: row {row}, e1_share + e2_share > 1", "E1 and E2 are exclusive labels")
    if not (table["employment"] > 0).all():
        raise DataError(f"{path}: non-positive 'employment'", "use OEWS TOT_EMP counts")
    bad_type = ~table["task_type"].isin(TASK_TYPES)
    if bad_type.any():
        row = int(np.flatnonzero(bad_type.to_numpy())[0]) + 2
        raise DataError(f"{path}: row {row}, unknown task_type", f"use one of {', '.join(TASK_TYPES)}")
    table["physical"] = table["physical"].astype("bool")
    return table.sort_values("group").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Priors (priors/automation.toml)
# --------------------------------------------------------------------------------------------


class ObservationSpec(StrictModel):
    """Where and how precisely the exposure labels are observed."""

    log10_eff_2023: float = Field(ge=20, le=30)
    obs_sd: float = Field(gt=0, le=0.5)
    labels: Literal["human", "gpt4"] = "human"


class AutomationSettings(StrictModel):
    """The ``[settings]`` table of ``priors/automation.toml``."""

    observation: ObservationSpec
    inference: InferenceSpec


#: Priors of :func:`automation_model` (all scalar; the group plate is the model's).
REQUIRED_PRIORS: dict[str, tuple[str, ...]] = {
    "tools_extra_oom": (),
    "threshold_nonphysical": (),
    "threshold_physical": (),
    "threshold_spread": (),
    "width": (),
    "ceiling": (),
}


def load_automation_priors(path: Path | None = None) -> PriorSet:
    """Load ``priors/automation.toml`` (or ``path``): the priors and their ``[settings]``.

    Raises
    ------
    ConfigError
        One line naming the file and key path, with a did-you-mean hint; also when the physical
        threshold prior sits below the non-physical one (physical tasks need more capability).
    """
    path = Path(path) if path is not None else DEFAULT_PRIORS
    priors = load_priors(path, REQUIRED_PRIORS, settings=AutomationSettings)
    phys, nonphys = priors["threshold_physical"].params, priors["threshold_nonphysical"].params
    if "loc" in phys and "loc" in nonphys and phys["loc"] < nonphys["loc"]:
        raise ConfigError(
            f"{path}: [threshold_physical] loc {phys['loc']} is below [threshold_nonphysical] loc {nonphys['loc']}",
            "physical tasks need more capability: raise its loc",
        )
    return priors


# --------------------------------------------------------------------------------------------
# Array core
# --------------------------------------------------------------------------------------------


class AutomationParams(NamedTuple):
    """Per-group curve parameters; each leaf has shape ``(..., n_groups)``.

    Attributes
    ----------
    threshold_log10
        log10 effective FLOP at which half of the ceiling is automatable.
    width_log10
        Spread of the normal CDF in orders of magnitude.
    ceiling
        Share of tasks automatable in the limit, in [0, 1].
    """

    threshold_log10: object
    width_log10: object
    ceiling: object


class AutomationPosterior(NamedTuple):
    """Posterior draws of the automation curves plus the group metadata they refer to.

    Attributes
    ----------
    params
        :class:`AutomationParams` with leaves ``(n_draws, n_groups)``.
    employment_weight
        ``(n_groups,)`` employment shares summing to one (OEWS May 2021 TOT_EMP).
    tools_extra_oom
        ``(n_draws,)`` OOM beyond 2023 at which E1+E2 tasks become automatable.
    groups, titles, task_types
        Tuples of strings, one per group.
    physical
        ``(n_groups,)`` bool.
    log10_eff_2023
        Effective compute at which the E1 shares were observed.
    """

    params: AutomationParams
    employment_weight: np.ndarray
    tools_extra_oom: np.ndarray
    groups: tuple
    titles: tuple
    task_types: tuple
    physical: np.ndarray
    log10_eff_2023: float


_SQRT_HALF = 0.7071067811865476


def task_share(log10_eff, params: AutomationParams):
    """Share of each group's tasks automatable at effective compute ``10**log10_eff``.

    Parameters
    ----------
    log10_eff
        Array ``(...)`` of log10 effective FLOP (2023-algorithm-equivalent).
    params
        :class:`AutomationParams` with leaves broadcastable to ``(..., n_groups)``.

    Returns
    -------
    Array ``(..., n_groups)`` in [0, 1].

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> p = AutomationParams(jnp.array([25.0]), jnp.array([1.0]), jnp.array([0.8]))
    >>> float(task_share(jnp.array(25.0), p)[0])
    0.4
    """
    import jax.numpy as jnp
    from jax.lax import erf

    # Phi via erf, not jax.scipy.special.ndtr: ndtr evaluates both erf and erfc under a select
    # and was 11x slower in float64 on CPU; the absolute error of this form (<1e-16) is what
    # matters for a share.
    z = (jnp.asarray(log10_eff)[..., None] - params.threshold_log10) / params.width_log10
    return params.ceiling * (0.5 + 0.5 * erf(z * _SQRT_HALF))


def total_share(shares, employment_weight):
    """Employment-weighted total share ``(...)`` from group shares ``(..., n_groups)``."""
    import jax.numpy as jnp

    return jnp.sum(shares * employment_weight, axis=-1)


# --------------------------------------------------------------------------------------------
# Calibration model
# --------------------------------------------------------------------------------------------


def automation_model(e1_share, e12_share, physical, priors: PriorSet):
    """NumPyro model of the exposure labels; see the module docstring.

    Parameters
    ----------
    e1_share, e12_share
        ``(n_groups,)`` observed E1 and E1+E2 task shares (``None`` for prior predictive).
    physical
        ``(n_groups,)`` bool.
    priors
        From :func:`load_automation_priors`.
    """
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from jax.scipy.special import ndtr

    n_groups = physical.shape[0]
    obs = priors.settings.observation
    tools = numpyro.sample("tools_extra_oom", priors["tools_extra_oom"].to_numpyro())
    mu_np = numpyro.sample("threshold_mu_nonphysical", priors["threshold_nonphysical"].to_numpyro())
    mu_p = numpyro.sample("threshold_mu_physical", priors["threshold_physical"].to_numpyro())
    spread = numpyro.sample("threshold_spread", priors["threshold_spread"].to_numpyro())
    with numpyro.plate("group", n_groups):
        z = numpyro.sample("threshold_z", dist.Normal(0.0, 1.0))
        width = numpyro.sample("width_log10", priors["width"].to_numpyro())
        ceiling = numpyro.sample("ceiling", priors["ceiling"].to_numpyro())
        threshold = numpyro.deterministic("threshold_log10", jnp.where(physical, mu_p, mu_np) + spread * z)
        x0 = obs.log10_eff_2023
        pred_e1 = ceiling * ndtr((x0 - threshold) / width)
        pred_e12 = ceiling * ndtr((x0 + tools - threshold) / width)
        numpyro.sample("obs_e1", dist.Normal(pred_e1, obs.obs_sd), obs=e1_share)
        numpyro.sample("obs_e12", dist.Normal(pred_e12, obs.obs_sd), obs=e12_share)


def calibrate(occupations: pd.DataFrame, priors: PriorSet, *, key) -> AutomationPosterior:
    """Fit the automation curves with NUTS (vectorized chains) and return posterior draws.

    Parameters
    ----------
    occupations
        Table from :func:`load_occupations`.
    priors
        From :func:`load_automation_priors`.
    key
        JAX PRNG key (explicit; never defaulted).

    Returns
    -------
    AutomationPosterior
        ``num_chains * num_samples`` draws.
    """
    import jax.numpy as jnp

    from forecast.infer import sample_nuts

    if priors.settings.observation.labels == "human":
        e1 = occupations["e1_share"].to_numpy(dtype="float64", copy=True)
        e2 = occupations["e2_share"].to_numpy(dtype="float64", copy=True)
    else:
        e1 = occupations["e1_share_gpt4"].to_numpy(dtype="float64", copy=True)
        e2 = occupations["e2_share_gpt4"].to_numpy(dtype="float64", copy=True)
    physical = occupations["physical"].to_numpy(dtype="bool", copy=True)
    inf = priors.settings.inference
    mcmc = sample_nuts(automation_model, inf, key, jnp.asarray(e1), jnp.asarray(e1 + e2), jnp.asarray(physical), priors)
    s = mcmc.get_samples()
    emp = occupations["employment"].to_numpy(dtype="float64", copy=True)
    return AutomationPosterior(
        params=AutomationParams(
            threshold_log10=np.asarray(s["threshold_log10"]),
            width_log10=np.asarray(s["width_log10"]),
            ceiling=np.asarray(s["ceiling"]),
        ),
        employment_weight=emp / emp.sum(),
        tools_extra_oom=np.asarray(s["tools_extra_oom"]),
        groups=tuple(occupations["group"]),
        titles=tuple(occupations["title"]),
        task_types=tuple(occupations["task_type"]),
        physical=physical,
        log10_eff_2023=float(priors.settings.observation.log10_eff_2023),
    )


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------


def share_change_draws(posterior: AutomationPosterior, log10_eff_from, log10_eff_to) -> dict[str, np.ndarray]:
    """Per-draw change in automatable share (percentage points) per task type between two levels.

    Within a task type, groups are weighted by employment. ``log10_eff_from``/``_to`` are
    scalars or ``(n_draws,)`` arrays paired with the automation draws (e.g. the trend posterior's
    2019.0 and 2023.0 effective compute), so the spread carries both uncertainties.

    Returns
    -------
    dict
        Task type -> ``(n_draws,)`` percentage points, for the types present in ``posterior``.
    """
    p = posterior.params
    n = p.threshold_log10.shape[0]
    x0 = np.broadcast_to(np.asarray(log10_eff_from, dtype="float64"), (n,))
    x1 = np.broadcast_to(np.asarray(log10_eff_to, dtype="float64"), (n,))
    params = AutomationParams(*(np.asarray(a) for a in p))
    delta = np.asarray(task_share(x1, params)) - np.asarray(task_share(x0, params))  # (n, G)
    types = np.asarray(posterior.task_types)
    out = {}
    for t in TASK_TYPES:
        m = types == t
        if m.any():
            w = posterior.employment_weight[m] / posterior.employment_weight[m].sum()
            out[t] = 100.0 * delta[:, m] @ w
    return out


def share_change_by_task_type(posterior: AutomationPosterior, log10_eff_from, log10_eff_to) -> pd.DataFrame:
    """Median and 90% interval of :func:`share_change_draws`.

    Returns
    -------
    pandas.DataFrame
        Index = task type; columns ``median_pp``, ``q05_pp``, ``q95_pp`` (percentage points).
    """
    rows = {
        t: {
            "median_pp": float(np.median(d)),
            "q05_pp": float(np.quantile(d, 0.05)),
            "q95_pp": float(np.quantile(d, 0.95)),
        }
        for t, d in share_change_draws(posterior, log10_eff_from, log10_eff_to).items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def check_groups(posterior: AutomationPosterior, path: Path | str = "automation") -> None:
    """Raise :class:`ConfigError` if the posterior's arrays disagree with its group list."""
    g = len(posterior.groups)
    for name, arr in zip(AutomationParams._fields, posterior.params, strict=True):
        if np.ndim(arr) != 2 or np.shape(arr)[1] != g:
            raise ConfigError(
                f"{path}: '{name}' has shape {np.shape(arr)}, expected (n_draws, {g})",
                "recalibrate with forecast.automation.calibrate",
            )
