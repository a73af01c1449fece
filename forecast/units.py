"""Units and time: the one owner of unit constants and of decimal years.

Growth rates in this package are orders of magnitude per year (OOM/yr, log10 units per year);
a doubling time in months is ``12 * log10(2) / rate``. Dates become decimal years
``year + (day_of_year - 1) / days_in_year``. This module imports neither JAX nor pandas at the
top, so data validation and config loading stay light.
"""

from __future__ import annotations

import math

import numpy as np

#: Months per doubling at a growth rate of 1 OOM per year: ``12 * log10(2)``.
LOG10_2_MONTHS = 12.0 * math.log10(2.0)


def doubling_months(growth_oom_per_year):
    """Doubling time in months of a quantity growing at ``growth_oom_per_year`` OOM per year.

    Examples
    --------
    >>> round(doubling_months(0.4), 2)
    9.03
    """
    return LOG10_2_MONTHS / growth_oom_per_year


def growth_from_doubling(doubling_months_value):
    """Growth in OOM per year of a quantity that doubles every ``doubling_months_value`` months.

    Examples
    --------
    >>> round(growth_from_doubling(7.0), 3)
    0.516
    """
    return LOG10_2_MONTHS / doubling_months_value


def decimal_year(dates) -> np.ndarray:
    """Decimal years ``year + (day_of_year - 1) / days_in_year``.

    Parameters
    ----------
    dates
        A pandas datetime Series or DatetimeIndex, or an iterable of date strings
        (``"2026-01-01"``), datetimes, or numbers (taken as decimal years already).

    Returns
    -------
    numpy.ndarray
        float64 decimal years.

    Examples
    --------
    >>> decimal_year(["2026-01-01", 2027.5]).tolist()
    [2026.0, 2027.5]
    """
    import pandas as pd

    if isinstance(dates, pd.Series | pd.DatetimeIndex) and pd.api.types.is_datetime64_any_dtype(dates):
        acc = dates.dt if isinstance(dates, pd.Series) else dates
        days = np.where(np.asarray(acc.is_leap_year), 366.0, 365.0)
        return np.asarray(acc.year, dtype=np.float64) + (np.asarray(acc.day_of_year, dtype=np.float64) - 1.0) / days
    out = []
    for d in np.atleast_1d(np.asarray(dates, dtype=object)):
        if isinstance(d, int | float | np.integer | np.floating) and not isinstance(d, bool):
            out.append(float(d))
            continue
        ts = pd.Timestamp(d)
        out.append(ts.year + (ts.day_of_year - 1) / (366.0 if ts.is_leap_year else 365.0))
    return np.asarray(out, dtype=np.float64)


__all__ = ["LOG10_2_MONTHS", "decimal_year", "doubling_months", "growth_from_doubling"]
