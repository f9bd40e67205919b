"""Static figures: elevation profiles per route and a bar chart comparing routes.

Drawn with matplotlib's object API (``matplotlib.figure.Figure``, Agg canvas), so
no GUI backend or global pyplot state is touched; safe in threads and workers.
Writes are atomic (temporary file, then rename).

Labels (route names, structure kinds) are untrusted text: they go through
:func:`plain_label` (control characters and escape sequences removed, one line)
and are drawn with mathtext and TeX off, so ``$x^2$`` or ``\\input`` in a name
is shown as typed, never parsed.

Examples
--------
>>> import numpy as np
>>> from types import SimpleNamespace
>>> p = SimpleNamespace(distance_m=np.array([0.0, 5e3, 1e4]), elevation_m=np.array([600.0, 800, 700]),
...                     ground_m=np.array([600.0, 800, 700]), grade=np.array([0.04, 0.01, -0.02]),
...                     structures=[], mode="road")
>>> profile_png_bytes(p, title="demo")[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import base64
import io
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corridor._errors import InvalidInputError
from corridor._files import atomic_output
from corridor._labels import format_metric
from corridor._text import plain_label
from corridor.evaluation import designed

log = logging.getLogger(__name__)

__all__ = ["PALETTE", "comparison_png", "draw_profile", "format_metric", "plain_label", "png_data_uri",
           "profile_png_bytes", "profiles_png", "route_colour"]

#: Route colours, in route order (matplotlib's tab10 without the yellow-green).
PALETTE: tuple[str, ...] = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
                            "#8c564b", "#e377c2", "#7f7f7f")
#: Colour of each structure kind, in the profile charts and the QGIS styles alike.
STRUCT_COLOURS = {"tunnel": "#555555", "bridge": "#4a90d9"}
#: Shading of the earthworks between the ground and the designed grade line.
_EARTH_COLOURS = {"cut": "#c8a165", "fill": "#7fb77e"}
#: Text properties of every label drawn from data: plain text, no mathtext, no TeX.
_PLAIN = {"parse_math": False, "usetex": False}


def _plain_texts(texts: Any) -> None:
    for t in texts:
        t.set_parse_math(False)
        t.set_usetex(False)



def route_colour(i: int) -> str:
    """Colour of the ``i``-th route (cycles through :data:`PALETTE`).

    >>> route_colour(0), route_colour(len(PALETTE))
    ('#1f77b4', '#1f77b4')
    """
    return PALETTE[i % len(PALETTE)]


def _figure(w: float, h: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained")


def _arr(obj: Any, name: str) -> np.ndarray:
    val = getattr(obj, name, None)
    return np.asarray([] if val is None else val, dtype=float)


def _designed_at(design: np.ndarray, d_m: np.ndarray, x_m: float) -> bool:
    """Whether chainage ``x_m`` lies on the designed (new-build) part of a profile."""
    if not design.size:
        return False
    i = int(np.clip(np.searchsorted(d_m, x_m), 0, design.size - 1))
    return bool(np.isfinite(design[i]) or (i > 0 and np.isfinite(design[i - 1])))


def _own_design(profile: Any, route: Any) -> np.ndarray:
    """The profile's ``design_m`` kept only on segments of ``route`` that corridor designed (NaN elsewhere).

    A route over the modelled reference network carries that network's grade line on every
    segment, existing ones too; only where corridor designed the line
    (:func:`corridor.evaluation.designed`: new build, and reference lines priced as new: not built
    yet, or razed) is it a new formation with cut and fill. Rehabilitated and existing line keep their formation: no design
    is drawn there, as none is counted in the earthworks and cost. A sample on the boundary of a
    new segment stays designed, so the design line reaches its ends.
    """
    design = _arr(profile, "design_m")
    d_m = _arr(profile, "distance_m")
    seg = getattr(route, "segments", None)
    if route is None or seg is None or not len(seg) or design.size != d_m.size or not design.size:
        return design
    new = designed(route)
    off = route.offsets()
    s = d_m * (float(off[-1]) / float(d_m[-1])) if d_m[-1] > 0 else d_m  # profile and route chainages agree
    last = len(new) - 1
    before = np.clip(np.searchsorted(off, s - 0.5, side="right") - 1, 0, last)
    after = np.clip(np.searchsorted(off, s + 0.5, side="right") - 1, 0, last)
    return np.where(new[before] | new[after], design, np.nan)


def draw_profile(ax: Any, profile: Any, *, colour: str, title: str, route: Any = None) -> None:
    """Ground, the line's level and its structures.

    Where the profile carries a designed grade line (``design_m``: new build
    designed by corridor; with ``route`` given, only on its segments corridor
    designed, see :func:`_own_design`) it is drawn as the line labelled ``design``, with the
    cut (ground above it) and fill (ground below it) shaded outside tunnels and
    bridges, and its tunnels and bridges labelled ``tunnel``/``bridge``. Existing
    stretches show the line's level (``line (existing)``) and the structures of
    their network data (``tunnel (network data)``, hatched). A profile without
    a design draws one line labelled ``alignment``.
    """
    d_m = _arr(profile, "distance_m")
    d = d_m / 1000.0
    z = _arr(profile, "elevation_m")
    g = _arr(profile, "ground_m")
    design = _own_design(profile, route)
    has_design = bool(design.size == d.size and design.size and np.isfinite(design).any())
    if not has_design:
        design = np.zeros(0)
    inside = np.zeros(d.size, dtype=bool)
    for span in getattr(profile, "structures", None) or []:
        a, b, kind = float(span[0]), float(span[1]), plain_label(span[2])
        inside |= (d_m > a + 1e-6) & (d_m < b - 1e-6)
        ours = _designed_at(design, d_m, (a + b) / 2)
        label = kind if ours or not has_design else f"{kind} (network data)"
        ax.axvspan(a / 1000.0, b / 1000.0, color=STRUCT_COLOURS.get(str(span[2]), "#999999"),
                   alpha=0.22 if ours or not has_design else 0.10, lw=0,
                   hatch=None if ours or not has_design else "//", label=label)
    ground_ok = bool(g.size == d.size and g.size)
    if ground_ok and (has_design or not np.allclose(g, z, equal_nan=True)):
        ax.plot(d, g, color="#8a8a8a", lw=0.7, label="ground")
    if has_design:
        off = ~np.isfinite(design)
        near = off.copy()  # existing stretches, extended by one station so the two lines meet
        near[1:] |= off[:-1]
        near[:-1] |= off[1:]
        if off.any():
            ax.plot(d, np.where(near, z, np.nan), color=colour, lw=1.4, label="line (existing)")
        ax.plot(d, design, color=colour, lw=1.6, ls="--", label="design")
        if ground_ok:
            earth = np.isfinite(design) & np.isfinite(g) & ~inside
            ax.fill_between(d, design, g, where=earth & (g >= design), interpolate=True, lw=0,
                            color=_EARTH_COLOURS["cut"], alpha=0.55, label="cut")
            ax.fill_between(d, g, design, where=earth & (g < design), interpolate=True, lw=0,
                            color=_EARTH_COLOURS["fill"], alpha=0.55, label="fill")
    else:
        ax.plot(d, z, color=colour, lw=1.4, label="alignment")
    levels = np.concatenate([z, g]) if ground_ok else z
    if levels.size and np.isfinite(levels).any():
        lo, hi = float(np.nanmin(levels)), float(np.nanmax(levels))
        pad = max(20.0, 0.08 * (hi - lo))
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(0, float(d[-1]) if d.size and d[-1] > 0 else 1)
    ax.set_title(plain_label(title), fontsize=9, loc="left", **_PLAIN)
    ax.set_ylabel("elevation (m)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, lw=0.3, alpha=0.5)
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles, strict=False))
    if len(uniq) > 1:
        leg = ax.legend(uniq.values(), uniq.keys(), fontsize=6, loc="upper right", frameon=False,
                        ncols=2 if len(uniq) > 4 else 1)
        _plain_texts(leg.get_texts())


def _grade_note(profile: Any, mode: str) -> str:
    grade = _arr(profile, "grade")
    if not grade.size or not np.isfinite(grade).any():
        return ""
    gmax = float(np.nanmax(np.abs(grade)))
    return f"max grade {gmax * 1000:.1f} ‰" if mode == "rail" else f"max grade {gmax * 100:.1f} %"


def profile_png_bytes(profile: Any, *, title: str = "", colour: str = PALETTE[0],
                      size: tuple[float, float] = (4.6, 1.9), dpi: int = 90, route: Any = None) -> bytes:
    """A small PNG of one elevation profile (for map popups and the report).

    Parameters
    ----------
    profile : corridor.terrain.Profile
        Anything with ``distance_m``, ``elevation_m`` (and optionally
        ``ground_m``, ``grade``, ``structures``, ``mode``) attributes.
    title : str
        Plot title (plain text: control characters dropped, no mathtext, no HTML).
    colour : str
        Line colour.
    size : (float, float)
        Figure size in inches.
    dpi : int
        Resolution.
    route : corridor.route.Route, optional
        The profiled route: its design line is drawn only where it is priced as
        new build (see :func:`draw_profile`).

    Returns
    -------
    bytes
        PNG data.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> from corridor.terrain import profile
    >>> p = profile(Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail"))
    >>> profile_png_bytes(p, title="Ordubad - Meghri")[1:4]
    b'PNG'
    """
    fig = _figure(*size)
    ax = fig.add_subplot()
    mode = str(getattr(profile, "mode", "") or "")
    note = _grade_note(profile, mode)
    draw_profile(ax, profile, colour=colour, title=f"{title}  ({note})" if note else title, route=route)
    ax.set_xlabel("distance (km)", fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URI for inlining an image in HTML.

    >>> png_data_uri(b"abc")
    'data:image/png;base64,YWJj'
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _label(route: Any, row: Mapping[str, Any] | None = None) -> str:
    name = plain_label(getattr(route, "name", "route"))
    modelled = bool(getattr(route, "modelled", False)) or bool((row or {}).get("modelled", False))
    return f"{name} (modelled)" if modelled else name


def _check_aligned(routes: Sequence[Any], metrics: Sequence[Any] | None) -> None:
    if metrics is not None and len(metrics) != len(routes):
        raise InvalidInputError(
            f"got {len(routes)} routes but {len(metrics)} metrics; pass one RouteMetrics per route, "
            "in the same order"
        )


def profiles_png(path: str | Path, routes: Sequence[Any], metrics: Sequence[Any]) -> Path:
    """Write one elevation-profile panel per route, stacked, to a PNG file.

    Parameters
    ----------
    path : str or Path
        Output ``.png`` file (replaced atomically).
    routes : sequence of Route
        Routes, in display order.
    metrics : sequence of RouteMetrics
        One per route; each ``.profile`` is drawn. Routes without a profile get
        an empty panel saying so.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from types import SimpleNamespace
    >>> prof = SimpleNamespace(distance_m=np.array([0.0, 1e4]), elevation_m=np.array([500.0, 650.0]))
    >>> r = SimpleNamespace(name="A - B", modelled=True)
    >>> m = SimpleNamespace(profile=prof, as_row=lambda: {})
    >>> out = profiles_png(tempfile.mkdtemp() + "/p.png", [r], [m])
    >>> out.read_bytes()[:4]
    b'\\x89PNG'
    """
    routes = list(routes)
    metrics = list(metrics)
    if not routes:
        raise InvalidInputError("profiles_png needs at least one route")
    _check_aligned(routes, metrics)
    n = len(routes)
    fig = _figure(8.0, 1.0 + 2.0 * n)
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    for i, (route, met) in enumerate(zip(routes, metrics, strict=True)):
        ax = axes[i]
        prof = getattr(met, "profile", None)
        row = met.as_row() if hasattr(met, "as_row") else {}
        title = _label(route, row)
        if prof is None or _arr(prof, "distance_m").size < 2:
            ax.text(0.5, 0.5, "no elevation profile", ha="center", va="center", transform=ax.transAxes)
            ax.set_title(title, fontsize=9, loc="left", **_PLAIN)
            ax.set_axis_off()
            continue
        note = _grade_note(prof, str(getattr(route, "mode", getattr(prof, "mode", ""))))
        draw_profile(ax, prof, colour=route_colour(i), title=f"{title}  ({note})" if note else title,
                     route=route)
    axes[-1].set_xlabel("distance along route (km)", fontsize=8)
    with atomic_output(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return Path(path)


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def comparison_png(path: str | Path, table: Any) -> Path:
    """Bar chart per route of length, cost band (low–central–high) and maximum grade.

    Parameters
    ----------
    path : str or Path
        Output ``.png`` file (replaced atomically).
    table : pandas.DataFrame
        The comparison table of :func:`corridor.evaluation.compare`: one row per
        route with ``name`` (column or index), ``length_km`` and, where known,
        ``cost_low_musd``, ``cost_central_musd``, ``cost_high_musd``,
        ``max_grade`` (ratio), ``mode`` and ``modelled``. Missing values show as "n/a".

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> t = pd.DataFrame({"name": ["A", "B"], "mode": ["rail", "road"], "length_km": [42.0, 60.5],
    ...                   "cost_low_musd": [150, 60], "cost_central_musd": [200, 80],
    ...                   "cost_high_musd": [300, 120], "max_grade": [0.018, 0.07]})
    >>> comparison_png(tempfile.mkdtemp() + "/c.png", t).stat().st_size > 1000
    True
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame) or table.empty:
        raise InvalidInputError("comparison_png needs a non-empty pandas DataFrame (from compare())")
    df = table.reset_index() if "name" not in table.columns else table.copy()
    if "name" not in df.columns:
        df = df.rename(columns={df.columns[0]: "name"})
    if "length_km" not in df.columns:
        raise InvalidInputError(
            f"comparison table has no 'length_km' column (columns: {list(table.columns)}); "
            "pass the table returned by corridor.evaluation.compare()"
        )
    modelled = df["modelled"] if "modelled" in df.columns else pd.Series([False] * len(df))
    labels = [f"{plain_label(n)} (modelled)" if bool(modelled.iloc[i]) else plain_label(n)
              for i, n in enumerate(df["name"])]
    y = np.arange(len(df))
    colours = [route_colour(i) for i in range(len(df))]
    fig = _figure(11.0, 1.4 + 0.45 * len(df))
    ax_len, ax_cost, ax_grade = fig.subplots(1, 3, sharey=True)

    length = np.array([_num(v) for v in df["length_km"]])
    ax_len.barh(y, np.nan_to_num(length), color=colours)
    ax_len.set_xlabel("length (km)")
    for yi, v in zip(y, length, strict=True):
        ax_len.text(0 if math.isnan(v) else v, yi, " n/a" if math.isnan(v) else f" {v:.0f}",
                    va="center", fontsize=7)

    def col(name: str) -> np.ndarray:
        return np.array([_num(v) for v in df[name]]) if name in df.columns else np.full(len(df), math.nan)

    lo, mid, hi = col("cost_low_musd"), col("cost_central_musd"), col("cost_high_musd")
    ax_cost.barh(y, np.nan_to_num(mid), color=colours, alpha=0.75)
    ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(mid)
    if ok.any():
        ax_cost.errorbar(mid[ok], y[ok], xerr=[mid[ok] - lo[ok], hi[ok] - mid[ok]], fmt="none",
                         ecolor="black", capsize=3, lw=1)
    for yi, m_, h_ in zip(y, mid, hi, strict=True):
        x = h_ if math.isfinite(h_) else (m_ if math.isfinite(m_) else 0.0)
        ax_cost.text(x, yi, " n/a" if math.isnan(m_) else f" {m_:,.0f}", va="center", fontsize=7)
    ax_cost.set_xlabel("cost, M USD (bar: central; whiskers: low–high)")

    grade = col("max_grade") * 100.0
    ax_grade.barh(y, np.nan_to_num(grade), color=colours)
    modes = list(df["mode"]) if "mode" in df.columns else [""] * len(df)
    for yi, v, mode in zip(y, grade, modes, strict=True):
        txt = " n/a" if math.isnan(v) else (f" {v * 10:.1f} ‰" if mode == "rail" else f" {v:.1f} %")
        ax_grade.text(0 if math.isnan(v) else v, yi, txt, va="center", fontsize=7)
    ax_grade.set_xlabel("maximum grade (%)")

    ax_len.set_yticks(y, labels, fontsize=8, **_PLAIN)
    ax_len.invert_yaxis()
    for ax in (ax_len, ax_cost, ax_grade):  # shared axes hold their own (hidden) copies of the names
        _plain_texts(t for tick in ax.yaxis.get_major_ticks() for t in (tick.label1, tick.label2))
    for ax in (ax_len, ax_cost, ax_grade):
        ax.grid(True, axis="x", lw=0.3, alpha=0.5)
        ax.margins(x=0.25)
    fig.suptitle("Corridor comparison (figures are model estimates; see report for sources)",
                 fontsize=9)
    with atomic_output(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return Path(path)
