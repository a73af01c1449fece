"""Diffusion of AI use across enterprises: a hierarchical logistic model of Eurostat data.

Data: Eurostat ``isoc_eb_ai``, indicator ``E_AI_TANY`` (enterprises using at least one AI
technology, % of enterprises with 10+ persons employed, all activities except agriculture,
mining and finance), for the 27 EU countries and the EU-27 aggregate, reference years 2023-2025.
The 2021 value is kept in the extract but **never fitted**: Eurostat changed the list of AI
technologies between the 2021 and 2023 questionnaires (Denmark reads 23.9% in 2021 and 15.2% in
2023), so 2021 measures a different indicator. There was no AI module in 2022.

Model (unit ``u`` = a country or the EU-27 aggregate, time ``t`` in decimal years)::

    adoption_u(t) = K * sigmoid(rate_u * (t - midpoint_u))
    midpoint_u    = mu_mid + sd_mid * z_mid_u          (years)
    log rate_u    = mu_log_rate + sd_log_rate * z_rate_u
    logit(y_ut)   ~ Normal(logit(adoption_u(t)), obs_sd)   (logit-normal observation noise)

with one shared ceiling ``K`` (three points per unit cannot identify a unit-level ceiling; the
projection beyond the data leans on its prior, see ``priors/adoption.toml``). A survey year ``Y``
is observed at ``Y + time_offset`` (fieldwork in Q1-Q2). The EU-27 aggregate enters as one more
unit of the hierarchy: it is an enterprise-weighted mean of the countries, so its data are not
independent of theirs, but it is 1 of 28 units and modelling it directly gives its own curve.
A region with no data (the US) uses the *population predictive*: a new unit drawn from the
hyper-parameters.

Layers: array core (:func:`adoption_curve`, pure ``jax.numpy``), the NumPyro model and driver
(:func:`adoption_model`, :func:`fit_adoption`), and pandas at the edges
(:func:`adoption_from_upstream`, :func:`load_adoption`, :func:`check_table`,
:func:`projection_table`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NamedTuple

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from forecast.config import InferenceSpec, StrictModel
from forecast.errors import ConfigError, DataError, did_you_mean
from forecast.priors import PriorSet, load_priors
from forecast.resources import data_path, priors_path

DEFAULT_ADOPTION = data_path("adoption.csv")
DEFAULT_PRIORS = priors_path("adoption.toml")

EU_GEO = "EU27_2020"
INDICATOR = "E_AI_TANY"
SERIES_BREAK_YEARS = (2021,)
#: Eurostat geo codes of the country names used in the raw mirror files (Greece = EL).
GEO_BY_COUNTRY = {
    "Belgium": "BE",
    "Bulgaria": "BG",
    "Czechia": "CZ",
    "Denmark": "DK",
    "Germany": "DE",
    "Estonia": "EE",
    "Ireland": "IE",
    "Greece": "EL",
    "Spain": "ES",
    "France": "FR",
    "Croatia": "HR",
    "Italy": "IT",
    "Cyprus": "CY",
    "Latvia": "LV",
    "Lithuania": "LT",
    "Luxembourg": "LU",
    "Hungary": "HU",
    "Malta": "MT",
    "Netherlands": "NL",
    "Austria": "AT",
    "Poland": "PL",
    "Portugal": "PT",
    "Romania": "RO",
    "Slovenia": "SI",
    "Slovakia": "SK",
    "Finland": "FI",
    "Sweden": "SE",
}
ADOPTION_COLUMNS = ("geo", "country", "year", "indicator", "pct_enterprises", "fitted", "note", "source")
SOURCE_TAG = "Eurostat isoc_eb_ai E_AI_TANY GE10 C10-S951_X_K PC_ENT (mirror ai_adoption_europe @01f6cb90)"
#: Context figures quoted beside the data (not fitted): share of enterprises using AI, %.
CONTEXT_FIGURES = (
    {"geo": "NL", "figure_pct": 13.4, "label": "Dutch firms using AI (official figure, 2023-ish; CBS/Eurostat)"},
    {"geo": EU_GEO, "figure_pct": 8.0, "label": "EU firms using AI (official figure, 2023-ish; Eurostat)"},
)
#: Region names accepted by the macro layer -> adoption unit (``None``: population predictive).
REGION_UNITS = {"NL": "NL", "EU": EU_GEO, "US": None}


# --------------------------------------------------------------------------------------------
# Data: upstream -> curated extract -> validated table
# --------------------------------------------------------------------------------------------


def _read_raw(path: Path) -> pd.DataFrame:
    """A raw mirror file: semicolon-separated, decimal commas, UTF-8 BOM, one row per geo."""
    if not path.is_file():
        raise DataError(f"{path}: upstream file not found", "pass the eurostat_ai_adoption data directory")
    raw = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    first = raw.columns[0]
    long = raw.melt(id_vars=first, var_name="year", value_name="pct_enterprises").rename(columns={first: "country"})
    long["year"] = pd.to_numeric(long["year"], errors="raise").astype("int64")
    long["pct_enterprises"] = pd.to_numeric(long["pct_enterprises"], errors="raise").astype("float64")
    return long


def adoption_from_upstream(upstream_dir: Path) -> pd.DataFrame:
    """Build the curated adoption table from the raw Eurostat mirror files.

    Reads ``raw_database_ia.csv`` (27 countries) and ``raw_database_ia_europe.csv`` (EU-27), and
    cross-checks 2025 against the independent SDMX export ``isoc_eb_ai_2025_sdmx.csv``.

    Parameters
    ----------
    upstream_dir
        The ``eurostat_ai_adoption`` directory (see its SOURCE.md).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ADOPTION_COLUMNS`, sorted by geo (EU-27 last) and year; ``fitted`` is
        False for the series-break year 2021.

    Raises
    ------
    DataError
        A file or country is missing, or 2025 disagrees with the SDMX export by more than 0.1 pp.
    """
    upstream_dir = Path(upstream_dir)
    countries = _read_raw(upstream_dir / "raw_database_ia.csv")
    unknown = sorted(set(countries["country"]) - set(GEO_BY_COUNTRY))
    if unknown:
        raise DataError(
            f"{upstream_dir / 'raw_database_ia.csv'}: unknown country '{unknown[0]}'"
            f"{did_you_mean(unknown[0], GEO_BY_COUNTRY)}",
            "add it to GEO_BY_COUNTRY",
        )
    countries["geo"] = countries["country"].map(GEO_BY_COUNTRY)
    eu = _read_raw(upstream_dir / "raw_database_ia_europe.csv").assign(geo=EU_GEO, country="European Union (27)")
    table = pd.concat([countries, eu], ignore_index=True)
    table = table[table["pct_enterprises"].notna()].copy()
    table["indicator"] = INDICATOR
    breaks = table["year"].isin(SERIES_BREAK_YEARS)
    table["fitted"] = ~breaks
    table["note"] = np.where(breaks, "series break: 2021 questionnaire listed other AI technologies; not fitted", "")
    table["source"] = SOURCE_TAG
    sdmx_path = upstream_dir / "isoc_eb_ai_2025_sdmx.csv"
    if sdmx_path.is_file():
        sdmx = pd.read_csv(sdmx_path, dtype={"geo": "str"})
        sdmx = sdmx[(sdmx["indic_is"] == INDICATOR) & (sdmx["TIME_PERIOD"] == 2025)].set_index("geo")["OBS_VALUE"]
        ours = table[table["year"] == 2025].set_index("geo")["pct_enterprises"]
        common = ours.index.intersection(sdmx.index)
        diff = (ours[common] - sdmx[common]).abs()
        if len(common) < len(ours) or diff.max() > 0.1:
            raise DataError(
                f"{sdmx_path}: 2025 values disagree with the mirror (max {diff.max():.2f} pp, "
                f"{len(common)}/{len(ours)} geos)",
                "check the upstream files",
            )
    order = {g: i for i, g in enumerate(sorted(GEO_BY_COUNTRY.values()))} | {EU_GEO: len(GEO_BY_COUNTRY)}
    table = table.assign(_o=table["geo"].map(order)).sort_values(["_o", "year"]).drop(columns="_o")
    return table[list(ADOPTION_COLUMNS)].reset_index(drop=True)


def load_adoption(path: Path | None = None) -> pd.DataFrame:
    """Load and validate the packaged adoption table (``forecast/curated/adoption.csv``).

    Raises
    ------
    DataError
        Missing file or column, a percentage outside (0, 100), a duplicate (geo, year), or a
        series-break year marked as fitted.
    """
    path = Path(path) if path is not None else DEFAULT_ADOPTION
    if not path.is_file():
        raise DataError(f"{path}: file not found", "run scripts/build_adoption.py")
    table = pd.read_csv(
        path,
        dtype={"geo": "str", "country": "str", "indicator": "str", "note": "str", "source": "str"},
        keep_default_na=False,
        na_values={"pct_enterprises": [""]},
    )
    missing = [c for c in ADOPTION_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(
            f"{path}: column '{missing[0]}' missing{did_you_mean(missing[0], table.columns)}",
            "rebuild with scripts/build_adoption.py",
        )
    pct = pd.to_numeric(table["pct_enterprises"], errors="coerce")
    bad = ~((pct > 0.0) & (pct < 100.0))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise DataError(f"{path}: row {row}, 'pct_enterprises' not in (0, 100)", "percent of enterprises, e.g. 33.21")
    table["pct_enterprises"] = pct.astype("float64")
    table["fitted"] = table["fitted"].astype("str").str.lower().map({"true": True, "false": False})
    if table["fitted"].isna().any():
        row = int(np.flatnonzero(table["fitted"].isna().to_numpy())[0]) + 2
        raise DataError(f"{path}: row {row}, 'fitted' must be True or False", "use True/False")
    table["fitted"] = table["fitted"].astype("bool")
    dup = table.duplicated(["geo", "year"])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise DataError(f"{path}: row {row}, duplicate (geo, year)", "one value per geo and year")
    brk = table["fitted"] & table["year"].isin(SERIES_BREAK_YEARS)
    if brk.any():
        row = int(np.flatnonzero(brk.to_numpy())[0]) + 2
        raise DataError(
            f"{path}: row {row}, year {SERIES_BREAK_YEARS[0]} marked fitted",
            "2021 is a different indicator (series break); set fitted=False",
        )
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Priors (priors/adoption.toml)
# --------------------------------------------------------------------------------------------


class AdoptionSettings(StrictModel):
    """The ``[settings]`` table of ``priors/adoption.toml``."""

    years: Annotated[list[int], Field(min_length=2)]
    time_offset: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.25
    time_centre: Annotated[float, Field(ge=2000.0, le=2100.0)] = 2024.0
    inference: InferenceSpec

    @field_validator("years")
    @classmethod
    def _no_break(cls, value: list[int]) -> list[int]:
        bad = [y for y in value if y in SERIES_BREAK_YEARS]
        if bad:
            raise ValueError(f"year {bad[0]} is a series break (different indicator) and cannot be fitted")
        if len(set(value)) != len(value):
            raise ValueError("years must be distinct")
        return sorted(value)


#: Priors of :func:`adoption_model` (all scalar; the unit plate is the model's).
REQUIRED_PRIORS: dict[str, tuple[str, ...]] = dict.fromkeys(
    ("ceiling", "midpoint_mu", "midpoint_sd", "log_rate_mu", "log_rate_sd", "obs_sd"), ()
)


def load_adoption_priors(path: Path | None = None) -> PriorSet:
    """``priors/adoption.toml`` (or ``path``) via :func:`forecast.priors.load_priors`."""
    return load_priors(path or DEFAULT_PRIORS, REQUIRED_PRIORS, settings=AdoptionSettings)


# --------------------------------------------------------------------------------------------
# Array core
# --------------------------------------------------------------------------------------------


def adoption_curve(t, ceiling, rate, midpoint):
    """Share of enterprises using AI at decimal year ``t`` (logistic diffusion, in [0, ceiling]).

    Parameters
    ----------
    t
        Decimal years, broadcastable against the parameters.
    ceiling, rate, midpoint
        Long-run share, growth rate (1/yr) and midpoint (decimal year) of the logistic.

    Examples
    --------
    >>> round(float(adoption_curve(2030.0, 0.8, 0.5, 2030.0)), 6)
    0.4
    """
    import jax

    return ceiling * jax.nn.sigmoid(rate * (t - midpoint))


def _logit_adoption(t, ceiling, rate, midpoint):
    """``logit(ceiling * sigmoid(x))`` computed stably."""
    import jax
    import jax.numpy as jnp

    x = rate * (t - midpoint)
    return jnp.log(ceiling) + jax.nn.log_sigmoid(x) - jnp.log1p(-ceiling * jax.nn.sigmoid(x))


# --------------------------------------------------------------------------------------------
# Model and driver
# --------------------------------------------------------------------------------------------


def adoption_model(unit, time, logit_y, n_units: int, priors: PriorSet):
    """NumPyro model of the logit adoption shares; see the module docstring.

    Parameters
    ----------
    unit
        ``(n_obs,)`` int index of the unit of each observation.
    time
        ``(n_obs,)`` decimal years minus ``settings.time_centre``.
    logit_y
        ``(n_obs,)`` logit of the observed share (``None`` for prior predictive).
    n_units
        Number of units (countries plus the EU-27 aggregate).
    priors
        From :func:`load_adoption_priors`.
    """
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    ceiling, mu_mid, sd_mid, mu_lr, sd_lr, obs_sd = (
        numpyro.sample(name, priors[name].to_numpyro()) for name in REQUIRED_PRIORS
    )
    with numpyro.plate("unit", n_units):
        z_mid = numpyro.sample("z_midpoint", dist.Normal(0.0, 1.0))
        z_rate = numpyro.sample("z_rate", dist.Normal(0.0, 1.0))
        midpoint = numpyro.deterministic("midpoint", mu_mid + sd_mid * z_mid)
        rate = numpyro.deterministic("rate", jnp.exp(mu_lr + sd_lr * z_rate))
    loc = _logit_adoption(time, ceiling, rate[unit], midpoint[unit])
    with numpyro.plate("obs", unit.shape[0]):
        numpyro.sample("logit_share", dist.Normal(loc, obs_sd), obs=logit_y)


class AdoptionPosterior(NamedTuple):
    """Posterior draws of the diffusion curves.

    Attributes
    ----------
    units
        Tuple of geo codes (countries, then ``EU27_2020``).
    ceiling, obs_sd
        ``(n_draws,)``.
    rate, midpoint
        ``(n_draws, n_units)``; midpoints are absolute decimal years.
    rate_new, midpoint_new
        ``(n_draws,)``: one new unit drawn from the hyper-parameters per draw (population
        predictive, used for regions without data).
    years
        Survey years fitted.
    time_offset
        Survey year ``Y`` is observed at decimal year ``Y + time_offset``.
    """

    units: tuple
    ceiling: np.ndarray
    rate: np.ndarray
    midpoint: np.ndarray
    obs_sd: np.ndarray
    rate_new: np.ndarray
    midpoint_new: np.ndarray
    years: tuple
    time_offset: float

    def unit_curve(self, unit: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(ceiling, rate, midpoint)`` draws of a unit (``None``: a new, unobserved unit)."""
        if unit is None:
            return self.ceiling, self.rate_new, self.midpoint_new
        if unit not in self.units:
            raise ConfigError(
                f"adoption: unknown unit '{unit}'{did_you_mean(unit, self.units)}",
                f"use one of {', '.join(self.units)}",
            )
        i = self.units.index(unit)
        return self.ceiling, self.rate[:, i], self.midpoint[:, i]


def fit_adoption(table: pd.DataFrame, priors: PriorSet, *, key, years=None) -> AdoptionPosterior:
    """Fit the hierarchical diffusion model with NUTS (vectorized chains).

    Parameters
    ----------
    table
        From :func:`load_adoption`; only rows with ``fitted`` True and a year in ``years`` enter.
    priors
        From :func:`load_adoption_priors`.
    key
        JAX PRNG key (explicit; split into the MCMC key and the population-predictive key).
    years
        Survey years to fit (default ``settings.years``), e.g. ``(2023, 2024)`` for a held-out check.

    Returns
    -------
    AdoptionPosterior
        ``num_chains * num_samples`` draws.
    """
    import jax
    import jax.numpy as jnp

    from forecast.infer import sample_nuts

    settings = priors.settings
    years = tuple(sorted(years if years is not None else settings.years))
    bad = [y for y in years if y in SERIES_BREAK_YEARS]
    if bad:
        raise ConfigError(f"adoption: year {bad[0]} is a series break", "fit 2023 onwards only")
    rows = table[table["fitted"] & table["year"].isin(years)]
    if rows.empty:
        raise DataError(f"adoption: no fitted rows for years {years}", "check forecast/curated/adoption.csv")
    units = tuple(dict.fromkeys(rows["geo"]))
    unit = jnp.asarray(rows["geo"].map({u: i for i, u in enumerate(units)}).to_numpy(dtype="int32", copy=True))
    time = jnp.asarray(rows["year"].to_numpy(dtype="float64", copy=True) + settings.time_offset - settings.time_centre)
    share = rows["pct_enterprises"].to_numpy(dtype="float64", copy=True) / 100.0
    logit_y = jnp.asarray(np.log(share) - np.log1p(-share))
    inf = settings.inference
    k_mcmc, k_new = jax.random.split(key)
    mcmc = sample_nuts(adoption_model, inf, k_mcmc, unit, time, logit_y, len(units), priors)
    s = {k: np.asarray(v) for k, v in mcmc.get_samples().items()}
    n = s["ceiling"].shape[0]
    z = np.asarray(jax.random.normal(k_new, (2, n), dtype=jnp.float64 if jax.config.jax_enable_x64 else jnp.float32))
    return AdoptionPosterior(
        units=units,
        ceiling=s["ceiling"],
        rate=s["rate"],
        midpoint=s["midpoint"] + settings.time_centre,
        obs_sd=s["obs_sd"],
        rate_new=np.exp(s["log_rate_mu"] + s["log_rate_sd"] * z[1]),
        midpoint_new=s["midpoint_mu"] + s["midpoint_sd"] * z[0] + settings.time_centre,
        years=years,
        time_offset=float(settings.time_offset),
    )


def predictive(posterior: AdoptionPosterior, unit: str | None, years, *, key, noise: bool = True) -> np.ndarray:
    """Posterior predictive share of enterprises (fraction) for survey ``years``.

    Parameters
    ----------
    posterior
        From :func:`fit_adoption`.
    unit
        Geo code, or ``None`` for a new unit.
    years
        Survey years (evaluated at ``year + time_offset``).
    key
        JAX PRNG key for the observation noise.
    noise
        Add the logit-normal observation noise (predictive for a new survey value); without it
        the result is the latent curve.

    Returns
    -------
    numpy.ndarray
        ``(n_draws, n_years)`` fractions in (0, 1).
    """
    import jax

    ceiling, rate, midpoint = posterior.unit_curve(unit)
    t = np.asarray(years, dtype="float64")[None, :] + posterior.time_offset
    logit = np.asarray(_logit_adoption(t, ceiling[:, None], rate[:, None], midpoint[:, None]))
    if noise:
        eps = np.asarray(
            jax.random.normal(
                key, logit.shape, dtype=jax.numpy.float64 if jax.config.jax_enable_x64 else jax.numpy.float32
            )
        )
        logit = logit + posterior.obs_sd[:, None] * eps
    return 1.0 / (1.0 + np.exp(-logit))


def check_table(posterior: AdoptionPosterior, table: pd.DataFrame, checks, *, key) -> pd.DataFrame:
    """Where observed values fall in the posterior predictive (coverage and PIT).

    Parameters
    ----------
    posterior
        From :func:`fit_adoption`.
    table
        From :func:`load_adoption`.
    checks
        Iterable of ``(geo, year)``.
    key
        JAX PRNG key (folded with the row index).

    Returns
    -------
    pandas.DataFrame
        Columns ``geo, year, observed_pct, q05_pct, q50_pct, q95_pct, pit, in_90, held_out, context``;
        ``pit`` = P(predictive <= observed); ``held_out`` says whether the year was not fitted.
    """
    import jax

    rows = []
    obs = table.set_index(["geo", "year"])["pct_enterprises"]
    context = {c["geo"]: f"{c['figure_pct']}% ({c['label']})" for c in CONTEXT_FIGURES}
    for i, (geo, year) in enumerate(checks):
        draws = 100.0 * predictive(posterior, geo, [year], key=jax.random.fold_in(key, i))[:, 0]
        y = float(obs.loc[(geo, year)])
        q05, q50, q95 = np.quantile(draws, [0.05, 0.5, 0.95])
        rows.append(
            {
                "geo": geo,
                "year": int(year),
                "observed_pct": y,
                "q05_pct": q05,
                "q50_pct": q50,
                "q95_pct": q95,
                "pit": float(np.mean(draws <= y)),
                "in_90": bool(q05 <= y <= q95),
                "held_out": int(year) not in posterior.years,
                "context": context.get(geo, ""),
            }
        )
    return pd.DataFrame(rows)


def projection_table(
    posterior: AdoptionPosterior, units, years, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)
) -> pd.DataFrame:
    """Quantiles of the latent adoption curve (percent) for ``units`` x survey ``years``.

    ``units`` are geo codes or region names from :data:`REGION_UNITS` (``"US"`` = new unit).
    """
    rows = []
    for u in units:
        unit = REGION_UNITS.get(u, u)
        ceiling, rate, midpoint = posterior.unit_curve(unit)
        t = np.asarray(years, dtype="float64")[None, :] + posterior.time_offset
        curve = 100.0 * np.asarray(adoption_curve(t, ceiling[:, None], rate[:, None], midpoint[:, None]))
        qs = np.quantile(curve, quantiles, axis=0)
        for j, y in enumerate(years):
            rows.append(
                {
                    "unit": u,
                    "year": int(y),
                    **{f"q{int(round(q * 100)):02d}_pct": float(qs[k, j]) for k, q in enumerate(quantiles)},
                }
            )
    return pd.DataFrame(rows)


def context_table(table: pd.DataFrame) -> pd.DataFrame:
    """The fitted data for NL and the EU-27 beside the quoted official context figures (13.4% vs 8%)."""
    data = table[table["geo"].isin(["NL", EU_GEO])].pivot(index="year", columns="geo", values="pct_enterprises")
    data = data.rename(columns={"NL": "NL_pct", EU_GEO: "EU27_pct"}).reset_index()
    data["fitted"] = ~data["year"].isin(SERIES_BREAK_YEARS)
    ctx = pd.DataFrame(
        [
            {
                "year": "context (2023-ish)",
                "NL_pct": CONTEXT_FIGURES[0]["figure_pct"],
                "EU27_pct": CONTEXT_FIGURES[1]["figure_pct"],
                "fitted": False,
            }
        ]
    )
    data["year"] = data["year"].astype("str")
    return pd.concat([data, ctx], ignore_index=True)


__all__ = [
    "ADOPTION_COLUMNS",
    "AdoptionPosterior",
    "AdoptionSettings",
    "REQUIRED_PRIORS",
    "CONTEXT_FIGURES",
    "EU_GEO",
    "REGION_UNITS",
    "adoption_curve",
    "adoption_from_upstream",
    "adoption_model",
    "check_table",
    "context_table",
    "fit_adoption",
    "load_adoption",
    "load_adoption_priors",
    "predictive",
    "projection_table",
]
