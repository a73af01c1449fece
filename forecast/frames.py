"""The shapes the data layer hands on, and the frame steps every reader shares.

:class:`TrendFrames` is what the model is fitted to; :class:`FrontierRule` says which models
count as frontier; :class:`Ledger` collects dropped-row counts and file hashes while the
readers run. The helpers build a reader's internal *work frame* (name, date, value columns and
the source line of each row), drop rows with a counted reason, drop identical duplicates,
and turn the result into the public frame layout. Every reader goes through them, so a drop
is counted, and a frame laid out, the same way everywhere.

This module must not import JAX (see :mod:`forecast.data`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DataError, did_you_mean
from forecast.units import decimal_year
from forecast.vocab import OBSERVED_SERIES

__all__ = [
    "FrontierRule",
    "Ledger",
    "TrendFrames",
    "RELISTED",
    "assemble",
    "dedupe",
    "drop_relisted",
    "empty_work_frame",
    "finish_frame",
    "keep_rows",
    "top_n_mask",
    "version_stem",
    "vintage_of",
    "work_frame",
]


@dataclass(frozen=True)
class FrontierRule:
    """Which models count as frontier models for the compute and spending series.

    Parameters
    ----------
    method
        ``"epoch_flag"``: Epoch's own ``Frontier model`` column is ``True`` (every row of
        ``frontier_ai_models.csv`` is). ``"top_n"``: a model is frontier if its training
        compute ranks in the top ``top_n`` among models with a compute estimate released in
        the trailing ``window_years`` up to and including its release date (ties share the
        better rank). The ranking looks at all rows of the file, including those before
        ``start_year``, so the first years after ``start_year`` are ranked fairly.
    top_n
        Rank cut-off for ``"top_n"``.
    window_years
        Length of the trailing window for ``"top_n"``, in years.
    start_year
        Rows released before this decimal year are dropped (counted as ``"before
        start_year"``).
    """

    method: Literal["epoch_flag", "top_n"] = "epoch_flag"
    top_n: int = 10
    window_years: float = 1.0
    start_year: float = 2010.0

    def __post_init__(self):
        if self.method not in ("epoch_flag", "top_n"):
            raise ConfigError(
                f"frontier rule: unknown method '{self.method}'" + did_you_mean(self.method, ["epoch_flag", "top_n"]),
                fix="use method 'epoch_flag' or 'top_n'",
            )
        if isinstance(self.top_n, bool) or not isinstance(self.top_n, int) or self.top_n < 1:
            raise ConfigError(
                f"frontier rule: top_n must be a positive integer, got {self.top_n!r}",
                fix="use e.g. top_n=10",
            )
        if not np.isfinite(self.window_years) or self.window_years <= 0:
            raise ConfigError(
                f"frontier rule: window_years must be positive, got {self.window_years!r}",
                fix="use e.g. window_years=1.0",
            )
        if not 1950 <= self.start_year <= 2100:
            raise ConfigError(
                f"frontier rule: start_year {self.start_year!r} is outside 1950-2100",
                fix="use e.g. start_year=2010",
            )

    def to_dict(self) -> dict:
        """The rule as a JSON-ready dict, with a one-sentence description.

        Returns
        -------
        dict
            ``method``, ``top_n``, ``window_years``, ``start_year`` and ``description``.
        """
        d = asdict(self)
        d["top_n"] = int(d["top_n"])
        d["window_years"] = float(d["window_years"])
        d["start_year"] = float(d["start_year"])
        if self.method == "epoch_flag":
            d["description"] = f"Epoch AI's 'Frontier model' flag; models released from {self.start_year:g} on"
        else:
            d["description"] = (
                f"top {self.top_n} by training compute among models released in the trailing "
                f"{self.window_years:g} years at release; models released from "
                f"{self.start_year:g} on"
            )
        return d

    @classmethod
    def from_dict(cls, d: dict) -> FrontierRule:
        """Inverse of :meth:`to_dict` (the description is ignored).

        Parameters
        ----------
        d
            A dict as written by :meth:`to_dict`.

        Returns
        -------
        FrontierRule
        """
        return cls(
            method=d["method"],
            top_n=int(d["top_n"]),
            window_years=float(d["window_years"]),
            start_year=float(d["start_year"]),
        )


@dataclass
class Ledger:
    """Book-keeping filled in by the readers: rows dropped by reason and files read.

    Pass one to several ``read_*`` calls to collect everything in one place;
    :func:`forecast.upstream.load_upstream` and :func:`forecast.extract.load_extract` put its
    contents into ``TrendFrames.meta``.

    Attributes
    ----------
    dropped
        ``{series: {reason: count}}``. A row is counted once, under the first reason that
        applies, in the order the reader checks them.
    files
        ``{label: sha256}`` of every file read; the label is ``parent_folder/file_name``.
    """

    dropped: dict[str, dict[str, int]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def drop(self, series: str, reason: str, n: int, keep_zero: bool = False) -> None:
        """Count ``n`` rows of ``series`` dropped for ``reason``."""
        n = int(n)
        if n or keep_zero:
            per = self.dropped.setdefault(series, {})
            per[reason] = per.get(reason, 0) + n


@dataclass(frozen=True, eq=False)
class TrendFrames:
    """Tidy trend data, one frame per series, plus provenance.

    Every frame has ``name`` (str), ``date`` (datetime64), ``year`` (decimal year,
    ``year + (day_of_year - 1) / days_in_year``) and ``source`` (str), sorted by date then
    name, with a fresh index.

    Attributes
    ----------
    compute
        Frontier models: ``log10_value`` = log10 training compute in FLOP.
    spending
        Frontier models: ``log10_value`` = log10 training cost; 2023 USD from Epoch's frontier
        table by default (see ``meta["spending_series"]``).
    hardware_release
        ML chips at release: ``log10_value`` = log10 FP32 FLOP/s per USD of release price.
    hardware_cloud
        Cloud price observations: ``log10_value`` = log10 FP32 FLOP per USD rented
        (FLOP/s * 3600 / on-demand price per chip-hour). ``name`` is ``"chip @ vendor"``.
    imagenet
        ImageNet models without extra data: ``log10_compute`` (FLOP) and ``performance`` =
        logit of top-1 accuracy, ``log(acc / (1 - acc))`` with ``acc = 1 - top1_error/100``.
    eci
        Model versions with an ECI score and a compute estimate: ``log10_compute`` and
        ``performance`` (ECI score).
    meta
        ``kind``, ``path``, ``frontier_rule``, ``spending_series``, ``rows``, ``dropped``,
        ``files`` (sha256), ``vintage`` (latest date over all series) and
        ``vintage_by_series``.
    """

    compute: pd.DataFrame
    spending: pd.DataFrame
    hardware_release: pd.DataFrame
    hardware_cloud: pd.DataFrame
    imagenet: pd.DataFrame
    eci: pd.DataFrame
    meta: dict

    def frames(self) -> dict[str, pd.DataFrame]:
        """The six frames by series name, in a fixed order."""
        return {s: getattr(self, s) for s in OBSERVED_SERIES}


# ---------------------------------------------------------------------------------------------
# Work frames: what a reader holds between parsing cells and the public layout
# ---------------------------------------------------------------------------------------------


def work_frame(names, dates, values: dict[str, np.ndarray], lines) -> pd.DataFrame:
    """A reader's internal frame: name, date, value columns and the source line of each row.

    Parameters
    ----------
    names
        Row names (str).
    dates
        Datetimes (NaT allowed), e.g. from :func:`forecast.tables.parse_dates`.
    values
        ``{column: values}``; each becomes a float64 column (a scalar is broadcast).
    lines
        The file line of each row, for messages about it later.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``date`` (``datetime64[us]``), the value columns and ``_line``.
    """
    df = pd.DataFrame(
        {
            "name": pd.Series(np.asarray(names, dtype=object), dtype="str"),
            "date": pd.Series(dates).reset_index(drop=True).dt.as_unit("us"),
        }
    )
    for c, v in values.items():
        df[c] = np.asarray(v, dtype=np.float64)
    df["_line"] = np.asarray(lines, dtype=np.int64)
    return df


def empty_work_frame(value_cols: Sequence[str]) -> pd.DataFrame:
    """A work frame with no rows and the dtypes :func:`work_frame` gives."""
    cols = {"name": pd.Series([], dtype="str"), "date": pd.Series([], dtype="datetime64[us]")}
    cols.update({c: pd.Series([], dtype=np.float64) for c in value_cols})
    cols["_line"] = pd.Series([], dtype=np.int64)
    return pd.DataFrame(cols)


def keep_rows(df: pd.DataFrame, keep, ledger: Ledger, series: str, reason: str) -> pd.DataFrame:
    """Keep the rows where ``keep`` is true and count the others as dropped for ``reason``.

    Parameters
    ----------
    df
        A work frame.
    keep
        Booleans, one per row (array or Series).
    ledger, series, reason
        Where the drop is counted: ``ledger.dropped[series][reason]``.

    Returns
    -------
    pandas.DataFrame
        The kept rows, with a fresh index.
    """
    keep = np.asarray(keep, dtype=bool)
    ledger.drop(series, reason, int((~keep).sum()))
    return df.loc[keep].reset_index(drop=True)


def _show(key: str, value) -> str:
    return f"{key} {value.date()}" if isinstance(value, pd.Timestamp) else f"{key} {value!r}"


def dedupe(
    df: pd.DataFrame,
    value_cols: dict[str, str],
    path: Path,
    ledger: Ledger,
    series: str,
    key: Sequence[str] = ("name", "date"),
) -> pd.DataFrame:
    """Drop identical duplicates of ``key`` (counted); conflicting ones are an error.

    Parameters
    ----------
    df
        A work frame.
    value_cols
        Maps each value column to the file column it came from, for the message.
    path
        The file the rows came from, for the message.
    ledger, series
        Where ``"identical duplicate"`` drops are counted.
    key
        Columns that identify an observation.

    Returns
    -------
    pandas.DataFrame
        ``df`` with the later copies of each identical duplicate removed.

    Raises
    ------
    DataError
        If two rows share ``key`` but differ in a value column; the message names both lines.
    """
    key = list(key)
    dup = df.duplicated(key, keep=False).to_numpy()
    if not dup.any():
        return df
    keep = np.ones(len(df), dtype=bool)
    for _, grp in df.loc[dup].groupby(key, sort=False):
        first = grp.index[0]
        for j in grp.index[1:]:
            for vc, col in value_cols.items():
                a, b = df.at[first, vc], df.at[j, vc]
                if not (a == b or (pd.isna(a) and pd.isna(b))):
                    what = ", ".join(_show(k, df.at[j, k]) for k in key)
                    raise DataError(
                        f"{path}: line {df.at[j, '_line']}, column '{col}': duplicate of line "
                        f"{df.at[first, '_line']} ({what}) with a different value "
                        f"({float(b)!r} vs {float(a)!r})",
                        fix="remove one of the two rows or give them different names",
                    )
            keep[df.index.get_loc(j)] = False
    return keep_rows(df, keep, ledger, series, "identical duplicate")


#: Drop reason of :func:`drop_relisted`.
RELISTED = "re-listed version of the same model (same name without version, date and value)"

# A trailing parenthesised *version* qualifier: a month and year ("(Jun 2023)", "(October
# 2024)"), a year or ISO date ("(2024)", "(2024-06)"), or a version tag ("(v2)", "(v1.5)").
# Other parenthesised parts name a different model ("GPT-2 (355M)", "MEGNet (molecule model)").
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_VERSION = re.compile(rf"\s*\((?:{_MONTH}\s+\d{{4}}|\d{{4}}(?:-\d{{2}}){{0,2}}|v\d[\w.]*)\)\s*$", re.IGNORECASE)


def version_stem(name: str) -> str:
    """A model name without a trailing parenthesised version qualifier.

    Examples
    --------
    >>> version_stem("GPT-4 (Jun 2023)"), version_stem("GPT-2 (355M)")
    ('GPT-4', 'GPT-2 (355M)')
    """
    return _VERSION.sub("", name)


def drop_relisted(
    df: pd.DataFrame, value_col: str, ledger: Ledger, series: str, prefer: str | None = None
) -> pd.DataFrame:
    """Count a model listed again under another version qualifier once (the rule is stated here).

    Epoch's tables list some models once per released version, e.g. ``GPT-4 (Mar 2023)`` and
    ``GPT-4 (Jun 2023)``, both dated 2023-03-15 with the same compute estimate: one training run,
    not two. Rows are the same model when their names are equal once a trailing version
    qualifier is removed (:func:`version_stem`) *and* their date and value are equal; distinct
    models with equal compute on another date, or with another base name, are kept. Of each such
    group one row is kept: a row that also has ``prefer`` (e.g. the training cost, so that a
    model keeps its compute-cost pair), else the first in the file. The others are counted as
    :data:`RELISTED`.

    Parameters
    ----------
    df
        A work frame with ``name``, ``date`` and ``value_col``.
    value_col
        The value that must be equal.
    ledger, series
        Where the drops are counted.
    prefer
        Optional column; rows where it is not missing are kept first.

    Returns
    -------
    pandas.DataFrame
    """
    if df.empty:
        return df
    stem = df["name"].map(version_stem)
    rank = df[prefer].isna().to_numpy(dtype=np.int64) if prefer is not None else np.zeros(len(df), np.int64)
    order = np.lexsort((np.arange(len(df)), rank))  # preferred rows first, then file order
    key = pd.DataFrame({"stem": stem, "date": df["date"], "v": df[value_col]}).iloc[order]
    keep = np.ones(len(df), dtype=bool)
    keep[order[key.duplicated().to_numpy()]] = False
    return keep_rows(df, keep, ledger, series, RELISTED)


def finish_frame(df: pd.DataFrame, value_cols: Sequence[str], source: str | None) -> pd.DataFrame:
    """The public frame layout: name, date, year, values, source; sorted by date then name.

    Parameters
    ----------
    df
        A work frame.
    value_cols
        The value columns to keep, in order.
    source
        The source text for every row, or None to take ``df["source"]``.

    Returns
    -------
    pandas.DataFrame
        As described in :class:`TrendFrames`.
    """
    df = df.sort_values(["date", "name"], kind="mergesort").reset_index(drop=True)
    out = pd.DataFrame(
        {
            "name": df["name"].astype("str"),
            "date": df["date"].dt.as_unit("us"),
            "year": decimal_year(df["date"]) if len(df) else np.zeros(0),
        }
    )
    for c in value_cols:
        out[c] = df[c].to_numpy(dtype=np.float64)
    if source is None:
        out["source"] = df["source"].astype("str")
    else:
        out["source"] = pd.Series([source] * len(df), dtype="str")
    out["year"] = out["year"].astype(np.float64)
    return out


def top_n_mask(year: np.ndarray, compute: np.ndarray, n: int, window: float) -> np.ndarray:
    """True where a model ranks in the top ``n`` by compute among models released in the
    trailing ``window`` years up to and including its own release (ties share the better rank).

    Parameters
    ----------
    year, compute
        Decimal release year and training compute of every ranked model.
    n
        Rank cut-off.
    window
        Trailing window in years.

    Returns
    -------
    numpy.ndarray
        Booleans, one per model.
    """
    y_other, y_self = year[None, :], year[:, None]
    in_window = (y_other <= y_self) & (y_other > y_self - window)
    bigger = compute[None, :] > compute[:, None]
    rank = 1 + (in_window & bigger).sum(axis=1)
    return rank <= n


# ---------------------------------------------------------------------------------------------
# Assembling TrendFrames
# ---------------------------------------------------------------------------------------------


def vintage_of(frames: dict[str, pd.DataFrame]) -> tuple[str | None, dict[str, str | None]]:
    """The latest date over all frames and per frame, as ``YYYY-MM-DD`` (None if empty).

    Parameters
    ----------
    frames
        ``{series: frame}`` in the public layout.

    Returns
    -------
    vintage : str or None
    by_series : dict
    """
    by = {s: (str(f["date"].max().date()) if len(f) else None) for s, f in frames.items()}
    dates = [d for d in by.values() if d is not None]
    return (max(dates) if dates else None), by


def assemble(frames: dict[str, pd.DataFrame], ledger: Ledger, meta: dict) -> TrendFrames:
    """Wrap the six frames with ``meta`` plus rows, drops, files and vintages.

    Parameters
    ----------
    frames
        ``{series: frame}`` for every series of :data:`forecast.vocab.OBSERVED_SERIES`.
    ledger
        What the readers dropped and read.
    meta
        Loader-specific entries (``kind``, ``path``, ``frontier_rule``, ...).

    Returns
    -------
    TrendFrames
    """
    vintage, by = vintage_of(frames)
    meta = {
        **meta,
        "rows": {s: int(len(f)) for s, f in frames.items()},
        "dropped": {s: dict(ledger.dropped.get(s, {})) for s in OBSERVED_SERIES},
        "files": dict(ledger.files),
        "vintage": vintage,
        "vintage_by_series": by,
    }
    return TrendFrames(**frames, meta=meta)
