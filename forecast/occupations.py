"""The occupational structure: SOC major groups, their employment, wages and task types.

``forecast/curated/occupations.csv`` (22 SOC 2018 major groups, built by
``scripts/build_occupations.py`` from BLS OEWS May 2021 and the GPTs-are-GPTs labels) is the one
table of group employment and wages; the automation layer weights its groups by it and the labour
layer takes wage-bill and wage-tier weights from it. Only US (BLS) weights exist offline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.resources import data_path

WAGE_TIERS = ("low", "middle", "high")
WAGE_COLUMNS = ("a_mean_wage", "h_mean_wage", "emp_share_low_wage", "emp_share_middle_wage", "emp_share_high_wage")
HOURS_PER_YEAR = 2080.0  # BLS convention for annualising hourly means

DEFAULT_OCCUPATIONS = data_path("occupations.csv")

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
# Wages per SOC major group (for scripts/build_occupations.py)
# --------------------------------------------------------------------------------------------


def _number(series: pd.Series) -> pd.Series:
    """OEWS strings ("1,234", "*", "#") to floats; "*" (not available) -> NaN, "#" (top-coded) -> NaN."""
    return pd.to_numeric(series.astype("str").str.replace(",", "", regex=False).str.strip(), errors="coerce")


def occupation_wages_from_upstream(upstream_dir: Path) -> pd.DataFrame:
    """Mean wages and wage-tier employment shares per SOC major group from BLS OEWS May 2021.

    ``a_mean_wage``/``h_mean_wage`` are the major-group rows' ``A_MEAN``/``H_MEAN``. Tiers:
    detailed occupations sorted by ``A_MEAN`` (``H_MEAN * 2080`` where only an hourly mean is
    published) and cut at one and two thirds of cumulative detailed employment; an occupation
    straddling a cut is split pro rata, so each tier holds exactly a third of employment.

    Parameters
    ----------
    upstream_dir
        Directory holding ``national_May2021_dl.csv`` as published.

    Returns
    -------
    pandas.DataFrame
        ``group`` plus :data:`WAGE_COLUMNS`; attrs ``tier_cuts_usd`` (the two cut wages).
    """
    path = Path(upstream_dir) / "national_May2021_dl.csv"
    if not path.is_file():
        raise DataError(f"{path}: upstream file not found", "pass the GPTs-are-GPTs data directory")
    oews = pd.read_csv(path, encoding="utf-8-sig", dtype="str")
    for col in ("OCC_CODE", "O_GROUP", "TOT_EMP", "H_MEAN", "A_MEAN"):
        if col not in oews.columns:
            raise DataError(f"{path}: column '{col}' missing", "use the file as published upstream")
    major = oews[oews["O_GROUP"] == "major"].assign(group=lambda d: d["OCC_CODE"].str[:2]).set_index("group")
    det = oews[oews["O_GROUP"] == "detailed"].copy()
    det["emp"] = _number(det["TOT_EMP"])
    det["wage"] = _number(det["A_MEAN"]).fillna(_number(det["H_MEAN"]) * HOURS_PER_YEAR)
    det = det[det["emp"].notna() & det["wage"].notna()].sort_values(["wage", "OCC_CODE"])
    det["group"] = det["OCC_CODE"].str[:2]
    cum = det["emp"].cumsum().to_numpy() / det["emp"].sum()
    lo = np.concatenate([[0.0], cum[:-1]])
    edges = np.array([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0])
    share = (
        np.stack(
            [np.clip(np.minimum(cum, edges[k + 1]) - np.maximum(lo, edges[k]), 0.0, None) for k in range(3)], axis=1
        )
        / (cum - lo)[:, None]
    )
    tiers = pd.DataFrame(share * det["emp"].to_numpy()[:, None], columns=list(WAGE_TIERS), index=det["group"])
    by_group = tiers.groupby(level=0).sum()
    by_group = by_group.div(by_group.sum(axis=1), axis=0)
    cuts = [float(det["wage"].to_numpy()[np.searchsorted(cum, c)]) for c in (1.0 / 3.0, 2.0 / 3.0)]
    out = (
        pd.DataFrame(
            {
                "group": major.index,
                "a_mean_wage": _number(major["A_MEAN"]).to_numpy(),
                "h_mean_wage": _number(major["H_MEAN"]).to_numpy(),
                **{f"emp_share_{t}_wage": by_group[t].reindex(major.index).to_numpy() for t in WAGE_TIERS},
            }
        )
        .sort_values("group")
        .reset_index(drop=True)
    )
    if out.isna().any().any():
        bad = out[out.isna().any(axis=1)]["group"].iloc[0]
        raise DataError(f"{path}: no wage data for SOC major group {bad}", "check the upstream file")
    out.attrs["tier_cuts_usd"] = cuts
    return out


def occupation_weights(occupations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Employment weights ``(G,)``, wage-bill weights ``(G,)`` and tier weights ``(G, 3)``.

    Tier weights are normalised per tier (columns sum to one), so ``R @ tier`` is each tier's
    employment-weighted mean realised share.

    Raises
    ------
    DataError
        The table lacks the wage columns (rebuild it with ``scripts/build_occupations.py``).
    """
    missing = [c for c in WAGE_COLUMNS if c not in occupations.columns]
    if missing:
        raise DataError(f"occupations: column '{missing[0]}' missing", "rebuild with scripts/build_occupations.py")
    emp = occupations["employment"].to_numpy(dtype="float64", copy=True)
    wage = occupations["a_mean_wage"].to_numpy(dtype="float64", copy=True)
    if not (np.all(wage > 0) and np.all(np.isfinite(wage))):
        raise DataError(
            "occupations: non-positive or missing 'a_mean_wage'", "rebuild with scripts/build_occupations.py"
        )
    tiers = occupations[[f"emp_share_{t}_wage" for t in WAGE_TIERS]].to_numpy(dtype="float64", copy=True)
    tier_emp = tiers * emp[:, None]
    return emp / emp.sum(), emp * wage / (emp * wage).sum(), tier_emp / tier_emp.sum(axis=0, keepdims=True)


__all__ = [
    "OCCUPATION_COLUMNS",
    "PHYSICAL_MAJOR_GROUPS",
    "TASK_TYPES",
    "TASK_TYPE_BY_GROUP",
    "WAGE_COLUMNS",
    "WAGE_TIERS",
    "load_occupations",
    "occupation_wages_from_upstream",
    "occupation_weights",
    "occupations_from_upstream",
]
