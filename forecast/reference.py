"""Published reference figures: the one owner of every number the tool sets its own beside.

The Dutch government's request for advice on AI and work quotes these figures; the report and
``forecast seeds`` put the fitted model's values next to them. Nothing here is fitted or tuned:
these are what was published, with where it was published.
"""

from __future__ import annotations

#: Doubling times in months quoted in the advisory request (algorithms, hardware FLOP/$,
#: compute spending). Frontier compute has no quoted figure.
PUBLISHED_DOUBLING_MONTHS: dict[str, float] = {"algorithmic": 9.0, "hardware": 30.0, "spending": 7.0}

#: "About 10x effective compute a year".
PUBLISHED_EFFECTIVE_GROWTH_PER_YEAR = 10.0

#: Effective-compute growth 2022 -> 2030 in the three published scenarios, log10 factor.
PUBLISHED_2030_BANDS_OOM: dict[str, float] = {"conservative": 4.0, "central": 8.0, "explosive": 12.0}

#: Release dates (decimal years) of GPT-2 (mid-February 2019) and GPT-4 (mid-March 2023).
GPT2_RELEASE = 2019.0 + 1.5 / 12
GPT4_RELEASE = 2023.0 + 2.5 / 12
#: GPT-2 -> GPT-4 effective-compute factor, log10 (1e5 - 1e6).
PUBLISHED_GPT2_GPT4_OOM = (5.0, 6.0)

#: Generative AI's rise in automation potential 2019 -> 2023, percentage points of tasks, by
#: task type (low, high): ~30 decision/management, 10-20 data processing, ~2 physical work.
PUBLISHED_UPLIFT_PP: dict[str, tuple[float, float]] = {
    "decision_management": (30.0, 30.0),
    "data_processing": (10.0, 20.0),
    "physical": (2.0, 2.0),
}

#: Davidson's takeoff model (FTM, 2023) for the shares 20% / 50% / 100% of cognitive tasks, log10
#: effective FLOP at 2022 algorithms: 1e36 for 100% with a ~4 OOM "FLOP gap" to 20%; no 50% figure.
FTM_LOG10_FLOP_2022_ALGORITHMS = (32.0, float("nan"), 36.0)

#: Share of enterprises using AI quoted beside the Eurostat data (not fitted), percent.
PUBLISHED_ADOPTION_CONTEXT = (
    {"geo": "NL", "figure_pct": 13.4, "label": "Dutch firms using AI (official figure, 2023-ish; CBS/Eurostat)"},
    {"geo": "EU27_2020", "figure_pct": 8.0, "label": "EU firms using AI (official figure, 2023-ish; Eurostat)"},
)

__all__ = [
    "FTM_LOG10_FLOP_2022_ALGORITHMS",
    "GPT2_RELEASE",
    "GPT4_RELEASE",
    "PUBLISHED_2030_BANDS_OOM",
    "PUBLISHED_ADOPTION_CONTEXT",
    "PUBLISHED_DOUBLING_MONTHS",
    "PUBLISHED_EFFECTIVE_GROWTH_PER_YEAR",
    "PUBLISHED_GPT2_GPT4_OOM",
    "PUBLISHED_UPLIFT_PP",
]
