"""Declarative prior specifications loaded from TOML.

A prior is a table naming a distribution from a closed registry plus its parameters, e.g.::

    [growth_spending]
    distribution = "Normal"
    loc = 0.52      # OOM/yr: a 7-month doubling
    scale = 0.3
    description = "..."

Parameter names are checked against the distribution (the registry mirrors the
``arg_constraints`` of :mod:`numpyro.distributions`; a test keeps them in step), values against
their support, and typos get a "did you mean" hint. Nothing in a prior file is ever executed.
This module does not import JAX; :meth:`PriorSpec.to_numpyro` imports NumPyro lazily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, create_model, model_validator

from forecast.config import StrictModel, file_sha256, load_toml, validate_dict
from forecast.errors import ConfigError, did_you_mean
from forecast.resources import priors_path

_POSITIVE = "positive"
_REAL = "real"
_PROB = "unit_interval"


@dataclass(frozen=True)
class DistributionInfo:
    """What the registry knows about one distribution: parameters and their support."""

    params: dict[str, str]
    location_scale: bool = False


#: The closed registry: the only distribution names a prior file may use.
REGISTRY: dict[str, DistributionInfo] = {
    "Normal": DistributionInfo({"loc": _REAL, "scale": _POSITIVE}, location_scale=True),
    "StudentT": DistributionInfo({"df": _POSITIVE, "loc": _REAL, "scale": _POSITIVE}, location_scale=True),
    "Cauchy": DistributionInfo({"loc": _REAL, "scale": _POSITIVE}, location_scale=True),
    "LogNormal": DistributionInfo({"loc": _REAL, "scale": _POSITIVE}),
    "HalfNormal": DistributionInfo({"scale": _POSITIVE}),
    "HalfCauchy": DistributionInfo({"scale": _POSITIVE}),
    "Exponential": DistributionInfo({"rate": _POSITIVE}),
    "Gamma": DistributionInfo({"concentration": _POSITIVE, "rate": _POSITIVE}),
    "InverseGamma": DistributionInfo({"concentration": _POSITIVE, "rate": _POSITIVE}),
    "Beta": DistributionInfo({"concentration1": _POSITIVE, "concentration0": _POSITIVE}),
    "Uniform": DistributionInfo({"low": _REAL, "high": _REAL}),
    "TruncatedNormal": DistributionInfo({"loc": _REAL, "scale": _POSITIVE, "low": _REAL, "high": _REAL}),
}

#: Parameters that may be omitted (NumPyro's defaults are used).
_OPTIONAL = {"TruncatedNormal": {"low", "high"}}

_RESERVED = {"distribution", "dims", "description"}


class PriorSpec(StrictModel):
    """One validated prior: a registry distribution, its parameters and optional dims."""

    distribution: str
    params: dict[str, Any]
    dims: tuple[str, ...] = ()
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _split_params(cls, data: Any) -> Any:
        # Prior tables are flat in TOML (loc = 0, scale = 1); gather non-reserved keys as params.
        if isinstance(data, dict) and "params" not in data:
            data = dict(data)
            data["params"] = {k: data.pop(k) for k in list(data) if k not in _RESERVED}
        return data

    @model_validator(mode="after")
    def _check_against_registry(self) -> PriorSpec:
        if self.distribution not in REGISTRY:
            raise ValueError(
                f"unknown distribution '{self.distribution}'{did_you_mean(self.distribution, REGISTRY)}; "
                f"known: {', '.join(sorted(REGISTRY))}"
            )
        info = REGISTRY[self.distribution]
        for name, value in self.params.items():
            if name not in info.params:
                raise ValueError(
                    f"{self.distribution} has no parameter '{name}'{did_you_mean(name, info.params)}; "
                    f"it takes {', '.join(info.params)}"
                )
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"parameter '{name}' must be a number (got {value!r})")
            if not math.isfinite(value):
                raise ValueError(f"parameter '{name}' must be finite, got {value}")
            if info.params[name] == _POSITIVE and value <= 0:
                raise ValueError(f"parameter '{name}' must be > 0, got {value}")
        missing = set(info.params) - set(self.params) - _OPTIONAL.get(self.distribution, set())
        if missing:
            raise ValueError(f"{self.distribution} needs parameter(s) {', '.join(sorted(missing))}")
        low, high = self.params.get("low"), self.params.get("high")
        if low is not None and high is not None and not low < high:
            raise ValueError(f"'low' ({low}) must be below 'high' ({high})")
        object.__setattr__(self, "params", {k: float(v) for k, v in self.params.items()})
        return self

    def to_numpyro(self):
        """The NumPyro distribution object for this prior."""
        import numpyro.distributions as dist

        return getattr(dist, self.distribution)(**self.params)

    def to_dict(self) -> dict[str, Any]:
        """Flat dict as written in TOML; ``PriorSpec.model_validate(spec.to_dict()) == spec``."""
        out: dict[str, Any] = {"distribution": self.distribution, **self.params}
        if self.dims:
            out["dims"] = list(self.dims)
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class PriorSet:
    """A validated collection of named priors with the hash of the file they came from."""

    specs: dict[str, PriorSpec]
    path: str
    sha256: str
    settings: Any = None

    def __getitem__(self, name: str) -> PriorSpec:
        return self.specs[name]

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain nested dict (for run metadata)."""
        return {name: spec.to_dict() for name, spec in self.specs.items()}

    def with_settings(self, **updates: Any) -> PriorSet:
        """A copy whose ``settings`` has the given fields replaced (e.g. a smaller ``inference``)."""
        return replace(self, settings=self.settings.model_copy(update=updates))

    def sample(self, name: str, key, n: int):
        """``n`` prior draws of ``name`` as a NumPy array (float64 under x64)."""
        import numpy as np

        return np.asarray(self[name].to_numpyro().sample(key, (n,)))


def default_trend_priors_path() -> Path:
    """Path of the default trend priors, ``priors/trends.toml`` (shipped in the package)."""
    return priors_path("trends.toml")


#: The one table of a prior file that is not a prior: the model's other settings (inference,
#: observation dates, ...), validated against the model's own settings schema.
SETTINGS_TABLE = "settings"


def load_priors(
    path: Path | None = None,
    required: dict[str, tuple[str, ...]] | None = None,
    *,
    optional: dict[str, tuple[str, ...]] | None = None,
    settings: type[BaseModel] | None = None,
) -> PriorSet:
    """Load and validate a prior file.

    Every prior file uses one dialect: each prior is a ``[name]`` table naming a distribution of
    the closed :data:`REGISTRY` and its parameters; a model's other settings live in one
    ``[settings]`` table checked against ``settings`` (unknown keys are errors with a
    did-you-mean hint there too).

    Parameters
    ----------
    path
        TOML file; ``None`` loads the packaged default ``trends.toml``.
    required
        Prior names the model needs, each with its required ``dims``. Missing names and unknown
        names (typos) are errors, with a did-you-mean hint.
    optional
        Prior names the model may take (a feature switched on by the prior's presence), each
        with its required ``dims``; only checked together with ``required``.
    settings
        Pydantic model of the ``[settings]`` table, or None when the file has none.

    Returns
    -------
    PriorSet

    Raises
    ------
    ConfigError
        One line naming the file, the prior or setting, and the fix.
    """
    path = Path(path) if path is not None else default_trend_priors_path()
    raw = load_toml(path)
    settings_raw = raw.pop(SETTINGS_TABLE, None) if settings is not None else None
    specs: dict[str, PriorSpec] = {}
    allowed = {**(required or {}), **(optional or {})}
    for name, table in raw.items():
        if required is not None and name not in allowed:
            known = [*allowed, *([SETTINGS_TABLE] if settings else [])]
            raise ConfigError(
                f"{path}: unknown prior '{name}'{did_you_mean(name, known)}",
                f"use one of: {', '.join(allowed)}",
            )
        if not isinstance(table, dict):
            raise ConfigError(
                f"{path}: '{name}' must be a table like [{name}] with distribution = ...",
                "write each prior as its own [name] table",
            )
        specs[name] = validate_dict(Path(f"{path}: [{name}]"), table, PriorSpec)
    if required is not None:
        for name, dims in allowed.items():
            if name not in specs:
                if name in required:
                    raise ConfigError(f"{path}: missing prior '{name}'", f"add a [{name}] table")
                continue
            if tuple(specs[name].dims) != tuple(dims):
                raise ConfigError(
                    f"{path}: [{name}] has dims {list(specs[name].dims)}, the model needs {list(dims)}",
                    f"set dims = {list(dims)}",
                )
    parsed = None
    if settings is not None:
        wrapper = create_model("SettingsFile", __base__=StrictModel, settings=(settings, ...))
        parsed = validate_dict(
            path, {SETTINGS_TABLE: settings_raw} if settings_raw is not None else {}, wrapper
        ).settings
    return PriorSet(specs=specs, path=str(path), sha256=file_sha256(path), settings=parsed)
