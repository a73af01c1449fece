"""Realised automation: from technical capability to the tasks AI actually does, per path and year.

All functions are pure ``jax.numpy`` over broadcastable arrays (leading path axes); the Monte Carlo
kernel (:mod:`forecast.kernel`) and the backcast (:mod:`forecast.backcast`) call the same ones.
Shares are fractions; ``time`` is a decimal year.

Four margins multiply the technically automatable share ``technical_g`` of group ``g``:

Lag
    ``technical_g`` is read at the effective compute of ``lag`` years earlier (products are built
    on a capability before it is used; Eloundou et al.'s E2 tasks need software built on top).
    ``lag`` is a per-path prior draw, continuous, at most :data:`MAX_LAG_YEARS`.
Extensive margin (employment-weighted adoption)
    Eurostat counts *enterprises* using AI; what matters for work is the share of *workers* in
    them. Each size class ``s`` (micro < 10, small 10-49, medium 50-249, large 250+ persons
    employed) adopts at ``sigmoid(logit(firm_share) + offset_s)`` and
    ``adoption_employment = sum_s weight_s * sigmoid(logit(firm_share) + offset_s)``, with
    ``weight_s`` the employment share of the class. The offsets come from the EU-27 2025 size
    classes (:data:`forecast.reference.EU_SIZE_CLASS_ADOPTION_2025`); micro firms are not
    surveyed, so theirs is a wider prior.
Intensive margin
    Among workers in adopting firms, the share of work hours with AI: a logistic in time towards
    ``ceiling`` (the share of hours on tasks where AI helps at all) that passes ``intensive_ref``
    at :data:`REFERENCE_YEAR`.
    ``hours_with_ai = adoption_employment * intensive`` is the share of all work hours with AI
    and ``time_saved = hours_with_ai * time_saving`` (time saved per hour with AI).
Cost condition
    Across tasks, ``X = log10(AI cost / labour cost)`` is Normal(``mu(t)``, ``cost_sd``); a
    task is done by AI when ``X < 0``, so ``profitable = Phi(-mu / cost_sd)``.
    ``mu(REFERENCE_YEAR)`` is set by the profitable share then (Acemoglu 2024 / Svanberg et al.:
    23% of exposed tasks); afterwards ``mu`` falls by ``cost_decline`` OOM a year: the per-path
    fitted FLOP/$ plus algorithmic growth times a pass-through (hardware is only part of the cost
    of an AI doing a task), plus real wage growth. The labour-cost saving on profitable tasks,
    ``1 - E[10^X | X < 0]``, rises with it instead of being a fixed 27%.

Realised automation ``R_g = technical_g(t - lag) * profitable * adoption_employment * intensive``
(use intensity applies alike to every task of the adopting firms). TFP level (Hulten, log points
relative to no AI): automated tasks save ``cost_saving`` of their labour cost and assisted,
not automated hours save ``time_saving``, both times the labour share:
``tfp_level = labour_share * (sum_g omega_g R_g * cost_saving + time_saving * (hours_with_ai - sum_g omega_g R_g))``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtri
from jax.scipy.stats import norm

#: Size classes of enterprises (persons employed), in the order of every size-class array.
SIZE_CLASSES = ("micro", "small", "medium", "large")
#: Longest adoption lag the engine can represent (years of effective compute it keeps).
MAX_LAG_YEARS = 5
#: Year the intensive margin and the cost condition are anchored at (Acemoglu 2024's reference,
#: the late-2024 US hours figures).
REFERENCE_YEAR = 2024.0
_LN10 = math.log(10.0)


class RealisedDraws(NamedTuple):
    """Per-path parameters of the realised layer (leaves ``(...)``; ``size_offset`` ``(..., 4)``)."""

    size_offset: object
    lag_years: object
    intensive_ref: object
    intensive_rate: object
    intensive_ceiling: object
    profitable_ref: object
    cost_sd_oom: object
    cost_passthrough: object
    wage_growth: object
    time_saving: object
    labour_share: object


class RealisedYear(NamedTuple):
    """One year of the realised layer per path (leaves ``(...)``; ``realised`` ``(..., G)``)."""

    adoption_firms: object
    adoption_employment: object
    intensive: object
    hours_with_ai: object
    time_saved: object
    profitable: object
    cost_saving: object
    realised: object
    tfp_level: object


def employment_adoption(firm_share, size_offset, size_weight):
    """Share of workers employed in AI-using firms.

    Parameters
    ----------
    firm_share
        ``(...)`` share of enterprises (10+ persons employed) using AI.
    size_offset
        ``(..., 4)`` logit offsets of the size classes against ``firm_share``.
    size_weight
        ``(4,)`` employment shares of the size classes (sum to one).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> round(float(employment_adoption(jnp.array(0.2), jnp.zeros(4), jnp.full(4, 0.25))), 6)
    0.2
    """
    logit = jnp.log(firm_share) - jnp.log1p(-firm_share)
    return jnp.sum(jax.nn.sigmoid(logit[..., None] + size_offset) * size_weight, axis=-1)


def intensive_margin(time, intensive_ref, rate, ceiling):
    """Share of work hours with AI among workers in adopting firms: ``ceiling`` x a logistic in time
    that passes ``intensive_ref`` at :data:`REFERENCE_YEAR`."""
    q = jnp.clip(intensive_ref / ceiling, 1e-6, 1.0 - 1e-6)
    return ceiling * jax.nn.sigmoid(jnp.log(q) - jnp.log1p(-q) + rate * (time - REFERENCE_YEAR))


def cost_ratio_mean(time, profitable_ref, cost_sd_oom, cost_decline):
    """Mean over tasks of log10(AI cost / labour cost) at ``time`` (OOM)."""
    return -cost_sd_oom * ndtri(profitable_ref) - cost_decline * (time - REFERENCE_YEAR)


def profitable_share(mu, cost_sd_oom):
    """Share of tasks whose AI cost is below their labour cost, ``Phi(-mu / sd)``."""
    return norm.cdf(-mu / cost_sd_oom)


def labour_cost_saving(mu, cost_sd_oom):
    """Mean labour-cost saving on the profitable tasks, ``1 - E[10^X | X < 0]``.

    For ``X ~ Normal(mu, sd)`` and ``a = ln 10``:
    ``E[e^{aX}; X < 0] = exp(a mu + a^2 sd^2 / 2) Phi((-mu - a sd^2) / sd)``; computed in logs so
    that it stays finite when almost no task is profitable.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> round(float(labour_cost_saving(jnp.array(0.0), jnp.array(1e-4))), 3)  # all at cost parity
    0.0
    """
    a = _LN10
    log_num = a * mu + 0.5 * (a * cost_sd_oom) ** 2 + norm.logcdf((-mu - a * cost_sd_oom**2) / cost_sd_oom)
    return -jnp.expm1(log_num - norm.logcdf(-mu / cost_sd_oom))


def lagged_value(buffer, lag_years):
    """Linear interpolation of a yearly ``buffer`` ``(MAX_LAG_YEARS + 1, ...)`` (oldest first, last = now)
    at ``lag_years`` ``(...)`` before now."""
    pos = MAX_LAG_YEARS - jnp.clip(lag_years, 0.0, float(MAX_LAG_YEARS))
    lo = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, MAX_LAG_YEARS - 1)
    frac = pos - lo
    take = lambda i: jnp.take_along_axis(buffer, i[None], axis=0)[0]
    return (1.0 - frac) * take(lo) + frac * take(lo + 1)


def realised_year(technical, firm_share, time, draws: RealisedDraws, size_weight, omega, growth_cost_oom):
    """The realised layer in one year.

    Parameters
    ----------
    technical
        ``(..., G)`` technically automatable shares at the lagged effective compute.
    firm_share
        ``(...)`` share of enterprises using AI (the region's diffusion curve at ``time``).
    time
        Decimal year.
    draws
        :class:`RealisedDraws`.
    size_weight
        ``(4,)`` employment shares of :data:`SIZE_CLASSES`.
    omega
        ``(G,)`` wage-bill shares.
    growth_cost_oom
        ``(...)`` fitted FLOP/$ plus algorithmic growth (OOM/yr) of the path.

    Returns
    -------
    RealisedYear
    """
    employment = employment_adoption(firm_share, draws.size_offset, size_weight)
    intensive = intensive_margin(time, draws.intensive_ref, draws.intensive_rate, draws.intensive_ceiling)
    decline = draws.cost_passthrough * growth_cost_oom + draws.wage_growth / _LN10
    mu = cost_ratio_mean(time, draws.profitable_ref, draws.cost_sd_oom, decline)
    profitable = profitable_share(mu, draws.cost_sd_oom)
    saving = labour_cost_saving(mu, draws.cost_sd_oom)
    hours = employment * intensive
    realised = technical * (profitable * hours)[..., None]
    automated = realised @ omega
    tfp_level = draws.labour_share * (automated * saving + draws.time_saving * (hours - automated))
    return RealisedYear(
        firm_share,
        employment,
        intensive,
        hours,
        hours * draws.time_saving,
        profitable,
        saving,
        realised,
        tfp_level,
    )


__all__ = [
    "MAX_LAG_YEARS",
    "REFERENCE_YEAR",
    "SIZE_CLASSES",
    "RealisedDraws",
    "RealisedYear",
    "cost_ratio_mean",
    "employment_adoption",
    "intensive_margin",
    "labour_cost_saving",
    "lagged_value",
    "profitable_share",
    "realised_year",
]
