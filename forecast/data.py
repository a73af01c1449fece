"""Load, validate and tidy the trend data that the forecaster is fitted to.

Two inputs are supported, and both give the same :class:`TrendFrames`:

- the **upstream** files, laid out as in ``../shared/data`` (``epoch_ai_models/``,
  ``epoch_ml_hardware/``, ...), read by :func:`load_upstream`;
- the **curated extract** shipped in the package (``forecast/data/extract.csv``, built by
  ``scripts/build_extract.py``), read by :func:`load_extract`.

Every check runs here, before any model code starts, and every failure is a
:class:`~forecast.errors.DataError` naming the file, the 1-based line in the file (the header
is line 1; records with multi-line quoted fields are mapped to the line they start on), the
column and the value. Rows are dropped only where that is the documented policy (for
example models without a compute estimate), and every drop is counted by reason in
``TrendFrames.meta["dropped"]``.

This module must not import JAX: ``forecast data validate`` has to be fast and has to fail
before any accelerator is initialised.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DataError, did_you_mean

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

# ---------------------------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------------------------

SRC_MODELS = "Epoch AI, Data on AI Models (CC BY 4.0)"
SRC_HARDWARE = "Epoch AI, Data on Machine Learning Hardware (CC BY 4.0)"
SRC_PRICES = "Epoch AI, hardware prices and chip database (CC BY 4.0)"
SRC_COSTS = "Epoch AI / Cottier et al. 2024, training-cost-trends (CC BY 4.0)"
SRC_IMAGENET = "Erdil & Besiroglu 2022, arXiv:2212.05153"
SRC_ECI = "Epoch AI, Epoch Capabilities Index (CC BY 4.0)"

#: Columns of the curated extract, in order.
EXTRACT_COLUMNS = ("series", "name", "date", "value", "unit", "source")

UNIT_SPENDING_2023 = "log10 USD (2023)"
UNIT_SPENDING_COTTIER = "log10 USD (Cottier et al. 2024 capex+energy ~2025)"

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

SERIES = ("compute", "spending", "hardware_release", "hardware_cloud", "imagenet", "eci")

SPENDING_CHOICES = ("frontier_table", "training_costs")

# Rows added to the ECI mirror by hand (SOURCE.md of epoch_capabilities_index); not Epoch data.
ECI_HAND_ADDED = ("claude-mythos-2026-04-07", "muse-spark-2026-04-08")

EARLIEST_DATE = pd.Timestamp("1950-01-01")

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
COL_FP32 = "FP32 (single precision) performance (FLOP/s)"
COL_ONDEMAND = "Price per chip-hour (on-demand)"

_FIX_NUMBER = "write a plain number such as 1000 or 1.2e+24, or leave the cell empty if unknown"


# ---------------------------------------------------------------------------------------------
# Public data classes
# ---------------------------------------------------------------------------------------------


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
                f"frontier rule: unknown method '{self.method}'"
                + did_you_mean(self.method, ["epoch_flag", "top_n"]),
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
            d["description"] = (
                f"Epoch AI's 'Frontier model' flag; models released from {self.start_year:g} on"
            )
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
    :func:`load_upstream` and :func:`load_extract` put its contents into
    ``TrendFrames.meta``.

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
        return {s: getattr(self, s) for s in SERIES}


# ---------------------------------------------------------------------------------------------
# CSV reading with true line numbers
# ---------------------------------------------------------------------------------------------


@dataclass
class _Table:
    path: Path
    header: list[str]
    df: pd.DataFrame  # requested columns as str, plus "_line" (1-based start line of record)

    def line(self, i: int) -> int:
        return int(self.df["_line"].iat[i])


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _list_columns(cols: Sequence[str], limit: int = 25) -> str:
    shown = ", ".join(f"'{c}'" for c in cols[:limit])
    return shown + (f", ... (+{len(cols) - limit} more)" if len(cols) > limit else "")


def _decode(path: Path, raw: bytes) -> str:
    try:
        # utf-8-sig: Airtable exports start with a BOM; strip it so the first column matches.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(
            f"{path}: line {line}: byte {raw[e.start:e.start + 1]!r} at offset {e.start} is not "
            "valid UTF-8",
            fix="save the file as UTF-8",
        ) from None


def _normalise_newlines(text: str) -> str:
    """Make bare CRs harmless: a file with only CR line ends gets LF ones; a stray CR inside a
    line (the chip database has one in a chip name) becomes a space.

    The csv module would otherwise end the record at the stray CR and split one row in two;
    editors and ``wc -l`` do not count it as a line break either, so line numbers still agree.
    """
    if "\r" not in text:
        return text
    if "\n" not in text:
        return text.replace("\r", "\n")
    return re.sub(r"\r(?!\n)", " ", text)


def _records(path: Path, text: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, records and the line each record starts on (multi-line fields counted)."""
    # newline="" keeps CR/LF inside quoted fields intact and lets csv handle CRLF itself.
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    prev = 0
    try:
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if header is None:
                header = [h.strip() for h in rec]
                continue
            if not rec or all(not v.strip() for v in rec):
                continue  # blank line: not a record
            if len(rec) > len(header):
                raise DataError(
                    f"{path}: line {start}: record has {len(rec)} fields but the header has "
                    f"{len(header)} (first extra value {rec[len(header)]!r})",
                    fix="quote fields that contain commas, or remove the extra values",
                )
            rows.append(rec)
            lines.append(start)
    except csv.Error as e:
        raise DataError(
            f"{path}: line {reader.line_num}: malformed CSV ({e})",
            fix="check the quoting on that line",
        ) from None
    return header or [], rows, lines


def _read_table(
    path: Path | str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    ledger: Ledger | None = None,
) -> _Table:
    """Read a CSV, check its columns, return the wanted columns as strings with line numbers."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"{path}: file not found",
            fix="check the path; upstream files live in ../shared/data/<name>/",
        )
    raw = path.read_bytes()
    if ledger is not None:
        ledger.files[_label(path)] = hashlib.sha256(raw).hexdigest()
    text = _normalise_newlines(_decode(path, raw))
    if not text.strip():
        raise DataError(
            f"{path}: line 1, column '{required[0]}': file is empty; expected a header with "
            f"columns {_list_columns(list(required))}",
            fix="regenerate or re-download the file",
        )
    header, rows, lines = _records(path, text)
    seen: set[str] = set()
    for h in header:
        if h in seen and h in (*required, *optional):
            raise DataError(
                f"{path}: line 1, column '{h}': the column appears twice in the header",
                fix="rename or remove one of the two columns",
            )
        seen.add(h)
    for col in required:
        if col not in header:
            raise DataError(
                f"{path}: line 1, column '{col}': required column not found"
                f"{did_you_mean(col, header)}; columns found: {_list_columns(header)}",
                fix=f"rename the column to '{col}' or use the file as published",
            )
    if not rows:
        raise DataError(
            f"{path}: line 2, column '{required[0]}': no data rows after the header "
            f"(columns: {_list_columns(header)})",
            fix="the file holds a header only; regenerate or re-download it",
        )
    data: dict[str, list[str]] = {}
    for col in (*required, *optional):
        if col in header:
            j = header.index(col)
            # Short records (an Airtable export can end a row early) mean empty trailing cells.
            data[col] = [r[j] if j < len(r) else "" for r in rows]
    df = pd.DataFrame({c: pd.Series(v, dtype="str") for c, v in data.items()})
    df["_line"] = np.asarray(lines, dtype=np.int64)
    return _Table(path=path, header=header, df=df)


def _fail(tab: _Table, mask: np.ndarray, col: str, what: str, fix: str) -> None:
    """Raise a DataError for the first row in ``mask``, mentioning how many others share it."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return
    i = int(idx[0])
    value = tab.df[col].iat[i]
    shown = "the cell" if not str(value).strip() else f"value {value!r}"
    more = f" (and {idx.size - 1} more rows like it)" if idx.size > 1 else ""
    raise DataError(
        f"{tab.path}: line {tab.line(i)}, column '{col}': {shown} {what}{more}", fix=fix
    )


def _strip(tab: _Table, col: str) -> pd.Series:
    return tab.df[col].str.strip()


def _numbers(
    tab: _Table,
    col: str,
    *,
    money: bool = False,
    positive: bool = False,
    required: bool = False,
) -> np.ndarray:
    """Parse a numeric column: empty cells -> NaN; anything else must be a finite number.

    ``money`` accepts the documented ``$1,234.00`` strings of some Epoch exports; elsewhere a
    thousands separator is an error, since ``1,000`` could equally be a decimal comma.
    """
    s = _strip(tab, col)
    missing = (s == "").to_numpy()
    if required:
        _fail(tab, missing, col, "is empty", "fill in the value")
    t = s.str.replace(r"^\$\s*", "", regex=True).str.replace(",", "", regex=False) if money else s
    num = pd.to_numeric(t, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    fix = "write a plain number such as 1000 or 1.2e+24" if required else _FIX_NUMBER
    fix += " ($ signs and thousands separators are accepted)" if money else ""
    _fail(tab, ~missing & np.isnan(num), col, "is not a number", fix)
    _fail(tab, np.isinf(num), col, "is not a finite number", fix)
    if positive:
        _fail(
            tab,
            ~missing & (num <= 0),
            col,
            "must be positive (its logarithm is taken)",
            "correct the value, or leave the cell empty if unknown",
        )
    return num


def _dates(
    tab: _Table, col: str, fmt: str = "%Y-%m-%d", *, required: bool = False
) -> pd.Series:
    """Parse a date column (empty -> NaT); reject unparseable, pre-1950 and future dates."""
    s = _strip(tab, col)
    missing = (s == "").to_numpy()
    if required:
        _fail(tab, missing, col, "is empty", "fill in the date")
    shown = "M/D/YYYY" if fmt == "%m/%d/%Y" else "YYYY-MM-DD"
    d = pd.to_datetime(s.mask(s == ""), format=fmt, errors="coerce").dt.as_unit("us")
    nat = d.isna().to_numpy()
    _fail(
        tab,
        ~missing & nat,
        col,
        f"is not a valid date (expected {shown})",
        f"write a real calendar date as {shown}",
    )
    today = pd.Timestamp.today().normalize()
    _fail(
        tab,
        ~nat & (d > today).to_numpy(),
        col,
        f"is in the future (after {today.date()})",
        "correct the date; future releases cannot be observations",
    )
    _fail(
        tab,
        ~nat & (d < EARLIEST_DATE).to_numpy(),
        col,
        "is before 1950",
        "correct the date; the data starts in 1950",
    )
    return d


def _names(tab: _Table, col: str) -> pd.Series:
    s = _strip(tab, col)
    _fail(tab, (s == "").to_numpy(), col, "is empty", "give every row a name")
    return s


def _flags(tab: _Table, col: str) -> np.ndarray:
    s = _strip(tab, col).str.lower()
    true = s.isin(["true", "1", "yes", "checked"]).to_numpy()
    false = s.isin(["", "false", "0", "no"]).to_numpy()
    _fail(tab, ~(true | false), col, "is not True or empty", "write True or leave the cell empty")
    return true


# ---------------------------------------------------------------------------------------------
# Frame helpers
# ---------------------------------------------------------------------------------------------


def _decimal_year(dates: pd.Series) -> np.ndarray:
    days = np.where(dates.dt.is_leap_year.to_numpy(), 366.0, 365.0)
    return (
        dates.dt.year.to_numpy(dtype=np.float64)
        + (dates.dt.day_of_year.to_numpy(dtype=np.float64) - 1.0) / days
    )


def _empty_work(value_cols: Sequence[str]) -> pd.DataFrame:
    cols = {"name": pd.Series([], dtype="str"), "date": pd.Series([], dtype="datetime64[us]")}
    cols.update({c: pd.Series([], dtype=np.float64) for c in value_cols})
    cols["_line"] = pd.Series([], dtype=np.int64)
    return pd.DataFrame(cols)


def _work(names, dates, values: dict[str, np.ndarray], lines) -> pd.DataFrame:
    """An internal frame: name, date, value columns and the source line of each row."""
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


def _keep(df: pd.DataFrame, keep: np.ndarray, ledger: Ledger, series: str, reason: str):
    keep = np.asarray(keep, dtype=bool)
    ledger.drop(series, reason, int((~keep).sum()))
    return df.loc[keep].reset_index(drop=True)


def _show(key: str, value) -> str:
    return f"{key} {value.date()}" if isinstance(value, pd.Timestamp) else f"{key} {value!r}"


def _dedupe(
    df: pd.DataFrame,
    value_cols: dict[str, str],
    path: Path,
    ledger: Ledger,
    series: str,
    key: Sequence[str] = ("name", "date"),
) -> pd.DataFrame:
    """Drop identical duplicates of ``key`` (counted); conflicting ones are an error.

    ``value_cols`` maps each value column to the file column it came from, for the message.
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
    return _keep(df, keep, ledger, series, "identical duplicate")


def _finish(df: pd.DataFrame, value_cols: Sequence[str], source: str | None) -> pd.DataFrame:
    """Public frame layout: name, date, year, values, source; sorted by date then name.

    ``source`` is the source text for every row, or None to take ``df["source"]``.
    """
    df = df.sort_values(["date", "name"], kind="mergesort").reset_index(drop=True)
    out = pd.DataFrame(
        {
            "name": df["name"].astype("str"),
            "date": df["date"].dt.as_unit("us"),
            "year": _decimal_year(df["date"]) if len(df) else np.zeros(0),
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


def _top_n(year: np.ndarray, compute: np.ndarray, n: int, window: float) -> np.ndarray:
    """True where a model ranks in the top ``n`` by compute among models released in the
    trailing ``window`` years up to and including its own release."""
    y_other, y_self = year[None, :], year[:, None]
    in_window = (y_other <= y_self) & (y_other > y_self - window)
    bigger = compute[None, :] > compute[:, None]
    rank = 1 + (in_window & bigger).sum(axis=1)
    return rank <= n


# ---------------------------------------------------------------------------------------------
# Upstream readers
# ---------------------------------------------------------------------------------------------


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
        Frontier selection; see :class:`FrontierRule`.
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
    series) / no training cost (spending series), identical duplicate, before start_year,
    not frontier under the rule. Under ``top_n``, a model with a cost but no compute cannot be
    ranked and is dropped from spending as "no training compute (top_n ranks by it)".
    """
    ledger = ledger if ledger is not None else Ledger()
    path = Path(path)
    tab = _read_table(
        path, ["Model", "Publication date", COL_COMPUTE], [COL_COST, COL_FLAG], ledger
    )
    if rule.method == "epoch_flag" and COL_FLAG not in tab.header:
        raise DataError(
            f"{path}: line 1, column '{COL_FLAG}': the epoch_flag frontier rule needs Epoch's "
            f"'{COL_FLAG}' column, which this file does not have",
            fix="use the top_n rule (FrontierRule(method='top_n')) with this file, or use "
            "frontier_ai_models.csv or notable_ai_models.csv",
        )
    names = _names(tab, "Model")
    dates = _dates(tab, "Publication date")
    compute = _numbers(tab, COL_COMPUTE, positive=True)
    has_cost = COL_COST in tab.header
    cost = _numbers(tab, COL_COST, money=True, positive=True) if has_cost else None
    flag = _flags(tab, COL_FLAG) if rule.method == "epoch_flag" else None

    # compute series
    w = _work(
        names, dates, {"v": compute, "flag": flag if flag is not None else 0.0}, tab.df["_line"]
    )
    w = _keep(w, w["date"].notna().to_numpy(), ledger, "compute", "no publication date")
    w = _keep(w, w["v"].notna().to_numpy(), ledger, "compute", "no training compute")
    w = _dedupe(w, {"v": COL_COMPUTE}, path, ledger, "compute")
    w["year"] = _decimal_year(w["date"])
    if rule.method == "top_n":
        w["flag"] = _top_n(
            w["year"].to_numpy(), w["v"].to_numpy(), rule.top_n, rule.window_years
        ).astype(np.float64)
    ranked = w[["name", "date", "flag"]]
    w = _keep(w, (w["year"] >= rule.start_year).to_numpy(), ledger, "compute", "before start_year")
    w = _keep(w, (w["flag"] > 0).to_numpy(), ledger, "compute", "not frontier (rule)")
    w["v"] = np.log10(w["v"].to_numpy())
    compute_df = _finish(w.rename(columns={"v": "log10_value"}), ["log10_value"], SRC_MODELS)

    # spending series
    if not has_cost:
        ledger.drop("spending", f"file has no '{COL_COST}' column", len(tab.df))
        spending_df = _finish(_empty_work(["log10_value"]), ["log10_value"], SRC_MODELS)
        return compute_df, spending_df
    s = _work(
        names, dates, {"v": cost, "flag": flag if flag is not None else 0.0}, tab.df["_line"]
    )
    s = _keep(s, s["date"].notna().to_numpy(), ledger, "spending", "no publication date")
    s = _keep(s, s["v"].notna().to_numpy(), ledger, "spending", "no training cost (2023 USD)")
    s = _dedupe(s, {"v": COL_COST}, path, ledger, "spending")
    s["year"] = _decimal_year(s["date"])
    if rule.method == "top_n":
        s = s.drop(columns="flag").merge(ranked, on=["name", "date"], how="left")
        s = _keep(
            s,
            s["flag"].notna().to_numpy(),
            ledger,
            "spending",
            "no training compute (top_n ranks by it)",
        )
    s = _keep(s, (s["year"] >= rule.start_year).to_numpy(), ledger, "spending", "before start_year")
    s = _keep(s, (s["flag"] > 0).to_numpy(), ledger, "spending", "not frontier (rule)")
    s["v"] = np.log10(s["v"].to_numpy())
    spending_df = _finish(s.rename(columns={"v": "log10_value"}), ["log10_value"], SRC_MODELS)
    return compute_df, spending_df


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
    ctab = _read_table(costs_path, ["Model", "Hardware_Capex_Energy_Cost"], (), ledger)
    mtab = _read_table(models_path, ["Model", "Publication date"], (), ledger)
    cnames = _names(ctab, "Model")
    cost = _numbers(ctab, "Hardware_Capex_Energy_Cost", positive=True)
    mnames = _names(mtab, "Model")
    mdates = _dates(mtab, "Publication date")
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
    w = _work(cnames, dates, {"v": cost}, ctab.df["_line"])
    w = _keep(w, known, ledger, "spending", "model not in the models table")
    w = _keep(
        w, w["date"].notna().to_numpy(), ledger, "spending", "no publication date in models table"
    )
    w = _keep(w, w["v"].notna().to_numpy(), ledger, "spending", "no Hardware_Capex_Energy_Cost")
    w = _dedupe(w, {"v": "Hardware_Capex_Energy_Cost"}, ctab.path, ledger, "spending")
    if rule is not None:
        keep = (_decimal_year(w["date"]) >= rule.start_year) if len(w) else np.zeros(0, bool)
        w = _keep(w, keep, ledger, "spending", "before start_year")
    w["v"] = np.log10(w["v"].to_numpy())
    return _finish(w.rename(columns={"v": "log10_value"}), ["log10_value"], SRC_COSTS)


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
    tab = _read_table(
        path, ["Hardware name", "Release date", "Release price (USD)", COL_FP32], (), ledger
    )
    names = _names(tab, "Hardware name")
    dates = _dates(tab, "Release date")
    price = _numbers(tab, "Release price (USD)", money=True, positive=True)
    fp32 = _numbers(tab, COL_FP32, positive=True)
    series = "hardware_release"
    w = _work(names, dates, {"price": price, "fp32": fp32}, tab.df["_line"])
    w = _keep(w, w["date"].notna().to_numpy(), ledger, series, "no release date")
    w = _keep(w, w["price"].notna().to_numpy(), ledger, series, "no release price")
    w = _keep(w, w["fp32"].notna().to_numpy(), ledger, series, "no FP32 performance")
    w = _dedupe(
        w, {"price": "Release price (USD)", "fp32": COL_FP32}, Path(path), ledger, series
    )
    w["log10_value"] = np.log10(w["fp32"].to_numpy() / w["price"].to_numpy())
    return _finish(w, ["log10_value"], SRC_HARDWARE)


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
    ptab = _read_table(
        prices_path, ["Hardware model", "Price date", COL_ONDEMAND], ["Vendor"], ledger
    )
    ctab = _read_table(chip_db_path, ["Hardware name", COL_FP32], (), ledger)
    chips = _names(ptab, "Hardware model")
    dates = _dates(ptab, "Price date")
    price = _numbers(ptab, COL_ONDEMAND, positive=True)
    vendor = _strip(ptab, "Vendor") if "Vendor" in ptab.header else None

    cnames = _names(ctab, "Hardware name")
    cfp32 = _numbers(ctab, COL_FP32, positive=True)
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
    w = _work(names, dates, {"price": price, "fp32": fp32}, ptab.df["_line"])
    w["_known"] = known
    w = _keep(w, w["date"].notna().to_numpy(), ledger, series, "no price date")
    w = _keep(w, w["price"].notna().to_numpy(), ledger, series, "no on-demand price")
    w = _keep(w, w["_known"].to_numpy(), ledger, series, "chip not in the chip database")
    w = _keep(w, w["fp32"].notna().to_numpy(), ledger, series, "no FP32 performance in chip DB")
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
    return _finish(w, ["log10_value"], SRC_PRICES)


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
    tab = _read_table(
        path,
        ["model_name", "publication_date", "extra_data", "top_1_error", "final_compute_estimate"],
        ["input_size_test"],
        ledger,
    )
    names = _names(tab, "model_name")
    dates = _dates(tab, "publication_date", "%m/%d/%Y")
    extra = _numbers(tab, "extra_data", required=True)
    _fail(tab, ~np.isin(extra, [0.0, 1.0]), "extra_data", "is not 0 or 1", "write 0 or 1")
    err = _numbers(tab, "top_1_error")
    _fail(
        tab,
        ~np.isnan(err) & ((err <= 0) | (err >= 100)),
        "top_1_error",
        "is not a percentage strictly between 0 and 100",
        "write the top-1 error in percent, e.g. 23.5",
    )
    comp = _numbers(tab, "final_compute_estimate", positive=True)
    res = (
        _numbers(tab, "input_size_test")
        if "input_size_test" in tab.header
        else np.full(len(tab.df), np.nan)
    )
    w = _work(names, dates, {"comp": comp, "err": err, "extra": extra, "res": res}, tab.df["_line"])
    w = _keep(w, w["date"].notna().to_numpy(), ledger, series, "no publication date")
    w = _keep(w, (w["extra"] == 0).to_numpy(), ledger, series, "extra training data (extra_data=1)")
    w = _keep(w, w["comp"].notna().to_numpy(), ledger, series, "no compute estimate")
    w = _keep(w, w["err"].notna().to_numpy(), ledger, series, "no top-1 error")

    # Same paper, same model, two test resolutions: distinct evaluations, not duplicates.
    grp = w.groupby(["name", "date"], sort=False)
    differs = (grp["comp"].transform("nunique") > 1) | (grp["err"].transform("nunique") > 1)
    two_res = grp["res"].transform("nunique") > 1
    tag = differs & two_res & w["res"].notna()
    if tag.any():
        tagged = zip(w.loc[tag, "name"], w.loc[tag, "res"], strict=True)
        w.loc[tag, "name"] = [f"{n} [{int(r)}px test]" for n, r in tagged]
    w = _dedupe(
        w,
        {"comp": "final_compute_estimate", "err": "top_1_error"},
        Path(path),
        ledger,
        series,
    )
    acc = 1.0 - w["err"].to_numpy() / 100.0
    w["log10_compute"] = np.log10(w["comp"].to_numpy())
    w["performance"] = np.log(acc / (1.0 - acc))
    return _finish(w, ["log10_compute", "performance"], SRC_IMAGENET)


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
    tab = _read_table(
        path,
        ["Model version", "ECI Score", "Release date", COL_COMPUTE],
        ["Model name"],
        ledger,
    )
    names = _names(tab, "Model version")
    dates = _dates(tab, "Release date")
    score = _numbers(tab, "ECI Score")
    comp = _numbers(tab, COL_COMPUTE, positive=True)
    model = _strip(tab, "Model name") if "Model name" in tab.header else names
    model = model.where(model != "", names)
    w = _work(names, dates, {"comp": comp, "score": score}, tab.df["_line"])
    w["model"] = model.to_numpy()
    w = _keep(
        w,
        ~w["name"].isin(ECI_HAND_ADDED).to_numpy(),
        ledger,
        series,
        "hand-added by the mirror author (SOURCE.md)",
    )
    ledger.drop(series, "hand-added by the mirror author (SOURCE.md)", 0, keep_zero=True)
    w = _keep(w, w["date"].notna().to_numpy(), ledger, series, "no release date")
    w = _keep(w, w["score"].notna().to_numpy(), ledger, series, "no ECI score")
    w = _keep(w, w["comp"].notna().to_numpy(), ledger, series, "no training compute")
    w = _dedupe(w, {"comp": COL_COMPUTE, "score": "ECI Score"}, Path(path), ledger, series)
    first = ~w.duplicated(["model", "score", "comp"]).to_numpy()
    w = _keep(w, first, ledger, series, "another version of the same model (same score, compute)")
    w["log10_compute"] = np.log10(w["comp"].to_numpy())
    w["performance"] = w["score"]
    return _finish(w, ["log10_compute", "performance"], SRC_ECI)


# ---------------------------------------------------------------------------------------------
# Assembling TrendFrames
# ---------------------------------------------------------------------------------------------


def _vintage(frames: dict[str, pd.DataFrame]) -> tuple[str | None, dict[str, str | None]]:
    by = {
        s: (str(f["date"].max().date()) if len(f) else None) for s, f in frames.items()
    }
    dates = [d for d in by.values() if d is not None]
    return (max(dates) if dates else None), by


def _assemble(frames: dict[str, pd.DataFrame], ledger: Ledger, meta: dict) -> TrendFrames:
    vintage, by = _vintage(frames)
    meta = {
        **meta,
        "rows": {s: int(len(f)) for s, f in frames.items()},
        "dropped": {s: dict(ledger.dropped.get(s, {})) for s in SERIES},
        "files": dict(ledger.files),
        "vintage": vintage,
        "vintage_by_series": by,
    }
    return TrendFrames(**frames, meta=meta)


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
        "spending_unit": (
            UNIT_SPENDING_2023 if spending == "frontier_table" else UNIT_SPENDING_COTTIER
        ),
    }
    return _assemble(frames, ledger, meta)


# ---------------------------------------------------------------------------------------------
# The curated extract
# ---------------------------------------------------------------------------------------------

_UNIT = {s: u[0] for s, u in EXTRACT_UNITS.items()}
_PAIRED = {
    "imagenet": ("imagenet_log10_compute", "imagenet_performance"),
    "eci": ("eci_log10_compute", "eci_performance"),
}


def extract_table(frames: TrendFrames) -> pd.DataFrame:
    """The long-format extract of ``frames`` (columns :data:`EXTRACT_COLUMNS`).

    Parameters
    ----------
    frames
        As returned by :func:`load_upstream`.

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
        As returned by :func:`load_upstream`.
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
    return Path(str(resources.files("forecast").joinpath("data", "extract.csv")))


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
        (``forecast/data/extract.csv``).

    Returns
    -------
    TrendFrames
        Equal to what :func:`load_upstream` gave when the extract was built. ``meta`` has the
        build metadata (``frontier_rule`` and more) when an ``ATTRIBUTION.md`` written by
        ``scripts/build_extract.py`` sits beside the file, else ``frontier_rule`` is None.

    Raises
    ------
    DataError
        On a missing column, unknown series, wrong unit, malformed value, conflicting
        duplicate, or an algorithmic-series row without its partner.
    """
    path = _packaged_extract() if path is None else Path(path)
    ledger = Ledger()
    tab = _read_table(path, list(EXTRACT_COLUMNS), (), ledger)
    series = _strip(tab, "series")
    known = series.isin(list(EXTRACT_UNITS)).to_numpy()
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise DataError(
            f"{path}: line {tab.line(i)}, column 'series': unknown series "
            f"{series.iat[i]!r}{did_you_mean(series.iat[i], EXTRACT_UNITS)}",
            fix=f"use one of {', '.join(EXTRACT_UNITS)}",
        )
    unit = _strip(tab, "unit")
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
            f"{path}: line {tab.line(i)}, column 'unit': spending rows mix units "
            f"{sorted(spending_units)}",
            fix="build the extract from one spending series",
        )
    names = _names(tab, "name")
    dates = _dates(tab, "date", required=True)
    value = _numbers(tab, "value", required=True)
    source = _names(tab, "source")
    w = _work(names, dates, {"value": value}, tab.df["_line"])
    w["series"] = series.to_numpy()
    w["source"] = source.to_numpy()

    frames: dict[str, pd.DataFrame] = {}
    for s in ("compute", "spending", "hardware_release", "hardware_cloud"):
        part = w.loc[w["series"] == s].reset_index(drop=True)
        part = _dedupe(part, {"value": "value"}, path, ledger, s)
        part = part.rename(columns={"value": "log10_value"})
        frames[s] = _finish(part, ["log10_value"], None)
    for s, (sc, sp) in _PAIRED.items():
        a = w.loc[w["series"] == sc].reset_index(drop=True)
        b = w.loc[w["series"] == sp].reset_index(drop=True)
        a = _dedupe(a, {"value": "value"}, path, ledger, s)
        b = _dedupe(b, {"value": "value"}, path, ledger, s)
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
        m = m.rename(
            columns={"value_c": "log10_compute", "value_p": "performance", "source_c": "source"}
        )
        frames[s] = _finish(m, ["log10_compute", "performance"], None)

    build = _build_meta(path)
    spending_unit = next(iter(spending_units), UNIT_SPENDING_2023)
    meta = {
        "kind": "extract",
        "path": str(path),
        "frontier_rule": (build or {}).get("frontier_rule"),
        "spending_series": (
            "frontier_table" if spending_unit == UNIT_SPENDING_2023 else "training_costs"
        ),
        "spending_unit": spending_unit,
        "build": build,
    }
    return _assemble({s: frames[s] for s in SERIES}, ledger, meta)


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


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
    vintage, by = _vintage(kept)
    meta = {
        **frames.meta,
        "as_of": float(as_of),
        "rows": {s: int(len(f)) for s, f in kept.items()},
        "dropped": dropped,
        "vintage": vintage,
        "vintage_by_series": by,
    }
    return TrendFrames(**kept, meta=meta)


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
        (:func:`load_upstream`). A ``.csv`` file: the extract format (:func:`load_extract`).
    rule
        Frontier selection; used for an upstream directory only (an extract was selected when
        it was built).
    spending
        Spending series for an upstream directory; see :func:`load_upstream`.

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
    if path.is_dir():
        return load_upstream(path, rule, spending=spending)
    if path.suffix.lower() == ".csv":
        return load_extract(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory", fix="check the path")
    raise DataError(
        f"{path}: not a directory or a .csv file",
        fix="pass the upstream data folder or an extract .csv",
    )


def _header(path: Path) -> list[str]:
    text = _normalise_newlines(_decode(path, path.read_bytes()))
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return [h.strip() for h in first]


def _sibling(path: Path, pattern: str, what: str, folders: Sequence[Path] = ()) -> Path:
    """The one file matching ``pattern`` beside ``path`` (or in ``folders``, in order)."""
    for folder in (path.parent, *folders):
        hits = sorted(folder.glob(pattern))
        if len(hits) > 1:
            raise DataError(
                f"{path}: several {what} files match {pattern!r} in {folder}: "
                f"{', '.join(h.name for h in hits)}",
                fix="keep one, or validate the whole data folder",
            )
        if hits:
            return hits[0]
    raise DataError(
        f"{path}: checking this file needs the {what} ({pattern}) beside it, and none was found",
        fix="put it in the same folder, or validate the whole data folder",
    )


# Header signatures of the single files validate_path recognises. A file is taken to be the
# kind whose signature it matches best (at least two columns and half of the signature), so a
# renamed or missing column is reported by that kind's reader with a did-you-mean.
_SIGNATURES = {
    "extract": set(EXTRACT_COLUMNS),
    "models": {"Model", "Publication date", COL_COMPUTE, COL_COST, "Organization"},
    "training_costs": {
        "Model", "Hardware_Capex_Energy_Cost", "Cloud_Cost", "Hardware_Acquisition_Cost"
    },
    "hardware_prices": {"Hardware model", "Price date", COL_ONDEMAND, "Vendor", "Price source"},
    "ml_hardware": {"Hardware name", "Release date", "Release price (USD)", COL_FP32},
    "imagenet": {
        "model_name", "publication_date", "extra_data", "top_1_error", "final_compute_estimate"
    },
    "eci": {"Model version", "ECI Score", "Release date", COL_COMPUTE},
}


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
    if path.is_dir() or path.suffix.lower() != ".csv" or not path.is_file():
        tf = load_data(path)
        m = tf.meta
        extra = {"frontier_rule": m["frontier_rule"], "files": m["files"]}
        return _summary(m["kind"], path, m["rows"], m["dropped"], m["vintage"], extra)
    header = set(_header(path))
    ledger = Ledger()

    def one(kind: str, frames: dict[str, pd.DataFrame], extra=None) -> dict:
        vintage, _ = _vintage(frames)
        rows = {s: int(len(f)) for s, f in frames.items()}
        return _summary(kind, path, rows, ledger.dropped, vintage, extra)

    kind = _recognise(header)
    if kind == "extract":
        tf = load_extract(path)
        m = tf.meta
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
        f"{path}: line 1: not a recognised data file; columns found: {_list_columns(cols)}",
        fix="pass an extract (columns series,name,date,value,unit,source), an upstream data "
        "folder, or one of the upstream CSVs as published",
    )
