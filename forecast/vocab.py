"""Vocabulary: the one owner of the names of series, components, domains and sources.

Every module that needs one of these lists imports it from here, so a name is spelt, and its
order fixed, in exactly one place.
"""

from __future__ import annotations

#: Observed data series the trend model is fitted to, in the order of the ``series`` dim.
OBSERVED_SERIES = ("compute", "spending", "hardware_release", "hardware_cloud", "imagenet", "eci")
#: Log-linear trend series among them (one log10 value per row).
TREND_SERIES = ("compute", "spending", "hardware_release", "hardware_cloud")
#: Algorithmic-progress domains (performance as a function of effective compute), ``domain`` dim.
DOMAINS = ("imagenet", "eci")
#: Lineage classes of language-model (ECI) rows with their own effect in the algorithmic fit
#: (the name rule is :func:`forecast.lineage.eci_effects`), in the order of the ``eci_effect`` dim.
ECI_EFFECTS = ("reasoning", "distilled", "update")
#: Hardware price series, in the order of the ``hardware_source`` dim.
HARDWARE_SOURCES = ("release", "cloud")
#: Growth components of the fitted trend, in the order of the ``component`` dim. compute =
#: spending x FLOP/$ (x the identity gap); effective compute = compute x algorithmic efficiency.
GROWTH_COMPONENTS = ("compute", "spending", "hardware", "algorithmic")
#: Series whose mean a growth form bends (``form_series`` dim): the release-price and cloud-price
#: FLOP/$ series share the ``hardware`` deviation (they measure the same price-performance).
FORM_SERIES = ("compute", "spending", "hardware")
#: Growth forms of the trend series' mean (:mod:`forecast.forms`).
GROWTH_FORMS = ("constant", "changepoint", "local_linear")
#: Changepoint groups (``changepoint_group`` dim): frontier compute and cost share a date.
CHANGEPOINT_GROUPS = ("frontier", "hardware")

__all__ = [
    "CHANGEPOINT_GROUPS",
    "DOMAINS",
    "ECI_EFFECTS",
    "FORM_SERIES",
    "GROWTH_COMPONENTS",
    "GROWTH_FORMS",
    "HARDWARE_SOURCES",
    "OBSERVED_SERIES",
    "TREND_SERIES",
]
