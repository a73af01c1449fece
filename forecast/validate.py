"""Validate a data folder, an extract or a single upstream CSV (``forecast data validate``).

A path is run through the same readers the forecaster uses, so validation fails exactly where
loading would, with the same message. A single upstream file is recognised by its header.

This module must not import JAX: ``forecast data validate`` has to be fast and has to fail
before any accelerator is initialised (see :mod:`forecast.data`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from forecast.chips import COL_FP32, COL_ONDEMAND, read_hardware_prices, read_ml_hardware
from forecast.errors import DataError
from forecast.extract import EXTRACT_COLUMNS, load_extract
from forecast.frames import FrontierRule, Ledger, vintage_of
from forecast.tables import list_columns, read_header
from forecast.upstream import (
    COL_COMPUTE,
    COL_COST,
    COL_FLAG,
    load_upstream,
    read_eci,
    read_frontier_models,
    read_imagenet,
    read_training_costs,
)

__all__ = ["path_kind", "validate_path"]

# Header signatures of the single files validate_path recognises. A file is taken to be the
# kind whose signature it matches best (at least two columns and half of the signature), so a
# renamed or missing column is reported by that kind's reader with a did-you-mean.
_SIGNATURES = {
    "extract": set(EXTRACT_COLUMNS),
    "models": {"Model", "Publication date", COL_COMPUTE, COL_COST, "Organization"},
    "training_costs": {"Model", "Hardware_Capex_Energy_Cost", "Cloud_Cost", "Hardware_Acquisition_Cost"},
    "hardware_prices": {"Hardware model", "Price date", COL_ONDEMAND, "Vendor", "Price source"},
    "ml_hardware": {"Hardware name", "Release date", "Release price (USD)", COL_FP32},
    "imagenet": {"model_name", "publication_date", "extra_data", "top_1_error", "final_compute_estimate"},
    "eci": {"Model version", "ECI Score", "Release date", COL_COMPUTE},
}


def path_kind(path: Path) -> Literal["upstream", "extract"]:
    """Whether ``path`` is read as an upstream data folder or as an extract CSV.

    Parameters
    ----------
    path
        A directory (upstream layout) or a ``.csv`` file. A ``.csv`` path is not checked for
        existence here; reading it reports a missing file.

    Returns
    -------
    str
        ``"upstream"`` or ``"extract"``.

    Raises
    ------
    DataError
        If ``path`` does not exist, or is neither a directory nor a ``.csv`` file.
    """
    if path.is_dir():
        return "upstream"
    if path.suffix.lower() == ".csv":
        return "extract"
    if not path.exists():
        raise DataError(f"{path}: no such file or directory", fix="check the path")
    raise DataError(
        f"{path}: not a directory or a .csv file",
        fix="pass the upstream data folder or an extract .csv",
    )


def _sibling(path: Path, pattern: str, what: str, folders: Sequence[Path] = ()) -> Path:
    """The one file matching ``pattern`` beside ``path`` (or in ``folders``, in order)."""
    for folder in (path.parent, *folders):
        hits = sorted(folder.glob(pattern))
        if len(hits) > 1:
            raise DataError(
                f"{path}: several {what} files match {pattern!r} in {folder}: {', '.join(h.name for h in hits)}",
                fix="keep one, or validate the whole data folder",
            )
        if hits:
            return hits[0]
    raise DataError(
        f"{path}: checking this file needs the {what} ({pattern}) beside it, and none was found",
        fix="put it in the same folder, or validate the whole data folder",
    )


def _recognise(header: set[str]) -> str | None:
    best, score = None, 0.0
    for kind, sig in _SIGNATURES.items():
        hit = len(sig & header)
        if hit >= 2 and hit / len(sig) >= 0.5 and hit / len(sig) > score:
            best, score = kind, hit / len(sig)
    return best


def _summary(kind: str, path: Path, rows: dict, dropped: dict, vintage, extra=None) -> dict:
    out = {
        "path": str(path),
        "kind": kind,
        "rows": rows,
        "dropped": {s: d for s, d in dropped.items() if d},
        "vintage": vintage,
    }
    out.update(extra or {})
    return out


def validate_path(path: Path | str) -> dict:
    """Validate a data folder, an extract CSV or a single upstream CSV.

    A single upstream file is recognised by its header: an Epoch models table, ``ml_hardware``
    or the chip database, the hardware price table (the chip database must sit beside it),
    ``model_costs.csv`` (an ``all_ml_systems*.csv`` must sit beside it or in
    ``../epoch_ai_models/``), ``imagenet.csv`` or the ECI export. A models table without an
    Epoch frontier flag is checked with the ``top_n`` rule.

    Parameters
    ----------
    path
        What to check.

    Returns
    -------
    dict
        ``path``, ``kind``, ``rows`` (per series), ``dropped`` (per series, by reason),
        ``vintage`` (latest date), plus ``frontier_rule`` where one applies.

    Raises
    ------
    DataError
        On the first problem found.
    """
    path = Path(path)
    if path_kind(path) == "upstream":
        m = load_upstream(path).meta
        extra = {"frontier_rule": m["frontier_rule"], "files": m["files"]}
        return _summary(m["kind"], path, m["rows"], m["dropped"], m["vintage"], extra)
    header = set(read_header(path))
    ledger = Ledger()

    def one(kind: str, frames: dict[str, pd.DataFrame], extra=None) -> dict:
        vintage, _ = vintage_of(frames)
        rows = {s: int(len(f)) for s, f in frames.items()}
        return _summary(kind, path, rows, ledger.dropped, vintage, extra)

    kind = _recognise(header)
    if kind == "extract":
        m = load_extract(path).meta
        extra = {"frontier_rule": m["frontier_rule"]}
        return _summary("extract", path, m["rows"], m["dropped"], m["vintage"], extra)
    if kind == "models":
        rule = FrontierRule() if COL_FLAG in header else FrontierRule(method="top_n")
        c, s = read_frontier_models(path, rule, ledger=ledger)
        return one("models", {"compute": c, "spending": s}, {"frontier_rule": rule.to_dict()})
    if kind == "training_costs":
        upstream_models = path.parent.parent / "epoch_ai_models"
        models = _sibling(path, "all_ml_systems*.csv", "Epoch models table", [upstream_models])
        costs = read_training_costs(path, models, ledger=ledger)
        return one("training_costs", {"spending": costs})
    if kind == "hardware_prices":
        chips = _sibling(path, "chip_dataset*.csv", "chip database")
        cloud = read_hardware_prices(path, chips, ledger=ledger)
        return one("hardware_prices", {"hardware_cloud": cloud})
    if kind == "ml_hardware":
        return one("ml_hardware", {"hardware_release": read_ml_hardware(path, ledger=ledger)})
    if kind == "imagenet":
        return one("imagenet", {"imagenet": read_imagenet(path, ledger=ledger)})
    if kind == "eci":
        return one("eci", {"eci": read_eci(path, ledger=ledger)})
    cols = sorted(header)
    raise DataError(
        f"{path}: line 1: not a recognised data file; columns found: {list_columns(cols)}",
        fix="pass an extract (columns series,name,date,value,unit,source), an upstream data "
        "folder, or one of the upstream CSVs as published",
    )
