"""The report's provenance sections: run metadata, data vintage, sources and licences."""

from __future__ import annotations

import html

import xarray as xr

from forecast.provenance import ATTRIBUTION_NOTE, SOURCES, metadata, sources
from tests.test_report import MANIFEST


def test_metadata_names_the_run_escaped_with_its_rule_and_a_dirty_tree():
    dirty = MANIFEST.model_copy(update={"environment": MANIFEST.environment.model_copy(update={"git_dirty": True})})
    out = metadata(dirty, {})
    assert "fit-test-&lt;script&gt;" in out and "<script>" not in out
    assert "0123abcd (with uncommitted changes)" in out
    assert "(method epoch_flag)" in out  # the frontier rule with its method, no other keys
    assert "<h3>Simulations</h3>" not in out  # no table without simulations
    assert "0123abcd (with" not in metadata(MANIFEST, {})  # clean or unknown: the commit alone


def test_metadata_lists_each_simulation_and_its_rationale():
    attrs = {"paths": 4000, "base_year": 2025, "until_year": 2035, "backend": "cpu", "scenario_sha256": "c" * 64}
    sims = {
        "central": xr.Dataset(attrs={**attrs, "scenario_rationale": "Ten times <a year>"}),
        "trend": xr.Dataset(attrs=attrs),
    }
    out = metadata(MANIFEST, sims)
    assert out.count("2025 → 2035") == 2 and "c" * 16 in out and "c" * 17 not in out
    assert "<dt><b>central</b></dt><dd>Ten times &lt;a year&gt;</dd>" in out
    assert "<dt><b>trend</b></dt>" not in out  # no rationale, no entry


def test_sources_list_every_source_licence_and_series_vintage():
    out = sources(MANIFEST)
    for text, lic, url in SOURCES:
        assert html.escape(text, quote=True) in out and html.escape(lic, quote=True) in out and url in out
    assert html.escape(ATTRIBUTION_NOTE, quote=True) in out
    assert "2025-04-05" in out and ">83<" in out  # per-series latest date and rows
