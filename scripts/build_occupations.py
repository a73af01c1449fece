"""Build ``forecast/curated/occupations.csv`` from the upstream GPTs-are-GPTs files.

The package ships only this small curated extract (22 SOC major groups); the upstream files are
read here, once, and never copied into the project.

Usage
-----
    .venv/bin/python scripts/build_occupations.py [UPSTREAM_DIR] [--out forecast/curated/occupations.csv]

``UPSTREAM_DIR`` defaults to ``../shared/data/gpts_are_gpts`` (a copy of
github.com/openai/GPTs-are-GPTs ``data/`` at 0471612f; see its SOURCE.md). Wage columns
(``a_mean_wage``, ``h_mean_wage``, ``emp_share_{low,middle,high}_wage``) come from
:func:`forecast.macro.occupation_wages_from_upstream`. The output is
deterministic: running the script twice gives byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast.occupations import occupation_wages_from_upstream, occupations_from_upstream  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Read the upstream files, aggregate to SOC major groups and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream", nargs="?", type=Path, default=ROOT.parent / "shared" / "data" / "gpts_are_gpts")
    parser.add_argument("--out", type=Path, default=ROOT / "forecast" / "curated" / "occupations.csv")
    args = parser.parse_args(argv)
    table = occupations_from_upstream(args.upstream)
    # Wage columns for the macro layer (forecast/macro.py): OEWS major-group mean wages and the
    # group's employment shares in employment-weighted wage terciles of detailed occupations.
    wages = occupation_wages_from_upstream(args.upstream)
    table = table.merge(wages, on="group", how="left", validate="one_to_one")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, float_format="%.6f", lineterminator="\n")
    cuts = ", ".join(f"${c:,.0f}" for c in wages.attrs["tier_cuts_usd"])
    print(f"wrote {args.out} ({len(table)} groups, {int(table['employment'].sum()):,} employed; wage-tier cuts {cuts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
