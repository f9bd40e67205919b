"""Small HTML and inline-SVG pieces for notebook displays (``_repr_html_``).

Every text goes through :func:`corridor._text.html_text`; the SVGs hold only
numbers and fixed text, so a name like ``<script>`` shows as typed. No script,
no external reference: the HTML renders the same offline.

Examples
--------
>>> html = card("<b>x</b>", [("Length", "42.0 km")], svg=profile_svg([0, 5e3, 1e4], [600, 800, 700]))
>>> "&lt;b&gt;x&lt;/b&gt;" in html, "<svg" in html, "<script" in html
(True, True, False)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from corridor._text import html_text

__all__ = ["card", "plan_svg", "profile_svg", "table_html"]

_STYLE = ("font:12px/1.35 system-ui,-apple-system,'Segoe UI',sans-serif;border:1px solid #ddd;border-radius:4px;"
          "padding:6px 10px;max-width:760px;display:inline-block")


def _finite(a: Any) -> np.ndarray:
    return np.asarray([] if a is None else a, dtype=float)


def profile_svg(distance_m: Sequence[float] | np.ndarray, elevation_m: Sequence[float] | np.ndarray,
                ground_m: Sequence[float] | np.ndarray | None = None, *, width: int = 360, height: int = 96,
                colour: str = "#1f77b4", max_points: int = 400) -> str:
    """An elevation profile as inline SVG: the alignment, the ground dotted, axis labels in km and m.

    >>> profile_svg([0, 1000], [10, 20]).startswith("<svg")
    True
    >>> profile_svg([], [])
    ''
    """
    d, z = _finite(distance_m), _finite(elevation_m)
    g = _finite(ground_m)
    ok = np.isfinite(d) & np.isfinite(z) if d.size == z.size else np.zeros(0, bool)
    if ok.sum() < 2:
        return ""
    step = max(1, math.ceil(d.size / max_points))
    idx = np.arange(0, d.size, step)
    x0, x1 = float(np.nanmin(d)), float(np.nanmax(d))
    zs = z[ok]
    lo, hi = float(zs.min()), float(zs.max())
    if g.size == d.size and np.isfinite(g).any():
        lo, hi = min(lo, float(np.nanmin(g))), max(hi, float(np.nanmax(g)))
    hi = max(hi, lo + 1.0)
    left, right, top, bottom = 38, 6, 6, 16
    w, h = width - left - right, height - top - bottom

    def pts(y: np.ndarray) -> str:
        keep = [i for i in idx if math.isfinite(y[i]) and math.isfinite(d[i])]
        return " ".join(f"{left + (d[i] - x0) / max(x1 - x0, 1e-9) * w:.1f},"
                        f"{top + (hi - y[i]) / (hi - lo) * h:.1f}" for i in keep)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="elevation profile" '
             'style="font:9px sans-serif">',
             f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#fafafa" stroke="#ccc"/>']
    if g.size == d.size and not np.allclose(g, z, equal_nan=True):
        parts.append(f'<polyline fill="none" stroke="#999" stroke-width="0.8" stroke-dasharray="2 2" '
                     f'points="{pts(g)}"/>')
    parts.append(f'<polyline fill="none" stroke="{html_text(colour)}" stroke-width="1.5" points="{pts(z)}"/>')
    parts.append(f'<text x="{left - 3}" y="{top + 8}" text-anchor="end">{hi:,.0f} m</text>')
    parts.append(f'<text x="{left - 3}" y="{top + h}" text-anchor="end">{lo:,.0f} m</text>')
    parts.append(f'<text x="{left}" y="{height - 3}">0</text>')
    parts.append(f'<text x="{left + w}" y="{height - 3}" text-anchor="end">{(x1 - x0) / 1000:,.1f} km</text>')
    parts.append("</svg>")
    return "".join(parts)


def plan_svg(lines: Sequence[np.ndarray], colours: Sequence[str] | None = None, *, width: int = 200,
             height: int = 120, dashed: Sequence[bool] | None = None) -> str:
    """Lines ``(n, 2)`` in lon/lat drawn to scale (longitude shrunk by cos(latitude)) as inline SVG."""
    arrs = [np.asarray(a, dtype=float) for a in lines if len(a) >= 2]
    if not arrs:
        return ""
    allxy = np.vstack(arrs)
    lat0 = math.radians(float(np.nanmean(allxy[:, 1])))
    kx = math.cos(lat0)
    x0, x1 = float(allxy[:, 0].min()) * kx, float(allxy[:, 0].max()) * kx
    y0, y1 = float(allxy[:, 1].min()), float(allxy[:, 1].max())
    span = max(x1 - x0, y1 - y0, 1e-9)
    pad = 4
    s = min((width - 2 * pad) / span, (height - 2 * pad) / span)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="plan">']
    for k, a in enumerate(arrs):
        step = max(1, math.ceil(len(a) / 300))
        a = a[::step] if len(a) > 2 * step else a
        pts = " ".join(f"{pad + (x * kx - x0) * s:.1f},{pad + (y1 - y) * s:.1f}" for x, y in a)
        colour = html_text(colours[k % len(colours)] if colours else "#1f77b4")
        dash = ' stroke-dasharray="4 3"' if dashed is not None and dashed[k % len(dashed)] else ""
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{pts}"/>')
    parts.append("</svg>")
    return "".join(parts)


def table_html(header: Sequence[str], rows: Sequence[Sequence[Any]], *, raw_columns: Sequence[int] = ()) -> str:
    """A small table; cells are escaped text except the ``raw_columns`` (SVG made here)."""
    head = "".join(f'<th style="text-align:left;padding:1px 6px">{html_text(h)}</th>' for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td style="padding:1px 6px;vertical-align:middle">{c if j in raw_columns else html_text(c)}</td>'
            for j, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return (f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def card(title: str, rows: Sequence[tuple[str, str]], *, svg: str = "", note: str = "") -> str:
    """A titled summary: label/value rows (escaped), an optional SVG made here, an optional note."""
    trs = "".join(f'<tr><th style="text-align:left;padding:0 10px 0 0;font-weight:600">{html_text(k)}</th>'
                  f"<td>{html_text(v)}</td></tr>" for k, v in rows)
    note_html = f'<div style="color:#666;font-size:11px">{html_text(note)}</div>' if note else ""
    figure = f'<div style="margin-top:4px">{svg}</div>' if svg else ""
    return (f'<div class="corridor-repr" style="{_STYLE}"><div style="font-weight:700;font-size:13px">'
            f'{html_text(title)}</div><table style="border-collapse:collapse">{trs}</table>{figure}'
            f"{note_html}</div>")
