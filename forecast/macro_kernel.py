"""The macro layer of the Monte Carlo kernel: pure ``init``/``step`` functions over NamedTuple state.

Each path carries its last yearly effective-compute values and its labour channels; once a year
:func:`macro_step` turns the technically automatable share (at the lagged effective compute) into
realised automation (:func:`forecast.realised.realised_year`) and advances the channels with
:func:`forecast.macro.channel_step`; :func:`accumulate_macro` adds the year into the histograms.
Same conventions as :mod:`forecast.kernel` (path axis last, explicit streams of the path key).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from forecast.kernel import (
    MACRO_STREAM,
    SHARE_BIN_WIDTH,
    SHARE_N_BINS,
    CellLayout,
    PathParams,
    PathState,
    histogram_add,
)

__all__ = [
    "MacroKernelInputs",
    "MacroState",
    "MacroYear",
    "accumulate_macro",
    "macro_init",
    "macro_step",
    "pick_macro",
]


class MacroKernelInputs(NamedTuple):
    """Replicated macro inputs of the kernel (see :class:`forecast.macro.MacroInputs`)."""

    draws: object  # forecast.macro.MacroDraws, leaves (n_macro_draws, ...)
    employment_weight: jax.Array  # (G,)
    wage_bill_weight: jax.Array  # (G,)
    tier_weight: jax.Array  # (G, 3)
    size_weight: jax.Array  # (4,)


class MacroState(NamedTuple):
    """Per-path macro carry: the last ``MAX_LAG_YEARS + 1`` yearly log10 effective-compute values and the channels."""

    eff_buffer: jax.Array  # (MAX_LAG_YEARS + 1, n), oldest first
    channels: object  # forecast.macro.ChannelState


class MacroYear(NamedTuple):
    """One year's macro values per path: shares ``(n, len(MACRO_SHARES))``, channel effects ``(n, 2 * n_channels)``."""

    shares: jax.Array
    effects: jax.Array


def pick_macro(root, path_idx, draws):
    """Each path's macro draw (leaves ``(n, ...)``), from ``fold_in(fold_in(root, p), MACRO_STREAM)``."""
    n_macro = draws.adoption_ceiling.shape[0]

    def pick(i):
        return jax.random.randint(jax.random.fold_in(jax.random.fold_in(root, i), MACRO_STREAM), (), 0, n_macro)

    return jax.tree.map(lambda a: a[jax.vmap(pick)(path_idx)], draws)


def _realised(eff_buffer, time, md, params: PathParams, layout: CellLayout, mk: MacroKernelInputs):
    from forecast.adoption import adoption_curve
    from forecast.automation import group_share, unit_share
    from forecast.realised import lagged_value, realised_year

    eff_lagged = lagged_value(eff_buffer, md.realised.lag_years)
    technical = group_share(unit_share(eff_lagged - params.anchor, params.automation), layout.membership)
    firms = adoption_curve(time, md.adoption_ceiling, md.adoption_rate, md.adoption_midpoint)
    growth_cost = params.growth_hardware + params.growth_algorithmic
    return realised_year(technical, firms, time, md.realised, mk.size_weight, mk.wage_bill_weight, growth_cost)


def _macro_year(mk: MacroKernelInputs, ry, cumulative, flows) -> MacroYear:
    from forecast.macro import tier_exposure

    shares = jnp.concatenate(
        [
            jnp.stack(
                [
                    ry.adoption_firms,
                    ry.adoption_employment,
                    ry.hours_with_ai,
                    ry.time_saved,
                    ry.profitable,
                    ry.cost_saving,
                    ry.realised @ mk.employment_weight,
                ],
                axis=-1,
            ),
            tier_exposure(ry.realised, mk.tier_weight),
        ],
        axis=-1,
    )
    return MacroYear(shares, jnp.stack([*cumulative, *flows], axis=-1))


def macro_init(
    state0: PathState,
    trend_growth_effective,
    md,
    params: PathParams,
    layout: CellLayout,
    mk: MacroKernelInputs,
    t0: float,
) -> tuple[MacroState, MacroYear]:
    """Base-year macro state and outputs.

    Years before the base come from the fitted trend's closed form (``trend_growth_effective`` =
    compute + algorithmic growth per path), which applies there since scenarios start at or after
    the base year.
    """
    from forecast.macro import channel_init
    from forecast.realised import MAX_LAG_YEARS

    eff0 = state0.log10_compute + state0.algorithmic_oom
    back = (MAX_LAG_YEARS - jnp.arange(MAX_LAG_YEARS + 1, dtype=eff0.dtype))[:, None]
    buffer = eff0[None, :] - back * trend_growth_effective[None, :]
    ry = _realised(buffer, t0, md, params, layout, mk)
    channels = channel_init(ry.realised, ry.tfp_level)
    zeros = channels.cumulative
    return MacroState(buffer, channels), _macro_year(mk, ry, zeros, zeros)


def macro_step(
    state: PathState, mstate: MacroState, time, md, params: PathParams, layout: CellLayout, mk: MacroKernelInputs
) -> tuple[MacroState, MacroYear]:
    """Advance the macro layer by one year to ``time``, given this year's path ``state``."""
    from forecast.macro import channel_step, macro_channel_params

    buffer = jnp.concatenate([mstate.eff_buffer[1:], (state.log10_compute + state.algorithmic_oom)[None, :]], axis=0)
    ry = _realised(buffer, time, md, params, layout, mk)
    channels, flows = channel_step(
        mstate.channels, ry.realised, ry.tfp_level, mk.wage_bill_weight, macro_channel_params(md)
    )
    return MacroState(buffer, channels), _macro_year(mk, ry, channels.cumulative, flows)


def accumulate_macro(hist: dict, y, year: MacroYear, valid) -> dict:
    """Add year ``y``'s macro values into the histograms (and, with int64 counts, the exact sums)."""
    from forecast.macro import EFFECT_BIN_LOW, EFFECT_BIN_WIDTH, EFFECT_N_BINS, SUM_SCALE, effect_to_bin_space

    count_dtype = valid.dtype
    ybin = effect_to_bin_space(year.effects)
    hist = dict(hist)
    hist["macro_share_hist"] = histogram_add(
        hist["macro_share_hist"], y, year.shares.T, valid, 0.0, SHARE_BIN_WIDTH, SHARE_N_BINS
    )
    hist["macro_effect_hist"] = histogram_add(
        hist["macro_effect_hist"], y, ybin.T, valid, EFFECT_BIN_LOW, EFFECT_BIN_WIDTH, EFFECT_N_BINS
    )
    hist["macro_out_of_range"] = (
        hist["macro_out_of_range"]
        .at[y]
        .add(
            jnp.sum(
                jnp.where(
                    (ybin < EFFECT_BIN_LOW)
                    | (ybin >= EFFECT_BIN_LOW + EFFECT_BIN_WIDTH * EFFECT_N_BINS)
                    | ~jnp.isfinite(ybin),
                    valid[:, None],
                    0,
                ),
                axis=0,
            ).astype(count_dtype)
        )
    )
    if "macro_sum" in hist:
        # fixed-point integers: sums over paths are exact and order-independent
        vals = jnp.concatenate([year.shares, year.effects], axis=-1)
        fixed = jnp.round(jnp.where(jnp.isfinite(vals), vals, 0.0) * SUM_SCALE).astype(jnp.int64)
        hist["macro_sum"] = hist["macro_sum"].at[y].add(jnp.sum(fixed * valid[:, None], axis=0))
    return hist
