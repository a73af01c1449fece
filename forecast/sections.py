"""The sections of ``report.html``: each renders one part of the report from library outputs.

Every function returns an escaped HTML fragment (a ``<section>``); :func:`forecast.report.build_report`
orders them. The run's own sections (metadata, sources and licences) are in
:mod:`forecast.provenance`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.gate import ConvergenceVerdict
from forecast.html import esc, figure, fmt_num, fmt_pct, kv_table, table


def _year(value: float, until: int) -> str:
    return f"after {until}" if not math.isfinite(value) else str(int(value))


def verdict_badge(passed: bool | None) -> str:
    if passed is None:
        return "<span class='verdict unknown'>UNKNOWN</span>"
    return "<span class='verdict pass'>PASSED</span>" if passed else "<span class='verdict fail'>FAILED</span>"


def doubling(dbl: pd.DataFrame, fig: Path | None) -> str:
    rows = []
    for comp, r in dbl.iterrows():
        pub = r["published"]
        inside = "—" if not np.isfinite(pub) else ("yes" if r["q05"] <= pub <= r["q95"] else "no")
        rows.append([comp, fmt_num(r["median"]), f"{fmt_num(r['q05'])} – {fmt_num(r['q95'])}", fmt_num(pub, 0), inside])
    rows_html = table(
        ["component", "median (months)", "90% interval", "published (months)", "published inside 90%?"],
        rows,
        numeric=[False, True, True, True, False],
    )
    return (
        "<section id='doubling'><h2>Doubling times</h2>"
        "<p class='note'>Posterior of 12·log10(2)/growth per component; published: algorithmic 9, hardware "
        "(FLOP/$) 30, spending 7 months.</p>"
        + rows_html
        + figure(
            fig,
            "Posterior of each doubling time (histogram, median, 90% interval) with the published value dashed.",
            "doubling-time posteriors",
        )
        + "</section>"
    )


def effective(probs: pd.DataFrame, fig: Path | None) -> str:
    if probs.empty:
        return ""
    thr_cols = [c for c in probs.columns if c.startswith("p_ge_")]
    header = [
        "scenario",
        "year",
        "log10 factor, median",
        "90% interval",
        *(f"P(factor ≥ 1e{c[5:]})" for c in thr_cols),
        "total automatable share, median",
        "90% interval",
    ]
    rows = []
    for _, r in probs.iterrows():
        rows.append(
            [
                f"{r['scenario']} — {r['kind']}" if r.get("kind") else r["scenario"],
                r["year"],
                fmt_num(r.get("factor_median"), 2),
                f"{fmt_num(r.get('factor_q05'), 2)} – {fmt_num(r.get('factor_q95'), 2)}",
                *(fmt_pct(r.get(c)) for c in thr_cols),
                fmt_pct(r.get("share_median")),
                f"{fmt_pct(r.get('share_q05'))} – {fmt_pct(r.get('share_q95'))}",
            ]
        )
    base = int(probs["base_year"].iloc[0]) if "base_year" in probs else ""
    rows_html = table(header, rows, numeric=[False, True, True, True, *([True] * len(thr_cols)), True, True])
    return (
        "<section id='effective'><h2>Effective compute and 2030 probabilities</h2>"
        f"<p class='note'>Effective compute = frontier training compute × algorithmic progress, as a log10 "
        f"factor relative to {esc(base)}. Published 2030 bands: 1e4 (conservative), 1e8 (central), "
        "1e12 (explosive). Reference scenarios (conservative, central, explosive) impose those figures on "
        "the fitted rates from where the data end: <b>imposed, not forecast</b>. The structural forecasts "
        "come out of the model: each path draws the GDP-share cap and the physical limit on the largest run, "
        "the algorithmic slowdown and the feedback from automated AI research (priors/structural.toml); "
        "named ones condition those priors.</p>"
        + rows_html
        + figure(
            fig,
            "Yearly 5/25/50/75/95% quantiles per scenario; diamonds mark the published 2030 bands.",
            "effective-compute fan chart",
        )
        + "</section>"
    )


def seeds(seeds: pd.DataFrame | None) -> str:
    if seeds is None or seeds.empty:
        return (
            "<section id='seeds'><h2>Published figures beside ours</h2>"
            "<p class='note'>Not computed for this report.</p></section>"
        )
    rows = []
    for _, r in seeds.iterrows():
        prob = str(r.get("unit")) == "probability"
        f = fmt_pct if prob else (lambda v: fmt_num(v, 2))
        lo, hi = r.get("published_low"), r.get("published_high")
        if pd.isna(lo):
            pub = "—"
        elif pd.isna(hi) or float(lo) == float(hi):
            pub = fmt_num(lo, 0) if float(lo).is_integer() else fmt_num(lo, 2)
        else:
            pub = f"{fmt_num(lo, 0)} – {fmt_num(hi, 0)}"
        interval = "—" if pd.isna(r.get("ours_q05")) else f"{f(r['ours_q05'])} – {f(r['ours_q95'])}"
        rows.append([r.get("item"), pub, f(r.get("ours_median")), interval, r.get("unit"), r.get("note")])
    rows_html = table(
        ["item", "published", "ours (median)", "ours 90%", "unit", "note"],
        rows,
        numeric=[False, True, True, True, False, False],
    )
    note = ""
    if seeds["item"].astype(str).str.startswith("gen-AI uplift").any():
        # the published uplift lies between our two quantities; say so rather than tune either
        note = (
            "<p class='note'>Gen-AI uplift 2019→2023: the published figures (≈30 pp for decision and "
            "management tasks, 10–20 pp for data processing, ≈2 pp for physical work) count tasks whose "
            "<em>automation potential</em> generative AI raised. Our two quantities bracket that notion: "
            "the share <em>technically automatable</em> (the model replaces the task; the requirement "
            "model puts most tasks several orders of magnitude beyond GPT-4's effective compute, so it "
            "moves by a few pp) and the share <em>exposed</em> (an LLM saves at least half the time, "
            "Eloundou et al.'s E1/E2, which moves by tens of pp). Neither is tuned to the published "
            "figures; the ordering across task types (physical smallest) is what the data share with them.</p>"
        )
    return "<section id='seeds'><h2>Published figures beside ours</h2>" + rows_html + note + "</section>"


def automation(
    cross: pd.DataFrame,
    figs: Mapping[str, Path],
    checks: pd.DataFrame | None = None,
    verdict: ConvergenceVerdict | None = None,
) -> str:
    parts = [
        "<section id='automation'><h2>Automation of tasks</h2>",
        "<p class='note'>Four quantities are kept apart. <b>Technically automatable</b> (capability): the "
        "frontier's effective compute has reached the task's requirement; requirements are fitted per SOC major "
        "group and task class (cognitive / physical) to the GPTs-are-GPTs exposure labels, GPT-4's automation "
        "levels and observed Claude use, with the takeoff model's priors for 100% of cognitive tasks and the FLOP "
        "gap; every task becomes automatable at a finite requirement. <b>Exposure</b> (time saving) comes earlier; "
        "<b>observed use</b> is what conversation data show; <b>realised automation</b> is capability in use at "
        "work (labour section). Groups are weighted by BLS OEWS May 2021 employment.</p>",
        figure(
            figs.get("share_total"),
            "Share of tasks technically automatable per scenario (cognitive tasks: "
            "median, 25–75%, 5–95%; dashed: all tasks, median).",
            "automation share fan chart",
        ),
    ]
    if verdict is not None:
        parts.append(
            f"<p>Automation model convergence gate: {verdict_badge(verdict.passed)}"
            + (f" ({esc('; '.join(verdict.failures[:3]))})" if verdict.failures else "")
            + "</p>"
        )
    if checks is not None and not checks.empty:
        rows = []
        for instrument, part in checks.groupby("instrument", sort=False):
            outside = ", ".join(part.loc[~part["inside"], "group"])
            rows.append([instrument, f"{int(part['inside'].sum())} / {len(part)}", outside or "—"])
        parts.append("<h3>Evidence against the model's predictive intervals</h3>")
        parts.append(
            "<p class='note'>Per occupation group: the observed share of its tasks (E1/E2 exposure, GPT-4 "
            "automation level T3–T4, seen in Claude conversations Dec 2024 – Jan 2025) inside the "
            "posterior predictive 90% interval of that share. Conversation data show use by one "
            "provider's (coding-heavy) users; absence of a task does not mean it is unusable.</p>"
        )
        parts.append(table(["evidence", "groups inside 90%", "groups outside"], rows, numeric=[False, True, False]))
    if not cross.empty:
        rows = []
        for _, r in cross.iterrows():
            u = int(r["until_year"])
            lo, hi = _year(r["q05"], u), _year(r["q95"], u)
            label = "100% (99%)" if r["threshold"] > 0.9 else f"{r['threshold']:.0%}"
            rows.append(
                [
                    r["scenario"],
                    label,
                    _year(r["median"], u),
                    lo if lo == hi else f"{lo} – {hi}",
                    fmt_pct(r["p_by_until"]),
                    u,
                ]
            )
        parts.append("<h3>When cognitive tasks become technically automatable</h3>")
        parts.append(
            table(
                [
                    "scenario",
                    "share of cognitive tasks",
                    "median year",
                    "90% interval",
                    "P(by last year)",
                    "last year simulated",
                ],
                rows,
                numeric=[False, True, True, True, True, True],
            )
        )
        parts.append(
            figure(
                figs.get("crossing"),
                "P(the cognitive share has reached the threshold by the year).",
                "crossing-year distributions",
            )
        )
    parts.append(
        figure(
            figs.get("share_groups"),
            "Share of each SOC major group's tasks technically automatable.",
            "automation share per occupation group",
        )
    )
    parts.append("</section>")
    return "".join(parts)


def _pct_or_pts(value: Any, unit: str) -> str:
    return fmt_num(value, 2) if unit == "ratio" else fmt_pct(value, 2)


def sensitivity(df: pd.DataFrame) -> str:
    """Global sensitivity of the structural forecast: Sobol indices with bootstrap standard errors."""
    rows = [
        [out, inp, f"{r['S1']:.2f} ± {r['S1_se']:.2f}", f"{r['ST']:.2f} ± {r['ST_se']:.2f}"]
        for (out, inp), r in df.iterrows()
    ]
    scenario, n, paths = df.attrs.get("scenario", "structural"), df.attrs.get("n", "?"), df.attrs.get("paths", "?")
    return (
        "<section id='sensitivity'><h2>What drives the forecast: global sensitivity</h2>"
        f"<p class='note'>Sobol indices of the {esc(scenario)} forecast (the Monte Carlo kernel itself, "
        f"{esc(n)} rows per design, {esc(paths)} paths): first order S1 (the share of the output's variance "
        "that input explains alone) and total ST (with all its interactions), ± bootstrap standard errors. "
        "Inputs: each structural prior (priors/structural.toml), a trend posterior draw and an automation "
        "posterior draw (one factor each). Crossing years not reached by the horizon count as the horizon. "
        "Indices near zero within two standard errors mean the input does not matter for that output.</p>"
        + table(["output", "input", "S1", "ST"], rows, numeric=[False, False, True, True])
        + "</section>"
    )


def labour(checks) -> str:
    """Backcast of the labour layer, ten-year TFP and the long-run decomposition
    (:class:`forecast.backcast.LabourChecks`)."""
    parts = ["<section id='labour'><h2>Labour layer against observations</h2>"]
    rows = []
    for _, r in checks.backcast.iterrows():
        lo, hi, unit = r["observed_low"], r["observed_high"], r["unit"]
        observed = _pct_or_pts(lo, unit) if lo == hi else f"{_pct_or_pts(lo, unit)} – {_pct_or_pts(hi, unit)}"
        rows.append(
            [
                r["check"],
                r["region"],
                r["window"],
                observed,
                _pct_or_pts(r["median"], unit),
                f"{_pct_or_pts(r['q05'], unit)} – {_pct_or_pts(r['q95'], unit)}",
                ("inside" if r["inside"] else "OUTSIDE") + (" (prior source)" if r["role"] == "prior source" else ""),
                r["source"],
            ]
        )
    n_checks = int((checks.backcast["role"] == "check").sum())
    n_inside = int((checks.backcast["inside"] & (checks.backcast["role"] == "check")).sum())
    parts.append(
        f"<p>Backcast 2023–2025: {n_inside} of {n_checks} independent checks inside the model's 90% "
        "interval (cumulative effects from ChatGPT's release, 2022.9; fitted trend; shares of all work "
        "hours; effects in log points). A row marked <em>prior source</em> set a prior, so it is not "
        "an independent check.</p>"
    )
    parts.append(
        table(
            ["observation", "region", "date", "observed", "model median", "model 90%", "", "source"],
            rows,
            numeric=[False, False, True, True, True, True, False, False],
        )
    )
    outside = checks.backcast[~checks.backcast["inside"]]
    if "NL / EU ratio of workers using AI (2025)" in set(outside["check"]):
        parts.append(
            "<p class='note'>The NL/EU ratio of people using generative AI for work (1.73) is above the "
            "model's ratio of workers in AI-using firms: firm adoption is a yes/no per enterprise, and "
            "weighting it by employment compresses the NL lead (large firms adopt in both). It points to "
            "two model changes: individual use that does not wait for the employer (shadow use), and NL "
            "size-class offsets instead of the EU-27 ones (not published for NL).</p>"
        )
    tfp_rows = [
        [
            r["check"],
            r["window"],
            fmt_pct(r["observed_low"], 2)
            if r["observed_low"] == r["observed_high"]
            else f"{fmt_pct(r['observed_low'], 2)} – {fmt_pct(r['observed_high'], 2)}",
            fmt_pct(r["median"], 2),
            f"{fmt_pct(r['q05'], 2)} – {fmt_pct(r['q95'], 2)}",
        ]
        for _, r in checks.ten_year_tfp.iterrows()
    ]
    parts.append("<h3>Ten-year TFP beside published estimates (US, fitted trend)</h3>")
    parts.append(table(["published estimate", "window", "published", "model median", "model 90%"], tfp_rows))
    parts.append(
        "<p class='note'>Published estimates are forecasts, not observations: the model's figure differs "
        "from Acemoglu's mainly because its technically automatable share keeps rising with effective "
        "compute and its cost saving grows as AI gets cheaper, where his holds 4.6% of tasks and a 27% "
        "saving fixed.</p>"
    )
    dec = checks.decomposition
    dec_rows = [
        [
            r["channel"],
            fmt_pct(r["published"], 0) if r["channel"] != "productivity_share" else f"> {fmt_pct(r['published'], 0)}",
            fmt_pct(r["median"], 1),
            f"{fmt_pct(r['q05'], 1)} – {fmt_pct(r['q95'], 1)}",
        ]
        for _, r in dec.iterrows()
    ]
    parts.append(f"<h3>Channels over 18 years, {esc(dec.attrs.get('window', ''))}, beside 1998–2016</h3>")
    parts.append(table(["channel", "published 1998–2016", "model median", "model 90%"], dec_rows))
    sens = checks.adoption_sensitivity
    parts.append(f"<h3>Sensitivity to the adoption ceiling and midpoint, {esc(sens.attrs.get('window', ''))}</h3>")
    parts.append(
        "<p class='note'>Three survey years identify only the early slope of the diffusion curve; the "
        "ceiling stays close to its prior, and a later midpoint comes with a higher ceiling (the data fix "
        "the early slope). Medians of the 2035 outcomes within each tercile of the draws.</p>"
    )
    parts.append(
        table(
            ["parameter", "tercile", "range", "realised share of tasks", "wage bill", "TFP"],
            [
                [
                    r["parameter"],
                    r["tercile"],
                    f"{fmt_num(r['parameter_low'], 2)} – {fmt_num(r['parameter_high'], 2)}",
                    fmt_pct(r["realised_total"], 1),
                    fmt_pct(r["wage_bill"], 1),
                    fmt_pct(r["tfp"], 1),
                ]
                for _, r in sens.iterrows()
            ],
        )
    )
    parts.append("</section>")
    return "".join(parts)


def diagnostics(v: ConvergenceVerdict | None, figs: Mapping[str, Path]) -> str:
    parts = [
        "<section id='diagnostics'><h2>Sampler diagnostics</h2>",
        f"<p>Convergence gate: {verdict_badge(None if v is None else v.passed)}</p>",
    ]
    if v is None:
        parts.append("<p class='note'>No convergence verdict recorded.</p></section>")
        return "".join(parts)
    if v.failures:
        parts.append("<ul class='reasons'>" + "".join(f"<li>{esc(f)}</li>" for f in v.failures) + "</ul>")
    parts.append(
        kv_table(
            [
                ("divergent transitions", v.divergences),
                ("share at max tree depth", fmt_pct(v.treedepth_share, 2)),
                ("E-BFMI per chain", ", ".join(fmt_num(b, 2) for b in v.bfmi) or "—"),
                (
                    "thresholds",
                    "R-hat ≤ 1.01 (rank-normalised: max of bulk and folded); bulk and tail ESS ≥ 100 per "
                    "chain; E-BFMI ≥ 0.3; no divergences; ≤ 1% at max tree depth",
                ),
            ]
        )
    )
    frame = v.table
    if isinstance(frame, pd.DataFrame) and not frame.empty:
        cols = [c for c in ("mean", "q05", "median", "q95", "rhat", "ess_bulk", "ess_tail") if c in frame.columns]
        rows = [
            [idx, *(fmt_num(r[c], 3 if c == "rhat" else 0 if c.startswith("ess") else 3) for c in cols)]
            for idx, r in frame.iterrows()
        ]
        parts.append(
            "<details><summary>Per-quantity R-hat and ESS</summary>"
            + table(["quantity", *cols], rows, numeric=[False, *([True] * len(cols))])
            + "</details>"
        )
    for role, caption in (
        ("diag_trace", "Trace and marginal posteriors (arviz-plots)."),
        ("diag_rank", "Rank plots per chain (arviz-plots)."),
        ("diag_ppc", "Posterior predictive check (arviz-plots)."),
    ):
        parts.append(figure(figs.get(role), caption, role.replace("_", " ")))
    parts.append("</section>")
    return "".join(parts)


def kpis(dbl: pd.DataFrame | None, probs: pd.DataFrame, v: ConvergenceVerdict | None) -> str:
    cards = [("convergence", "UNKNOWN" if v is None else "PASSED" if v.passed else "FAILED")]
    if dbl is not None:
        for comp in ("algorithmic", "hardware", "spending"):
            if comp in dbl.index:
                cards.append((f"{comp} doubling (months)", fmt_num(dbl.loc[comp, "median"])))
    for name, given in (("structural", "structural forecast"), ("trend", "trend")):
        if not probs.empty and name in set(probs["scenario"]) and "p_ge_8" in probs:
            r = probs.set_index("scenario").loc[name]
            cards.append((f"P({int(r['year'])} factor ≥ 1e8 | {given})", fmt_pct(r["p_ge_8"])))
    return (
        "<div class='kpis'>"
        + "".join(f"<div class='kpi'><b>{esc(v)}</b><span>{esc(k)}</span></div>" for k, v in cards)
        + "</div>"
    )


__all__ = [
    "automation",
    "diagnostics",
    "doubling",
    "effective",
    "kpis",
    "seeds",
    "sensitivity",
    "labour",
    "verdict_badge",
]
