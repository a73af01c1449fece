"""The curated extract: the fitted series in one long CSV, shipped in the package.

``forecast/curated/extract.csv`` is written by ``scripts/build_extract.py`` through
:func:`write_extract` from what :func:`forecast.upstream.load_upstream` gives, so it holds the
frontier selection, drops and derived log values already applied; :func:`load_extract` reads it
back to equal frames. Each value is written as the shortest repr that round-trips the float, so
the round trip is exact.

This module must not import JAX (see :mod:`forecast.data`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import DataError, did_you_mean
from forecast.frames import Ledger, TrendFrames, assemble, dedupe, finish_frame, work_frame
from forecast.resources import data_path
from forecast.tables import parse_dates, parse_names, parse_numbers, parse_text, read_table
from forecast.upstream import UNIT_SPENDING_2023, UNIT_SPENDING_COTTIER
from forecast.vocab import OBSERVED_SERIES

__all__ = ["EXTRACT_COLUMNS", "EXTRACT_UNITS", "extract_table", "load_extract", "write_extract"]

#: Columns of the curated extract, in order.
EXTRACT_COLUMNS = ("series", "name", "date", "value", "unit", "source")

#: Allowed units for each extract series (the first one is what load_upstream produces by
#: default). ``spending`` has two because the Cottier et al. series is an alternative.
EXTRACT_UNITS: dict[str, tuple[str, ...]] = {
    "compute": ("log10 FLOP",),
    "spending": (UNIT_SPENDING_2023, UNIT_SPENDING_COTTIER),
    "hardware_release": ("log10 FLOP/s per USD (FP32 at release price)",),
    "hardware_cloud": ("log10 FLOP per USD (FP32 on-demand cloud)",),
    "imagenet_log10_compute": ("log10 FLOP",),
    "imagenet_performance": ("logit top-1 accuracy",),
    "eci_log10_compute": ("log10 FLOP",),
    "eci_performance": ("ECI score",),
}

_UNIT = {s: u[0] for s, u in EXTRACT_UNITS.items()}
# The algorithmic series hold two values per model, so the extract has two series for each.
_PAIRED = {
    "imagenet": ("imagenet_log10_compute", "imagenet_performance"),
    "eci": ("eci_log10_compute", "eci_performance"),
}


def extract_table(frames: TrendFrames) -> pd.DataFrame:
    """The long-format extract of ``frames`` (columns :data:`EXTRACT_COLUMNS`).

    Parameters
    ----------
    frames
        As returned by :func:`forecast.upstream.load_upstream`.

    Returns
    -------
    pandas.DataFrame
        One row per value; the algorithmic series (ImageNet, ECI) give two rows per model,
        ``*_log10_compute`` and ``*_performance``, keyed by name and date. ``value`` is a
        string holding the shortest repr that round-trips the float exactly.
    """
    parts = []

    def part(series: str, df: pd.DataFrame, col: str, unit: str) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "series": series,
                    "name": df["name"],
                    "date": df["date"].dt.strftime("%Y-%m-%d"),
                    "value": [repr(float(v)) for v in df[col]],
                    "unit": unit,
                    "source": df["source"],
                }
            )
        )

    spending_unit = frames.meta.get("spending_unit", UNIT_SPENDING_2023)
    part("compute", frames.compute, "log10_value", _UNIT["compute"])
    part("spending", frames.spending, "log10_value", spending_unit)
    part("hardware_release", frames.hardware_release, "log10_value", _UNIT["hardware_release"])
    part("hardware_cloud", frames.hardware_cloud, "log10_value", _UNIT["hardware_cloud"])
    for s, (sc, sp) in _PAIRED.items():
        df = getattr(frames, s)
        part(sc, df, "log10_compute", _UNIT[sc])
        part(sp, df, "performance", _UNIT[sp])
    out = pd.concat(parts, ignore_index=True)
    return out.astype("str")


def write_extract(frames: TrendFrames, path: Path | str) -> Path:
    """Write the long-format extract of ``frames`` to ``path`` (UTF-8, LF line ends).

    Parameters
    ----------
    frames
        As returned by :func:`forecast.upstream.load_upstream`.
    path
        Output CSV path; parent folders are created.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    extract_table(frames).to_csv(path, index=False, lineterminator="\n")
    return path


def _packaged_extract() -> Path:
    return data_path("extract.csv")


def _build_meta(path: Path) -> dict | None:
    """Machine-readable build metadata from the ATTRIBUTION.md beside an extract, if any."""
    attribution = path.parent / "ATTRIBUTION.md"
    if not attribution.is_file():
        return None
    m = re.search(r"```json\n(.*?)\n```", attribution.read_text(encoding="utf-8"), re.S)
    if not m:
        return None
    try:
        return json.loads(m.group(1))
    except json.JSONDecodeError:
        return None


def load_extract(path: Path | str | None = None) -> TrendFrames:
    """Load the curated long-format extract.

    Parameters
    ----------
    path
        An extract CSV; ``None`` reads the one shipped in the package
        (``forecast/curated/extract.csv``).

    Returns
    -------
    TrendFrames
        Equal to what :func:`forecast.upstream.load_upstream` gave when the extract was built.
        ``meta`` has the build metadata (``frontier_rule`` and more) when an
        ``ATTRIBUTION.md`` written by ``scripts/build_extract.py`` sits beside the file, else
        ``frontier_rule`` is None.

    Raises
    ------
    DataError
        On a missing column, unknown series, wrong unit, malformed value, conflicting
        duplicate, or an algorithmic-series row without its partner.
    """
    path = _packaged_extract() if path is None else Path(path)
    ledger = Ledger()
    tab = read_table(path, list(EXTRACT_COLUMNS), (), ledger.files)
    series = parse_text(tab, "series")
    known = series.isin(list(EXTRACT_UNITS)).to_numpy()
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise DataError(
            f"{path}: line {tab.line(i)}, column 'series': unknown series "
            f"{series.iat[i]!r}{did_you_mean(series.iat[i], EXTRACT_UNITS)}",
            fix=f"use one of {', '.join(EXTRACT_UNITS)}",
        )
    unit = parse_text(tab, "unit")
    for i, (s, u) in enumerate(zip(series, unit, strict=True)):
        if u not in EXTRACT_UNITS[s]:
            raise DataError(
                f"{path}: line {tab.line(i)}, column 'unit': unit {u!r} is wrong for series "
                f"'{s}'{did_you_mean(u, EXTRACT_UNITS[s])}",
                fix=f"use {' or '.join(repr(x) for x in EXTRACT_UNITS[s])}",
            )
    spending_units = set(unit[series == "spending"])
    if len(spending_units) > 1:
        i = int(np.flatnonzero((series == "spending").to_numpy())[-1])
        raise DataError(
            f"{path}: line {tab.line(i)}, column 'unit': spending rows mix units {sorted(spending_units)}",
            fix="build the extract from one spending series",
        )
    names = parse_names(tab, "name")
    dates = parse_dates(tab, "date", required=True)
    value = parse_numbers(tab, "value", required=True)
    source = parse_names(tab, "source")
    w = work_frame(names, dates, {"value": value}, tab.df["_line"])
    w["series"] = series.to_numpy()
    w["source"] = source.to_numpy()

    frames: dict[str, pd.DataFrame] = {}
    for s in ("compute", "spending", "hardware_release", "hardware_cloud"):
        part = w.loc[w["series"] == s].reset_index(drop=True)
        part = dedupe(part, {"value": "value"}, path, ledger, s)
        part = part.rename(columns={"value": "log10_value"})
        frames[s] = finish_frame(part, ["log10_value"], None)
    for s, (sc, sp) in _PAIRED.items():
        a = w.loc[w["series"] == sc].reset_index(drop=True)
        b = w.loc[w["series"] == sp].reset_index(drop=True)
        a = dedupe(a, {"value": "value"}, path, ledger, s)
        b = dedupe(b, {"value": "value"}, path, ledger, s)
        m = a.merge(b, on=["name", "date"], how="outer", suffixes=("_c", "_p"), indicator=True)
        lonely = m.loc[m["_merge"] != "both"]
        if len(lonely):
            first_line = lonely["_line_c"].fillna(lonely["_line_p"])
            r = lonely.loc[first_line.idxmin()]
            have, want = (sc, sp) if r["_merge"] == "left_only" else (sp, sc)
            line = r["_line_c"] if r["_merge"] == "left_only" else r["_line_p"]
            raise DataError(
                f"{path}: line {int(line)}, column 'series': {have} row for {r['name']!r} "
                f"({r['date'].date()}) has no matching {want} row",
                fix=f"add the {want} row with the same name and date, or remove this one",
            )
        m = m.rename(columns={"value_c": "log10_compute", "value_p": "performance", "source_c": "source"})
        frames[s] = finish_frame(m, ["log10_compute", "performance"], None)

    build = _build_meta(path)
    spending_unit = next(iter(spending_units), UNIT_SPENDING_2023)
    meta = {
        "kind": "extract",
        "path": str(path),
        "frontier_rule": (build or {}).get("frontier_rule"),
        "spending_series": ("frontier_table" if spending_unit == UNIT_SPENDING_2023 else "training_costs"),
        "spending_unit": spending_unit,
        "build": build,
    }
    return assemble({s: frames[s] for s in OBSERVED_SERIES}, ledger, meta)
