"""Report sections on where a run's numbers come from: run metadata, data vintage, sources, licences.

Each function returns an escaped HTML fragment (a ``<section>``), as those of :mod:`forecast.sections`;
:func:`forecast.report.build_report` places them last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forecast.html import esc, kv_table, table
from forecast.manifest import RunManifest

__all__ = ["ATTRIBUTION_NOTE", "SOURCES", "metadata", "sources"]

#: Sources and licences, as shown in the report (see ``forecast/curated/ATTRIBUTION.md`` and
#: ``forecast/curated/OCCUPATIONS.md`` for the upstream files and commits).
SOURCES: tuple[tuple[str, str, str], ...] = (
    (
        "Epoch AI, “Data on AI Models” (training compute, training cost in 2023 USD, frontier flag)",
        "CC BY 4.0",
        "https://epoch.ai/data/ai-models",
    ),
    (
        "Epoch AI, “Data on Machine Learning Hardware” (release prices, FP32 performance)",
        "CC BY 4.0",
        "https://epoch.ai/data/machine-learning-hardware",
    ),
    (
        "Epoch AI hardware price table and chip database, github.com/epoch-research/training-cost-trends "
        "(Cottier et al., “The rising costs of training frontier AI models”, arXiv:2405.21015)",
        "CC BY 4.0",
        "https://github.com/epoch-research/training-cost-trends",
    ),
    ("Epoch AI, “Epoch Capabilities Index”", "CC BY 4.0", "https://epoch.ai/benchmarks/eci"),
    (
        "Erdil & Besiroglu (2022), “Algorithmic progress in computer vision”, arXiv:2212.05153 "
        "(ImageNet data, github.com/Besiroglu/computer_vision_data)",
        "no licence stated; cited",
        "https://arxiv.org/abs/2212.05153",
    ),
    (
        "Eloundou, Manning, Mishkin & Rock, “GPTs are GPTs”, Science 2024 (exposure labels, "
        "github.com/openai/GPTs-are-GPTs)",
        "MIT, © 2024 OpenAI",
        "https://github.com/openai/GPTs-are-GPTs",
    ),
    (
        "O*NET 27.x task statements (O*NET Resource Center, USDOL/ETA)",
        "CC BY 4.0",
        "https://www.onetcenter.org/database.html",
    ),
    (
        "U.S. Bureau of Labor Statistics, Occupational Employment and Wage Statistics, May 2021",
        "public domain (U.S. federal government work)",
        "https://www.bls.gov/oes/",
    ),
    (
        "Eurostat, “Artificial intelligence by size class of enterprise” (isoc_eb_ai, E_AI_TANY)",
        "© European Union; reuse under CC BY 4.0 (Commission Decision 2011/833/EU)",
        "https://ec.europa.eu/eurostat/databrowser/view/isoc_eb_ai/default/table",
    ),
)

ATTRIBUTION_NOTE = (
    "Epoch AI data may be used, shared and reproduced with credit to the source and authors "
    "(CC BY 4.0). The values used here are transformed (log10 ratios, frontier selection, averaging of "
    "repeated cloud quotes); Epoch AI, OpenAI, the BLS and Eurostat do not endorse this analysis."
)


def metadata(manifest: RunManifest, simulations: Mapping[str, Any]) -> str:
    """The run-metadata section: what ran, where, with which seed, priors, data and simulations.

    Parameters
    ----------
    manifest
        The run's :class:`~forecast.manifest.RunManifest`.
    simulations
        Simulation results by scenario name; their ``attrs`` (paths, years, backend, devices,
        chunk size, key data, scenario hash and rationale) fill the simulations table.

    Returns
    -------
    str
        An escaped ``<section id='metadata'>`` fragment.
    """
    env = manifest.environment
    data = manifest.data or {}
    rule = data.get("frontier_rule") or (data.get("build") or {}).get("frontier_rule") or {}
    rule_text = None
    if rule:
        # method first, then any parameters of the rule (none for Epoch's own flag)
        params = [f"{k}={v}" for k, v in sorted(rule.items()) if k not in ("description", "method")]
        method = f"method {rule.get('method', '?')}"
        rule_text = f"{rule.get('description', '')} ({'; '.join([method, *params])})"
    pairs = [
        ("run id", manifest.run_id),
        ("status", manifest.status),
        ("started / finished", f"{manifest.started_at} / {manifest.finished_at or '—'}"),
        ("seed", manifest.seed),
        ("sampler", manifest.config.get("sampler")),
        ("effective chain method", manifest.chain_method),
        ("backend", env.backend),
        ("devices", env.devices),
        ("device kind", env.device_kind),
        ("Python", env.python),
        ("versions", env.versions),
        ("git commit", f"{env.git_commit} (with uncommitted changes)" if env.git_dirty else env.git_commit),
        *((f"{role} priors file", rec.path) for role, rec in manifest.priors.items()),
        *((f"{role} priors sha256", rec.sha256) for role, rec in manifest.priors.items()),
        ("data", data.get("path")),
        ("data file hashes (sha256)", data.get("files")),
        ("upstream file hashes (sha256)", (data.get("build") or {}).get("files")),
        ("frontier rule", rule_text),
        ("fitted only on data up to", data.get("as_of")),
    ]
    parts = ["<section id='metadata'><h2>Run metadata</h2>", kv_table(pairs)]
    if simulations:
        rows = []
        for name, res in simulations.items():
            a = res.attrs
            rows.append(
                [
                    name,
                    a.get("paths", "—"),
                    f"{a.get('base_year', '—')} → {a.get('until_year', '—')}",
                    a.get("backend", "—"),
                    a.get("devices", "—"),
                    a.get("chunk_size", "—"),
                    a.get("key_data", "—"),
                    str(a.get("scenario_sha256", ""))[:16] or "—",
                ]
            )
        parts.append("<h3>Simulations</h3>")
        parts.append(
            table(
                [
                    "scenario",
                    "paths",
                    "years",
                    "backend",
                    "devices",
                    "chunk size",
                    "PRNG key data",
                    "scenario file sha256 (16 hex)",
                ],
                rows,
                numeric=[False, True, False, False, False, True, False, False],
            )
        )
        rationale = [
            (n, r.attrs.get("scenario_rationale")) for n, r in simulations.items() if r.attrs.get("scenario_rationale")
        ]
        if rationale:
            parts.append(
                "<details><summary>Scenario rationales</summary><dl>"
                + "".join(f"<dt><b>{esc(n)}</b></dt><dd>{esc(t)}</dd>" for n, t in rationale)
                + "</dl></details>"
            )
    parts.append("</section>")
    return "".join(parts)


def sources(manifest: RunManifest) -> str:
    """The data-vintage and sources section: latest dates per series, :data:`SOURCES` and licences.

    Returns
    -------
    str
        An escaped ``<section id='sources'>`` fragment.
    """
    data = manifest.data or {}
    build = data.get("build") or {}
    by_series = data.get("vintage_by_series") or {}
    rows_n = data.get("rows") or {}
    parts = [
        "<section id='sources'><h2>Data vintage and sources</h2>",
        kv_table(
            [
                ("latest data point", data.get("vintage")),
                ("extract built", build.get("built")),
                ("employment vintage", "BLS OEWS May 2021 (TOT_EMP)"),
            ]
        ),
    ]
    if by_series:
        parts.append(
            table(
                ["series", "latest date", "rows"],
                [[s, d, rows_n.get(s, "—")] for s, d in by_series.items()],
                numeric=[False, False, True],
            )
        )
    items = "".join(
        f"<li>{esc(text)} — <b>{esc(lic)}</b>. <span class='note'>{esc(url)}</span></li>" for text, lic, url in SOURCES
    )
    parts.append(f"<ul>{items}</ul><p class='note'>{esc(ATTRIBUTION_NOTE)}</p></section>")
    return "".join(parts)
