"""Read a CSV with true line numbers and parse its cells, failing with file, line and column.

Every :class:`~forecast.errors.DataError` raised here names the file, the 1-based line in the
file (the header is line 1; a record with multi-line quoted fields is mapped to the line it
starts on), the column and the value, so a user can open the file at that line and fix it.
The readers in :mod:`forecast.upstream` and :mod:`forecast.extract` are built on these.

This module must not import JAX (see :mod:`forecast.data`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import DataError, did_you_mean

__all__ = [
    "EARLIEST_DATE",
    "Table",
    "fail_rows",
    "list_columns",
    "parse_dates",
    "parse_flags",
    "parse_names",
    "parse_numbers",
    "parse_text",
    "read_header",
    "read_table",
]

#: Dates before this are rejected: the trends start well after it, so one is a typo.
EARLIEST_DATE = pd.Timestamp("1950-01-01")

_FIX_NUMBER = "write a plain number such as 1000 or 1.2e+24, or leave the cell empty if unknown"


@dataclass
class Table:
    """The wanted columns of a CSV file, as strings, with the line each record starts on.

    Attributes
    ----------
    path
        The file read.
    header
        Every column name of the file, stripped, in order.
    df
        The requested columns present in the file as ``str`` (missing trailing cells are
        ``""``), plus ``_line``: the 1-based line of the file where each record starts.
    """

    path: Path
    header: list[str]
    df: pd.DataFrame

    def line(self, i: int) -> int:
        """The file line where record ``i`` (0-based position in :attr:`df`) starts."""
        return int(self.df["_line"].iat[i])


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def list_columns(cols: Sequence[str], limit: int = 25) -> str:
    """Quote and join column names for a message, cut after ``limit`` names.

    Parameters
    ----------
    cols
        Column names.
    limit
        How many to show; the rest are counted.

    Returns
    -------
    str

    Examples
    --------
    >>> list_columns(["a", "b", "c"], limit=2)
    "'a', 'b', ... (+1 more)"
    """
    shown = ", ".join(f"'{c}'" for c in cols[:limit])
    return shown + (f", ... (+{len(cols) - limit} more)" if len(cols) > limit else "")


def _decode(path: Path, raw: bytes) -> str:
    try:
        # utf-8-sig: Airtable exports start with a BOM; strip it so the first column matches.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(
            f"{path}: line {line}: byte {raw[e.start : e.start + 1]!r} at offset {e.start} is not valid UTF-8",
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


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise DataError(
            f"{path}: file not found",
            fix="check the path; upstream files live in ../shared/data/<name>/",
        )


def read_header(path: Path | str) -> list[str]:
    """The column names of a CSV file (stripped), decoded as :func:`read_table` does.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    list of str
        Empty for an empty file.

    Raises
    ------
    DataError
        If the file is missing or not UTF-8.
    """
    path = Path(path)
    _require_file(path)
    text = _normalise_newlines(_decode(path, path.read_bytes()))
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return [h.strip() for h in first]


def read_table(
    path: Path | str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    files: dict[str, str] | None = None,
) -> Table:
    """Read a CSV, check its columns, and return the wanted ones as strings with line numbers.

    Parameters
    ----------
    path
        The CSV file (UTF-8, with or without a BOM; LF, CRLF or CR line ends).
    required
        Columns that must be present; the first one is named in messages about the file as a
        whole (empty file, no data rows).
    optional
        Columns read when present.
    files
        If given, ``files["parent_folder/file_name"]`` is set to the file's sha256, so a
        caller can record what it read (:class:`forecast.frames.Ledger` keeps such a dict).

    Returns
    -------
    Table

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, malformed CSV, empty or header-only, lacks a
        required column (with a did-you-mean), names a wanted column twice, or has a record
        with more fields than the header. Blank lines are skipped; short records get empty
        trailing cells.
    """
    path = Path(path)
    _require_file(path)
    raw = path.read_bytes()
    if files is not None:
        files[_label(path)] = hashlib.sha256(raw).hexdigest()
    text = _normalise_newlines(_decode(path, raw))
    if not text.strip():
        raise DataError(
            f"{path}: line 1, column '{required[0]}': file is empty; expected a header with "
            f"columns {list_columns(list(required))}",
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
                f"{did_you_mean(col, header)}; columns found: {list_columns(header)}",
                fix=f"rename the column to '{col}' or use the file as published",
            )
    if not rows:
        raise DataError(
            f"{path}: line 2, column '{required[0]}': no data rows after the header (columns: {list_columns(header)})",
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
    return Table(path=path, header=header, df=df)


# ---------------------------------------------------------------------------------------------
# Cell parsers: each checks a whole column and fails on the first bad row
# ---------------------------------------------------------------------------------------------


def fail_rows(tab: Table, mask: np.ndarray, col: str, what: str, fix: str) -> None:
    """Raise for the first row in ``mask``, saying how many other rows share the problem.

    Parameters
    ----------
    tab
        The table the rows come from.
    mask
        Boolean, one per row of ``tab.df``; nothing happens if no row is set.
    col
        The column at fault; its cell value is quoted in the message.
    what
        What is wrong with the value, e.g. ``"is not a number"``.
    fix
        What the user should do.

    Raises
    ------
    DataError
        ``"<file>: line <n>, column '<col>': value '<v>' <what> (and <k> more rows like it)"``.
    """
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return
    i = int(idx[0])
    value = tab.df[col].iat[i]
    shown = "the cell" if not str(value).strip() else f"value {value!r}"
    more = f" (and {idx.size - 1} more rows like it)" if idx.size > 1 else ""
    raise DataError(f"{tab.path}: line {tab.line(i)}, column '{col}': {shown} {what}{more}", fix=fix)


def parse_text(tab: Table, col: str) -> pd.Series:
    """The cells of ``col`` with surrounding white space removed (empty cells are ``""``)."""
    return tab.df[col].str.strip()


def _cells(tab: Table, col: str, required: bool, fill: str) -> tuple[pd.Series, np.ndarray]:
    """Stripped cells and which of them are empty; an empty one fails if ``required``."""
    s = parse_text(tab, col)
    missing = (s == "").to_numpy()
    if required:
        fail_rows(tab, missing, col, "is empty", fill)
    return s, missing


def parse_numbers(
    tab: Table,
    col: str,
    *,
    money: bool = False,
    positive: bool = False,
    required: bool = False,
) -> np.ndarray:
    """Parse a numeric column: empty cells are NaN; anything else must be a finite number.

    Parameters
    ----------
    tab, col
        The table and the column.
    money
        Accept the ``$1,234.00`` strings of some Epoch exports. Elsewhere a thousands
        separator is an error, since ``1,000`` could equally be a decimal comma.
    positive
        Reject zero and negative values (the caller takes the logarithm).
    required
        Reject empty cells.

    Returns
    -------
    numpy.ndarray
        float64, NaN where the cell is empty.

    Raises
    ------
    DataError
        On the first bad cell (see :func:`fail_rows`).
    """
    s, missing = _cells(tab, col, required, "fill in the value")
    t = s.str.replace(r"^\$\s*", "", regex=True).str.replace(",", "", regex=False) if money else s
    num = pd.to_numeric(t, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    fix = "write a plain number such as 1000 or 1.2e+24" if required else _FIX_NUMBER
    fix += " ($ signs and thousands separators are accepted)" if money else ""
    fail_rows(tab, ~missing & np.isnan(num), col, "is not a number", fix)
    fail_rows(tab, np.isinf(num), col, "is not a finite number", fix)
    if positive:
        fail_rows(
            tab,
            ~missing & (num <= 0),
            col,
            "must be positive (its logarithm is taken)",
            "correct the value, or leave the cell empty if unknown",
        )
    return num


def parse_dates(tab: Table, col: str, fmt: str = "%Y-%m-%d", *, required: bool = False) -> pd.Series:
    """Parse a date column; reject unparseable, future and pre-1950 dates.

    Parameters
    ----------
    tab, col
        The table and the column.
    fmt
        ``"%Y-%m-%d"`` or ``"%m/%d/%Y"`` (the format named in messages follows it).
    required
        Reject empty cells.

    Returns
    -------
    pandas.Series
        ``datetime64[us]``, NaT where the cell is empty.

    Raises
    ------
    DataError
        On the first bad cell (see :func:`fail_rows`).
    """
    s, missing = _cells(tab, col, required, "fill in the date")
    shown = "M/D/YYYY" if fmt == "%m/%d/%Y" else "YYYY-MM-DD"
    d = pd.to_datetime(s.mask(s == ""), format=fmt, errors="coerce").dt.as_unit("us")
    nat = d.isna().to_numpy()
    fail_rows(
        tab,
        ~missing & nat,
        col,
        f"is not a valid date (expected {shown})",
        f"write a real calendar date as {shown}",
    )
    today = pd.Timestamp.today().normalize()
    fail_rows(
        tab,
        ~nat & (d > today).to_numpy(),
        col,
        f"is in the future (after {today.date()})",
        "correct the date; future releases cannot be observations",
    )
    fail_rows(
        tab,
        ~nat & (d < EARLIEST_DATE).to_numpy(),
        col,
        "is before 1950",
        "correct the date; the data starts in 1950",
    )
    return d


def parse_names(tab: Table, col: str) -> pd.Series:
    """The stripped cells of a name column, none of which may be empty.

    Raises
    ------
    DataError
        On the first empty cell.
    """
    s = parse_text(tab, col)
    fail_rows(tab, (s == "").to_numpy(), col, "is empty", "give every row a name")
    return s


def parse_flags(tab: Table, col: str) -> np.ndarray:
    """A yes/no column as booleans: ``True``, ``1``, ``yes`` and ``checked`` are true; empty,
    ``False``, ``0`` and ``no`` are false (case is ignored).

    Raises
    ------
    DataError
        On the first cell that is neither.
    """
    s = parse_text(tab, col).str.lower()
    true = s.isin(["true", "1", "yes", "checked"]).to_numpy()
    false = s.isin(["", "false", "0", "no"]).to_numpy()
    fail_rows(tab, ~(true | false), col, "is not True or empty", "write True or leave the cell empty")
    return true
