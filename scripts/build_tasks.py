"""Build ``forecast/curated/task_evidence.csv`` from the upstream task files.

One row per (SOC major group, task class): exposure labels, GPT-4 automation levels and observed
Claude use (Anthropic Economic Index), as counts of task statements. See
``forecast/curated/TASKS.md``. The output is deterministic.

Usage
-----
    .venv/bin/python scripts/build_tasks.py [--gpts ../shared/data/gpts_are_gpts]
        [--aei ../shared/data/anthropic_economic_index] [--out forecast/curated/task_evidence.csv]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast.tasks import task_evidence_from_upstream  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Read the upstream files, aggregate and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = ROOT.parent / "shared" / "data"
    parser.add_argument("--gpts", type=Path, default=shared / "gpts_are_gpts")
    parser.add_argument("--aei", type=Path, default=shared / "anthropic_economic_index")
    parser.add_argument("--out", type=Path, default=ROOT / "forecast" / "curated" / "task_evidence.csv")
    args = parser.parse_args(argv)
    table = task_evidence_from_upstream(args.gpts, args.aei)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, float_format="%.8f", lineterminator="\n")
    phys = table[table["task_class"] == "physical"]["n_tasks"].sum() / table["n_tasks"].sum()
    print(f"wrote {args.out} ({len(table)} cells, {int(table['n_tasks'].sum())} labelled tasks, {phys:.1%} physical)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
