"""One self-contained ``report.html`` per run.

The report is a single HTML file with no external resources: every figure is a base64 PNG data
URI, the style sheet is inline and there is no JavaScript, so it can be mailed, archived or opened
offline. Every piece of text that comes from data, configuration or the manifest goes through
:func:`html.escape`.

Contents, in order: headline verdict and key numbers; doubling times against the published
9 / 30 / 7 months; effective-compute fan chart and the 2030 probabilities; published figures
beside ours (the seeds table); automation shares and crossing years; sampler diagnostics (the
convergence verdict with its reasons, the gate numbers and arviz-plots figures); run metadata
(run id, seed, backend and devices, versions, data and prior hashes, frontier rule, simulation
settings); data vintage, sources and attribution.

:func:`build_report` is the entry point; the figures come from :mod:`forecast.plots`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REPORT_NAME = "report.html"

#: Sources and licences, as shown in the report (see ``forecast/data/ATTRIBUTION.md`` and
#: ``forecast/data/OCCUPATIONS.md`` for the upstream files and commits).
SOURCES: tuple[tuple[str, str, str], ...] = (
    ("Epoch AI, “Data on AI Models” (training compute, training cost in 2023 USD, frontier flag)",
     "CC BY 4.0", "https://epoch.ai/data/ai-models"),
    ("Epoch AI, “Data on Machine Learning Hardware” (release prices, FP32 performance)",
     "CC BY 4.0", "https://epoch.ai/data/machine-learning-hardware"),
    ("Epoch AI hardware price table and chip database, github.com/epoch-research/training-cost-trends "
     "(Cottier et al., “The rising costs of training frontier AI models”, arXiv:2405.21015)",
     "CC BY 4.0", "https://github.com/epoch-research/training-cost-trends"),
    ("Epoch AI, “Epoch Capabilities Index”", "CC BY 4.0", "https://epoch.ai/benchmarks/eci"),
    ("Erdil & Besiroglu (2022), “Algorithmic progress in computer vision”, arXiv:2212.05153 "
     "(ImageNet data, github.com/Besiroglu/computer_vision_data)",
     "no licence stated; cited", "https://arxiv.org/abs/2212.05153"),
    ("Eloundou, Manning, Mishkin & Rock, “GPTs are GPTs”, Science 2024 (exposure labels, "
     "github.com/openai/GPTs-are-GPTs)", "MIT, © 2024 OpenAI", "https://github.com/openai/GPTs-are-GPTs"),
    ("O*NET 27.x task statements (O*NET Resource Center, USDOL/ETA)", "CC BY 4.0",
     "https://www.onetcenter.org/database.html"),
    ("U.S. Bureau of Labor Statistics, Occupational Employment and Wage Statistics, May 2021",
     "public domain (U.S. federal government work)", "https://www.bls.gov/oes/"),
    ("Eurostat, “Artificial intelligence by size class of enterprise” (isoc_eb_ai, E_AI_TANY)",
     "© European Union; reuse under CC BY 4.0 (Commission Decision 2011/833/EU)",
     "https://ec.europa.eu/eurostat/databrowser/view/isoc_eb_ai/default/table"),
)

ATTRIBUTION_NOTE = (
    "Epoch AI data may be used, shared and reproduced with credit to the source and authors "
    "(CC BY 4.0). The values used here are transformed (log10 ratios, frontier selection, averaging of "
    "repeated cloud quotes); Epoch AI, OpenAI, the BLS and Eurostat do not endorse this analysis."
)

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;color:#1d2329;
background:#f6f7f9;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:18px 28px 40px;background:#fff}
h1{font-size:1.6em;margin:.3em 0 .1em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:2px solid #e3e6ea;
padding-bottom:.2em}h3{font-size:1.05em;margin-top:1.2em}
.sub{color:#5a6570;margin:0 0 1em}
.verdict{display:inline-block;padding:.25em .8em;border-radius:4px;font-weight:700;color:#fff;letter-spacing:.03em}
.verdict.pass{background:#2b8a3e}.verdict.fail{background:#c92a2a}.verdict.unknown{background:#868e96}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.9em}
th,td{border:1px solid #dde1e5;padding:.28em .6em;text-align:left;vertical-align:top}
th{background:#f1f3f5}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:.8em 0 1.4em}figure img{max-width:100%;height:auto;border:1px solid #e3e6ea}
figcaption{color:#5a6570;font-size:.88em;margin-top:.3em}
code{font-size:.86em;background:#f1f3f5;padding:0 .25em;border-radius:3px;word-break:break-all}
ul.reasons li{color:#a61e1e}.note{color:#5a6570;font-size:.9em}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin:.8em 0}
.kpi{border:1px solid #dde1e5;border-radius:6px;padding:.5em .8em;min-width:150px}
.kpi b{display:block;font-size:1.25em}.kpi span{color:#5a6570;font-size:.82em}
footer{color:#5a6570;font-size:.82em;margin-top:2em}
"""


# ---------------------------------------------------------------------------------------------
# Small formatting helpers (all return escaped HTML)
# ---------------------------------------------------------------------------------------------


def esc(value: Any) -> str:
    """Escape any value for HTML text or attribute content.

    Examples
    --------
    >>> esc("<b>&")
    '&lt;b&gt;&amp;'
    """
    return html.escape(str(value), quote=True)


def fmt_num(value: Any, digits: int = 1) -> str:
    """Format a number with fixed decimals; NaN/None as an em dash, inf as ``∞``.

    Examples
    --------
    >>> fmt_num(6.3175), fmt_num(float("nan")), fmt_num(12, 0)
    ('6.3', '—', '12')
    """
    if value is None:
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.{digits}f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """Format a probability in [0, 1] as a percentage.

    Examples
    --------
    >>> fmt_pct(0.94686)
    '94.7%'
    """
    s = fmt_num(None if value is None else 100.0 * float(value), digits)
    return s if s == "—" else f"{s}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, numeric: Sequence[bool] | None = None,
           caption: str | None = None) -> str:
    """HTML table; every cell is escaped, ``numeric`` cells are right-aligned."""
    numeric = numeric or [False] * len(header)
    out = ["<table>"]
    if caption:
        out.append(f"<caption class='note'>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead><tbody>")
    for row in rows:
        cells = "".join(f"<td class='num'>{esc(c)}</td>" if n else f"<td>{esc(c)}</td>"
                        for c, n in zip(row, numeric, strict=True))
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _kv_table(pairs: Sequence[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{_value_html(v)}</td></tr>" for k, v in pairs)
    return f"<table>{rows}</table>"


def _value_html(value: Any) -> str:
    if isinstance(value, Mapping):
        if not value:
            return "—"
        return "<br>".join(f"{esc(k)}: {_value_html(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return esc(", ".join(str(v) for v in value)) if value else "—"
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return f"<code>{esc(value)}</code>"
    return "—" if value is None else esc(value)


def png_data_uri(path: Path) -> str:
    """Read a PNG and return it as a ``data:image/png;base64,...`` URI.

    Raises
    ------
    ValueError
        The file is not a PNG.
    """
    data = Path(path).read_bytes()
    if not data.startswith(PNG_MAGIC):
        raise ValueError(f"{path}: not a PNG file")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _figure(path: Path | None, caption: str, alt: str) -> str:
    if path is None:
        return ""
    return (f"<figure><img src='{png_data_uri(path)}' alt='{esc(alt)}'>"
            f"<figcaption>{esc(caption)}</figcaption></figure>")


# ---------------------------------------------------------------------------------------------
# Tables computed from library outputs
# ---------------------------------------------------------------------------------------------


def doubling_rows(posterior_dt, published: Mapping[str, float] = plots.PUBLISHED_DOUBLING_MONTHS) -> pd.DataFrame:
    """Median and 90% interval of ``doubling_months`` per component, with the published value.

    Parameters
    ----------
    posterior_dt
        Fitted DataTree with ``posterior/doubling_months(chain, draw, component)``.
    published
        ``{component: months}``; components not listed get NaN.

    Returns
    -------
    pandas.DataFrame
        Index ``component``; columns ``median, q05, q95, published``.
    """
    months = posterior_dt["posterior"]["doubling_months"]
    rows = []
    for comp in months["component"].values:
        v = np.asarray(months.sel(component=comp).values, dtype="float64").ravel()
        q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95])
        rows.append({"component": str(comp), "median": q50, "q05": q05, "q95": q95,
                     "published": published.get(str(comp), np.nan)})
    return pd.DataFrame(rows).set_index("component")


def probability_rows(simulations: Mapping[str, Any]) -> pd.DataFrame:
    """Headline numbers at each scenario's ``prob_year`` (2030 by default).

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``year``, median/q05/q95 of the log10 effective-compute factor,
        ``p_ge_<oom>`` for each factor threshold, and median/q05/q95 of the total automatable share.
    """
    rows = []
    for name, res in simulations.items():
        ds = res.to_dataset() if hasattr(res, "to_dataset") else res
        year = int(res.attrs.get("prob_year", 2030))
        row: dict[str, Any] = {"scenario": name, "year": year, "base_year": int(res.attrs.get("base_year", 0))}
        years = [int(y) for y in ds["year"].values]
        if year in years:
            f = ds["log10_factor"].sel(series="effective", year=year)
            s = ds["share_total"].sel(year=year)
            row.update({"factor_median": float(f.sel(quantile=0.5)), "factor_q05": float(f.sel(quantile=0.05)),
                        "factor_q95": float(f.sel(quantile=0.95)), "share_median": float(s.sel(quantile=0.5)),
                        "share_q05": float(s.sel(quantile=0.05)), "share_q95": float(s.sel(quantile=0.95))})
            p = ds["prob_factor_at_least"].sel(year=year)
            for thr in p["factor_threshold_oom"].values:
                row[f"p_ge_{float(thr):g}"] = float(p.sel(factor_threshold_oom=thr))
        rows.append(row)
    return pd.DataFrame(rows)


def crossing_rows(simulations: Mapping[str, Any]) -> pd.DataFrame:
    """Crossing-year quantiles (first year the total share reaches 20/50/80%) per scenario.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, threshold, q05, median, q95, p_by_until, until_year``; ``inf`` means
        not reached by ``until_year``.
    """
    rows = []
    for name, res in simulations.items():
        ds = res.to_dataset() if hasattr(res, "to_dataset") else res
        until = int(ds["year"].values[-1])
        for thr in ds["share_threshold"].values:
            q = ds["crossing_year_quantile"].sel(share_threshold=thr)
            rows.append({"scenario": name, "threshold": float(thr), "q05": float(q.sel(quantile=0.05)),
                         "median": float(q.sel(quantile=0.5)), "q95": float(q.sel(quantile=0.95)),
                         "p_by_until": float(ds["prob_crossed_by"].sel(share_threshold=thr).isel(year=-1)),
                         "until_year": until})
    return pd.DataFrame(rows)


def _year(value: float, until: int) -> str:
    return f"after {until}" if not math.isfinite(value) else str(int(value))


def gate_summary(gate: Any, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise the convergence verdict to a dict.

    Parameters
    ----------
    gate
        A :class:`forecast.infer.GateResult`, a mapping like ``manifest["convergence"]``, or
        ``None`` (then ``manifest["convergence"]`` is used).
    manifest
        The fit manifest.

    Returns
    -------
    dict
        ``passed`` (bool or None when unknown), ``failures`` (list of str), ``divergences``,
        ``treedepth_share``, ``bfmi`` and ``table`` (a DataFrame or None).
    """
    if gate is None:
        gate = manifest.get("convergence")
    if gate is None:
        return {"passed": None, "failures": [], "divergences": None, "treedepth_share": None, "bfmi": [],
                "table": None}
    if isinstance(gate, Mapping):
        failures = [str(f) for f in gate.get("failures", [])]
        passed = gate.get("passed", not failures)
        return {"passed": bool(passed), "failures": failures, "divergences": gate.get("divergences"),
                "treedepth_share": gate.get("treedepth_share"), "bfmi": list(gate.get("bfmi", [])),
                "table": gate.get("table")}
    failures = [str(f) for f in gate.failures]
    return {"passed": not failures, "failures": failures, "divergences": gate.divergences,
            "treedepth_share": gate.treedepth_share, "bfmi": list(gate.bfmi), "table": gate.table}


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------


def _verdict_badge(passed: bool | None) -> str:
    if passed is None:
        return "<span class='verdict unknown'>UNKNOWN</span>"
    return "<span class='verdict pass'>PASSED</span>" if passed else "<span class='verdict fail'>FAILED</span>"


def _section_doubling(dbl: pd.DataFrame, fig: Path | None) -> str:
    rows = []
    for comp, r in dbl.iterrows():
        pub = r["published"]
        inside = "—" if not np.isfinite(pub) else ("yes" if r["q05"] <= pub <= r["q95"] else "no")
        rows.append([comp, fmt_num(r["median"]), f"{fmt_num(r['q05'])} – {fmt_num(r['q95'])}",
                     fmt_num(pub, 0), inside])
    table = _table(["component", "median (months)", "90% interval", "published (months)", "published inside 90%?"],
                   rows, numeric=[False, True, True, True, False])
    return ("<section id='doubling'><h2>Doubling times</h2>"
            "<p class='note'>Posterior of 12·log10(2)/growth per component; published: algorithmic 9, hardware "
            "(FLOP/$) 30, spending 7 months.</p>"
            + table + _figure(fig, "Posterior of each doubling time (histogram, median, 90% interval) with the "
                                   "published value dashed.", "doubling-time posteriors") + "</section>")


def _section_effective(probs: pd.DataFrame, fig: Path | None) -> str:
    if probs.empty:
        return ""
    thr_cols = [c for c in probs.columns if c.startswith("p_ge_")]
    header = ["scenario", "year", "log10 factor, median", "90% interval",
              *(f"P(factor ≥ 1e{c[5:]})" for c in thr_cols), "total automatable share, median", "90% interval"]
    rows = []
    for _, r in probs.iterrows():
        rows.append([r["scenario"], r["year"], fmt_num(r.get("factor_median"), 2),
                     f"{fmt_num(r.get('factor_q05'), 2)} – {fmt_num(r.get('factor_q95'), 2)}",
                     *(fmt_pct(r.get(c)) for c in thr_cols), fmt_pct(r.get("share_median")),
                     f"{fmt_pct(r.get('share_q05'))} – {fmt_pct(r.get('share_q95'))}"])
    base = int(probs["base_year"].iloc[0]) if "base_year" in probs else ""
    table = _table(header, rows, numeric=[False, True, True, True, *([True] * len(thr_cols)), True, True])
    return ("<section id='effective'><h2>Effective compute and 2030 probabilities</h2>"
            f"<p class='note'>Effective compute = frontier training compute × algorithmic progress, as a log10 "
            f"factor relative to {esc(base)}. Published 2030 bands: 1e4 (conservative), 1e8 (central), "
            "1e12 (explosive).</p>"
            + table + _figure(fig, "Yearly 5/25/50/75/95% quantiles per scenario; diamonds mark the published "
                                   "2030 bands.", "effective-compute fan chart") + "</section>")


def _section_seeds(seeds: pd.DataFrame | None) -> str:
    if seeds is None or seeds.empty:
        return ("<section id='seeds'><h2>Published figures beside ours</h2>"
                "<p class='note'>Not computed for this report.</p></section>")
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
    table = _table(["item", "published", "ours (median)", "ours 90%", "unit", "note"], rows,
                   numeric=[False, True, True, True, False, False])
    return "<section id='seeds'><h2>Published figures beside ours</h2>" + table + "</section>"


def _section_automation(cross: pd.DataFrame, figs: Mapping[str, Path]) -> str:
    parts = ["<section id='automation'><h2>Automation of tasks</h2>",
             "<p class='note'>Share of tasks automatable at the simulated effective compute (FLOP-gap curves "
             "calibrated on GPTs-are-GPTs exposure labels), employment-weighted over SOC major groups "
             "(BLS OEWS May 2021). Exposure is potential, not realised automation.</p>",
             _figure(figs.get("share_total"), "Total automatable share per scenario (median, 25–75%, 5–95%).",
                     "automation share fan chart")]
    if not cross.empty:
        rows = []
        for _, r in cross.iterrows():
            u = int(r["until_year"])
            lo, hi = _year(r["q05"], u), _year(r["q95"], u)
            rows.append([r["scenario"], f"{r['threshold']:.0%}", _year(r["median"], u),
                         lo if lo == hi else f"{lo} – {hi}", fmt_pct(r["p_by_until"]), u])
        parts.append("<h3>Crossing years</h3>")
        parts.append(_table(["scenario", "total share reaches", "median year", "90% interval",
                             "P(by last year)", "last year simulated"], rows,
                            numeric=[False, True, True, True, True, True]))
        parts.append(_figure(figs.get("crossing"), "P(total share has crossed the threshold by the year).",
                             "crossing-year distributions"))
    parts.append(_figure(figs.get("share_groups"), "Automatable share per SOC major group.",
                         "automation share per occupation group"))
    parts.append("</section>")
    return "".join(parts)


def _section_diagnostics(g: Mapping[str, Any], figs: Mapping[str, Path]) -> str:
    parts = ["<section id='diagnostics'><h2>Sampler diagnostics</h2>",
             f"<p>Convergence gate: {_verdict_badge(g['passed'])}</p>"]
    if g["failures"]:
        parts.append("<ul class='reasons'>" + "".join(f"<li>{esc(f)}</li>" for f in g["failures"]) + "</ul>")
    bfmi = ", ".join(fmt_num(b, 2) for b in g["bfmi"]) or "—"
    td = g["treedepth_share"]
    parts.append(_kv_table([
        ("divergent transitions", g["divergences"]),
        ("share at max tree depth", "—" if td is None else fmt_pct(td, 2)),
        ("E-BFMI per chain", bfmi),
        ("thresholds", "R-hat ≤ 1.01 (max of rank and folded); bulk and tail ESS ≥ 100 per chain; "
                       "E-BFMI ≥ 0.3; no divergences; ≤ 1% at max tree depth"),
    ]))
    table = g.get("table")
    if isinstance(table, pd.DataFrame) and not table.empty:
        cols = [c for c in ("mean", "q05", "median", "q95", "rhat", "ess_bulk", "ess_tail") if c in table.columns]
        rows = [[idx, *(fmt_num(r[c], 3 if c == "rhat" else 0 if c.startswith("ess") else 3) for c in cols)]
                for idx, r in table.iterrows()]
        parts.append("<details><summary>Per-quantity R-hat and ESS</summary>"
                     + _table(["quantity", *cols], rows, numeric=[False, *([True] * len(cols))]) + "</details>")
    for role, caption in (("diag_trace", "Trace and marginal posteriors (arviz-plots)."),
                          ("diag_rank", "Rank plots per chain (arviz-plots)."),
                          ("diag_ppc", "Posterior predictive check (arviz-plots).")):
        parts.append(_figure(figs.get(role), caption, role.replace("_", " ")))
    parts.append("</section>")
    return "".join(parts)


def _section_metadata(manifest: Mapping[str, Any], simulations: Mapping[str, Any]) -> str:
    env = manifest.get("environment", {}) or {}
    data = manifest.get("data", {}) or {}
    priors = manifest.get("priors", {}) or {}
    rule = data.get("frontier_rule") or (data.get("build") or {}).get("frontier_rule") or {}
    rule_text = None
    if rule:
        rule_text = f"{rule.get('description', '')} (method {rule.get('method', '?')}; " + ", ".join(
            f"{k}={v}" for k, v in sorted(rule.items()) if k not in ("description", "method")) + ")"
    pairs = [
        ("run id", manifest.get("run_id")),
        ("status", manifest.get("status")),
        ("started / finished", f"{manifest.get('started_at', '—')} / {manifest.get('finished_at', '—')}"),
        ("seed", manifest.get("seed")),
        ("sampler", manifest.get("sampler")),
        ("effective chain method", manifest.get("chain_method_effective")),
        ("backend", env.get("backend")),
        ("devices", env.get("devices")),
        ("device kind", env.get("device_kind")),
        ("Python", env.get("python")),
        ("versions", env.get("versions")),
        ("git commit", env.get("git_commit")),
        ("priors file", priors.get("path")),
        ("priors sha256", priors.get("sha256")),
        ("data", data.get("path")),
        ("data file hashes (sha256)", data.get("files")),
        ("upstream file hashes (sha256)", (data.get("build") or {}).get("files")),
        ("frontier rule", rule_text),
        ("fitted only on data up to", data.get("as_of")),
    ]
    parts = ["<section id='metadata'><h2>Run metadata</h2>", _kv_table(pairs)]
    if simulations:
        rows = []
        for name, res in simulations.items():
            a = res.attrs
            rows.append([name, a.get("paths", "—"), f"{a.get('base_year', '—')} → {a.get('until_year', '—')}",
                         a.get("backend", "—"), a.get("devices", "—"), a.get("chunk_size", "—"),
                         a.get("key_data", "—"), str(a.get("scenario_sha256", ""))[:16] or "—"])
        parts.append("<h3>Simulations</h3>")
        parts.append(_table(["scenario", "paths", "years", "backend", "devices", "chunk size", "PRNG key data",
                             "scenario file sha256 (16 hex)"], rows,
                            numeric=[False, True, False, False, False, True, False, False]))
        rationale = [(n, r.attrs.get("scenario_rationale")) for n, r in simulations.items()
                     if r.attrs.get("scenario_rationale")]
        if rationale:
            parts.append("<details><summary>Scenario rationales</summary><dl>"
                         + "".join(f"<dt><b>{esc(n)}</b></dt><dd>{esc(t)}</dd>" for n, t in rationale)
                         + "</dl></details>")
    parts.append("</section>")
    return "".join(parts)


def _section_sources(manifest: Mapping[str, Any]) -> str:
    data = manifest.get("data", {}) or {}
    build = data.get("build") or {}
    by_series = data.get("vintage_by_series") or {}
    rows_n = data.get("rows") or {}
    parts = ["<section id='sources'><h2>Data vintage and sources</h2>",
             _kv_table([("latest data point", data.get("vintage")),
                        ("extract built", build.get("built")),
                        ("employment vintage", "BLS OEWS May 2021 (TOT_EMP)")])]
    if by_series:
        parts.append(_table(["series", "latest date", "rows"],
                            [[s, d, rows_n.get(s, "—")] for s, d in by_series.items()],
                            numeric=[False, False, True]))
    items = "".join(f"<li>{esc(text)} — <b>{esc(lic)}</b>. <span class='note'>{esc(url)}</span></li>"
                    for text, lic, url in SOURCES)
    parts.append(f"<ul>{items}</ul><p class='note'>{esc(ATTRIBUTION_NOTE)}</p></section>")
    return "".join(parts)


def _kpis(dbl: pd.DataFrame | None, probs: pd.DataFrame, g: Mapping[str, Any]) -> str:
    cards = [("convergence", "PASSED" if g["passed"] else "FAILED" if g["passed"] is False else "UNKNOWN")]
    if dbl is not None:
        for comp in ("algorithmic", "hardware", "spending"):
            if comp in dbl.index:
                cards.append((f"{comp} doubling (months)", fmt_num(dbl.loc[comp, "median"])))
    if not probs.empty and "trend" in set(probs["scenario"]) and "p_ge_8" in probs:
        r = probs.set_index("scenario").loc["trend"]
        cards.append((f"P({int(r['year'])} factor ≥ 1e8 | trend)", fmt_pct(r["p_ge_8"])))
    return "<div class='kpis'>" + "".join(f"<div class='kpi'><b>{esc(v)}</b><span>{esc(k)}</span></div>"
                                          for k, v in cards) + "</div>"


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def build_report(
    run_dir: Path,
    *,
    posterior,
    simulations: Mapping[str, Any] | None = None,
    seeds: pd.DataFrame | None = None,
    gate: Any = None,
    manifest: Mapping[str, Any] | None = None,
    diagnostic_pngs: Sequence[Path] | None = None,
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
    figures_dir: Path | None = None,
    out_path: Path | None = None,
) -> Path:
    """Write one self-contained HTML report for a fit run (and its simulations).

    Parameters
    ----------
    run_dir
        The fit run directory. ``manifest.json`` is read from it when ``manifest`` is None.
    posterior
        Fitted posterior DataTree (``posterior.nc``), with ``doubling_months``.
    simulations
        ``{scenario: simulate(...) result}``; may be empty or None (then the effective-compute,
        automation and crossing sections are left out).
    seeds
        Table from :func:`forecast.simulate.seeds_table`, or None.
    gate
        :class:`forecast.infer.GateResult`, a mapping like ``manifest["convergence"]``, or None
        (then ``manifest["convergence"]``).
    manifest
        Fit manifest; default: read from ``run_dir``.
    diagnostic_pngs
        Already-written arviz-plots PNGs (e.g. ``diagnose_run(...).plots``: ``trace.png``,
        ``rank.png``, ``ppc.png``), embedded by file stem. None: draw them with
        :func:`forecast.plots.diagnostic_plots`.
    extra_tables
        ``{heading: DataFrame}`` appended as extra sections (values shown as they are).
    figures_dir
        Where the PNGs are written; default ``run_dir/figures``.
    out_path
        Report file; default ``run_dir/report.html``. Written atomically.

    Returns
    -------
    pathlib.Path
        The report written.
    """
    run_dir = Path(run_dir)
    simulations = dict(simulations or {})
    if manifest is None:
        mpath = run_dir / "manifest.json"
        manifest = json.loads(mpath.read_text()) if mpath.is_file() else {}
    figures_dir = Path(figures_dir) if figures_dir is not None else run_dir / "figures"
    out_path = Path(out_path) if out_path is not None else run_dir / REPORT_NAME

    figs = plots.report_plots(posterior, simulations, figures_dir, diagnostics=diagnostic_pngs is None)
    for p in diagnostic_pngs or ():
        figs[f"diag_{Path(p).stem}"] = Path(p)
    has_doubling = "doubling_months" in posterior["posterior"].data_vars
    dbl = doubling_rows(posterior) if has_doubling else None
    probs = probability_rows(simulations)
    cross = crossing_rows(simulations)
    g = gate_summary(gate, manifest)
    run_id = manifest.get("run_id") or posterior.attrs.get("run_id") or run_dir.name

    body = [
        f"<h1>Forecast report — run {esc(run_id)}</h1>",
        f"<p class='sub'>Convergence {_verdict_badge(g['passed'])} · status {esc(manifest.get('status', '—'))} · "
        f"seed {esc(manifest.get('seed', posterior.attrs.get('seed', '—')))} · backend "
        f"{esc((manifest.get('environment') or {}).get('backend', '—'))} · data up to "
        f"{esc((manifest.get('data') or {}).get('vintage', '—'))}</p>",
        _kpis(dbl, probs, g),
    ]
    if g["failures"]:
        body.append("<p><b>The posterior failed the convergence gate; read every number below with care:</b></p>"
                    "<ul class='reasons'>" + "".join(f"<li>{esc(f)}</li>" for f in g["failures"][:10]) + "</ul>")
    if dbl is not None:
        body.append(_section_doubling(dbl, figs.get("doubling")))
    if simulations:
        body.append(_section_effective(probs, figs.get("effective")))
    body.append(_section_seeds(seeds))
    if simulations:
        body.append(_section_automation(cross, figs))
    for heading, df in (extra_tables or {}).items():
        frame = df.reset_index() if df.index.name is not None else df
        body.append(f"<section><h2>{esc(heading)}</h2>"
                    + _table([str(c) for c in frame.columns],
                             [[fmt_num(v, 3) if isinstance(v, float) else v for v in row]
                              for row in frame.itertuples(index=False)])
                    + "</section>")
    body.append(_section_diagnostics(g, figs))
    body.append(_section_metadata(manifest, simulations))
    body.append(_section_sources(manifest))
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body.append(f"<footer>Generated {esc(stamp)} by forecast "
                f"{esc(((manifest.get('environment') or {}).get('versions') or {}).get('forecast', ''))}."
                "</footer>")
    doc = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
           "<meta name='viewport' content='width=device-width, initial-scale=1'>"
           f"<title>Forecast report — {esc(run_id)}</title><style>{_CSS}</style></head>"
           f"<body><main>{''.join(body)}</main></body></html>\n")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    tmp.write_text(doc, encoding="utf-8")
    os.replace(tmp, out_path)
    return out_path


__all__ = ["build_report", "doubling_rows", "probability_rows", "crossing_rows", "gate_summary", "png_data_uri",
           "esc", "fmt_num", "fmt_pct", "SOURCES"]


def screenshot(report_path: Path | str, out_png: Path | str | None = None, *, width: int = 1280, height: int = 3600,
               chromium: str | None = None, timeout_s: float = 60.0) -> Path | None:
    """Render a report in headless Chromium and save a PNG beside it.

    Uses the ``chromium`` binary directly (no Python driver needed at run time). Returns ``None``
    when no Chromium is installed (``scripts/install_chromium.sh`` installs it) or it fails, so
    the main job never fails for want of a browser.
    """
    import shutil
    import subprocess
    import tempfile

    report_path = Path(report_path).resolve()
    out_png = Path(out_png) if out_png is not None else report_path.with_suffix(".png")
    binary = chromium or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if binary is None:
        return None
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={out_png.resolve()}",
            report_path.as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
    return out_png if out_png.is_file() and out_png.stat().st_size > 0 else None
