"""Load the trend data that the forecaster is fitted to: the entry points of the data layer.

Two inputs are supported, and both give the same :class:`~forecast.frames.TrendFrames`:

- the **upstream** files, laid out as in ``../shared/data`` (``epoch_ai_models/``,
  ``epoch_ml_hardware/``, ...), read by :func:`~forecast.upstream.load_upstream`;
- the **curated extract** shipped in the package (``forecast/curated/extract.csv``, built by
  ``scripts/build_extract.py``), read by :func:`~forecast.extract.load_extract`.

Every check runs before any model code starts, and every failure is a
:class:`~forecast.errors.DataError` naming the file, the 1-based line in the file, the column
and the value. Rows are dropped only where that is the documented policy (for example models
without a compute estimate), and every drop is counted by reason in
``TrendFrames.meta["dropped"]``.

The work is split by job: :mod:`forecast.tables` reads CSV files and parses cells,
:mod:`forecast.frames` holds the data classes and the frame steps every reader shares,
:mod:`forecast.upstream` and :mod:`forecast.chips` read the upstream files,
:mod:`forecast.extract` writes and reads the extract, and :mod:`forecast.validate` checks any
of them. This module adds
:func:`load_data` and :func:`truncate` and re-exports the public names, so callers import
the data layer from one place.

None of these modules may import JAX: ``forecast data validate`` has to be fast and has to
fail before any accelerator is initialised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from forecast.chips import read_hardware_prices, read_ml_hardware
from forecast.extract import (
    EXTRACT_COLUMNS,
    EXTRACT_UNITS,
    extract_table,
    load_extract,
    write_extract,
)
from forecast.frames import FrontierRule, Ledger, TrendFrames, vintage_of
from forecast.upstream import (
    load_upstream,
    read_eci,
    read_frontier_models,
    read_imagenet,
    read_training_costs,
)
from forecast.validate import path_kind, validate_path

__all__ = [
    "EXTRACT_COLUMNS",
    "EXTRACT_UNITS",
    "FrontierRule",
    "Ledger",
    "TrendFrames",
    "extract_table",
    "load_data",
    "load_extract",
    "load_upstream",
    "read_eci",
    "read_frontier_models",
    "read_hardware_prices",
    "read_imagenet",
    "read_ml_hardware",
    "read_training_costs",
    "truncate",
    "validate_path",
    "write_extract",
]


def load_data(
    path: Path | str | None = None,
    rule: FrontierRule = FrontierRule(),
    *,
    spending: Literal["frontier_table", "training_costs"] = "frontier_table",
) -> TrendFrames:
    """Load trend data from the packaged extract, an upstream folder or an extract CSV.

    Parameters
    ----------
    path
        ``None``: the packaged extract. A directory: the upstream layout
        (:func:`~forecast.upstream.load_upstream`). A ``.csv`` file: the extract format
        (:func:`~forecast.extract.load_extract`).
    rule
        Frontier selection; used for an upstream directory only (an extract was selected when
        it was built).
    spending
        Spending series for an upstream directory; see :func:`~forecast.upstream.load_upstream`.

    Returns
    -------
    TrendFrames

    Raises
    ------
    DataError
        If the path does not exist, is of another kind, or fails validation.
    """
    if path is None:
        return load_extract(None)
    path = Path(path)
    if path_kind(path) == "upstream":
        return load_upstream(path, rule, spending=spending)
    return load_extract(path)


def truncate(frames: TrendFrames, as_of: float) -> TrendFrames:
    """Keep only rows dated up to the decimal year ``as_of`` (for backtests).

    Parameters
    ----------
    frames
        Loaded data.
    as_of
        Last decimal year to keep (inclusive).

    Returns
    -------
    TrendFrames
        New frames; ``meta`` gains ``as_of`` and an ``"after as_of"`` drop count per series,
        and ``rows`` and the vintages are recomputed.
    """
    kept = {}
    dropped = {s: dict(d) for s, d in frames.meta.get("dropped", {}).items()}
    for s, df in frames.frames().items():
        keep = df["year"].to_numpy() <= as_of
        kept[s] = df.loc[keep].reset_index(drop=True)
        if (~keep).any():
            per = dropped.setdefault(s, {})
            per["after as_of"] = per.get("after as_of", 0) + int((~keep).sum())
    vintage, by = vintage_of(kept)
    meta = {
        **frames.meta,
        "as_of": float(as_of),
        "rows": {s: int(len(f)) for s, f in kept.items()},
        "dropped": dropped,
        "vintage": vintage,
        "vintage_by_series": by,
    }
    return TrendFrames(**kept, meta=meta)
