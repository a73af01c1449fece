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

#: Observed labour-side figures for the backcast (../shared/data/observed_ai_labour/FIGURES.md,
#: figure numbers in ``source``). ``quantity`` names a model output of :mod:`forecast.backcast`;
#: ``low``/``high`` bound the observation (a point value has low == high; an open side is None);
#: ``start``/``end`` are decimal years (the window of a cumulative quantity, or the date of a level);
#: ``role`` is "check" (independent of the priors) or "prior source" (the prior was set from it).
OBSERVED_LABOUR: tuple[dict, ...] = (
    {
        "check": "share of all work hours assisted by generative AI",
        "quantity": "hours_with_ai",
        "region": "US",
        "start": 2024.9,
        "end": 2024.9,
        "low": 0.01,
        "high": 0.05,
        "role": "prior source",
        "source": "FIGURES 1.4: Bick, Blandin & Deming (NBER w32966), late 2024",
    },
    {
        "check": "time saved, share of all work hours",
        "quantity": "time_saved",
        "region": "US",
        "start": 2024.9,
        "end": 2024.9,
        "low": 0.014,
        "high": 0.014,
        "role": "check",
        "source": "FIGURES 1.6: Bick, Blandin & Deming, Nov 2024",
    },
    {
        "check": "time saved, share of all work hours",
        "quantity": "time_saved",
        "region": "US",
        "start": 2025.4,
        "end": 2025.4,
        "low": 0.016,
        "high": 0.016,
        "role": "check",
        "source": "FIGURES 1.10: St. Louis Fed, pooled Feb/May/Aug 2025",
    },
    {
        "check": "labour-productivity / TFP contribution since ChatGPT",
        "quantity": "tfp",
        "region": "US",
        "start": 2022.9,
        "end": 2025.6,
        "low": 0.0,
        "high": 0.013,
        "role": "check",
        "source": "FIGURES 1.11: 'up to 1.3%' labour productivity since ChatGPT (St. Louis Fed, Nov 2025)",
    },
    {
        "check": "earnings and hours effect, exposed occupations (wage bill)",
        "quantity": "wage_bill",
        "region": "EU",
        "start": 2022.9,
        "end": 2024.9,
        "low": -0.01,
        "high": 0.01,
        "role": "check",
        "source": "FIGURES 3.1: Humlum & Vestergaard (NBER w33777), Denmark 2023-2024, effects > 1% ruled out",
    },
    {
        "check": "NL / EU ratio of workers using AI (2025)",
        "quantity": "adoption_employment_nl_eu_ratio",
        "region": "NL/EU",
        "start": 2025.4,
        "end": 2025.4,
        "low": 26.56 / 15.36,
        "high": 26.56 / 15.36,
        "role": "check",
        "source": "FIGURES 2.2: Eurostat isoc_ai_iaiu 2025, genAI for work NL 26.56% / EU 15.36% of 16-74",
    },
)

#: Ten-year TFP (or labour-productivity) gains from AI in published estimates (fraction, low, high).
PUBLISHED_TEN_YEAR_TFP: tuple[dict, ...] = (
    {"estimate": "Acemoglu (2024), US TFP", "low": 0.0066, "high": 0.0066, "source": "FIGURES 5.5"},
    {
        "estimate": "McKinsey (2023), labour productivity, 0.1-0.6%/yr x 10",
        "low": 0.01,
        "high": 0.06,
        "source": "FIGURES 5.9",
    },
)

#: Acemoglu & Restrepo-style decomposition of the Dutch labour share 1998-2016 quoted in the
#: advisory request: displacement -12%, reinstatement +8%, productivity more than 80% of the change.
PUBLISHED_DECOMPOSITION_1998_2016 = {"displacement": -0.12, "reinstatement": 0.08, "productivity_share_min": 0.8}

__all__ = [
    "OBSERVED_LABOUR",
    "PUBLISHED_DECOMPOSITION_1998_2016",
    "PUBLISHED_TEN_YEAR_TFP",
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
