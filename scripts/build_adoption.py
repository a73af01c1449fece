"""Build ``forecast/curated/adoption.csv`` from the raw Eurostat AI-adoption mirror files.

The package ships only this small curated extract (27 EU countries + EU-27, E_AI_TANY, 2021 and
2023-2025; 2021 flagged ``fitted=False`` as a series break); the upstream files are read here,
once, and never copied into the project. 2025 is cross-checked against the independent SDMX
export (must agree within 0.1 pp).

Usage
-----
    .venv/bin/python scripts/build_adoption.py [UPSTREAM_DIR] [--out forecast/curated/adoption.csv]

``UPSTREAM_DIR`` defaults to ``../shared/data/eurostat_ai_adoption`` (see its SOURCE.md). The
output is deterministic: running the script twice gives byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast.adoption import adoption_from_upstream, load_adoption  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Read the raw files, tidy them and write the CSV; re-read it to check it validates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "upstream", nargs="?", type=Path, default=ROOT.parent / "shared" / "data" / "eurostat_ai_adoption"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "forecast" / "curated" / "adoption.csv")
    args = parser.parse_args(argv)
    table = adoption_from_upstream(args.upstream)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, float_format="%.2f", lineterminator="\n")
    back = load_adoption(args.out)
    assert len(back) == len(table)
    print(
        f"wrote {args.out} ({len(table)} rows, {table['geo'].nunique()} geos, "
        f"{int((~table['fitted']).sum())} series-break rows not fitted)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
