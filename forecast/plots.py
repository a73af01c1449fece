"""Plots: sampler diagnostics through arviz-plots (matplotlib backend, written as PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: CLI and CI have no display

import arviz as az  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

#: The quantities analysts read first.
KEY_VARS = ["growth", "identity_gap", "growth_domain", "noise", "student_df"]


def diagnostic_plots(dt, out_dir: Path) -> list[str]:
    """Write trace, rank and posterior-predictive plots of a fit as PNG files.

    Parameters
    ----------
    dt
        DataTree with ``posterior`` (and ``posterior_predictive`` / ``observed_data`` for PPC).
    out_dir
        Existing directory to write into.

    Returns
    -------
    list of str
        File names written.
    """
    out_dir = Path(out_dir)
    names = []
    pc = az.plot_trace_dist(dt, var_names=KEY_VARS, backend="matplotlib")
    pc.savefig(out_dir / "trace.png", dpi=80)
    names.append("trace.png")
    plt.close("all")
    pc = az.plot_rank(dt, var_names=KEY_VARS, backend="matplotlib")
    pc.savefig(out_dir / "rank.png", dpi=80)
    names.append("rank.png")
    plt.close("all")
    if "posterior_predictive" in dt.children:
        pc = az.plot_ppc_dist(dt, num_samples=50, backend="matplotlib")
        pc.savefig(out_dir / "ppc.png", dpi=80)
        names.append("ppc.png")
        plt.close("all")
    return names
