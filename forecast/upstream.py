"""Read the upstream files (Epoch AI and others, as laid out in ``../shared/data``).

One reader per upstream table turns it into one or two series frames, applying the frontier
rule, the documented drops (each counted by reason in a :class:`~forecast.frames.Ledger`) and
the derived log values: the Epoch models tables (compute, spending), Cottier et al.'s training
costs (alternative spending), ImageNet and the ECI (algorithmic progress). The two hardware
readers live in :mod:`forecast.chips`. :func:`load_upstream` reads a whole data folder into
:class:`~forecast.frames.TrendFrames`.

This module must not import JAX (see :mod:`forecast.data`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from forecast.chips import read_hardware_prices, read_ml_hardware
from forecast.errors import ConfigError, DataError, did_you_mean
from forecast.frames import (
    FrontierRule,
    Ledger,
    TrendFrames,
    assemble,
    dedupe,
    drop_relisted,
    empty_work_frame,
    finish_frame,
    keep_rows,
    top_n_mask,
    work_frame,
)
from forecast.tables import (
    fail_rows,
    parse_dates,
    parse_flags,
    parse_names,
    parse_numbers,
    parse_text,
    read_table,
)
from forecast.units import decimal_year

__all__ = [
    "UPSTREAM_FILES",
    "load_upstream",
    "read_eci",
    "read_frontier_models",
    "read_imagenet",
    "read_training_costs",
]

SRC_MODELS = "Epoch AI, Data on AI Models (CC BY 4.0)"
SRC_COSTS = "Epoch AI / Cottier et al. 2024, training-cost-trends (CC BY 4.0)"
SRC_IMAGENET = "Erdil & Besiroglu 2022, arXiv:2212.05153"
SRC_ECI = "Epoch AI, Epoch Capabilities Index (CC BY 4.0)"

#: Units of the two spending series :func:`load_upstream` can produce.
UNIT_SPENDING_2023 = "log10 USD (2023)"
UNIT_SPENDING_COTTIER = "log10 USD (Cottier et al. 2024 capex+energy ~2025)"

SPENDING_CHOICES = ("frontier_table", "training_costs")

# Rows added to the ECI mirror by hand (SOURCE.md of epoch_capabilities_index); not Epoch data.
ECI_HAND_ADDED = ("claude-mythos-2026-04-07", "muse-spark-2026-04-08")

#: The upstream files by role, relative to the data folder.
UPSTREAM_FILES = {
    "models": "epoch_ai_models/frontier_ai_models.csv",
    "all_models": "epoch_ai_models/all_ml_systems_full_view_2025-06-20.csv",
    "hardware": "epoch_ml_hardware/ml_hardware.csv",
    "prices": "epoch_ml_hardware/hardware_prices_2025-06-20.csv",
    "chips": "epoch_ml_hardware/chip_dataset_grid_view_2025-06-20.csv",
    "costs": "epoch_training_costs/model_costs.csv",
    "imagenet": "cv_algorithmic_progress/imagenet.csv",
    "eci": "epoch_capabilities_index/epoch_capabilities_index.csv",
}

COL_COMPUTE = "Training compute (FLOP)"
COL_COST = "Training compute cost (2023 USD)"
COL_FLAG = "Frontier model"


def read_frontier_models(
    path: Path | str, rule: FrontierRule = FrontierRule(), *, ledger: Ledger | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Frontier-model compute and spending from an Epoch AI models table.

    Works with ``frontier_ai_models.csv``, ``notable_ai_models.csv``,
    ``large_scale_ai_models.csv`` and ``all_ml_systems_full_view_2025-06-20.csv`` as
    published. The last two have no ``Frontier model`` column, so they need
    ``FrontierRule(method="top_n")``; ``large_scale_ai_models.csv`` also has no 2023-USD cost
    column, so its spending frame is empty (counted).

    Parameters
    ----------
    path
        The CSV file.
    rule
        Frontier selection; see :class:`~forecast.frames.FrontierRule`.
    ledger
        Collects dropped-row counts (series ``compute`` and ``spending``) and file hashes.

    Returns
    -------
    compute, spending : pandas.DataFrame
        ``name, date, year, log10_value, source``; compute in log10 FLOP, spending in log10
        2023 USD (``Training compute cost (2023 USD)``; ``$``-strings are parsed).

    Raises
    ------
    DataError
        On a missing column, a malformed value, or ``epoch_flag`` with a file that has no
        ``Frontier model`` column.

    Notes
    -----
    Drop reasons, checked in this order: no publication date, no training compute (compute
    series) / no training cost (spending series), identical duplicate, re-listed version of
    the same model (:func:`~forecast.frames.drop_relisted`: ``GPT-4 (Mar 2023)`` and ``GPT-4
    (Jun 2023)``, same date and compute, count once; the listing with a training cost is kept),
    before start_year, not frontier under the rule. Under ``top_n``, a model with a cost but no compute cannot be
    ranked and is dropped from spending as "no training compute (top_n ranks by it)".
    """
    ledger = ledger if ledger is not None else Ledger()
    path = Path(path)
    tab = read_table(path, ["Model", "Publication date", COL_COMPUTE], [COL_COST, COL_FLAG], ledger.files)
    if rule.method == "epoch_flag" and COL_FLAG not in tab.header:
        raise DataError(
            f"{path}: line 1, column '{COL_FLAG}': the epoch_flag frontier rule needs Epoch's "
            f"'{COL_FLAG}' column, which this file does not have",
            fix="use the top_n rule (FrontierRule(method='top_n')) with this file, or use "
            "frontier_ai_models.csv or notable_ai_models.csv",
        )
    names = parse_names(tab, "Model")
    dates = parse_dates(tab, "Publication date")
    compute = parse_numbers(tab, COL_COMPUTE, positive=True)
    has_cost = COL_COST in tab.header
    cost = parse_numbers(tab, COL_COST, money=True, positive=True) if has_cost else None
    flag = parse_flags(tab, COL_FLAG) if rule.method == "epoch_flag" else 0.0

    other = cost if has_cost else np.nan
    w = work_frame(names, dates, {"v": compute, "flag": flag, "other": other}, tab.df["_line"])
    compute_df, ranked = _frontier_series(w, "compute", COL_COMPUTE, "no training compute", path, rule, ledger)
    if not has_cost:
        ledger.drop("spending", f"file has no '{COL_COST}' column", len(tab.df))
        empty = empty_work_frame(["log10_value"])
        return compute_df, finish_frame(empty, ["log10_value"], SRC_MODELS)
    w = work_frame(names, dates, {"v": cost, "flag": flag, "other": compute}, tab.df["_line"])
    spending_df, _ = _frontier_series(
        w, "spending", COL_COST, "no training cost (2023 USD)", path, rule, ledger, ranked
    )
    return compute_df, spending_df


def _frontier_series(
    w: pd.DataFrame,
    series: str,
    column: str,
    missing: str,
    path: Path,
    rule: FrontierRule,
    ledger: Ledger,
    ranked: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Select the frontier rows of one models-table series (value ``v``, flag ``flag``).

    Compute and spending go through the same drops in the same order. Under ``top_n`` the
    compute series is ranked by its own values; spending takes that ranking (``ranked``, the
    ``name, date, flag`` table the compute call returns) instead of ranking by cost.
    """
    w = keep_rows(w, w["date"].notna(), ledger, series, "no publication date")
    w = keep_rows(w, w["v"].notna(), ledger, series, missing)
    w = dedupe(w, {"v": column}, path, ledger, series)
    # keep the listing that also has the other value (compute or cost), so the pair survives
    w = drop_relisted(w, "v", ledger, series, prefer="other")
    w["year"] = decimal_year(w["date"])
    if rule.method == "top_n" and ranked is None:
        w["flag"] = top_n_mask(w["year"].to_numpy(), w["v"].to_numpy(), rule.top_n, rule.window_years).astype(
            np.float64
        )
    elif rule.method == "top_n":
        w = w.drop(columns="flag").merge(ranked, on=["name", "date"], how="left")
        w = keep_rows(w, w["flag"].notna(), ledger, series, "no training compute (top_n ranks by it)")
    # Taken before the start_year and frontier cuts, so that a spending row later dropped is
    # counted under the same reason as its compute row, not as unranked.
    ranking = w[["name", "date", "flag"]]
    w = keep_rows(w, w["year"] >= rule.start_year, ledger, series, "before start_year")
    w = keep_rows(w, w["flag"] > 0, ledger, series, "not frontier (rule)")
    w["log10_value"] = np.log10(w["v"].to_numpy())
    return finish_frame(w, ["log10_value"], SRC_MODELS), ranking


def read_training_costs(
    costs_path: Path | str,
    models_path: Path | str,
    *,
    rule: FrontierRule | None = None,
    ledger: Ledger | None = None,
) -> pd.DataFrame:
    """Cottier et al. (2024) training costs as an alternative spending series.

    ``model_costs.csv`` has no dates; each ``Model`` is joined to ``Model`` in Epoch's
    ``all_ml_systems_full_view_2025-06-20.csv`` for its publication date. The value is
    ``log10(Hardware_Capex_Energy_Cost)``: amortised hardware capex plus energy, inflation
    adjusted by Epoch's pipeline (probably to mid-2025 USD, see SOURCE.md; not 2023 USD).
    The pipeline already selected frontier models, so no frontier rule is applied.

    Parameters
    ----------
    costs_path
        ``model_costs.csv``.
    models_path
        An Epoch models table with ``Model`` and ``Publication date``.
    rule
        If given, only its ``start_year`` is applied.
    ledger
        Collects drops (series ``spending``) and file hashes.

    Returns
    -------
    pandas.DataFrame
        ``name, date, year, log10_value, source``.

    Raises
    ------
    DataError
        On malformed values or a model with two different publication dates.
    """
    ledger = ledger if ledger is not None else Ledger()
    ctab = read_table(costs_path, ["Model", "Hardware_Capex_Energy_Cost"], (), ledger.files)
    mtab = read_table(models_path, ["Model", "Publication date"], (), ledger.files)
    cnames = parse_names(ctab, "Model")
    cost = parse_numbers(ctab, "Hardware_Capex_Energy_Cost", positive=True)
    mnames = parse_names(mtab, "Model")
    mdates = parse_dates(mtab, "Publication date")
    date_of: dict[str, pd.Timestamp] = {}
    for i, (n, d) in enumerate(zip(mnames, mdates, strict=True)):
        if pd.isna(d):
            continue
        if n in date_of and date_of[n] != d:
            raise DataError(
                f"{mtab.path}: line {mtab.line(i)}, column 'Publication date': model {n!r} "
                f"appears again with a different date ({d.date()} vs {date_of[n].date()})",
                fix="remove the duplicate model row",
            )
        date_of[n] = d
    known = cnames.isin(set(mnames)).to_numpy()
    dates = pd.Series([date_of.get(n, pd.NaT) for n in cnames], dtype="datetime64[us]")
    w = work_frame(cnames, dates, {"v": cost}, ctab.df["_line"])
    w = keep_rows(w, known, ledger, "spending", "model not in the models table")
    w = keep_rows(w, w["date"].notna(), ledger, "spending", "no publication date in models table")
    w = keep_rows(w, w["v"].notna(), ledger, "spending", "no Hardware_Capex_Energy_Cost")
    w = dedupe(w, {"v": "Hardware_Capex_Energy_Cost"}, ctab.path, ledger, "spending")
    if rule is not None:
        keep = (decimal_year(w["date"]) >= rule.start_year) if len(w) else np.zeros(0, bool)
        w = keep_rows(w, keep, ledger, "spending", "before start_year")
    w["v"] = np.log10(w["v"].to_numpy())
    return finish_frame(w.rename(columns={"v": "log10_value"}), ["log10_value"], SRC_COSTS)


def read_imagenet(path: Path | str, *, ledger: Ledger | None = None) -> pd.DataFrame:
    """ImageNet compute and accuracy from Erdil & Besiroglu (2022), ``imagenet.csv``.

    Parameters
    ----------
    path
        The CSV file (``publication_date`` is ``M/D/YYYY`` with mixed zero-padding).
    ledger
        Collects drops (series ``imagenet``) and file hashes.

    Returns
    -------
    pandas.DataFrame
        ``name, date, year, log10_compute, performance, source``; ``performance`` is the
        logit of top-1 accuracy, ``log(acc / (1 - acc))`` with ``acc = 1 - top_1_error/100``.

    Raises
    ------
    DataError
        On a missing column or malformed value (``extra_data`` must be 0 or 1, ``top_1_error``
        strictly between 0 and 100).

    Notes
    -----
    Only ``extra_data == 0`` rows are kept, as in the paper's main estimate. Drop reasons, in
    order: no date, extra training data, no compute estimate, no top-1 error, identical
    duplicate. The same model evaluated at two test resolutions on the same date gets
    ``" [<N>px test]"`` appended to its name, so both evaluations are kept.
    """
    ledger = ledger if ledger is not None else Ledger()
    series = "imagenet"
    tab = read_table(
        path,
        ["model_name", "publication_date", "extra_data", "top_1_error", "final_compute_estimate"],
        ["input_size_test"],
        ledger.files,
    )
    names = parse_names(tab, "model_name")
    dates = parse_dates(tab, "publication_date", "%m/%d/%Y")
    extra = parse_numbers(tab, "extra_data", required=True)
    fail_rows(tab, ~np.isin(extra, [0.0, 1.0]), "extra_data", "is not 0 or 1", "write 0 or 1")
    err = parse_numbers(tab, "top_1_error")
    fail_rows(
        tab,
        ~np.isnan(err) & ((err <= 0) | (err >= 100)),
        "top_1_error",
        "is not a percentage strictly between 0 and 100",
        "write the top-1 error in percent, e.g. 23.5",
    )
    comp = parse_numbers(tab, "final_compute_estimate", positive=True)
    res = parse_numbers(tab, "input_size_test") if "input_size_test" in tab.header else np.full(len(tab.df), np.nan)
    values = {"comp": comp, "err": err, "extra": extra, "res": res}
    w = work_frame(names, dates, values, tab.df["_line"])
    w = keep_rows(w, w["date"].notna(), ledger, series, "no publication date")
    w = keep_rows(w, w["extra"] == 0, ledger, series, "extra training data (extra_data=1)")
    w = keep_rows(w, w["comp"].notna(), ledger, series, "no compute estimate")
    w = keep_rows(w, w["err"].notna(), ledger, series, "no top-1 error")

    # Same paper, same model, two test resolutions: distinct evaluations, not duplicates.
    grp = w.groupby(["name", "date"], sort=False)
    differs = (grp["comp"].transform("nunique") > 1) | (grp["err"].transform("nunique") > 1)
    two_res = grp["res"].transform("nunique") > 1
    tag = differs & two_res & w["res"].notna()
    if tag.any():
        tagged = zip(w.loc[tag, "name"], w.loc[tag, "res"], strict=True)
        w.loc[tag, "name"] = [f"{n} [{int(r)}px test]" for n, r in tagged]
    columns = {"comp": "final_compute_estimate", "err": "top_1_error"}
    w = dedupe(w, columns, Path(path), ledger, series)
    acc = 1.0 - w["err"].to_numpy() / 100.0
    w["log10_compute"] = np.log10(w["comp"].to_numpy())
    w["performance"] = np.log(acc / (1.0 - acc))
    return finish_frame(w, ["log10_compute", "performance"], SRC_IMAGENET)


def read_eci(path: Path | str, *, ledger: Ledger | None = None) -> pd.DataFrame:
    """Epoch Capabilities Index scores with training compute.

    Parameters
    ----------
    path
        ``epoch_capabilities_index.csv``.
    ledger
        Collects drops (series ``eci``) and file hashes.

    Returns
    -------
    pandas.DataFrame
        ``name, date, year, log10_compute, performance, source``; ``name`` is the ``Model
        version`` and ``performance`` the ECI score.

    Raises
    ------
    DataError
        On a missing column or malformed value.

    Notes
    -----
    Drop reasons, in order: the two rows hand-added by the mirror's author (always reported,
    even when 0), no release date, no ECI score, no training compute, identical duplicate,
    and "another version of the same model": the export lists several versions of one model
    (``Model name``; e.g. thinking budgets, hosted copies) with the same score and compute,
    which would count one model several times. The version listed first in the file is kept
    (hosted copies, listed later, can carry a release date a day off).
    """
    ledger = ledger if ledger is not None else Ledger()
    series = "eci"
    tab = read_table(
        path,
        ["Model version", "ECI Score", "Release date", COL_COMPUTE],
        ["Model name"],
        ledger.files,
    )
    names = parse_names(tab, "Model version")
    dates = parse_dates(tab, "Release date")
    score = parse_numbers(tab, "ECI Score")
    comp = parse_numbers(tab, COL_COMPUTE, positive=True)
    model = parse_text(tab, "Model name") if "Model name" in tab.header else names
    model = model.where(model != "", names)
    w = work_frame(names, dates, {"comp": comp, "score": score}, tab.df["_line"])
    w["model"] = model.to_numpy()
    hand_added = "hand-added by the mirror author (SOURCE.md)"
    w = keep_rows(w, ~w["name"].isin(ECI_HAND_ADDED), ledger, series, hand_added)
    ledger.drop(series, hand_added, 0, keep_zero=True)
    w = keep_rows(w, w["date"].notna(), ledger, series, "no release date")
    w = keep_rows(w, w["score"].notna(), ledger, series, "no ECI score")
    w = keep_rows(w, w["comp"].notna(), ledger, series, "no training compute")
    w = dedupe(w, {"comp": COL_COMPUTE, "score": "ECI Score"}, Path(path), ledger, series)
    first = ~w.duplicated(["model", "score", "comp"]).to_numpy()
    w = keep_rows(w, first, ledger, series, "another version of the same model (same score, compute)")
    w["log10_compute"] = np.log10(w["comp"].to_numpy())
    w["performance"] = w["score"]
    return finish_frame(w, ["log10_compute", "performance"], SRC_ECI)


def load_upstream(
    data_dir: Path | str,
    rule: FrontierRule = FrontierRule(),
    *,
    spending: Literal["frontier_table", "training_costs"] = "frontier_table",
    models_file: str = "frontier_ai_models.csv",
) -> TrendFrames:
    """Load every series from a directory laid out like ``../shared/data``.

    Parameters
    ----------
    data_dir
        Directory with ``epoch_ai_models/``, ``epoch_ml_hardware/``,
        ``cv_algorithmic_progress/``, ``epoch_capabilities_index/`` (and
        ``epoch_training_costs/`` for ``spending="training_costs"``).
    rule
        Frontier selection for compute and spending.
    spending
        ``"frontier_table"`` (default): ``Training compute cost (2023 USD)`` of the models
        table. ``"training_costs"``: Cottier et al.'s ``Hardware_Capex_Energy_Cost`` from
        ``epoch_training_costs/model_costs.csv`` (see :func:`read_training_costs`).
    models_file
        File in ``epoch_ai_models/`` for compute and spending. The default,
        ``frontier_ai_models.csv``, holds Epoch's frontier models only; with the ``top_n``
        rule a broader table such as ``notable_ai_models.csv`` is the meaningful choice.

    Returns
    -------
    TrendFrames

    Raises
    ------
    DataError
        If a file is missing or fails validation.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(
            f"{data_dir}: data directory not found",
            fix="pass the folder that holds epoch_ai_models/, epoch_ml_hardware/, ...",
        )
    if spending not in SPENDING_CHOICES:
        raise ConfigError(
            f"unknown spending series '{spending}'" + did_you_mean(spending, SPENDING_CHOICES),
            fix="use 'frontier_table' or 'training_costs'",
        )
    ledger = Ledger()
    f = {k: data_dir / v for k, v in UPSTREAM_FILES.items()}
    f["models"] = data_dir / "epoch_ai_models" / models_file
    compute, spend = read_frontier_models(f["models"], rule, ledger=ledger)
    if spending == "training_costs":
        ledger.dropped.pop("spending", None)
        spend = read_training_costs(f["costs"], f["all_models"], rule=rule, ledger=ledger)
    frames = {
        "compute": compute,
        "spending": spend,
        "hardware_release": read_ml_hardware(f["hardware"], ledger=ledger),
        "hardware_cloud": read_hardware_prices(f["prices"], f["chips"], ledger=ledger),
        "imagenet": read_imagenet(f["imagenet"], ledger=ledger),
        "eci": read_eci(f["eci"], ledger=ledger),
    }
    meta = {
        "kind": "upstream",
        "path": str(data_dir),
        "frontier_rule": rule.to_dict(),
        "models_file": f"epoch_ai_models/{models_file}",
        "spending_series": spending,
        "spending_unit": (UNIT_SPENDING_2023 if spending == "frontier_table" else UNIT_SPENDING_COTTIER),
    }
    return assemble(frames, ledger, meta)
