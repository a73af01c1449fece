"""The lineage name rule: reasoning, distilled / synthetic-data and post-training-update ECI rows."""

import numpy as np
import pytest

from forecast.lineage import eci_effects, release_stem
from forecast.vocab import ECI_EFFECTS


def _marks(names, years=None, compute=None):
    n = len(names)
    years = np.linspace(2023.0, 2025.0, n) if years is None else years
    compute = np.arange(n, dtype=float) if compute is None else compute
    m = eci_effects(names, years, compute)
    return [{ECI_EFFECTS[j] for j in np.flatnonzero(row)} for row in m]


@pytest.mark.parametrize(
    "name",
    [
        "DeepSeek-R1",
        "DeepSeek-R1-0528",
        "claude-3-7-sonnet-20250219",  # its thinking variants (_1K ... _64K) share the score
        "claude-3-7-sonnet-20250219_64K",
        "qwen3-235b-a22b",  # hybrid thinking
        "Qwen3-8B",
        "QwQ-32B (16K thinking)",
        "o3-2025-04-16_medium",
        "o1-2024-12-17_high",
        "gemini-2.5-pro",
        "grok-3-mini-beta_high",
        "magistral-medium-2506",
    ],
)
def test_reasoning_models(name):
    assert _marks([name]) == [{"reasoning"}]


@pytest.mark.parametrize(
    "name",
    ["phi-1_5", "phi-2", "Phi-3-mini-4k-instruct", "phi-4", "gemma-2-9b-it", "Llama-3.2-3B-Instruct"],
)
def test_distilled_or_synthetic_data_models(name):
    assert _marks([name]) == [{"distilled"}]


@pytest.mark.parametrize(
    "name",
    [
        "gpt-4-0314",
        "gpt-4.5-preview-2025-02-27",
        "DeepSeek-V3",
        "Meta-Llama-3-70B-Instruct",
        "gemma-2-27b-it",  # trained from scratch (only 2B and 9B were distilled)
        "gemma-7b",
        "Llama-3.1-405B-Instruct",
        "grok-3-beta",
        "claude-3-5-sonnet-20240620",
        "o-series-lookalike",
    ],
)
def test_base_models_carry_no_mark(name):
    assert _marks([name]) == [set()]


def test_updates_are_later_checkpoints_with_the_same_compute():
    names = ["DeepSeek-V3", "DeepSeek-V3-0324", "gpt-4-0314", "gpt-4-0613", "mistral-large-2402", "mistral-large-2411"]
    years = np.array([2024.98, 2025.23, 2023.20, 2023.45, 2024.15, 2024.88])
    compute = np.array([24.52, 24.52, 25.32, 25.32, 25.05, 25.33])  # Mistral Large 2 is a new run
    assert _marks(names, years, compute) == [set(), {"update"}, set(), {"update"}, set(), set()]
    # a reasoning checkpoint of the same run carries both marks
    assert _marks(["DeepSeek-R1", "DeepSeek-R1-0528"], [2025.05, 2025.4], [24.5, 24.5]) == [
        {"reasoning"},
        {"reasoning", "update"},
    ]
    assert release_stem("gpt-4.5-preview-2025-02-27") == "gpt-4.5-preview"


def test_marks_on_the_packaged_extract():
    from forecast.data import load_extract

    eci = load_extract().eci
    marks = eci_effects(eci["name"], eci["year"], eci["log10_compute"])
    marked = {
        n: {ECI_EFFECTS[j] for j in np.flatnonzero(r)} for n, r in zip(eci["name"], marks, strict=True) if r.any()
    }
    assert marked["DeepSeek-R1"] == {"reasoning"} and marked["qwen3-235b-a22b"] == {"reasoning"}
    assert marked["claude-3-7-sonnet-20250219"] == {"reasoning"}
    assert marked["phi-4"] == {"distilled"} and marked["DeepSeek-V3-0324"] == {"update"}
    assert len(marked) == 13  # 4 reasoning, 7 distilled, 2 updates; 56 base models remain
