"""Task-level evidence on automation, aggregated to cells of (SOC major group, task class).

Sources (read as published; see ``forecast/curated/TASKS.md``):

- **Exposure labels** (Eloundou, Manning, Mishkin & Rock, *Science* 2024; ``full_labelset.tsv``):
  human-rated E0 / E1 / E2 per O*NET 27.2 task statement, made early 2023 at GPT-4-era capability.
  E1 = an LLM alone halves the task's time, E2 = it would with software built on top. Exposure is
  time saving, not replacement.
- **Automation level** (same release, ``gpt4_automation``): GPT-4's own rating T0 (none) ... T4
  (full automation: the model completes the task without a person) of the same tasks.
- **Observed use** (Anthropic Economic Index, release 2025-02-10, Claude.ai conversations of
  Dec 2024 - Jan 2025): the share of task-classified conversations mapped to each O*NET 20.1 task.
  Tasks under Anthropic's privacy/frequency threshold are absent, not zero.

A task is **physical** (manual work that needs robotics as well as cognition) when its statement
starts with one of :data:`PHYSICAL_VERBS` or says it is done "using" one of
:data:`PHYSICAL_TOOLS`; every other task is **cognitive**. The rule is a transparent proxy (no
O*NET work-activity ratings are staged); :func:`is_physical` is its one implementation and the
per-group shares it gives are in ``TASKS.md``.

Counts are plain task statements (each task one observation, no employment weighting within a
group); employment weights the groups (OEWS May 2021, ``occupations.csv``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.resources import data_path

DEFAULT_TASK_EVIDENCE = data_path("task_evidence.csv")
TASK_CLASSES = ("cognitive", "physical")
AUTOMATION_LEVELS = ("T0", "T1", "T2", "T3", "T4")

#: Leading verbs of manual task statements (unambiguous ones only: "maintain", "check", "serve",
#: "set", "place", "apply", "use", "make" and "test" start office tasks as often as manual ones).
PHYSICAL_VERBS = frozenset(
    """
operate drive lift load unload install repair clean assemble disassemble weld solder braze paint pour mix cook bake
fry grill carry dig lay mow plant harvest feed wash sweep mop vacuum stack pack unpack drill sand fasten splice hammer
climb spray trim prune bathe transport deliver sew stitch mount dismantle erect restrain shovel scrape polish grind
tighten lubricate cut move position attach connect remove adjust fabricate install tend rake wrap tie load haul tow
plaster glaze cement caulk insulate rivet bolt screw saw shear chisel mold cast forge knead slice butcher shampoo
wax sort stock bend align lower raise dress bandage inject splint catch herd milk shear shoe trap
""".split()
)
#: Tools whose use (", using <tool>") marks a task as manual whatever its verb.
PHYSICAL_TOOLS = (
    "hand tools",
    "power tools",
    "wrench",
    "pliers",
    "hammer",
    "saw",
    "drill",
    "screwdriver",
    "forklift",
    "crane",
    "hoist",
    "shovel",
    "knife",
    "knives",
    "torch",
    "welding",
    "brush",
    "trowel",
    "ladder",
    "scissors",
    "clippers",
)
_TOOL_PATTERN = re.compile(r"\busing\b[^.;]*\b(" + "|".join(re.escape(t) for t in PHYSICAL_TOOLS) + r")", re.I)

EVIDENCE_COLUMNS = (
    "group",
    "task_class",
    "n_tasks",
    "exposed_e1",
    "exposed_e2",
    *(f"auto_{t.lower()}" for t in AUTOMATION_LEVELS),
    "aei_n_tasks",
    "aei_present",
    "aei_conversation_share",
    "source",
)
SOURCE_TAG = (
    "GPTs-are-GPTs full_labelset.tsv @0471612f (human_exposure_agg, gpt4_automation); "
    "Anthropic Economic Index release 2025-02-10 (onet_task_mappings.csv, onet_task_statements.csv)"
)


def is_physical(task: str) -> bool:
    """Whether a task statement describes manual work (see the module docstring).

    Examples
    --------
    >>> is_physical("Operate cash registers to accept payment from customers."), is_physical("Review budgets.")
    (True, False)
    >>> is_physical("Fill small dents that cannot be worked out, using hand tools.")
    True
    """
    text = str(task).strip()
    first = re.match(r"[A-Za-z\-]+", text)
    return bool(first and first.group(0).lower() in PHYSICAL_VERBS) or bool(_TOOL_PATTERN.search(text))


def _classes(tasks: pd.Series) -> pd.Series:
    return pd.Series(np.where(tasks.map(is_physical), "physical", "cognitive"), index=tasks.index, dtype="str")


def task_evidence_from_upstream(gpts_dir: Path, aei_dir: Path) -> pd.DataFrame:
    """Aggregate the upstream task files to one row per (SOC major group, task class).

    Parameters
    ----------
    gpts_dir
        The GPTs-are-GPTs data directory (``full_labelset.tsv``).
    aei_dir
        The Anthropic Economic Index directory (``onet_task_mappings.csv``,
        ``onet_task_statements.csv``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EVIDENCE_COLUMNS`, 22 groups x 2 classes, sorted. ``aei_conversation_share``
        attributes each task's conversation share to the occupations listing that task text in equal
        parts (Anthropic's own method), then sums over the cell.
    """
    labels_path = Path(gpts_dir) / "full_labelset.tsv"
    mapping_path = Path(aei_dir) / "onet_task_mappings.csv"
    statements_path = Path(aei_dir) / "onet_task_statements.csv"
    for p in (labels_path, mapping_path, statements_path):
        if not p.is_file():
            raise DataError(
                f"{p}: upstream file not found", "pass the gpts_are_gpts and anthropic_economic_index folders"
            )
    labels = pd.read_csv(labels_path, sep="\t", dtype={"O*NET-SOC Code": "str"})
    for col in ("O*NET-SOC Code", "Task", "human_exposure_agg", "gpt4_automation"):
        if col not in labels.columns:
            raise DataError(f"{labels_path}: column '{col}' missing", "use the file as published upstream")
    labels = labels.assign(group=labels["O*NET-SOC Code"].str[:2], task_class=_classes(labels["Task"]))
    labels = labels[labels["group"] != "55"]  # military: no OEWS employment
    keys = ["group", "task_class"]
    out = labels.groupby(keys).agg(
        n_tasks=("Task", "size"),
        exposed_e1=("human_exposure_agg", lambda s: int((s == "E1").sum())),
        exposed_e2=("human_exposure_agg", lambda s: int((s == "E2").sum())),
        **{f"auto_{t.lower()}": ("gpt4_automation", lambda s, t=t: int((s == t).sum())) for t in AUTOMATION_LEVELS},
    )

    mapping = pd.read_csv(mapping_path)
    statements = pd.read_csv(statements_path, dtype={"O*NET-SOC Code": "str"})
    statements = statements.assign(
        group=statements["O*NET-SOC Code"].str[:2],
        task_class=_classes(statements["Task"]),
        key=statements["Task"].str.lower().str.strip(),
    )
    statements = statements[statements["group"] != "55"]
    pct = mapping.set_index("task_name")["pct"]
    statements["seen"] = statements["key"].isin(pct.index)
    # Anthropic's attribution: a task text listed by k occupations gives each of them pct / k.
    k = statements.groupby("key")["Title"].transform("nunique")
    statements["conversation_pct"] = statements["key"].map(pct).fillna(0.0) / k
    aei = statements.groupby(keys).agg(
        aei_n_tasks=("key", "size"), aei_present=("seen", "sum"), aei_conversation_share=("conversation_pct", "sum")
    )
    aei["aei_conversation_share"] /= aei["aei_conversation_share"].sum()
    # Every group gets both cells (zero counts where a group has no task of a class), so the
    # model's cell layout is fixed.
    full = pd.MultiIndex.from_product([sorted(labels["group"].unique()), TASK_CLASSES], names=keys)
    out = out.join(aei, how="outer").reindex(full).fillna(0).reset_index()
    int_cols = [c for c in EVIDENCE_COLUMNS if c not in ("group", "task_class", "aei_conversation_share", "source")]
    out[int_cols] = out[int_cols].astype("int64")
    out["source"] = SOURCE_TAG
    return out.sort_values(keys).reset_index(drop=True)[list(EVIDENCE_COLUMNS)]


def load_task_evidence(path: Path | None = None, groups=None) -> pd.DataFrame:
    """Load and validate the packaged task evidence (``forecast/curated/task_evidence.csv``).

    Parameters
    ----------
    path
        CSV written by ``scripts/build_tasks.py``; default the packaged one.
    groups
        Optional group codes (from ``occupations.csv``): every group must have both cells.

    Raises
    ------
    DataError
        Missing file or column, negative counts, counts that do not add up, or missing cells.
    """
    path = Path(path) if path is not None else DEFAULT_TASK_EVIDENCE
    if not path.is_file():
        raise DataError(f"{path}: file not found", "run scripts/build_tasks.py")
    table = pd.read_csv(path, dtype={"group": "str", "task_class": "str", "source": "str"})
    missing = [c for c in EVIDENCE_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path}: column '{missing[0]}' missing", "rebuild with scripts/build_tasks.py")
    counts = [c for c in EVIDENCE_COLUMNS if c not in ("group", "task_class", "aei_conversation_share", "source")]
    bad = (table[counts] < 0).any(axis=1) | ~table["task_class"].isin(TASK_CLASSES)
    levels = table[[f"auto_{t.lower()}" for t in AUTOMATION_LEVELS]].sum(axis=1)
    bad |= (levels != table["n_tasks"]) | (table["exposed_e1"] + table["exposed_e2"] > table["n_tasks"])
    bad |= table["aei_present"] > table["aei_n_tasks"]
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise DataError(
            f"{path}: row {row}: counts are negative or do not add up (T0..T4 must sum to n_tasks, "
            "E1 + E2 <= n_tasks, aei_present <= aei_n_tasks) or task_class is unknown",
            "rebuild with scripts/build_tasks.py",
        )
    if groups is not None:
        want = {(g, c) for g in groups for c in TASK_CLASSES}
        have = set(zip(table["group"], table["task_class"], strict=True))
        if want - have:
            g, c = sorted(want - have)[0]
            raise DataError(f"{path}: no row for group {g}, class {c}", "rebuild with scripts/build_tasks.py")
        table = table[[(g, c) in want for g, c in zip(table["group"], table["task_class"], strict=True)]]
    return table.sort_values(["group", "task_class"]).reset_index(drop=True)


__all__ = [
    "AUTOMATION_LEVELS",
    "EVIDENCE_COLUMNS",
    "PHYSICAL_TOOLS",
    "PHYSICAL_VERBS",
    "TASK_CLASSES",
    "is_physical",
    "load_task_evidence",
    "task_evidence_from_upstream",
]
