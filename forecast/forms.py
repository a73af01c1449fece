"""Growth forms of the trend series' mean, and the stacked mixture of their posteriors.

The trend model's mean of a log10 series is ``level + g * t + shift(t)`` (``t`` years since the
reference date); a *growth form* chooses ``shift``, the integrated deviation of the slope from
the base rate ``g``, always 0 at ``t = 0`` so that the levels keep their meaning:

- ``constant``: ``shift = 0`` (a straight line in log10; today's model);
- ``changepoint``: one change of slope per group, smooth in its date ``tau`` (a softplus hinge of
  width :data:`CHANGEPOINT_WIDTH`, so NUTS has gradients in ``tau``): ``shift = delta * (h(t) -
  h(0))``, ``h(t) = w softplus((t - tau) / w)``; the slope is ``g`` well before ``tau`` and
  ``g + delta`` well after. Frontier compute and cost share one date (Epoch derives a model's cost
  from its compute, so a break in one is a break in the other at the same time; their slope
  changes differ), the two FLOP/$ series another; the date is a fraction (Beta prior) of the
  group's data span;
- ``local_linear``: the slope is a Gaussian random walk over yearly segments (non-centred:
  ``slope_{j+1} = slope_j + sd * z_j``, ``z ~ N(0, 1)``), anchored at the last segment of the
  data, so ``g`` is the slope in the last year of data; the level is the integrated slope
  (continuous, piecewise linear). Beyond the data the walk continues with the same ``sd`` (site
  ``slope_z_future``, drawn only when the model predicts).

The form is switched on by the presence of its prior tables (like ``[noise_trend]``): the
overlay files ``priors/growth_changepoint.toml`` and ``priors/growth_local_linear.toml`` hold them,
and :func:`load_form_priors` lays one over the base trend priors. :func:`form_terms` is the
NumPyro piece the model calls; :func:`form_draws` and :func:`stack_draws` give the Monte Carlo
what it needs from one form's fit and from the stacked mixture of the forms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

from forecast.errors import ConfigError, DataError
from forecast.priors import PriorSet, load_priors
from forecast.resources import priors_path
from forecast.vocab import CHANGEPOINT_GROUPS, FORM_SERIES, GROWTH_FORMS

__all__ = [
    "CHANGEPOINT_WIDTH",
    "FORM_PRIORS",
    "FormDraws",
    "FormTerms",
    "form_draws",
    "form_terms",
    "growth_form",
    "load_form_priors",
    "stack_draws",
]

#: Prior tables of each form (name -> required dims); their presence switches the form on.
FORM_PRIORS: dict[str, dict[str, tuple[str, ...]]] = {
    "constant": {},
    "changepoint": {
        "changepoint_frac": ("changepoint_group",),
        "slope_change_compute": (),
        "slope_change_spending": (),
        "slope_change_hardware": (),
    },
    "local_linear": {
        "slope_innovation_sd_compute": (),
        "slope_innovation_sd_spending": (),
        "slope_innovation_sd_hardware": (),
    },
}
#: Width (years) of the softplus hinge of a changepoint: the slope moves from 12% to 88% of its
#: change within +-1 width of the date.
CHANGEPOINT_WIDTH = 0.5
#: Changepoint group of each form series (compute and cost share the frontier date).
_GROUP_OF = tuple(0 if s in ("compute", "spending") else 1 for s in FORM_SERIES)


def growth_form(priors: PriorSet) -> str:
    """The growth form a prior set switches on (``"constant"`` when it holds no form table).

    Raises
    ------
    ValueError
        Tables of two forms, or only some tables of one.
    """
    on = [f for f, names in FORM_PRIORS.items() if any(n in priors for n in names)]
    if len(on) > 1:
        raise ValueError(f"prior tables of two growth forms ({', '.join(on)}); keep one form's tables")
    if not on:
        return "constant"
    missing = [n for n in FORM_PRIORS[on[0]] if n not in priors]
    if missing:
        raise ValueError(f"growth form '{on[0]}' needs prior table(s) {', '.join(missing)}")
    return on[0]


def load_form_priors(form: str, base: Path | str | None = None, overlay: Path | str | None = None) -> PriorSet:
    """Trend priors with a growth form's tables laid over them.

    Parameters
    ----------
    form
        One of :data:`~forecast.vocab.GROWTH_FORMS`.
    base
        Base trend prior file (``None``: the packaged ``priors/trends.toml``); it must hold no
        form table.
    overlay
        The form's prior file (``None``: the packaged ``priors/growth_<form>.toml``); it must hold
        exactly the form's tables (:data:`FORM_PRIORS`).

    Returns
    -------
    PriorSet
        ``path`` names both files; ``sha256`` hashes the two files' hashes.

    Raises
    ------
    ConfigError
        One line naming the file and the prior (unknown form, missing or misspelt table, bad
        parameter, wrong dims).
    """
    from forecast.model import load_trend_priors

    if form not in GROWTH_FORMS:
        raise ConfigError(f"unknown growth form '{form}'", f"use one of: {', '.join(GROWTH_FORMS)}")
    priors = load_trend_priors(base)
    if growth_form(priors) != "constant":
        raise ConfigError(f"{priors.path}: holds growth-form tables", "use a base prior file without them")
    if form == "constant":
        return priors
    overlay = Path(overlay) if overlay is not None else priors_path(f"growth_{form}.toml")
    extra = load_priors(overlay, required=FORM_PRIORS[form])
    digest = hashlib.sha256(f"{priors.sha256}{extra.sha256}".encode()).hexdigest()
    return replace(priors, specs={**priors.specs, **extra.specs}, path=f"{priors.path}+{extra.path}", sha256=digest)


class FormTerms(NamedTuple):
    """What a growth form adds to the model's means.

    Attributes
    ----------
    shift
        ``shift(j, t)``: integrated slope deviation of form series ``j`` (index into
        :data:`~forecast.vocab.FORM_SERIES`) at times ``t``; 0 at ``t = 0``.
    slope_end
        ``(3,)`` slope deviation at the data end (in the last year of data).
    innovation_sd
        ``(3,)`` yearly sd of the slope's random walk (zeros for the other forms).
    """

    shift: Callable
    slope_end: jax.Array
    innovation_sd: jax.Array


def _times(data) -> tuple[list, list]:
    """Frontier (compute, cost) and hardware (release, cloud) observation times of the model data."""
    return [data.compute.t, data.spending.t, data.pair.t], [data.hardware_release.t, data.hardware_cloud.t]


def form_terms(priors: PriorSet, data, t_end, forecast_t=None) -> FormTerms:
    """Sample a growth form's parameters (inside the model) and return its :class:`FormTerms`.

    Parameters
    ----------
    priors
        The model's priors; the form is :func:`growth_form` of them.
    data
        :class:`~forecast.model.ModelData` (only the trend series' times are read).
    t_end
        The data end, years since the reference date (the last trend observation).
    forecast_t
        Times the model predicts at; the local-linear walk is continued up to them.
    """
    form = growth_form(priors)
    zeros = jnp.zeros(len(FORM_SERIES))
    if form == "constant":
        return FormTerms(lambda j, t: 0.0, zeros, zeros)
    if form == "changepoint":
        return _changepoint(priors, data, t_end)
    return _local_linear(priors, data, forecast_t)


def _hinge(t, tau):
    return CHANGEPOINT_WIDTH * jax.nn.softplus((t - tau) / CHANGEPOINT_WIDTH)


def _span(times) -> tuple[jax.Array, jax.Array]:
    t = jnp.concatenate([jnp.atleast_1d(x) for x in times])
    return jnp.min(t), jnp.max(t)


def _changepoint(priors: PriorSet, data, t_end) -> FormTerms:
    frontier, hardware = _times(data)
    spans = [_span(frontier), _span(hardware)]
    lo, hi = jnp.stack([s[0] for s in spans]), jnp.stack([s[1] for s in spans])
    with numpyro.plate("changepoint_group", len(CHANGEPOINT_GROUPS)):
        frac = numpyro.sample("changepoint_frac", priors["changepoint_frac"].to_numpyro())
    tau = numpyro.deterministic("changepoint_time", lo + frac * (hi - lo))
    delta = jnp.stack(
        [numpyro.sample(f"slope_change_{s}", priors[f"slope_change_{s}"].to_numpyro()) for s in FORM_SERIES]
    )
    taus = tau[jnp.asarray(_GROUP_OF)]

    def shift(j, t):
        return delta[j] * (_hinge(t, taus[j]) - _hinge(0.0, taus[j]))

    slope_end = delta * jax.nn.sigmoid((t_end - taus) / CHANGEPOINT_WIDTH)
    return FormTerms(shift, slope_end, jnp.zeros(len(FORM_SERIES)))


def _local_linear(priors: PriorSet, data, forecast_t) -> FormTerms:
    # The yearly grid is static (array shapes): it needs concrete data times, as every fit has.
    frontier, hardware = _times(data)
    t_all = np.concatenate([np.atleast_1d(np.asarray(x)) for x in (*frontier, *hardware)])
    b0, b_end = int(np.floor(t_all.min())), int(np.ceil(t_all.max()))
    n_seg = max(b_end - b0, 1)
    n_future = 0
    if forecast_t is not None and np.asarray(forecast_t).size:
        n_future = max(int(np.ceil(np.max(np.asarray(forecast_t)))) - (b0 + n_seg), 0)
    sd = jnp.stack(
        [
            numpyro.sample(f"slope_innovation_sd_{s}", priors[f"slope_innovation_sd_{s}"].to_numpyro())
            for s in FORM_SERIES
        ]
    )
    numpyro.deterministic("slope_innovation_sd", sd)
    dev = jnp.zeros((len(FORM_SERIES), 1))  # the last data segment: deviation 0 (g is its slope)
    if n_seg > 1:
        z = numpyro.sample("slope_z", dist.Normal(0.0, 1.0).expand([len(FORM_SERIES), n_seg - 1]).to_event(2))
        # slope_{j+1} = slope_j + sd z_j, anchored at the last segment: dev_j = -sd sum_{i>=j} z_i
        back = jnp.cumsum(z[:, ::-1], axis=1)[:, ::-1]
        dev = jnp.concatenate([-sd[:, None] * back, dev], axis=1)
    if n_future:
        zf = numpyro.sample("slope_z_future", dist.Normal(0.0, 1.0).expand([len(FORM_SERIES), n_future]).to_event(2))
        dev = jnp.concatenate([dev, sd[:, None] * jnp.cumsum(zf, axis=1)], axis=1)
    n_all = dev.shape[1]
    # integral of the deviation from b0 to each segment boundary
    cum = jnp.concatenate([jnp.zeros((len(FORM_SERIES), 1)), jnp.cumsum(dev, axis=1)], axis=1)

    def integral(j, t):
        t = jnp.asarray(t, dtype=dev.dtype)
        idx = jnp.clip(jnp.floor(t).astype(jnp.int32) - b0, 0, n_all - 1)
        return cum[j, idx] + dev[j, idx] * (t - (b0 + idx))

    def shift(j, t):
        return integral(j, t) - integral(j, 0.0)

    return FormTerms(shift, jnp.zeros(len(FORM_SERIES)), sd)


# ---------------------------------------------------------------------------------------------
# What the Monte Carlo needs, per draw
# ---------------------------------------------------------------------------------------------


class FormDraws(NamedTuple):
    """Per-draw state of the trend at the data end; each array leaf ``(n_draws,)`` unless noted.

    Attributes
    ----------
    form
        Index into :data:`~forecast.vocab.GROWTH_FORMS` of the form each draw came from.
    growth_end
        ``(n_draws, 3)`` slope of compute, spending and hardware (long-run FLOP/$) in the last
        year of data, OOM/yr (columns :data:`~forecast.vocab.FORM_SERIES`).
    identity_gap_end
        ``compute - spending - hardware`` of ``growth_end``, OOM/yr.
    innovation_sd
        ``(n_draws, 3)`` yearly sd of the slope's random walk to continue beyond the data
        (local_linear; 0 for the other forms).
    growth_algorithmic
        Algorithmic rate (the language domain's; no form bends it), OOM/yr.
    log10_compute_end, log10_spending_end
        The fitted mean of frontier log10 compute and cost at the data end.
    end_year
        Decimal year of the data end (a scalar; the same data for every form).
    """

    form: np.ndarray
    growth_end: np.ndarray
    identity_gap_end: np.ndarray
    innovation_sd: np.ndarray
    growth_algorithmic: np.ndarray
    log10_compute_end: np.ndarray
    log10_spending_end: np.ndarray
    end_year: float


_FORM_VARS = ("growth_end", "growth", "log10_compute_end", "log10_spending_end", "data_end_time")


def form_draws(dt, form: str, ref_year: float | None = None) -> FormDraws:
    """:class:`FormDraws` of one form's fit (chains flattened).

    Parameters
    ----------
    dt
        The fit's DataTree (posterior with the model's ``growth_end``, ``growth``,
        ``log10_*_end``, ``data_end_time`` and, for local_linear, ``slope_innovation_sd``).
    form
        The fit's growth form.
    ref_year
        Reference date of the fit (default: root attr ``ref_year``, else
        :data:`forecast.model.REF_YEAR`).

    Raises
    ------
    DataError
        A variable is missing.
    """
    from forecast.model import REF_YEAR

    post = dt["posterior"].to_dataset() if hasattr(dt, "children") else dt
    for var in _FORM_VARS + (("slope_innovation_sd",) if form == "local_linear" else ()):
        if var not in post:
            raise DataError(f"posterior: variable '{var}' missing", "refit with the current model")

    def flat(da):
        a = np.asarray(da.transpose("chain", "draw", ...).values, dtype="float64")
        return a.reshape(a.shape[0] * a.shape[1], *a.shape[2:])

    g = flat(post["growth_end"])
    n = g.shape[0]
    sd = flat(post["slope_innovation_sd"]) if form == "local_linear" else np.zeros_like(g)
    ref = float(ref_year if ref_year is not None else getattr(dt, "attrs", {}).get("ref_year", REF_YEAR))
    return FormDraws(
        form=np.full(n, GROWTH_FORMS.index(form)),
        growth_end=g,
        identity_gap_end=g[:, 0] - g[:, 1] - g[:, 2],
        innovation_sd=sd,
        growth_algorithmic=flat(post["growth"].sel(component="algorithmic")),
        log10_compute_end=flat(post["log10_compute_end"]),
        log10_spending_end=flat(post["log10_spending_end"]),
        end_year=ref + float(flat(post["data_end_time"])[0]),
    )


def stack_draws(draws: Mapping[str, FormDraws], weights: Mapping[str, float], n: int, *, key) -> FormDraws:
    """``n`` draws of the stacked mixture: a form per draw with probability its stacking weight,
    then one of that form's posterior draws uniformly (with replacement).

    Parameters
    ----------
    draws
        ``{form: FormDraws}`` of each form's fit (same data, so the same ``end_year``).
    weights
        ``{form: stacking weight}`` (non-negative; normalised here). Forms absent from
        ``weights`` get weight 0.
    n
        Number of mixture draws.
    key
        JAX PRNG key; the same key gives the same draws.

    Returns
    -------
    FormDraws
    """
    forms = list(draws)
    w = np.asarray([float(weights.get(f, 0.0)) for f in forms])
    if (w < 0).any() or w.sum() <= 0:
        got = dict(zip(forms, w.tolist(), strict=True))
        raise ValueError(f"stacking weights must be non-negative with a positive sum, got {got}")
    ends = {d.end_year for d in draws.values()}
    if len(ends) > 1:
        raise ValueError(f"forms fitted to different data (data ends {sorted(ends)}); stack fits of the same data")
    k_form, k_draw = jax.random.split(key)
    pick = np.asarray(jax.random.choice(k_form, len(forms), (n,), p=jnp.asarray(w / w.sum())))
    u = np.asarray(jax.random.uniform(k_draw, (n,)))
    out = {f: [] for f in FormDraws._fields if f != "end_year"}
    order = np.empty(n, dtype=np.int64)
    pos = 0
    for i, f in enumerate(forms):
        where = np.flatnonzero(pick == i)
        if not where.size:
            continue
        d = draws[f]
        idx = np.minimum((u[where] * d.growth_end.shape[0]).astype(np.int64), d.growth_end.shape[0] - 1)
        for field in out:
            out[field].append(np.asarray(getattr(d, field))[idx])
        order[where] = np.arange(pos, pos + where.size)
        pos += where.size
    # back to the order of the draws (draw i is the i-th mixture draw, whatever its form)
    merged = {k: np.concatenate(v)[order] for k, v in out.items()}
    return FormDraws(**merged, end_year=ends.pop())
