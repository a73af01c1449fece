"""Growth scenarios: the schema of ``priors/scenarios.toml``, its loader and its numeric form.

Three kinds (:data:`KINDS`, each labelled in every output by :func:`scenario_label`):

* ``trend``: the fitted exponentials extrapolated, no limits (a reference line);
* ``forecast``: the structural model of :mod:`forecast.structural` (GDP-share cap and physical
  limit on the largest run, algorithmic slowdown, feedback from automated AI research), each
  path with its own draw of the structural priors, optionally **conditioned** (``conditions``:
  bounds on those priors; rejection sampling, so the scenario is the prior given the condition);
* ``reference``: schedules imposed on the fitted rates (multipliers, caps, feedback) to reproduce
  published figures; imposed, not forecast.

Every scenario changes the fitted rates from its ``start_year`` on (default: where the data end);
before it every path follows its posterior draw exactly. The file is validated on load (unknown keys are errors with a
did-you-mean hint); :class:`ScenarioParams` is the float-only form the kernel traces, so
changing a scenario never recompiles it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal, NamedTuple

from pydantic import Field, field_validator, model_validator

from forecast.config import StrictModel, file_sha256, load_validated
from forecast.errors import ConfigError, did_you_mean
from forecast.resources import priors_path

#: Stands in for "no cap" so the kernel never sees inf.
NO_LIMIT = 1.0e6


def default_scenarios_path() -> Path:
    """The packaged scenario file, ``priors/scenarios.toml``."""
    return priors_path("scenarios.toml")


Multiplier = Annotated[float, Field(ge=0.0, le=10.0)]
Taper = Annotated[float, Field(gt=0.0, le=20.0)]


class SpendingSchedule(StrictModel):
    """Spending growth: a multiplier, then deceleration toward a cap on the share of world GDP.

    The rate is ``min(m*g, gdp + (m*g - gdp) * clip(headroom / taper_oom, 0, 1))`` where
    ``headroom`` is log10(cap) - log10(spending): full speed far from the cap, GDP growth at it.
    """

    multiplier: Multiplier = 1.0
    gdp_share_cap: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    taper_oom: Taper = 1.0


class HardwareSchedule(StrictModel):
    """FLOP/$ growth: a multiplier and a ceiling on the total OOM gained after the start date."""

    multiplier: Multiplier = 1.0
    max_gain_oom: Annotated[float, Field(ge=0.0, le=100.0)] | None = None
    taper_oom: Taper = 0.5


class AlgorithmicSchedule(StrictModel):
    """Algorithmic growth: a multiplier plus feedback ``feedback_oom_per_year * automated share``."""

    multiplier: Multiplier = 1.0
    feedback_oom_per_year: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0


#: Scenario kinds and how every output labels them.
KINDS: dict[str, str] = {
    "trend": "fitted trend extrapolated, no limits (reference line)",
    "forecast": "structural forecast",
    "reference": "reference scenario: imposed, not forecast",
}


#: Short tags for legends and table cells.
SHORT_TAGS: dict[str, str] = {"trend": "trend, no limits", "forecast": "forecast", "reference": "imposed, not forecast"}


def display_name(name: str, attrs) -> str:
    """``name (tag)`` from a simulation's attrs (``scenario_kind``), e.g. ``central (imposed, not forecast)``."""
    kind = dict(attrs or {}).get("scenario_kind")
    return f"{name} ({SHORT_TAGS[kind]})" if kind in SHORT_TAGS else name


def scenario_label(kind: str, conditions=None) -> str:
    """The label every table, plot and report line carries for a scenario of ``kind``."""
    label = KINDS.get(kind, kind)
    if kind == "forecast" and conditions:

        def bound(name, lo, hi):
            parts = [f"{lo:g} <=" if lo is not None else "", name, f"<= {hi:g}" if hi is not None else ""]
            return " ".join(p for p in parts if p)

        label += " given " + ", ".join(bound(n, lo, hi) for n, (lo, hi) in conditions.items())
    return label


class Bounds(StrictModel):
    """Bounds of one structural prior in a scenario's condition (on the prior's own scale)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError(f"need min < max (got {self.min}, {self.max})")
        return self


class Scenario(StrictModel):
    """One growth schedule applied to the posterior draws from ``start_year`` on."""

    kind: Literal["trend", "forecast", "reference"]
    rationale: Annotated[str, Field(min_length=20)]
    start_year: Annotated[float, Field(ge=2000.0, le=2100.0)] | None = None
    spending: SpendingSchedule = SpendingSchedule()
    hardware: HardwareSchedule = HardwareSchedule()
    algorithmic: AlgorithmicSchedule = AlgorithmicSchedule()
    conditions: dict[str, Bounds] = {}

    @model_validator(mode="after")
    def _kind_fits(self) -> Scenario:
        schedules = (
            self.spending != SpendingSchedule()
            or self.hardware != HardwareSchedule()
            or self.algorithmic != AlgorithmicSchedule()
        )
        if self.kind != "reference" and schedules:
            raise ValueError(
                f"a '{self.kind}' scenario must not set schedules (only 'reference' scenarios impose them)"
            )
        if self.kind != "forecast" and self.conditions:
            raise ValueError("only 'forecast' scenarios take conditions on the structural priors")
        from forecast.structural import REQUIRED_PRIORS

        for prior in self.conditions:
            if prior not in REQUIRED_PRIORS:
                raise ValueError(
                    f"condition on unknown structural prior '{prior}'{did_you_mean(prior, REQUIRED_PRIORS)}"
                )
        return self


#: Settings an older scenario file held and ``priors/structural.toml`` now owns alone.
MOVED_TO_STRUCTURAL = ("world_gdp_usd_2024", "gdp_growth_per_year")


class ScenarioDefaults(StrictModel):
    """Shared settings: the default start date. The world-GDP path of the spending caps is the one
    of ``priors/structural.toml`` ``[settings]`` (:func:`resolve_scenario`), its single source."""

    start_year: Annotated[float, Field(ge=2000.0, le=2100.0)]

    @model_validator(mode="before")
    @classmethod
    def _gdp_is_structural(cls, data):
        stale = [k for k in MOVED_TO_STRUCTURAL if isinstance(data, dict) and k in data]
        if stale:
            raise ValueError(
                f"{', '.join(stale)}: world GDP and its growth are set once, in priors/structural.toml "
                "[settings] (world_gdp_usd_2023, gdp_growth_per_year); delete them here"
            )
        return data


class ScenarioFile(StrictModel):
    """Validated content of ``priors/scenarios.toml``."""

    defaults: ScenarioDefaults
    scenario: dict[str, Scenario]

    @field_validator("scenario")
    @classmethod
    def _names(cls, value: dict[str, Scenario]) -> dict[str, Scenario]:
        if not value:
            raise ValueError("at least one [scenario.NAME] table is required")
        for name in value:
            if not name.isidentifier():
                raise ValueError(f"scenario name '{name}' must be an identifier (letters, digits, _)")
        return value

    @model_validator(mode="after")
    def _trend_is_plain(self) -> ScenarioFile:
        trend = self.scenario.get("trend")
        if trend is not None and trend.kind != "trend":
            raise ValueError("scenario 'trend' is the posterior as fitted and must have kind = 'trend'")
        return self


class ScenarioParams(NamedTuple):
    """Numeric form of a scenario for the kernel (floats; traced, so no recompilation)."""

    start_year: float
    spending_multiplier: float
    spending_cap_log10_2024: float
    spending_taper_oom: float
    hardware_multiplier: float
    hardware_max_gain_oom: float
    hardware_taper_oom: float
    algorithmic_multiplier: float
    feedback_oom_per_year: float
    # structural settings (forecast.structural.StructuralConstants, from priors/structural.toml
    # only: :func:`scenario_params`): the world-GDP path is used by every kind (a reference
    # scenario's spending cap grows with it); the rest is inert under the "off" draws of trend and
    # reference scenarios
    log10_gdp_base: float
    structural_gdp_growth_oom: float
    limit_year: float
    physical_approach_oom: float
    hardware_limit_approach_oom: float


def scenario_params(*values: float, structural=None, **named: float) -> ScenarioParams:
    """:class:`ScenarioParams` from its nine scenario values (positional or by field name), the
    structural settings from ``structural`` (:class:`forecast.structural.StructuralConstants`;
    default: those of the packaged ``priors/structural.toml``), their one source."""
    if structural is None:
        from forecast.structural import constants, load_structural_priors

        structural = constants(load_structural_priors().settings)
    return ScenarioParams(
        *values,
        **named,
        log10_gdp_base=structural.log10_gdp_base,
        structural_gdp_growth_oom=structural.gdp_growth_oom,
        limit_year=structural.limit_year,
        physical_approach_oom=structural.physical_approach_oom,
        hardware_limit_approach_oom=structural.hardware_limit_approach_oom,
    )


class NamedScenario(NamedTuple):
    """A resolved scenario with its provenance, kind and (forecast kind) conditions."""

    name: str
    params: ScenarioParams
    rationale: str
    source: str
    source_sha256: str
    kind: str = "reference"
    conditions: dict = {}

    @property
    def label(self) -> str:
        """What every output calls this scenario's kind (:func:`scenario_label`)."""
        return scenario_label(self.kind, self.conditions)


def load_scenarios(path: Path | None = None) -> ScenarioFile:
    """Load and validate a scenario file (default ``priors/scenarios.toml``).

    Raises
    ------
    ConfigError
        One line naming the file and key path, with a did-you-mean hint.
    """
    return load_validated(Path(path) if path is not None else default_scenarios_path(), ScenarioFile)


def resolve_scenario(
    spec: ScenarioFile, name: str, *, path: Path | str = "scenarios.toml", structural=None
) -> ScenarioParams:
    """Turn ``spec.scenario[name]`` into :class:`ScenarioParams`.

    ``structural``: :class:`forecast.structural.StructuralConstants` (default: those of the
    packaged ``priors/structural.toml``).

    Raises
    ------
    ConfigError
        Unknown scenario name (with a did-you-mean hint).
    """
    if name not in spec.scenario:
        raise ConfigError(
            f"{path}: unknown scenario '{name}'{did_you_mean(name, spec.scenario)}",
            f"use one of {', '.join(sorted(spec.scenario))}",
        )
    from forecast.structural import GDP_BASE_YEAR, constants, load_structural_priors

    if structural is None:
        structural = constants(load_structural_priors().settings)
    sc = spec.scenario[name]
    d = spec.defaults
    cap = sc.spending.gdp_share_cap
    # the cap as log10 USD in 2024 on the structural file's world-GDP path (one source of GDP)
    log10_gdp_2024 = structural.log10_gdp_base + structural.gdp_growth_oom * (2024.0 - GDP_BASE_YEAR)
    return scenario_params(
        start_year=float(sc.start_year if sc.start_year is not None else d.start_year),
        spending_multiplier=sc.spending.multiplier,
        spending_cap_log10_2024=math.log10(cap) + log10_gdp_2024 if cap is not None else NO_LIMIT,
        spending_taper_oom=sc.spending.taper_oom,
        hardware_multiplier=sc.hardware.multiplier,
        hardware_max_gain_oom=sc.hardware.max_gain_oom if sc.hardware.max_gain_oom is not None else NO_LIMIT,
        hardware_taper_oom=sc.hardware.taper_oom,
        algorithmic_multiplier=sc.algorithmic.multiplier,
        feedback_oom_per_year=sc.algorithmic.feedback_oom_per_year,
        structural=structural,
    )


def load_scenario(name: str, path: Path | None = None) -> NamedScenario:
    """Load the scenario file and resolve one scenario by name (what the CLI calls)."""
    path = Path(path) if path is not None else default_scenarios_path()
    spec = load_scenarios(path)
    params = resolve_scenario(spec, name, path=path)
    sc = spec.scenario[name]
    conditions = {k: (b.min, b.max) for k, b in sc.conditions.items()}
    return NamedScenario(name, params, sc.rationale, str(path), file_sha256(path), sc.kind, conditions)


__all__ = [
    "KINDS",
    "SHORT_TAGS",
    "display_name",
    "NO_LIMIT",
    "NamedScenario",
    "Scenario",
    "ScenarioDefaults",
    "ScenarioFile",
    "ScenarioParams",
    "default_scenarios_path",
    "load_scenario",
    "load_scenarios",
    "resolve_scenario",
    "scenario_label",
    "scenario_params",
]
