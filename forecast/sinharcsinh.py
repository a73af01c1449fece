"""Sinh-arcsinh Student-t residuals (Jones & Pewsey 2009): skew and tail weight on top of the t.

With standardised residual ``y = (x - loc) / scale``, skew ``eps`` and tail weight ``delta > 0``,

    z = sinh(delta * asinh(y) - eps),    z ~ StudentT(df)

(for a compute/cost pair coordinate-wise, ``(z1, z2)`` following the bivariate Student-t with unit
scales and correlation ``corr``). ``eps > 0`` skews to the right (long upper tail, short lower
tail); ``delta < 1`` makes the tails heavier than the t's, ``delta > 1`` lighter. ``eps = 0``,
``delta = 1`` is the Student-t itself, exactly. The log density is

    log f(x) = log t_df(z) + log delta + log cosh(delta * asinh(y) - eps) - 0.5 log(1 + y^2) - log scale,

smooth in every parameter (NUTS-safe); the CDF is ``T_df(z)`` and the quantile function
``loc + scale * sinh((asinh(T_df^-1(p)) + eps) / delta)``, both closed forms. The median of
``x`` is ``loc + scale * sinh(eps / delta)``, not ``loc``, and the quantile function's slope at the
median (in units of the t's) is ``scale * cosh(eps / delta) / delta``: the model parameterises the
law by that median and that central scale (:func:`from_median`), which the data pin down
separately from the skew and the tail weight.

The JAX side (:class:`SinhArcsinhTransform`, :class:`SinhArcsinhStudentT`,
:class:`SinhArcsinhBivariateT`) is what the model samples; the NumPy/SciPy side (:func:`cdf`,
:func:`logpdf`, :func:`ppf`, :func:`sample`, :func:`mean`) is what the backtest scores with.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from jax import lax
from numpyro.distributions import constraints
from numpyro.distributions.transforms import AffineTransform, IndependentTransform, Transform
from scipy import stats

__all__ = [
    "SinhArcsinhBivariateT",
    "SinhArcsinhStudentT",
    "SinhArcsinhTransform",
    "cdf",
    "from_median",
    "logpdf",
    "mean",
    "median",
    "ppf",
    "residual_params",
    "sample",
]

_LOG2 = float(np.log(2.0))


def _log_cosh(w):
    return jnp.logaddexp(w, -w) - _LOG2


class SinhArcsinhTransform(Transform):
    """``z -> y = sinh((asinh(z) + skew) / tail)``: maps the base Student-t variate to the
    standardised residual; its inverse is ``z = sinh(tail * asinh(y) - skew)``.

    Parameters
    ----------
    skew
        ``eps`` (real; 0 = symmetric).
    tail
        ``delta`` (positive; 1 = the base distribution's tails).
    """

    domain = constraints.real
    codomain = constraints.real
    sign = 1

    def __init__(self, skew, tail):
        self.skew = skew
        self.tail = tail

    def __call__(self, x):
        return jnp.sinh((jnp.arcsinh(x) + self.skew) / self.tail)

    def _inverse(self, y):
        return jnp.sinh(self.tail * jnp.arcsinh(y) - self.skew)

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        # dy/dz = cosh((asinh z + eps) / delta) / (delta sqrt(1 + z^2))
        w = (jnp.arcsinh(x) + self.skew) / self.tail
        return _log_cosh(w) - jnp.log(self.tail) - jnp.log(jnp.hypot(1.0, x))

    def forward_shape(self, shape):
        return lax.broadcast_shapes(shape, jnp.shape(self.skew), jnp.shape(self.tail))

    def inverse_shape(self, shape):
        return lax.broadcast_shapes(shape, jnp.shape(self.skew), jnp.shape(self.tail))

    def tree_flatten(self):
        return (self.skew, self.tail), (("skew", "tail"), {})

    def eq(self, other, static=False):
        return isinstance(other, SinhArcsinhTransform) and self is other


class SinhArcsinhStudentT(dist.TransformedDistribution):
    """Univariate sinh-arcsinh Student-t: ``loc + scale * sinh((asinh(Z) + skew) / tail)``, ``Z ~ t_df``.

    Parameters
    ----------
    df, loc, scale
        As for :class:`numpyro.distributions.StudentT`.
    skew, tail
        ``eps`` and ``delta`` (module docstring); ``0`` and ``1`` give ``StudentT(df, loc, scale)``.
    """

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
        "skew": constraints.real,
        "tail": constraints.positive,
    }
    support = constraints.real
    pytree_data_fields = ("df", "loc", "scale", "skew", "tail")

    def __init__(self, df, loc=0.0, scale=1.0, skew=0.0, tail=1.0, *, validate_args=None):
        shape = lax.broadcast_shapes(*(jnp.shape(a) for a in (df, loc, scale, skew, tail)))
        self.df, self.loc, self.scale, self.skew, self.tail = (
            jnp.broadcast_to(a, shape) for a in (df, loc, scale, skew, tail)
        )
        super().__init__(
            dist.StudentT(self.df),
            [SinhArcsinhTransform(self.skew, self.tail), AffineTransform(self.loc, self.scale)],
            validate_args=validate_args,
        )


class SinhArcsinhBivariateT(dist.TransformedDistribution):
    """Bivariate sinh-arcsinh Student-t, the transform applied coordinate-wise.

    ``x_i = loc_i + scale_i * sinh((asinh(z_i) + skew_i) / tail_i)`` with ``(z_1, z_2)`` bivariate
    Student-t (``df``, unit scales, correlation ``corr``). With ``skew = 0``, ``tail = 1`` it is
    ``MultivariateStudentT(df, loc, diag(scale) @ [[1, 0], [corr, sqrt(1 - corr^2)]])``.

    Parameters
    ----------
    df
        Degrees of freedom (batch shape).
    loc, scale, skew, tail
        Shape ``(..., 2)``.
    corr
        Correlation of ``z_1`` and ``z_2`` (batch shape).
    """

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real_vector,
        "scale": constraints.independent(constraints.positive, 1),
        "corr": constraints.interval(-1.0, 1.0),
        "skew": constraints.real_vector,
        "tail": constraints.independent(constraints.positive, 1),
    }
    support = constraints.real_vector
    pytree_data_fields = ("df", "loc", "scale", "corr", "skew", "tail")

    def __init__(self, df, loc, scale, corr, skew, tail, *, validate_args=None):
        vec = lax.broadcast_shapes(*(jnp.shape(a) for a in (loc, scale, skew, tail)))
        batch = lax.broadcast_shapes(vec[:-1], jnp.shape(df), jnp.shape(corr))
        self.loc, self.scale, self.skew, self.tail = (
            jnp.broadcast_to(a, (*batch, 2)) for a in (loc, scale, skew, tail)
        )
        self.df, self.corr = (jnp.broadcast_to(a, batch) for a in (df, corr))
        one, zero = jnp.ones_like(self.corr), jnp.zeros_like(self.corr)
        tril = jnp.stack([jnp.stack([one, zero], -1), jnp.stack([self.corr, jnp.sqrt(1.0 - self.corr**2)], -1)], -2)
        base = dist.MultivariateStudentT(self.df, jnp.zeros((*batch, 2)), tril)
        super().__init__(
            base,
            [
                IndependentTransform(SinhArcsinhTransform(self.skew, self.tail), 1),
                IndependentTransform(AffineTransform(self.loc, self.scale), 1),
            ],
            validate_args=validate_args,
        )


def from_median(median, central_scale, skew, tail):
    """``(loc, scale)`` of the law with this median and central scale (``dx/dz`` at ``z = 0``).

    ``scale = central_scale * tail / cosh(skew / tail)``, ``loc = median - scale * sinh(skew / tail)``;
    ``skew = 0``, ``tail = 1`` give ``(median, central_scale)`` exactly.
    """
    scale = central_scale * tail / jnp.cosh(skew / tail)
    return median - scale * jnp.sinh(skew / tail), scale


def residual_params(fn) -> tuple:
    """``(df, loc, scale, skew, tail)`` of a trend site's distribution (a Student-t: ``0, 1``)."""
    fn = getattr(fn, "base_dist", fn) if not isinstance(fn, SinhArcsinhStudentT) else fn
    if isinstance(fn, SinhArcsinhStudentT):
        return fn.df, fn.loc, fn.scale, fn.skew, fn.tail
    if isinstance(fn, dist.StudentT):
        return fn.df, fn.loc, fn.scale, jnp.zeros_like(fn.loc), jnp.ones_like(fn.loc)
    raise TypeError(f"not a trend residual distribution: {type(fn).__name__}")


# ---------------------------------------------------------------------------------------------
# NumPy / SciPy side (exact predictive mixtures in the backtest)
# ---------------------------------------------------------------------------------------------


def _z(x, loc, scale, skew, tail):
    return np.sinh(tail * np.arcsinh((x - loc) / scale) - skew)


def cdf(x, df, loc, scale, skew=0.0, tail=1.0):
    """``P(X <= x)`` = ``T_df(sinh(tail * asinh((x - loc) / scale) - skew))`` (broadcasting)."""
    return stats.t.cdf(_z(x, loc, scale, skew, tail), df)


def logpdf(x, df, loc, scale, skew=0.0, tail=1.0):
    """Log density (module docstring), broadcasting."""
    y = (x - loc) / scale
    u = tail * np.arcsinh(y) - skew
    log_cosh = np.logaddexp(u, -u) - _LOG2
    return stats.t.logpdf(np.sinh(u), df) + np.log(tail) + log_cosh - np.log(np.hypot(1.0, y)) - np.log(scale)


def ppf(p, df, loc, scale, skew=0.0, tail=1.0):
    """Quantile function ``loc + scale * sinh((asinh(T_df^-1(p)) + skew) / tail)``."""
    return loc + scale * np.sinh((np.arcsinh(stats.t.ppf(p, df)) + skew) / tail)


def median(loc, scale, skew=0.0, tail=1.0):
    """Median ``loc + scale * sinh(skew / tail)``."""
    return loc + scale * np.sinh(skew / tail)


def sample(rng: np.random.Generator, df, loc, scale, skew=0.0, tail=1.0, size=None):
    """Draws (``size`` must broadcast with the parameters)."""
    z = rng.standard_t(np.broadcast_to(df, size) if size is not None else df)
    return loc + scale * np.sinh((np.arcsinh(z) + skew) / tail)


def mean(df, loc, scale, skew=0.0, tail=1.0, *, grid: int = 4001, half_width: float = 30.0):
    """Mean, by the trapezoid rule in ``v = asinh(z)``; ``nan`` where it is infinite (``df * tail <= 1``).

    ``E[sinh((v + skew) / tail)]`` with ``z = sinh(v)``: the integrand decays like
    ``exp(-(df - 1 / tail) |v|)``, so ``|v| <= 30`` suffices unless ``df * tail`` is near 1.
    """
    df, loc, scale, skew, tail = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (df, loc, scale, skew, tail))
    )
    v = np.linspace(-half_width, half_width, grid)
    # the t density of z = sinh(v) times dz/dv = cosh(v), once per component (chunks bound memory)
    d, e, t = (a.reshape(-1, 1) for a in (df, skew, tail))
    out = np.empty(d.shape[0])
    for s in range(0, d.shape[0], 500):
        c = slice(s, s + 500)
        w = np.exp(stats.t.logpdf(np.sinh(v), d[c]) + np.log(np.cosh(v)))
        out[c] = np.trapezoid(np.sinh((v + e[c]) / t[c]) * w, v, axis=-1)
    symmetric = (skew == 0) & (tail == 1)
    out = np.where(symmetric.reshape(-1), 0.0, out)
    out = np.where((df * tail).reshape(-1) > 1, out, np.nan)
    return loc + scale * out.reshape(df.shape)
