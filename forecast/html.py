"""HTML toolkit of the report: escaping, number formats, tables, embedded figures, the style
sheet, and a headless-Chromium screenshot. Every function returns escaped HTML; nothing here
knows what a forecast is.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

CSS = """
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


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    numeric: Sequence[bool] | None = None,
    caption: str | None = None,
) -> str:
    """HTML table; every cell is escaped, ``numeric`` cells are right-aligned."""
    numeric = numeric or [False] * len(header)
    out = ["<table>"]
    if caption:
        out.append(f"<caption class='note'>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead><tbody>")
    for row in rows:
        cells = "".join(
            f"<td class='num'>{esc(c)}</td>" if n else f"<td>{esc(c)}</td>" for c, n in zip(row, numeric, strict=True)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def kv_table(pairs: Sequence[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{value_html(v)}</td></tr>" for k, v in pairs)
    return f"<table>{rows}</table>"


def value_html(value: Any) -> str:
    if isinstance(value, Mapping):
        if not value:
            return "—"
        return "<br>".join(f"{esc(k)}: {value_html(v)}" for k, v in value.items())
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


def figure(path: Path | None, caption: str, alt: str) -> str:
    if path is None:
        return ""
    return f"<figure><img src='{png_data_uri(path)}' alt='{esc(alt)}'><figcaption>{esc(caption)}</figcaption></figure>"


def screenshot(
    report_path: Path | str,
    out_png: Path | str | None = None,
    *,
    width: int = 1280,
    height: int = 3600,
    chromium: str | None = None,
    timeout_s: float = 60.0,
) -> Path | None:
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
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={out_png.resolve()}",
            report_path.as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
    return out_png if out_png.is_file() and out_png.stat().st_size > 0 else None


__all__ = [
    "CSS",
    "PNG_MAGIC",
    "esc",
    "figure",
    "fmt_num",
    "fmt_pct",
    "kv_table",
    "png_data_uri",
    "screenshot",
    "table",
    "value_html",
]
