"""One-call GPU check of the simulate engine: correctness vs CPU float64, determinism, throughput.

Run on a GPU machine (see benchmarks/RESULTS.md for the exact ``run`` tool command). Steps:

1. Correctness: the same seed and ``--check-paths`` paths on the GPU in float32 and on the host
   CPU in float64. Every yearly quantile (6 log10 series, total and 22 group shares) of the GPU
   result must sit inside the CPU histogram's ECDF within Z * sqrt(2 q (1-q) / n) (+- one bin),
   and every exceedance / crossing probability within a two-sample z-test at Z: the float32
   engine must agree with float64 within Monte Carlo error. The maximum quantile difference in
   bins is reported too (same seed, so it is mostly 0-1 bins).
2. Determinism: the GPU float32 histograms for two chunk sizes must be bit-identical.
3. Throughput: float32 cells/s (cells = paths x 216 monthly steps x 22 groups, 2022-2040) at
   1e8 and 1e9 paths (warm; compile timed separately); 1e9 is skipped, with an estimate, when
   1e8 says it would take longer than ``--max-seconds``. Goal on one H100: >= 3e11 cells/s.

Writes ``gpu_check.json`` and ``gpu_check.md`` to ``--out`` (default ``$OUT`` or ``.``) and
exits 1 when a correctness or determinism check fails.

Usage
-----
    python3 benchmarks/gpu_check.py [--check-paths 1000000] [--chunk 4194304] [--max-seconds 240]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_ENABLE_X64", "True")  # int64 counts, and the float64 CPU reference
os.environ.setdefault("JAX_NUM_CPU_DEVICES", str(os.cpu_count() or 1))
Z = 4.5
BASE, UNTIL = 2022, 2040


def _inputs(jax, log):
    from forecast.posterior import trend_draws
    from forecast.scenarios import load_scenario
    from tests.synthetic import fake_automation, synthetic_posterior

    with jax.default_device(jax.devices("cpu")[0]):
        trend = trend_draws(synthetic_posterior(jax.random.key(1), 4, 1000))
        auto = fake_automation(2, 1000)
    log("inputs: synthetic trend posterior (4x1000), synthetic requirement draws (1000, 44 cells)")
    return trend, auto, load_scenario("central").params


def _compare(h_gpu, h_cpu, n):
    """Failures of the GPU-vs-CPU comparison at level Z, and the max quantile gap in bins."""
    import numpy as np

    from forecast.kernel import LOG_BIN_LOW, LOG_BIN_WIDTH, SHARE_BIN_WIDTH
    from forecast.summaries import QUANTILES, histogram_quantiles

    bad, max_gap = [], 0.0
    for name, low, width in (("log_hist", LOG_BIN_LOW, LOG_BIN_WIDTH), ("share_hist", 0.0, SHARE_BIN_WIDTH)):
        qg = histogram_quantiles(h_gpu[name], low, width)
        qc = histogram_quantiles(h_cpu[name], low, width)
        max_gap = max(max_gap, float(np.max(np.abs(qg - qc)) / width))
        cum = np.cumsum(h_cpu[name], axis=-1) / n  # ECDF at each bin's upper edge
        for idx in np.ndindex(*h_cpu[name].shape[:2]):
            for j, q in enumerate(QUANTILES):
                x = qg[idx + (j,)]
                b_lo = int(np.clip(np.floor((x - width - low) / width), -1, cum.shape[-1] - 1))
                b_hi = int(np.clip(np.floor((x + width - low) / width), 0, cum.shape[-1] - 1))
                lo = cum[idx + (b_lo,)] if b_lo >= 0 else 0.0
                hi = cum[idx + (b_hi,)]
                tol = Z * np.sqrt(2 * q * (1 - q) / n)
                if not lo - tol <= q <= hi + tol:
                    bad.append([name, *map(int, idx), q, float(lo), float(hi)])
    for name in ("factor_exceed", "crossing"):
        p1, p2 = h_gpu[name] / n, h_cpu[name] / n
        pbar = (p1 + p2) / 2
        se = np.sqrt(2 * pbar * (1 - pbar) / n)
        for idx in zip(*np.nonzero(np.abs(p1 - p2) > Z * se + 1e-12), strict=True):
            bad.append([name, *map(int, idx), float(p1[idx]), float(p2[idx])])
    return bad, max_gap


def main(argv: list[str] | None = None) -> int:
    """Run the checks and timings; write JSON and markdown."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check-paths", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=1 << 22)
    ap.add_argument("--sizes", default="1e8,1e9")
    ap.add_argument("--max-seconds", type=float, default=240.0)
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    import jax
    import numpy as np

    from forecast.kernel import STEPS_PER_YEAR
    from forecast.simulate import chunk_memory_bytes, run_histograms

    gpu = [d for d in jax.devices() if d.platform != "cpu"]
    cpu = jax.devices("cpu")
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "host": platform.node(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "accelerators": [d.device_kind for d in gpu],
        "cpu_devices": len(cpu),
        "checks": {},
        "timings": [],
    }
    log(
        f"jax {jax.__version__}, backend {jax.default_backend()}, accelerators {report['accelerators']}, "
        f"{len(cpu)} CPU devices"
    )
    if not gpu:
        log("no accelerator: running everything on CPU (smoke test of this script only)")
    target = gpu or cpu
    trend, auto, sc = _inputs(jax, log)
    n_groups = len(auto.groups)
    steps = (UNTIL - BASE) * STEPS_PER_YEAR
    kw = dict(base_year=BASE, until_year=UNTIL, key=jax.random.key(20240601))
    ok = True

    # 1. float32 accelerator vs float64 CPU, same seed
    n = args.check_paths
    run_histograms(trend, auto, sc, paths=1000, chunk_size=100_000 * len(cpu), devices=cpu, dtype="float64", **kw)
    t = time.perf_counter()  # CPU timed warm (compiled above), as the accelerator is below
    h_cpu, m_cpu = run_histograms(
        trend, auto, sc, paths=n, chunk_size=100_000 * len(cpu), devices=cpu, dtype="float64", **kw
    )
    t_cpu = time.perf_counter() - t
    h_gpu, m_gpu = run_histograms(
        trend, auto, sc, paths=n, chunk_size=min(args.chunk, n), devices=target, dtype="float32", **kw
    )
    bad, gap = _compare(h_gpu, h_cpu, n)
    report["checks"]["float32_vs_cpu_float64"] = {
        "paths": n,
        "failures": bad[:50],
        "n_failures": len(bad),
        "max_quantile_gap_bins": gap,
        "z": Z,
        "cpu_seconds": t_cpu,
        "cpu_cells_per_s": n * steps * n_groups / t_cpu,
    }
    ok &= not bad
    log(
        f"check float32 ({m_gpu['backend']}) vs float64 (cpu), {n} paths: {len(bad)} failures at Z={Z}; "
        f"max quantile gap {gap:.1f} bins; CPU float64 {n * steps * n_groups / t_cpu:.3e} cells/s"
    )

    # 2. determinism across chunk sizes on the accelerator
    h_a, _ = run_histograms(trend, auto, sc, paths=n, chunk_size=max(n // 3, 1), devices=target, dtype="float32", **kw)
    same = all(np.array_equal(h_a[k], h_gpu[k]) for k in h_gpu)
    report["checks"]["deterministic_across_chunks"] = {"chunks": [max(n // 3, 1), min(args.chunk, n)], "equal": same}
    ok &= same
    log(f"check bit-identical across chunk sizes {max(n // 3, 1)} and {min(args.chunk, n)}: {same}")

    # 3. throughput, float32
    chunk = args.chunk
    t = time.perf_counter()
    run_histograms(trend, auto, sc, paths=chunk, chunk_size=chunk, devices=target, dtype="float32", **kw)
    t_compile = time.perf_counter() - t
    mem = chunk_memory_bytes(chunk, len(target), UNTIL - BASE, n_groups, dtype_bytes=4, block=None if gpu else 1024)
    log(f"chunk {chunk} paths: compile+first call {t_compile:.2f} s; memory bound {mem / 1e9:.2f} GB/device")
    rate = None
    for size in (int(float(s)) for s in args.sizes.split(",")):
        cells = size * steps * n_groups
        if rate is not None and cells / rate > args.max_seconds:
            report["timings"].append({"paths": size, "skipped": True, "estimated_seconds": cells / rate})
            log(f"{size:.0e} paths: skipped, estimated {cells / rate:.0f} s > --max-seconds")
            continue
        t = time.perf_counter()
        run_histograms(trend, auto, sc, paths=size, chunk_size=chunk, devices=target, dtype="float32", **kw)
        sec = time.perf_counter() - t
        rate = cells / sec
        report["timings"].append(
            {
                "paths": size,
                "chunk": chunk,
                "seconds": sec,
                "cells": cells,
                "cells_per_s": rate,
                "compile_seconds": t_compile,
                "ratio_to_cpu_float64_same_run": rate / (n * steps * n_groups / t_cpu),
            }
        )
        log(
            f"{size:.0e} paths: {sec:.2f} s, {rate:.3e} cells/s (goal 3e11), "
            f"{rate / (n * steps * n_groups / t_cpu):.0f}x the host CPU float64 in this run"
        )
    report["ok"] = bool(ok)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=2))
    md = [
        "# gpu_check",
        "",
        f"- date {report['date']}, jax {report['jax']}, {report['accelerators'] or 'CPU only'}",
        f"- command `{report['command']}`",
        "",
        "```",
        *lines,
        "```",
        "",
        f"overall: {'PASS' if ok else 'FAIL'}",
    ]
    (out / "gpu_check.md").write_text("\n".join(md) + "\n")
    log(f"overall: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
