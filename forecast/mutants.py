"""Mutants: planted bugs the SBC harness (:mod:`forecast.calibrate`) must reject.

Each returns a fit model with one deliberate error, so that ``run_sbc(..., fit_model=mutant())``
tests the harness itself (calibration.md SBC-2): a harness that passes a gross mutant fails CI.

- :func:`variance_as_scale`: the likelihood takes the noise scale as a variance;
- :func:`half_data`: the likelihood sees only the first half of every series;
- :func:`ignore_correlation`: the compute-cost pair likelihood drops the correlation (compute and
  cost of one model counted as independent evidence, the double counting issue 11 removed).
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

from forecast.model import ModelData, trend_model
from forecast.sinharcsinh import SinhArcsinhBivariateT, SinhArcsinhStudentT

__all__ = ["half_data", "ignore_correlation", "variance_as_scale"]


class _SquareScale(numpyro.primitives.Messenger):
    """Replace the scale of every univariate ``obs_*``/``pred_*`` Student-t (plain or
    sinh-arcsinh) by its square."""

    def process_message(self, msg):
        name = msg.get("name") or ""
        if msg["type"] == "sample" and name.startswith(("obs_", "pred_")):
            fn = msg["fn"]
            if isinstance(fn, SinhArcsinhStudentT):
                msg["fn"] = SinhArcsinhStudentT(fn.df, fn.loc, fn.scale**2, fn.skew, fn.tail)
                return
            base = getattr(fn, "base_dist", fn)
            if not isinstance(base, dist.StudentT):
                return
            swapped = dist.StudentT(base.df, base.loc, base.scale**2)
            msg["fn"] = swapped.expand(fn.batch_shape) if fn is not base else swapped


class _DropCorrelation(numpyro.primitives.Messenger):
    """Give the compute-cost pair likelihood (``obs_pair``) its marginal scales but no correlation."""

    def process_message(self, msg):
        if msg["type"] == "sample" and msg.get("name") == "obs_pair":
            fn = msg["fn"]
            if isinstance(fn, SinhArcsinhBivariateT):
                msg["fn"] = SinhArcsinhBivariateT(fn.df, fn.loc, fn.scale, jnp.zeros_like(fn.corr), fn.skew, fn.tail)
                return
            base = getattr(fn, "base_dist", fn)
            tril = base.scale_tril
            sd = jnp.sqrt(jnp.sum(tril**2, axis=-1))  # sqrt of diag(L L^T): the marginal sds
            swapped = dist.MultivariateStudentT(base.df, base.loc, sd[..., :, None] * jnp.eye(2))
            msg["fn"] = swapped.expand(fn.batch_shape) if fn is not base else swapped


def variance_as_scale(model: Callable = trend_model) -> Callable:
    """Mutant fitter whose likelihood takes the noise scale as a variance (``scale = noise**2``).

    Parameters
    ----------
    model
        The correct model.

    Returns
    -------
    callable
        A model with the same signature and the planted bug.
    """

    def mutant(data, priors, forecast_t=None):
        with _SquareScale():
            model(data, priors, forecast_t)

    return mutant


def ignore_correlation(model: Callable = trend_model) -> Callable:
    """Mutant fitter whose compute-cost likelihood drops the correlation (as if independent).

    The generator keeps the correlation; the fitter's ``compute_spending_corr`` then stays at its
    prior (uniform ranks), so the mutant must be caught by data-dependent quantities (the
    log-likelihood), the case Modrák et al. (2023) warn about.
    """

    def mutant(data, priors, forecast_t=None):
        with _DropCorrelation():
            model(data, priors, forecast_t)

    return mutant


def half_data(model: Callable = trend_model) -> Callable:
    """Mutant fitter whose likelihood sees only the first half of every series."""

    def mutant(data, priors, forecast_t=None):
        halved = ModelData(*(s._replace(**{f: getattr(s, f)[: s.t.shape[0] // 2] for f in s._fields}) for s in data))
        model(halved, priors, forecast_t)

    return mutant
