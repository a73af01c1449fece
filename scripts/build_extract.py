"""Build the packaged trend extract ``forecast/curated/extract.csv`` and its ``ATTRIBUTION.md``.

The upstream files are read through :func:`forecast.data.load_upstream`, so the extract holds
exactly what the forecaster would fit to (frontier selection, drops and derived log values
already applied); they are never copied into the project. After writing, the script re-reads
the extract and checks that it reproduces the upstream frames exactly.

Usage
-----
    .venv/bin/python scripts/build_extract.py [--data ../shared/data] [--out forecast/curated/extract.csv]
        [--frontier epoch_flag|top_n] [--top-n 10] [--window-years 1.0] [--start-year 2010]
        [--spending frontier_table|training_costs] [--models-file frontier_ai_models.csv]

The CSV is deterministic for fixed inputs; ATTRIBUTION.md also records the build date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast.data import FrontierRule, load_extract, load_upstream, write_extract  # noqa: E402
from forecast.errors import DataError  # noqa: E402

# Upstream provenance, copied from each folder's SOURCE.md (repository, commit of the snapshot).
PROVENANCE = {
    "epoch_ai_models/frontier_ai_models.csv": (
        "github.com/sidx04/karma-police (mirror of Epoch's AI-models download)",
        "7d8a035ca075dac6fff73fa17093f81370d4c6a2",
    ),
    "epoch_ai_models/notable_ai_models.csv": (
        "github.com/sidx04/karma-police (mirror of Epoch's AI-models download)",
        "7d8a035ca075dac6fff73fa17093f81370d4c6a2",
    ),
    "epoch_ai_models/all_ml_systems_full_view_2025-06-20.csv": (
        "github.com/epoch-research/training-cost-trends",
        "263c40a159307e917213d1dc433c617e47d55bfe",
    ),
    "epoch_ml_hardware/ml_hardware.csv": (
        "github.com/natepaulo43-oss/Capstone-AI-Capex-Wall (vendored Epoch download)",
        "efc5e00199e325df2a3832947e1a20c3dc25e5d7",
    ),
    "epoch_ml_hardware/hardware_prices_2025-06-20.csv": (
        "github.com/epoch-research/training-cost-trends",
        "263c40a159307e917213d1dc433c617e47d55bfe",
    ),
    "epoch_ml_hardware/chip_dataset_grid_view_2025-06-20.csv": (
        "github.com/epoch-research/training-cost-trends",
        "263c40a159307e917213d1dc433c617e47d55bfe",
    ),
    "epoch_training_costs/model_costs.csv": (
        "github.com/epoch-research/training-cost-trends",
        "263c40a159307e917213d1dc433c617e47d55bfe",
    ),
    "cv_algorithmic_progress/imagenet.csv": (
        "github.com/Besiroglu/computer_vision_data",
        "32a1108c4b013ef255ebfb3d6f451b12ccc7c2ec",
    ),
    "epoch_capabilities_index/epoch_capabilities_index.csv": (
        "github.com/peterhurford/metr_graph (mirror of Epoch's ECI export)",
        "dde102f52788969e5e4c75bd75151786f50e541f",
    ),
}


def attribution(frames, built: str) -> str:
    """ATTRIBUTION.md text: credits, provenance and a machine-readable build block."""
    meta = frames.meta
    rule = meta["frontier_rule"]
    rule_json = json.dumps({k: v for k, v in rule.items() if k != "description"})
    rows = meta["rows"]
    files = "\n".join(
        f"| `{label}` | {PROVENANCE.get(label, ('unknown', ''))[0]} | "
        f"`{PROVENANCE.get(label, ('', 'unknown'))[1]}` | `{sha[:16]}…` |"
        for label, sha in meta["files"].items()
    )
    build = {
        "built": built,
        "frontier_rule": rule,
        "models_file": meta["models_file"],
        "spending_series": meta["spending_series"],
        "spending_unit": meta["spending_unit"],
        "rows": rows,
        "dropped": meta["dropped"],
        "files": meta["files"],
        "vintage": meta["vintage"],
    }
    spending_credit = (
        "Epoch AI, 'Data on AI Models' (`Training compute cost (2023 USD)`)"
        if meta["spending_series"] == "frontier_table"
        else "Epoch AI / Cottier et al. (2024), training-cost-trends (`Hardware_Capex_Energy_Cost`)"
    )
    return f"""# Attribution for `extract.csv`

`extract.csv` is a small derived extract (log-scale values of the series the forecaster fits),
built on {built} by `scripts/build_extract.py` from the upstream files listed below. The
upstream files are not redistributed here.

## Credits and licences

- **compute** ({rows["compute"]} rows) and **spending** ({rows["spending"]} rows): Epoch AI,
  "Data on AI Models", https://epoch.ai/data/ai-models, licensed **CC BY 4.0**. Spending:
  {spending_credit}.
- **hardware_release** ({rows["hardware_release"]} rows): Epoch AI, "Data on Machine Learning
  Hardware", https://epoch.ai/data/machine-learning-hardware, **CC BY 4.0**.
- **hardware_cloud** ({rows["hardware_cloud"]} rows): Epoch AI hardware price table and chip
  database, published in github.com/epoch-research/training-cost-trends (Cottier, Rahman,
  Fattorini, Maslej, Besiroglu & Owen, "The rising costs of training frontier AI models",
  arXiv:2405.21015), Epoch AI data, **CC BY 4.0**.
- **eci** ({rows["eci"]} models): Epoch AI, "Epoch Capabilities Index",
  https://epoch.ai/benchmarks/eci, **CC BY 4.0**.
- **imagenet** ({rows["imagenet"]} models): Erdil, E. & Besiroglu, T. (2022), "Algorithmic
  progress in computer vision", arXiv:2212.05153; data from
  github.com/Besiroglu/computer_vision_data (no licence stated; cite the paper).

Epoch AI data may be used, shared and reproduced if the source and authors are credited
(CC BY 4.0, https://creativecommons.org/licenses/by/4.0/). The values here are transformed
(log10 ratios, frontier selection, averaging of repeated cloud quotes); Epoch AI does not
endorse this extract.

## Selection

- Frontier rule: {rule["description"]} (`{rule_json}`).
- Models table: `{meta["models_file"]}`; spending series: `{meta["spending_series"]}`
  ({meta["spending_unit"]}).
- Latest date in the extract: {meta["vintage"]}. The upstream model tables were trimmed to
  2025-06-30.
- Rows dropped, by series and reason, are in the build block below.

## Upstream files

| file | repository | commit | sha256 (first 16 hex) |
|---|---|---|---|
{files}

## Build metadata

`forecast.data.load_extract` reads this block into `TrendFrames.meta["build"]`.

```json
{json.dumps(build, indent=2)}
```
"""


def main(argv: list[str] | None = None) -> int:
    """Load the upstream data, write the extract and ATTRIBUTION.md, and verify the round trip."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "forecast" / "curated" / "extract.csv")
    parser.add_argument("--frontier", choices=["epoch_flag", "top_n"], default="epoch_flag")
    parser.add_argument("--top-n", type=int, default=10)
    parser.add_argument("--window-years", type=float, default=1.0)
    parser.add_argument("--start-year", type=float, default=2010.0)
    parser.add_argument("--spending", choices=["frontier_table", "training_costs"], default="frontier_table")
    parser.add_argument("--models-file", default="frontier_ai_models.csv")
    args = parser.parse_args(argv)
    try:
        rule = FrontierRule(args.frontier, args.top_n, args.window_years, args.start_year)
        frames = load_upstream(args.data, rule, spending=args.spending, models_file=args.models_file)
        out = write_extract(frames, args.out)
        back = load_extract(out)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for series, df in frames.frames().items():
        pd.testing.assert_frame_equal(df, getattr(back, series))
    built = dt.date.today().isoformat()
    (out.parent / "ATTRIBUTION.md").write_text(attribution(frames, built), encoding="utf-8")
    size = out.stat().st_size
    print(f"wrote {out} ({size / 1024:.0f} KiB) and {out.parent / 'ATTRIBUTION.md'}")
    for series, n in frames.meta["rows"].items():
        print(f"  {series:17s} {n:4d} rows  dropped {frames.meta['dropped'][series]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
