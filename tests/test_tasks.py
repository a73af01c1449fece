"""Task-level evidence: the physical-task rule, the aggregation to cells, and validation."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.errors import DataError
from forecast.occupations import load_occupations
from forecast.tasks import (
    AUTOMATION_LEVELS,
    EVIDENCE_COLUMNS,
    is_physical,
    load_task_evidence,
    task_evidence_from_upstream,
)


@pytest.mark.parametrize(
    ("task", "physical"),
    [
        ("Operate forklifts to move materials.", True),
        ("Install pipes and fittings.", True),
        ("Clean work areas and equipment.", True),
        ("Fill dents in body panels, using hand tools.", True),
        ("Review financial statements for accuracy.", False),
        ("Maintain records of prisoners' identification.", False),  # 'maintain' is not on the list
        ("Serve on committees that set policy.", False),
        ("Prepare budgets.", False),
    ],
)
def test_physical_rule(task, physical):
    assert is_physical(task) is physical


def test_packaged_evidence_is_consistent():
    occ = load_occupations()
    ev = load_task_evidence(groups=list(occ["group"]))
    assert len(ev) == 2 * len(occ) and list(ev.columns) == list(EVIDENCE_COLUMNS)
    levels = ev[[f"auto_{t.lower()}" for t in AUTOMATION_LEVELS]].sum(axis=1)
    assert (levels == ev["n_tasks"]).all() and ev["n_tasks"].sum() > 19_000
    assert abs(ev["aei_conversation_share"].sum() - 1.0) < 1e-6
    construction = ev[(ev["group"] == "47")].set_index("task_class")["n_tasks"]
    assert construction["physical"] > 0.3 * construction.sum()  # manual work is found where it should be


def test_upstream_rebuild_matches_the_packaged_extract(shared_data):
    rebuilt = task_evidence_from_upstream(shared_data / "gpts_are_gpts", shared_data / "anthropic_economic_index")
    packaged = load_task_evidence()
    pd.testing.assert_frame_equal(
        rebuilt.drop(columns="aei_conversation_share"),
        packaged.drop(columns="aei_conversation_share"),
        check_dtype=False,
    )
    assert (rebuilt["aei_conversation_share"] - packaged["aei_conversation_share"]).abs().max() < 1e-7


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("levels_do_not_add_up.csv", "do not add up"),
        ("missing_column.csv", "column 'aei_present' missing"),
        ("missing_cell.csv", "no row for group 15, class physical"),
    ],
)
def test_broken_evidence(fixtures, name, needle):
    path = fixtures / "tasks" / name
    with pytest.raises(DataError, match=needle) as err:
        load_task_evidence(path, groups=list(load_occupations()["group"]))
    assert str(path) in str(err.value) and "\n" not in str(err.value)
