"""Every plot function writes a non-empty, valid PNG from small synthetic inputs."""

from __future__ import annotations

import struct

import pytest

from forecast import plots
from tests.report_inputs import small_inputs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path, min_bytes: int = 2000, min_px: int = 200):
    """PNG signature, an IHDR chunk with a sane size, an IEND trailer, and a plausible file size."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path}: not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= min_px and height >= min_px // 2, (width, height)
    assert data[-8:-4] == b"IEND"
    assert len(data) >= min_bytes, f"{path}: only {len(data)} bytes"
    return width, height


@pytest.fixture(scope="module")
def inputs():
    return small_inputs()


def test_effective_compute_fan(inputs, tmp_path):
    _, sims, _ = inputs
    path = plots.effective_compute_fan(sims, tmp_path / "new")  # creates the directory
    assert path.parent == tmp_path / "new"
    assert_png(path)


def test_effective_compute_fan_one_scenario_and_dataset(inputs, tmp_path):
    """A single scenario, passed as the root Dataset rather than the DataTree, also works."""
    _, sims, _ = inputs
    path = plots.effective_compute_fan({"central": sims["central"].to_dataset()}, tmp_path, filename="one.png")
    assert path.name == "one.png"
    assert_png(path)


def test_doubling_time_plot(inputs, tmp_path):
    dt, _, _ = inputs
    assert_png(plots.doubling_time_plot(dt, tmp_path))


def test_automation_share_plots(inputs, tmp_path):
    _, sims, _ = inputs
    assert_png(plots.automation_share_fan(sims, tmp_path))
    path = plots.automation_group_fan(sims["central"], tmp_path)
    assert path.name == "automation_share_groups_central.png"
    width, height = assert_png(path)
    assert width > height  # 22 groups in a 6-column grid


def test_crossing_year_plot(inputs, tmp_path):
    _, sims, _ = inputs
    assert_png(plots.crossing_year_plot(sims, tmp_path))


def test_diagnostic_plots_keeps_contract(inputs, tmp_path):
    """The original ``diagnostic_plots(dt, out_dir) -> list[str]`` still works on a posterior
    that lacks some of the key variables (they are skipped)."""
    dt, _, _ = inputs
    names = plots.diagnostic_plots(dt, tmp_path)
    assert names == ["trace.png", "rank.png"]
    for name in names:
        assert_png(tmp_path / name)


def test_report_plots_roles(inputs, tmp_path):
    dt, sims, _ = inputs
    paths = plots.report_plots(dt, sims, tmp_path, diagnostics=False)
    assert set(paths) == {"doubling", "effective", "share_total", "share_groups", "crossing"}
    assert all(p.parent == tmp_path for p in paths.values())


def test_empty_simulations_rejected(tmp_path):
    with pytest.raises(ValueError, match="no simulations"):
        plots.effective_compute_fan({}, tmp_path)
