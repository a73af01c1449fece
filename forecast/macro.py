"""Macro and labour layer: realised automation, Acemoglu-Restrepo channels, Hulten TFP.

Per Monte Carlo path and year ``t`` (all shares are fractions, all effects log points, i.e.
natural-log changes; 0.01 = 1%):

Realised automation
    ``R_g(t) = technical_g(t - lag) * profitable(t) * adoption_employment(t) * intensive(t)``
    (:mod:`forecast.realised`): the technically automatable share of group ``g``'s tasks
    (:mod:`forecast.automation`, at the effective compute of ``lag`` years earlier, ``lag`` a
    per-path prior draw) times the share of those tasks where AI is cheaper than labour (the cost
    condition, falling with the path's fitted FLOP/$ and algorithmic rates), the share of workers
    in AI-using firms (the region's Eurostat diffusion curve, weighted by employment through
    size classes) and the share of their hours with AI (intensive margin). Before the base year
    the lagged effective compute is the fitted trend's closed form.

Displacement, reinstatement, productivity (Acemoglu & Restrepo 2019, "Automation and New Tasks")
    Let ``omega_g`` be group ``g``'s share of the wage bill (BLS OEWS employment x mean wage) and
    ``d_t = sum_g omega_g (R_g(t) - R_g(t-1))`` the newly automated share of the base-year wage
    bill. New tasks are created at ``n_t = rho * d_t`` (``rho``, the reinstatement ratio, has a
    prior centred on 1/2: about 1 in 5 tasks replaced by technology and 1 in 10 new over 1995-2017
    in the Netherlands). Labour's task content ``Gamma`` (1 in the base year) moves as
    ``Gamma_t = Gamma_{t-1} - d_t + n_t``. Output rises with TFP (below) times an output
    multiplier ``m`` (1 = TFP only; > 1 lets capital deepen). The wage bill is
    ``W_t = W_{t-1} * (Gamma_t / Gamma_{t-1}) * exp(m * dlnTFP_t)``, and its log change is split
    into three parts that add up to it exactly (up to float rounding, ~1e-15):

    - displacement and reinstatement: the Shapley split of ``log(1 - x + y)`` with
      ``x = d_t / Gamma_{t-1}``, ``y = n_t / Gamma_{t-1}``:
      ``disp = (log(1-x) + log(1-x+y) - log(1+y)) / 2`` (<= 0),
      ``reinst = (log(1+y) + log(1-x+y) - log(1-x)) / 2`` (>= 0);
    - productivity: ``m * dlnTFP_t``.

TFP (Hulten's theorem)
    The TFP level relative to no AI is the GDP share of the automated tasks (wage-bill share
    ``omega_g`` x labour share) times their labour-cost saving, which rises as AI gets cheaper
    (:func:`forecast.realised.labour_cost_saving`), plus the time saved on hours assisted but not
    automated; ``dlnTFP_t`` is its change. Acemoglu (2024)'s inputs, 4.6% of tasks (19.9% exposed x
    23% profitably automatable) x 14.4% total cost saving, give 0.66% over ten years
    (:func:`acemoglu_tfp`); the model's own ten-year figure is set beside it (:mod:`forecast.backcast`).

Exposure by wage tier
    Detailed occupations (BLS OEWS May 2021) are cut into employment-weighted terciles of mean
    annual wage (low / middle / high; an occupation straddling a cut is split pro rata), which
    gives each SOC major group's employment share in each tier (``emp_share_*_wage`` columns of
    ``forecast/curated/occupations.csv``). Tier exposure is the employment-weighted mean of ``R_g``
    over the tier; within a group all tiers are assumed equally automated.

Regions
    ``NL``, ``EU`` (adoption of the Netherlands / EU-27 unit of the diffusion model) or ``US`` (no
    adoption data: a new unit of the diffusion hierarchy). **Only US occupation weights exist**
    (BLS OEWS employment and wages), so NL and EU use the US occupational structure and wages with
    NL/EU adoption; results carry that note in their attributes and CSV columns. The size-class
    offsets and employment shares are EU-27 figures for every region (no NL split is staged).

Layers: array core (:func:`hulten_tfp`, :func:`channel_step`, :func:`labour_channels`,
:func:`tier_exposure`; pure ``jax.numpy``), validated priors (:func:`load_macro_priors`), and
:func:`prepare_macro`, which joins adoption draws, priors and occupation weights into
:class:`MacroInputs` for :func:`forecast.simulate.simulate` (``macro=``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NamedTuple

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from forecast.config import StrictModel, file_sha256
from forecast.errors import ConfigError, did_you_mean
from forecast.occupations import WAGE_TIERS, occupation_weights
from forecast.priors import PriorSet, load_priors
from forecast.realised import MAX_LAG_YEARS, SIZE_CLASSES, RealisedDraws
from forecast.resources import priors_path

DEFAULT_PRIORS = priors_path("macro.toml")
REGIONS = ("NL", "EU", "US")
#: Channels, in output order; ``wage_bill`` = displacement + reinstatement + productivity.
CHANNELS = ("displacement", "reinstatement", "productivity", "wage_bill", "tfp")
#: Share-type macro outputs, in output order.
MACRO_SHARES = (
    "adoption_firms",
    "adoption_employment",
    "hours_with_ai",
    "time_saved",
    "profitable",
    "cost_saving",
    "realised_total",
    *(f"exposure_{t}_wage" for t in WAGE_TIERS),
)
WEIGHTS_NOTE = (
    "only US occupation weights exist (BLS OEWS May 2021 employment and mean wages); "
    "NL and EU use the US occupational structure and wages with NL/EU adoption; "
    "enterprise size classes are EU-27 for every region"
)


# --------------------------------------------------------------------------------------------
# Priors (priors/macro.toml)
# --------------------------------------------------------------------------------------------

Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]


class AcemogluPreset(StrictModel):
    """Acemoglu (2024) "The Simple Macroeconomics of AI" inputs for the Hulten check."""

    tasks_exposed: Fraction
    profitably_automated: Fraction
    labour_cost_saving: Fraction
    labour_share: Fraction
    horizon_years: Annotated[int, Field(ge=1, le=50)]
    published_tfp: Fraction


class SizeEmployment(StrictModel):
    """Employment shares of the enterprise size classes (:data:`forecast.realised.SIZE_CLASSES`)."""

    micro: Fraction
    small: Fraction
    medium: Fraction
    large: Fraction

    @model_validator(mode="after")
    def _sums_to_one(self):
        total = self.micro + self.small + self.medium + self.large
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"size-class employment shares must sum to 1, got {total:.6f}")
        return self

    def weights(self) -> np.ndarray:
        """``(4,)`` in :data:`forecast.realised.SIZE_CLASSES` order."""
        return np.array([getattr(self, c) for c in SIZE_CLASSES])


class MacroSettings(StrictModel):
    """The ``[settings]`` table of ``priors/macro.toml``."""

    output_multiplier: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    n_draws: Annotated[int, Field(ge=100, le=1_000_000)] = 4000
    size_employment_share: SizeEmployment
    acemoglu2024: AcemogluPreset


#: Priors of the macro layer (drawn per Monte Carlo path; all scalar), by role:
#: size-class logit offsets, lag, intensive margin, cost condition, labour share, reinstatement.
REQUIRED_PRIORS: dict[str, tuple[str, ...]] = {
    **{f"size_offset_{c}": () for c in SIZE_CLASSES},
    "adoption_lag_years": (),
    "intensive_2024": (),
    "intensive_rate": (),
    "intensive_ceiling": (),
    "time_saving_per_hour": (),
    "profitable_2024": (),
    "cost_sd_oom": (),
    "cost_passthrough": (),
    "wage_growth": (),
    "labour_share": (),
    "reinstatement_ratio": (),
}


def load_macro_priors(path: Path | None = None) -> PriorSet:
    """``priors/macro.toml`` (or ``path``) via :func:`forecast.priors.load_priors`."""
    return load_priors(path or DEFAULT_PRIORS, REQUIRED_PRIORS, settings=MacroSettings)


# --------------------------------------------------------------------------------------------
# Array core
# --------------------------------------------------------------------------------------------


def hulten_tfp(gdp_share_automated, cost_saving):
    """Hulten's theorem: dlnTFP = (GDP share of newly automated tasks) x (average cost saving).

    Examples
    --------
    >>> round(float(hulten_tfp(0.199 * 0.23, 0.27 * 0.5333)), 4)
    0.0066
    """
    return gdp_share_automated * cost_saving


def acemoglu_tfp(preset: AcemogluPreset) -> float:
    """TFP gain over ``preset.horizon_years`` from Acemoglu (2024)'s inputs (about 0.0066)."""
    return float(
        hulten_tfp(preset.tasks_exposed * preset.profitably_automated, preset.labour_cost_saving * preset.labour_share)
    )


class ChannelParams(NamedTuple):
    """Per-path channel parameters (leaves ``(...)``, broadcast against the path axis).

    Attributes
    ----------
    reinstatement_ratio
        New tasks per newly automated task (``rho``).
    output_multiplier
        Log output per log TFP (1: TFP only).
    """

    reinstatement_ratio: object
    output_multiplier: object


class Channels(NamedTuple):
    """The channels of :data:`CHANNELS`, each in log points; ``wage_bill`` is the sum of the first three."""

    displacement: object
    reinstatement: object
    productivity: object
    wage_bill: object
    tfp: object


class ChannelState(NamedTuple):
    """Carry of :func:`channel_step`: last year's realised shares and TFP level, task content, wage bill, sums."""

    realised: object  # (..., G)
    tfp_level: object  # (...), log points relative to no AI
    task_content: object  # (...)
    wage_level: object  # (...), W_t / W_base
    cumulative: Channels


def channel_init(realised0, tfp_level0):
    """Base-year :class:`ChannelState` from base-year realised shares ``(..., G)`` and TFP level ``(...)``."""
    import jax.numpy as jnp

    # derived from the input (not jnp.zeros) so that inside shard_map it varies over paths
    zero = jnp.asarray(realised0)[..., 0] * 0.0
    return ChannelState(realised0, tfp_level0 + zero, zero + 1.0, zero + 1.0, Channels(zero, zero, zero, zero, zero))


def channel_step(state: ChannelState, realised, tfp_level, omega, params: ChannelParams):
    """Advance the labour channels by one year.

    Parameters
    ----------
    state
        :class:`ChannelState` of the previous year.
    realised
        ``(..., G)`` realised automation shares this year.
    tfp_level
        ``(...)`` TFP level this year (log points relative to no AI, :func:`forecast.realised.realised_year`).
    omega
        ``(G,)`` wage-bill (= GDP-task) shares.
    params
        :class:`ChannelParams`.

    Returns
    -------
    tuple
        New :class:`ChannelState` and this year's flows as :class:`Channels`. ``wage_bill`` is
        computed from the wage-bill *level* (``log W_t - log W_{t-1}``), not by adding the parts.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> s0 = channel_init(jnp.zeros((1, 2)), jnp.zeros(1))
    >>> omega, params = jnp.array([0.5, 0.5]), ChannelParams(0.5, 1.0)
    >>> s1, f = channel_step(s0, jnp.array([[0.1, 0.0]]), jnp.array([0.01]), omega, params)
    >>> bool(abs(f.displacement[0] + f.reinstatement[0] + f.productivity[0] - f.wage_bill[0]) < 1e-6)
    True
    """
    import jax.numpy as jnp

    d = jnp.sum((realised - state.realised) * omega, axis=-1)
    n = params.reinstatement_ratio * d
    x = d / state.task_content
    y = n / state.task_content
    comp = jnp.log1p(y - x)
    disp = 0.5 * (jnp.log1p(-x) + comp - jnp.log1p(y))
    reinst = 0.5 * (jnp.log1p(y) + comp - jnp.log1p(-x))
    tfp = tfp_level - state.tfp_level
    prod = params.output_multiplier * tfp
    task_content = state.task_content - d + n
    wage_level = state.wage_level * (task_content / state.task_content) * jnp.exp(prod)
    flows = Channels(disp, reinst, prod, jnp.log(wage_level) - jnp.log(state.wage_level), tfp)
    c = state.cumulative
    cumulative = Channels(
        c.displacement + disp, c.reinstatement + reinst, c.productivity + prod, jnp.log(wage_level), c.tfp + tfp
    )
    return ChannelState(realised, tfp_level, task_content, wage_level, cumulative), flows


def labour_channels(realised, tfp_level, omega, params: ChannelParams):
    """Cumulative channels (since the first year) along a path of realised shares.

    Parameters
    ----------
    realised
        ``(T, ..., G)`` realised automation shares, first axis = years (the first is the base).
    tfp_level
        ``(T, ...)`` TFP levels (log points relative to no AI).
    omega
        ``(G,)`` wage-bill shares.
    params
        :class:`ChannelParams`.

    Returns
    -------
    tuple of Channels
        ``(cumulative, flows)``, each leaf ``(T, ...)``; year 0 is zero.
    """
    import jax
    import jax.numpy as jnp

    def step(state, inputs):
        state, flows = channel_step(state, *inputs, omega, params)
        return state, (state.cumulative, flows)

    state0 = channel_init(realised[0], tfp_level[0])
    _, (cum, flows) = jax.lax.scan(step, state0, (realised[1:], tfp_level[1:]))
    zero = jax.tree.map(lambda a: a[None], state0.cumulative)
    return (
        jax.tree.map(lambda a, b: jnp.concatenate([a, b]), zero, cum),
        jax.tree.map(lambda a, b: jnp.concatenate([a, b]), zero, flows),
    )


def tier_exposure(realised, tier_weight):
    """Employment-weighted realised share per wage tier: ``(..., G) @ (G, 3) -> (..., 3)``."""
    return realised @ tier_weight


# --------------------------------------------------------------------------------------------
# Engine inputs
# --------------------------------------------------------------------------------------------


class MacroDraws(NamedTuple):
    """Joint per-draw macro parameters, leaves ``(n_draws, ...)``; a path picks one row."""

    adoption_ceiling: object
    adoption_rate: object
    adoption_midpoint: object
    realised: RealisedDraws
    reinstatement_ratio: object
    output_multiplier: object


class MacroInputs(NamedTuple):
    """Everything the engine needs for the macro outputs (from :func:`prepare_macro`).

    Attributes
    ----------
    draws
        :class:`MacroDraws`.
    employment_weight, wage_bill_weight
        ``(G,)``.
    tier_weight
        ``(G, 3)``, columns sum to one.
    size_weight
        ``(4,)`` employment shares of the enterprise size classes.
    groups
        Group codes, in the automation posterior's order.
    region
        ``NL``, ``EU`` or ``US``.
    attrs
        Provenance strings for the result (adoption source, weights note, priors hash).
    """

    draws: MacroDraws
    employment_weight: np.ndarray
    wage_bill_weight: np.ndarray
    tier_weight: np.ndarray
    size_weight: np.ndarray
    groups: tuple
    region: str
    attrs: dict


def sample_realised(priors: PriorSet, key, n: int, lag_years: float | None = None) -> RealisedDraws:
    """``n`` joint prior draws of the realised layer; ``lag_years`` fixes the lag for every draw."""
    import jax

    names = (
        "adoption_lag_years",
        "intensive_2024",
        "intensive_rate",
        "intensive_ceiling",
        "profitable_2024",
        "cost_sd_oom",
        "cost_passthrough",
        "wage_growth",
        "time_saving_per_hour",
        "labour_share",
    )
    keys = jax.random.split(key, len(names) + len(SIZE_CLASSES))
    offsets = np.stack(
        [priors.sample(f"size_offset_{c}", k, n) for c, k in zip(SIZE_CLASSES, keys[: len(SIZE_CLASSES)], strict=True)],
        axis=-1,
    )
    drawn = {name: priors.sample(name, k, n) for name, k in zip(names, keys[len(SIZE_CLASSES) :], strict=True)}
    if lag_years is not None:
        drawn["adoption_lag_years"] = np.full(n, float(lag_years))
    return RealisedDraws(
        size_offset=offsets,
        lag_years=drawn["adoption_lag_years"],
        intensive_ref=drawn["intensive_2024"],
        intensive_rate=drawn["intensive_rate"],
        intensive_ceiling=drawn["intensive_ceiling"],
        profitable_ref=drawn["profitable_2024"],
        cost_sd_oom=drawn["cost_sd_oom"],
        cost_passthrough=drawn["cost_passthrough"],
        wage_growth=drawn["wage_growth"],
        time_saving=drawn["time_saving_per_hour"],
        labour_share=drawn["labour_share"],
    )


def prepare_macro(
    region: str,
    adoption,
    priors: PriorSet,
    occupations: pd.DataFrame,
    *,
    key,
    lag_years: float | None = None,
    priors_path: Path | str | None = None,
) -> MacroInputs:
    """Join adoption draws, macro priors and occupation weights into :class:`MacroInputs`.

    Parameters
    ----------
    region
        ``"NL"``, ``"EU"`` or ``"US"`` (US: population-predictive adoption, no US data).
    adoption
        :class:`~forecast.adoption.AdoptionPosterior`.
    priors
        From :func:`load_macro_priors`.
    occupations
        Table from :func:`forecast.occupations.load_occupations` (with the wage columns), in the
        same group order as the automation posterior.
    key
        JAX PRNG key for the prior draws.
    lag_years
        Fixes the adoption lag (0 to :data:`forecast.realised.MAX_LAG_YEARS`) instead of its prior.
    priors_path
        Recorded in the attrs (with its sha256) when given.

    Returns
    -------
    MacroInputs
        ``settings.n_draws`` joint draws; adoption draws are cycled over when fewer.
    """
    import jax

    from forecast.adoption import REGION_UNITS

    if region not in REGIONS:
        raise ConfigError(
            f"macro: unknown region '{region}'{did_you_mean(region, REGIONS)}", f"use one of {', '.join(REGIONS)}"
        )
    settings = priors.settings
    if lag_years is not None and not 0 <= lag_years <= MAX_LAG_YEARS:
        raise ConfigError(f"macro: lag_years={lag_years}", f"pass a lag of 0 to {MAX_LAG_YEARS} years")
    unit = REGION_UNITS[region]
    ceiling, rate, midpoint = adoption.unit_curve(unit)
    n = settings.n_draws
    idx = np.arange(n) % ceiling.shape[0]
    k_real, k_rho = jax.random.split(key)
    draws = MacroDraws(
        adoption_ceiling=np.asarray(ceiling, "float64")[idx],
        adoption_rate=np.asarray(rate, "float64")[idx],
        adoption_midpoint=np.asarray(midpoint, "float64")[idx],
        realised=sample_realised(priors, k_real, n, lag_years),
        reinstatement_ratio=priors.sample("reinstatement_ratio", k_rho, n),
        output_multiplier=np.full(n, float(settings.output_multiplier)),
    )
    emp, omega, tier = occupation_weights(occupations)
    source = (
        f"Eurostat E_AI_TANY diffusion model, unit {unit}, fitted {list(adoption.years)}"
        if unit is not None
        else f"no US adoption data: new unit of the EU diffusion hierarchy (population predictive), "
        f"fitted {list(adoption.years)}"
    )
    attrs = {
        "macro_region": region,
        "macro_adoption_source": source,
        "macro_occupation_weights": WEIGHTS_NOTE,
        "macro_lag_years": "prior" if lag_years is None else float(lag_years),
        "macro_priors_source": str(priors_path) if priors_path is not None else "",
        "macro_priors_sha256": file_sha256(Path(priors_path)) if priors_path is not None else "",
        "macro_priors": json.dumps({"priors": priors.to_dict(), "settings": settings.model_dump()}),
    }
    size_weight = settings.size_employment_share.weights()
    return MacroInputs(draws, emp, omega, tier, size_weight, tuple(occupations["group"]), region, attrs)


def macro_channel_params(draws: MacroDraws) -> ChannelParams:
    """:class:`ChannelParams` view of (picked) :class:`MacroDraws`."""
    return ChannelParams(draws.reinstatement_ratio, draws.output_multiplier)


#: asinh-scaled bins for the channel histograms: y = asinh(x / EFFECT_SCALE), width EFFECT_BIN_WIDTH,
#: so quantiles are within ~1e-6 absolute near zero and 1% relative for |x| >> 1e-4.
EFFECT_SCALE = 1.0e-4
EFFECT_BIN_WIDTH = 0.01
EFFECT_BIN_LOW = -11.0
EFFECT_N_BINS = 2200  # y in [-11, 11): |x| up to 1e-4 * sinh(11) ~ 3.0 log points
#: Fixed-point scale for exact (integer, order-independent) per-year sums over paths.
SUM_SCALE = 1.0e9


def effect_to_bin_space(x):
    """Map log-point effects to the histogram's asinh space."""
    import jax.numpy as jnp

    return jnp.arcsinh(x / EFFECT_SCALE)


def effect_from_bin_space(y):
    """Inverse of :func:`effect_to_bin_space` (NumPy)."""
    return EFFECT_SCALE * np.sinh(y)


__all__ = [
    "CHANNELS",
    "MACRO_SHARES",
    "REGIONS",
    "WAGE_TIERS",
    "WEIGHTS_NOTE",
    "AcemogluPreset",
    "ChannelParams",
    "ChannelState",
    "Channels",
    "MacroDraws",
    "MacroInputs",
    "MacroSettings",
    "REQUIRED_PRIORS",
    "SizeEmployment",
    "acemoglu_tfp",
    "channel_init",
    "channel_step",
    "hulten_tfp",
    "labour_channels",
    "load_macro_priors",
    "macro_channel_params",
    "prepare_macro",
    "sample_realised",
    "tier_exposure",
]
