"""report.html: content and escaping (plain Python), then rendering in headless Chromium.

The browser test needs Debian's ``chromium`` and ``chromium-driver`` (``scripts/install_chromium.sh``)
and the ``selenium`` package. Without them it is skipped locally, but when ``CI`` is set it fails,
so CI cannot go green without having rendered the report.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from forecast.gate import ConvergenceVerdict
from forecast.html import fmt_num
from forecast.manifest import RunManifest
from forecast.report import build_report, doubling_rows, probability_rows
from forecast.seeds import seeds_table
from tests.report_inputs import small_inputs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHROMIUM = os.environ.get("FORECAST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("FORECAST_CHROMEDRIVER", "/usr/bin/chromedriver")

#: Flags for an offline machine: without them Chromium keeps trying to reach Google services and
#: fills the log with refused connections.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)

MANIFEST = RunManifest.model_validate(
    {
        "kind": "fit",
        "run_id": "fit-test-<script>",  # must come out escaped
        "status": "FINISHED",
        "started_at": "2026-12-01T10:00:00+00:00",
        "argv": ["forecast", "run"],
        "seed": 1234,
        "config": {"sampler": {"chains": 2, "draws": 200, "warmup": 200}},
        "chain_method": "vectorized",
        "environment": {
            "backend": "cpu",
            "devices": ["cpu:0", "cpu:1"],
            "device_kind": "cpu",
            "python": "3.12",
            "platform": "Linux",
            "versions": {"jax": "0.12.0.1", "numpyro": "0.22.0", "arviz": "1.3.0"},
            "git_commit": "0123abcd",
            "jax_enable_x64": True,
            "jax_threefry_partitionable": True,
            "jax_default_matmul_precision": None,
        },
        "priors": {"trends": {"path": "priors/trends.toml", "sha256": "a" * 64}},
        "data": {
            "path": "packaged extract",
            "files": {"data/extract.csv": "b" * 64},
            "vintage": "2025-05-28",
            "vintage_by_series": {"compute": "2025-04-05", "spending": "2025-04-05"},
            "rows": {"compute": 83, "spending": 65},
            "frontier_rule": {"description": "Epoch AI's 'Frontier model' flag", "method": "epoch_flag"},
            "build": {"built": "2026-11-23"},
        },
        "convergence": {
            "passed": True,
            "failures": [],
            "chains": 2,
            "divergences": 0,
            "treedepth_share": 0.0,
            "bfmi": [0.95, 1.02],
        },
    }
)


class _Collect(HTMLParser):
    """Tags, <img> sources and <script>/<link> tags of a document."""

    def __init__(self):
        super().__init__()
        self.imgs, self.external, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.external.append(tag)


@pytest.fixture(scope="module")
def inputs():
    return small_inputs()


@pytest.fixture(scope="module")
def report(inputs, tmp_path_factory):
    """A report built from synthetic inputs; returns ``(path, expected strings)``."""
    dt, sims, auto = inputs
    run_dir = tmp_path_factory.mktemp("run")
    seeds = seeds_table(dt, sims, auto)
    path = build_report(run_dir, posterior=dt, simulations=sims, seeds=seeds, manifest=MANIFEST)
    dbl = doubling_rows(dt)
    expected = [fmt_num(dbl.loc[c, "median"]) for c in ("algorithmic", "hardware", "spending")]
    return path, expected


# ----------------------------------------------------------------------------- static checks


def test_report_is_self_contained(report):
    path, _ = report
    assert path.name == "report.html" and (path.parent / "figures").is_dir()
    doc = path.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(doc)
    assert parser.external == [], "report must not load scripts, style sheets or frames"
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:|//)""", doc), "no external resources"
    assert len(parser.imgs) >= 7  # doubling, fan, shares, crossing, groups, trace, rank
    for src in parser.imgs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG_MAGIC


def test_report_content_and_escaping(report, inputs):
    path, expected = report
    doc = path.read_text(encoding="utf-8")
    assert "<script>" not in doc and "fit-test-&lt;script&gt;" in doc
    for text in (
        "PASSED",
        "Doubling times",
        "Published figures beside ours",
        "When cognitive tasks become technically automatable",
        "Our two quantities bracket that notion",
        "Sampler diagnostics",
        "Run metadata",
        "CC BY 4.0",
        "MIT",
        "public domain",
        "Eurostat",
        "2025-05-28",
        "a" * 64,
        "epoch_flag",
        "cpu:0",
        "0.12.0.1",
        *expected,
    ):
        assert text in doc, text
    probs = probability_rows(inputs[1])
    p8 = probs.set_index("scenario").loc["trend", "p_ge_8"]
    assert f"{100 * p8:.1f}%" in doc


def test_failed_gate_lists_reasons(inputs, tmp_path):
    dt, sims, _ = inputs
    reason = "growth[algorithmic]: R-hat 1.050 > 1.01 <&>"
    verdict = ConvergenceVerdict(
        passed=False,
        failures=[reason, "3 divergent transitions after warm-up"],
        chains=2,
        divergences=3,
        treedepth_share=0.0,
        bfmi=[0.2],
    )
    path = build_report(
        tmp_path,
        posterior=dt,
        simulations={"central": sims["central"]},
        seeds=None,
        verdict=verdict,
        manifest=MANIFEST,
        diagnostic_pngs=[],
    )
    doc = path.read_text(encoding="utf-8")
    assert "FAILED" in doc and "PASSED" not in doc
    assert "R-hat 1.050 &gt; 1.01 &lt;&amp;&gt;" in doc and "3 divergent transitions" in doc


def test_labour_section(inputs, tmp_path):
    """The backcast table shows observed vs model, marks rows outside and prior sources, and the other two tables."""
    import pandas as pd

    from forecast.backcast import LabourChecks

    dt, _, _ = inputs
    row = dict(region="US", window="2024.9", unit="fraction", source="FIGURES <1.4>")
    backcast = pd.DataFrame(
        [
            dict(row, check="hours", observed_low=0.01, observed_high=0.05, q05=0.01, median=0.03, q95=0.09,
                 inside=True, role="prior source"),
            dict(row, check="NL / EU ratio of workers using AI (2025)", observed_low=1.73, observed_high=1.73,
                 q05=1.2, median=1.35, q95=1.5, inside=False, role="check", unit="ratio"),
        ]
    )  # fmt: skip
    ten = pd.DataFrame(
        [dict(check="Acemoglu", window="2024-2034", observed_low=0.0066, observed_high=0.0066, q05=0.06, median=0.17,
              q95=0.3)]
    )  # fmt: skip
    dec = pd.DataFrame([dict(channel="displacement", published=-0.12, q05=-0.7, median=-0.44, q95=-0.2)])
    dec.attrs["window"] = "2025-2043 (NL, fitted trend)"
    sens = pd.DataFrame(
        [dict(parameter="adoption_ceiling", tercile="low", parameter_low=0.4, parameter_high=0.6, realised_total=0.2,
              wage_bill=-0.01, tfp=0.1)]
    )  # fmt: skip
    sens.attrs["window"] = "2025-2035 (NL, fitted trend)"
    path = build_report(
        tmp_path, posterior=dt, simulations={}, seeds=None, manifest=MANIFEST, diagnostic_pngs=[],
        labour_checks=LabourChecks(backcast, ten, dec, sens),
    )  # fmt: skip
    doc = path.read_text(encoding="utf-8")
    for text in (
        "Labour layer against observations",
        "0 of 1 independent checks",
        "OUTSIDE",
        "(prior source)",
        "FIGURES &lt;1.4&gt;",
        "shadow use",
        "Ten-year TFP",
        "2025-2043 (NL, fitted trend)",
        "1.73",
    ):
        assert text in doc, text  # fmt: skip


def test_sensitivity_section_and_scenario_kinds(inputs, tmp_path):
    """Sobol table with standard errors; every reference scenario is labelled imposed, not forecast."""
    import pandas as pd

    dt, sims, _ = inputs
    index = pd.MultiIndex.from_product(
        [["log10 factor 2030 vs 2022"], ["log10_compute_limit_2030", "trend (posterior draw)"]],
        names=["output", "input"],
    )
    sens = pd.DataFrame(
        {"S1": [0.12, 0.7], "S1_se": [0.01, 0.02], "ST": [0.14, 0.71], "ST_se": [0.01, 0.01]}, index=index
    )
    sens.attrs.update({"scenario": "structural", "n": 4096, "paths": 45056})
    path = build_report(
        tmp_path, posterior=dt, simulations=sims, seeds=None, manifest=MANIFEST, diagnostic_pngs=[], sensitivity=sens
    )
    doc = path.read_text(encoding="utf-8")
    for text in ("What drives the forecast", "0.12 ± 0.01", "log10_compute_limit_2030", "45056 paths"):
        assert text in doc, text
    for name in ("conservative", "central", "explosive"):
        assert f"{name} — reference scenario: imposed, not forecast" in doc, name


def test_verdict_defaults_to_the_manifests(inputs, tmp_path):
    dt, sims, _ = inputs
    no_verdict = MANIFEST.model_copy(update={"convergence": None})
    path = build_report(tmp_path, posterior=dt, simulations={}, seeds=None, manifest=no_verdict, diagnostic_pngs=[])
    assert "UNKNOWN" in path.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- browser


def _browser_or_skip():
    """Import selenium and locate Chromium; skip locally, fail under CI, when anything is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).is_file() and os.access(p, os.X_OK))]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python package 'selenium' (the test extra)")
    if missing:
        msg = f"headless-browser test needs {', '.join(missing)}; run scripts/install_chromium.sh"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set: {msg}")
        pytest.skip(msg)


def open_chromium(user_data_dir: Path, width: int = 1280, height: int = 900):
    """Start headless Chromium through chromedriver with the offline flags and a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={user_data_dir}")
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # explicit driver path: Selenium Manager (which would try the network) is never consulted
    service = Service(executable_path=CHROMEDRIVER, log_output=subprocess.DEVNULL)
    return webdriver.Chrome(options=opts, service=service)


def render_report(path: Path, screenshot: Path, user_data_dir: Path) -> dict:
    """Open ``path`` in headless Chromium, collect what the checks need and save a screenshot.

    Returns
    -------
    dict
        ``severe`` (console messages at SEVERE level), ``images`` (``[src prefix, complete,
        naturalWidth]``), ``text`` (``document.body.innerText``), ``title``.
    """
    driver = open_chromium(user_data_dir)
    try:
        driver.set_page_load_timeout(30)
        driver.get(path.resolve().as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.src.slice(0, 22), i.complete, i.naturalWidth]);"
        )
        text = driver.execute_script("return document.body.innerText;")
        title = driver.title
        # full-page screenshot: grow the window to the document height (capped)
        height = int(driver.execute_script("return document.documentElement.scrollHeight;"))
        driver.set_window_size(1280, min(max(height, 900), 16000))
        driver.save_screenshot(str(screenshot))
        logs = driver.get_log("browser")
    finally:
        driver.quit()
    return {"severe": [e for e in logs if e.get("level") == "SEVERE"], "images": images, "text": text, "title": title}


@pytest.fixture(scope="module")
def browser():
    """Checked before the report fixture is built, so a skip costs nothing."""
    _browser_or_skip()


def test_report_renders_in_chromium(browser, report, tmp_path):
    path, expected = report
    shot = path.with_name("report.png")
    out = render_report(path, shot, tmp_path / "chromium-profile")
    assert out["severe"] == [], out["severe"]
    assert len(out["images"]) >= 7
    for src, complete, width in out["images"]:
        assert src.startswith("data:image/png;base64,"), src
        assert complete and width > 0, "an <img> did not load"
    assert "fit-test-<script>" in out["title"]
    text = out["text"]
    for value in expected:  # doubling-time medians
        assert value in text
    for heading in (
        "Doubling times",
        "Effective compute and 2030 probabilities",
        "When cognitive tasks become technically automatable",
        "Our two quantities bracket that notion",
        "Sampler diagnostics",
        "Data vintage and sources",
    ):
        assert heading in text
    assert "PASSED" in text
    data = shot.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 50_000
