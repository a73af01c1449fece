"""Read Epoch AI's ML hardware tables into the two FLOP-per-dollar series.

``hardware_release`` is FP32 FLOP/s per dollar of release price, from ``ml_hardware.csv`` (or
the chip database); ``hardware_cloud`` is FP32 FLOP per rented dollar, from the hardware price
table joined to the chip database. Both are counted in a :class:`~forecast.frames.Ledger` and
laid out as :class:`~forecast.frames.TrendFrames` frames. :func:`forecast.upstream.load_upstream`
calls these readers for a whole data folder.

This module must not import JAX (see :mod:`forecast.data`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.frames import Ledger, dedupe, finish_frame, keep_rows, work_frame
from forecast.tables import parse_dates, parse_names, parse_numbers, parse_text, read_table

__all__ = ["read_hardware_prices", "read_ml_hardware"]

SRC_HARDWARE = "Epoch AI, Data on Machine Learning Hardware (CC BY 4.0)"
SRC_PRICES = "Epoch AI, hardware prices and chip database (CC BY 4.0)"

COL_FP32 = "FP32 (single precision) performance (FLOP/s)"
COL_ONDEMAND = "Price per chip-hour (on-demand)"


def read_ml_hardware(path: Path | str, *, ledger: Ledger | None = None) -> pd.DataFrame:
    """Hardware price-performance at release from Epoch's ``ml_hardware.csv``.

    Also accepts the chip database (``chip_dataset_grid_view_2025-06-20.csv``), whose
    ``$``-string release prices are parsed.

    Parameters
    ----------
    path
        The CSV file.
    ledger
        Collects drops (series ``hardware_release``) and file hashes.

    Returns
    -------
    pandas.DataFrame
        ``name, date, year, log10_value, source`` with ``log10_value`` = log10(FP32 FLOP/s /
        release price in nominal USD) and ``date`` the release date.

    Raises
    ------
    DataError
        On a missing column or malformed value.

    Notes
    -----
    Drop reasons, in order: no release date, no release price, no FP32 performance, identical
    duplicate.
    """
    ledger = ledger if ledger is not None else Ledger()
    tab = read_table(path, ["Hardware name", "Release date", "Release price (USD)", COL_FP32], (), ledger.files)
    names = parse_names(tab, "Hardware name")
    dates = parse_dates(tab, "Release date")
    price = parse_numbers(tab, "Release price (USD)", money=True, positive=True)
    fp32 = parse_numbers(tab, COL_FP32, positive=True)
    series = "hardware_release"
    w = work_frame(names, dates, {"price": price, "fp32": fp32}, tab.df["_line"])
    w = keep_rows(w, w["date"].notna(), ledger, series, "no release date")
    w = keep_rows(w, w["price"].notna(), ledger, series, "no release price")
    w = keep_rows(w, w["fp32"].notna(), ledger, series, "no FP32 performance")
    w = dedupe(w, {"price": "Release price (USD)", "fp32": COL_FP32}, Path(path), ledger, series)
    w["log10_value"] = np.log10(w["fp32"].to_numpy() / w["price"].to_numpy())
    return finish_frame(w, ["log10_value"], SRC_HARDWARE)


def read_hardware_prices(
    prices_path: Path | str, chip_db_path: Path | str, *, ledger: Ledger | None = None
) -> pd.DataFrame:
    """Cloud rental price-performance from Epoch's hardware price table.

    Each price row's ``Hardware model`` is joined to ``Hardware name`` in the chip database for
    its FP32 throughput; the value is ``log10(FP32 FLOP/s * 3600 / on-demand USD per
    chip-hour)``, i.e. FP32 FLOP bought per rented dollar (nominal USD).

    Parameters
    ----------
    prices_path
        ``hardware_prices_2025-06-20.csv``.
    chip_db_path
        ``chip_dataset_grid_view_2025-06-20.csv``.
    ledger
        Collects drops (series ``hardware_cloud``) and file hashes.

    Returns
    -------
    pandas.DataFrame
        ``name, date, year, log10_value, source``; ``name`` is ``"chip @ vendor"`` and
        ``date`` the price date.

    Raises
    ------
    DataError
        On missing columns, malformed values, or a chip listed twice in the chip database
        with different FP32 values.

    Notes
    -----
    The table is a panel: one chip is often quoted several times by one vendor on one day
    (instance sizes, regions). Such quotes are combined into one observation by averaging
    their log10 values, and counted: as "identical duplicate" when the quotes agree, as
    "averaged with other quotes (same chip, vendor, date)" when they differ. Other drop
    reasons, in order: no price date, no on-demand price (purchase-price rows), chip not in
    the chip database, no FP32 performance in the chip database.
    """
    ledger = ledger if ledger is not None else Ledger()
    series = "hardware_cloud"
    ptab = read_table(prices_path, ["Hardware model", "Price date", COL_ONDEMAND], ["Vendor"], ledger.files)
    ctab = read_table(chip_db_path, ["Hardware name", COL_FP32], (), ledger.files)
    chips = parse_names(ptab, "Hardware model")
    dates = parse_dates(ptab, "Price date")
    price = parse_numbers(ptab, COL_ONDEMAND, positive=True)
    vendor = parse_text(ptab, "Vendor") if "Vendor" in ptab.header else None

    cnames = parse_names(ctab, "Hardware name")
    cfp32 = parse_numbers(ctab, COL_FP32, positive=True)
    fp32_of: dict[str, float] = {}
    line_of: dict[str, int] = {}
    used = set(chips)
    for i, (n, v) in enumerate(zip(cnames, cfp32, strict=True)):
        if n not in used:
            continue
        if n in fp32_of and not (fp32_of[n] == v or (np.isnan(fp32_of[n]) and np.isnan(v))):
            # An unpriced duplicate entry is harmless; only chips we join on must be unique.
            raise DataError(
                f"{ctab.path}: line {ctab.line(i)}, column '{COL_FP32}': chip {n!r} is listed "
                f"again (first on line {line_of[n]}) with a different value",
                fix="remove the duplicate chip row",
            )
        fp32_of.setdefault(n, v)
        line_of.setdefault(n, ctab.line(i))

    vend = (
        vendor.where(vendor != "", "unknown vendor")
        if vendor is not None
        else pd.Series(["unknown vendor"] * len(chips), dtype="str")
    )
    names = chips + " @ " + vend
    fp32 = np.array([fp32_of.get(c, np.nan) for c in chips], dtype=np.float64)
    known = chips.isin(set(fp32_of)).to_numpy()
    w = work_frame(names, dates, {"price": price, "fp32": fp32}, ptab.df["_line"])
    w["_known"] = known
    w = keep_rows(w, w["date"].notna(), ledger, series, "no price date")
    w = keep_rows(w, w["price"].notna(), ledger, series, "no on-demand price")
    w = keep_rows(w, w["_known"], ledger, series, "chip not in the chip database")
    w = keep_rows(w, w["fp32"].notna(), ledger, series, "no FP32 performance in chip DB")
    w["log10_value"] = np.log10(w["fp32"].to_numpy() * 3600.0 / w["price"].to_numpy())

    grp = w.groupby(["name", "date"], sort=False)["log10_value"]
    size = grp.transform("size").to_numpy()
    spread = (grp.transform("max") - grp.transform("min")).to_numpy()
    first = ~w.duplicated(["name", "date"]).to_numpy()
    ledger.drop(series, "identical duplicate", int(((size > 1) & (spread == 0) & ~first).sum()))
    ledger.drop(
        series,
        "averaged with other quotes (same chip, vendor, date)",
        int(((size > 1) & (spread > 0) & ~first).sum()),
    )
    w["log10_value"] = grp.transform("mean").to_numpy()
    w = w.loc[first].reset_index(drop=True)
    return finish_frame(w, ["log10_value"], SRC_PRICES)
