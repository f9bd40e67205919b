"""Terrain: DEMs, honest elevation profiles along routes, and grades on network edges.

* :class:`DEM` opens the embedded GLOBE 30" grid, local GeoTIFF/VRT/``.hgt`` tiles
  or a mosaic of them, and samples elevations fast (see :mod:`corridor.terrain.dem`).
* :func:`profile` samples a line or :class:`~corridor.route.Route` at a fixed
  geodesic step (bilinear), bridges tunnels and bridges between their portal
  elevations instead of following the ground, and summarises elevation, climb
  and grades smoothed over a window (200 m for rail, 100 m for road by default).
* :func:`edge_grades` adds ``grade_max``, ``grade_mean`` and ``rise_m`` to every
  edge of a network, sampled along each geometry (not just its end points).
* :func:`fetch_copernicus` downloads Copernicus DEM GLO-90/GLO-30 tiles.

Examples
--------
>>> from shapely.geometry import LineString
>>> p = profile(LineString([(44.40, 40.10), (44.60, 40.25)]), mode="road")
>>> p.mode, p.window_m, round(p.length_m / 1000, 1)
('road', 100.0, 23.8)
>>> p.min_m <= p.mean_m <= p.max_m
True
>>> sorted(p.share_above)
['4%', '6%', '8%']
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from corridor._errors import InvalidInputError
from corridor._geo import same_point, segment_lengths
from corridor._html import card, profile_svg
from corridor._text import plain_label
from corridor._validate import check_mode
from corridor.terrain._lines import (
    STRUCTURE_KINDS,
    _as_line,
    _check_degrees,
    _positive,
    _structures,
)
from corridor.terrain._sampling import ground_samples, sample_ground, seg_weights
from corridor.terrain.copernicus import fetch_copernicus, tile_names
from corridor.terrain.dem import DEM, DEMLike

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes

log = logging.getLogger(__name__)

__all__ = ["DEM", "RAIL_GRADES", "ROAD_GRADES", "Profile", "edge_grades", "fetch_copernicus",
           "formation_at", "grade_labels", "profile", "sample_ground", "tile_names"]

#: Rail grade thresholds: ruling 12.5 ‰ (EBO §7), flags above 18 ‰ and 25 ‰ (TSI mixed traffic).
RAIL_GRADES: tuple[float, ...] = (0.0125, 0.018, 0.025)
#: Road grade thresholds (AASHTO maxima for 100/80/60 km/h): 4 %, 6 %, 8 %.
ROAD_GRADES: tuple[float, ...] = (0.04, 0.06, 0.08)
#: Default grade smoothing window per mode (m).
DEFAULT_WINDOW_M = {"rail": 200.0, "road": 100.0}


def grade_labels(mode: str | None) -> dict[str, float]:
    """Threshold labels for a mode: ``{"12.5‰": 0.0125, ...}`` or ``{"4%": 0.04, ...}``.

    Examples
    --------
    >>> grade_labels("rail")
    {'12.5‰': 0.0125, '18‰': 0.018, '25‰': 0.025}
    >>> list(grade_labels("road"))
    ['4%', '6%', '8%']
    """
    rail = {f"{t * 1000:g}‰": t for t in RAIL_GRADES}
    road = {f"{t * 100:g}%": t for t in ROAD_GRADES}
    if mode == "rail":
        return rail
    if mode == "road":
        return road
    return {**rail, **road}


# --------------------------------------------------------------------- input
# ------------------------------------------------------------------- profile
@dataclass(eq=False)
class Profile:
    """An elevation profile along a line, with its summary (see :func:`profile`).

    Arrays share one index (samples along the line); distances and elevations
    are metres, grades dimensionless (0.0125 = 12.5 ‰). ``elevation_m`` is the
    formation level (tunnels and bridges interpolated between portals),
    ``ground_m`` the raw terrain. ``design_m`` is ``elevation_m`` where the
    level is the designed grade line of new build (``route.meta["formation"]``,
    see :func:`corridor.align.trace`) and NaN elsewhere; None when no part is designed.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> from corridor.route import Route
    >>> p = profile(Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail"))
    >>> isinstance(p, Profile), round(p.length_m / 1000, 1), p.mode
    (True, 26.0, 'rail')
    >>> len(p.distance_m) == len(p.elevation_m) and p.max_m >= p.min_m
    True
    """

    distance_m: np.ndarray
    elevation_m: np.ndarray
    ground_m: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    grade: np.ndarray
    min_m: float
    max_m: float
    mean_m: float
    ascent_m: float
    descent_m: float
    highest: dict[str, float]
    mean_abs_grade: float
    max_abs_grade: float
    window_m: float
    mode: str | None
    share_above: dict[str, float]
    structures: list[tuple[float, float, str]] = field(default_factory=list)
    structure_length_m: dict[str, float] = field(default_factory=dict)
    voids_filled: bool = False
    void_length_m: float = 0.0
    step_m: float = 0.0
    dem_source: str = ""
    design_m: np.ndarray | None = None

    @property
    def length_m(self) -> float:
        """Length of the profiled line (m)."""
        return float(self.distance_m[-1]) if len(self.distance_m) else 0.0

    def summary(self) -> dict[str, float | str]:
        """Flat scalar summary (one table row).

        Examples
        --------
        >>> from shapely.geometry import LineString
        >>> s = profile(LineString([(44.40, 40.10), (44.60, 40.25)]), mode="rail").summary()
        >>> s["mode"], "share_above_12.5‰" in s, s["tunnel_m"]
        ('rail', True, 0.0)
        """
        out: dict[str, float | str] = {
            "length_m": self.length_m, "min_m": self.min_m, "max_m": self.max_m, "mean_m": self.mean_m,
            "ascent_m": self.ascent_m, "descent_m": self.descent_m,
            "highest_m": self.highest["elevation_m"], "highest_lon": self.highest["lon"],
            "highest_lat": self.highest["lat"], "highest_distance_m": self.highest["distance_m"],
            "mean_abs_grade": self.mean_abs_grade, "max_abs_grade": self.max_abs_grade,
            "window_m": self.window_m, "step_m": self.step_m, "mode": self.mode or "",
        }
        for label, share in self.share_above.items():
            out[f"share_above_{label}"] = share
        for kind in STRUCTURE_KINDS:
            out[f"{kind}_m"] = float(self.structure_length_m.get(kind, 0.0))
        out["voids_filled"] = float(self.voids_filled)
        out["void_length_m"] = self.void_length_m
        out["dem_source"] = self.dem_source
        return out

    def _repr_html_(self) -> str:
        """Compact summary with the profile as inline SVG."""
        unit, k = ("‰", 1000.0) if self.mode == "rail" else ("%", 100.0)
        rows = [("Length", f"{self.length_m / 1000:,.1f} km"),
                ("Elevation", f"{self.min_m:,.0f}–{self.max_m:,.0f} m (mean {self.mean_m:,.0f} m)"),
                ("Ascent / descent", f"{self.ascent_m:,.0f} / {self.descent_m:,.0f} m"),
                ("Grade, max / mean", f"{self.max_abs_grade * k:.1f} / {self.mean_abs_grade * k:.1f} {unit}")]
        for kind, metres in sorted(self.structure_length_m.items()):
            if metres > 0:
                rows.append((f"{kind.capitalize()}s", f"{metres / 1000:,.1f} km"))
        if self.dem_source:
            rows.append(("DEM", self.dem_source))
        svg = profile_svg(self.distance_m, self.elevation_m, self.ground_m)
        return card(f"Elevation profile ({self.mode or 'no mode'})", rows, svg=svg,
                    note="solid: alignment; dotted: ground" if svg else "")

    def reversed(self) -> Profile:
        """The same profile travelled the other way (ascent and descent swap).

        Examples
        --------
        >>> from shapely.geometry import LineString
        >>> p = profile(LineString([(44.40, 40.10), (44.60, 40.25)]))
        >>> r = p.reversed()
        >>> (r.ascent_m, r.descent_m) == (p.descent_m, p.ascent_m)
        True
        """
        length = self.length_m
        d = length - self.distance_m[::-1]
        hi = dict(self.highest, distance_m=length - self.highest["distance_m"])
        spans = sorted((length - b, length - a, k) for a, b, k in self.structures)
        return replace(self, distance_m=d, elevation_m=self.elevation_m[::-1].copy(),
                       ground_m=self.ground_m[::-1].copy(), lon=self.lon[::-1].copy(),
                       lat=self.lat[::-1].copy(), grade=-self.grade[::-1], ascent_m=self.descent_m,
                       descent_m=self.ascent_m, highest=hi, structures=spans,
                       design_m=None if self.design_m is None else self.design_m[::-1].copy())

    def plot(self, ax: Axes | None = None, *, title: str | None = None) -> Axes:
        """Draw the profile: formation level shaded by grade class, ground, structures.

        Works without a display (uses a bare :class:`matplotlib.figure.Figure`
        when no ``ax`` is given). Returns the Axes.

        Examples
        --------
        >>> from shapely.geometry import LineString
        >>> ax = profile(LineString([(44.40, 40.10), (44.60, 40.25)]), mode="rail").plot()
        >>> ax.get_ylabel()
        'elevation (m)'
        """
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch

        if ax is None:
            ax = Figure(figsize=(9, 3.2), layout="constrained").add_subplot()
        km = self.distance_m / 1000.0
        labels = grade_labels(self.mode if self.mode else "rail")
        edges = [0.0, *labels.values(), math.inf]
        names = [f"≤ {next(iter(labels))}"] + [f"> {lab}" for lab in labels]
        colours = ["#4daf4a", "#ffd92f", "#fc8d62", "#d7301f"][: len(names)]
        base = float(np.nanmin(self.ground_m[np.isfinite(self.ground_m)])) if np.isfinite(
            self.ground_m).any() else self.min_m
        floor = min(base, self.min_m) - 0.05 * max(1.0, self.max_m - self.min_m)
        g = np.abs(self.grade)
        handles = []
        for lo, hi, name, colour in zip(edges[:-1], edges[1:], names, colours, strict=True):
            sel = (g > lo) & (g <= hi) if lo > 0 else g <= hi
            if sel.any():
                ax.fill_between(km, floor, self.elevation_m, where=sel, color=colour, alpha=0.55,
                                linewidth=0, step=None, interpolate=False)
                handles.append(Patch(color=colour, alpha=0.55, label=f"grade {name}"))
        ax.plot(km, self.ground_m, color="#777777", linewidth=0.7, label="ground")
        ax.plot(km, self.elevation_m, color="black", linewidth=1.2, label="formation")
        for a, b, kind in self.structures:
            ax.axvspan(a / 1000, b / 1000, facecolor="none", edgecolor="#3b5bdb" if kind == "tunnel"
                       else "#862e9c", hatch="//" if kind == "tunnel" else "..", linewidth=0.8)
            handles.append(Patch(facecolor="none", edgecolor="#3b5bdb" if kind == "tunnel" else "#862e9c",
                                 hatch="//" if kind == "tunnel" else "..", label=kind))
        top = self.highest
        ax.annotate(f"{top['elevation_m']:.0f} m", (top["distance_m"] / 1000, top["elevation_m"]),
                    textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        ax.set_ylim(bottom=floor)
        ax.set_xlim(0, max(km[-1], 1e-9))
        ax.set_xlabel("distance (km)")
        ax.set_ylabel("elevation (m)")

        if title:
            ax.set_title(plain_label(title), parse_math=False, usetex=False)
        line_handles, _ = ax.get_legend_handles_labels()
        seen: dict[str, Any] = {}
        for h in [*line_handles, *handles]:
            seen.setdefault(str(h.get_label()), h)
        ax.legend(handles=list(seen.values()), fontsize=7, loc="upper right", ncols=2)
        ax.text(0.01, 0.02, f"DEM: {plain_label(self.dem_source)[:90]}" + (" · voids interpolated"
                if self.voids_filled else ""), transform=ax.transAxes, fontsize=6, color="#555555",
                parse_math=False, usetex=False)
        return ax


def _windowed_grade(s: np.ndarray, z: np.ndarray, window: float) -> np.ndarray:
    """Grade at every sample: rise over a centred window (truncated at the ends)."""
    length = s[-1]
    a = np.clip(s - window / 2, 0.0, length)
    b = np.clip(s + window / 2, 0.0, length)
    run = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        grade = (np.interp(b, s, z) - np.interp(a, s, z)) / run
    return np.where(run > 0, grade, 0.0)


def profile(line_or_route: Any, dem: DEMLike = None, *, step_m: float | None = None,
            structures: Sequence[tuple[float, float, str]] | None = None, window_m: float | None = None,
            mode: str | None = None, fill_voids: bool = False) -> Profile:
    """Elevation profile along a line or route.

    Parameters
    ----------
    line_or_route : LineString, GeoSeries, GeoDataFrame, list of (lon, lat) or Route
        The line, in travel order. Shapely geometries must be EPSG:4326; a
        GeoSeries/GeoDataFrame in another CRS is reprojected. A Route brings
        its mode and its tunnel/bridge spans.
    dem : DEM, path, list of paths or None
        Elevation model; None opens the embedded GLOBE 30" DEM.
    step_m : float, optional
        Sampling step along the line (geodesic metres). Default: half the DEM's
        ground resolution. Vertices and structure ends are always sampled.
    structures : sequence of (start_m, end_m, kind), optional
        Tunnel/bridge spans along the line; there the profile is a straight
        grade between the portal (abutment) elevations. Overrides a Route's.
    window_m : float, optional
        Grade smoothing window (default 200 m rail, 100 m road).
    mode : {"rail", "road"}, optional
        Selects the grade thresholds for ``share_above`` (both sets if None).
    fill_voids : bool
        Interpolate across DEM voids along the line instead of raising.

    Returns
    -------
    Profile

    Raises
    ------
    DEMCoverageError
        The line leaves the DEM, or crosses voids and ``fill_voids`` is False.
    CRSMismatchError
        Coordinates are not degrees.
    ParameterError
        ``step_m`` or ``window_m`` is not positive.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> line = LineString([(44.40, 40.10), (44.60, 40.25)])
    >>> p = profile(line, step_m=100, structures=[(5000, 9000, "tunnel")], mode="rail")
    >>> p.structure_length_m["tunnel"]
    4000.0
    >>> profile(line, step_m=0)
    Traceback (most recent call last):
    ...
    corridor._errors.ParameterError: step_m must be positive and finite, got 0; give metres, e.g. 50
    """
    line, route_spans, route_mode = _as_line(line_or_route)
    mode = mode if mode is not None else route_mode
    if mode is not None:
        check_mode(mode)
    dem = DEM.open(dem)
    import shapely

    xy = shapely.get_coordinates(line)
    if step_m is None:
        step = dem.ground_resolution_m(float(np.mean(xy[:, 1]))) / 2
    else:
        step = _positive(step_m, "step_m")
    window = _positive(window_m, "window_m") if window_m is not None else DEFAULT_WINDOW_M[mode or "rail"]
    total = float(np.sum(segment_lengths(xy[:, 0], xy[:, 1])))
    spans = _structures(structures if structures is not None else route_spans, total)
    ends = np.array([v for a, b, _ in spans for v in (a, b)], dtype=float)
    s, lon, lat, ground, z, void, void_len, inner = ground_samples(xy, dem, ends, step, spans, fill_voids)
    form = formation_at(line_or_route, s, total)
    if form is not None:  # new build of a traced route: the designed formation level
        z = np.where(np.isfinite(form), form, z)
    for a, b, _ in spans:
        za, zb = np.interp([a, b], s[~inner], z[~inner])
        sel = (s >= a) & (s <= b)
        z[sel] = za + (zb - za) * (s[sel] - a) / (b - a)

    w = seg_weights(s)
    length = float(s[-1])
    grade = _windowed_grade(s, z, window)
    dz = np.diff(z)
    top = int(np.argmax(z))
    shares = {lab: float(w[np.abs(grade) > t].sum() / length) for lab, t in grade_labels(mode).items()}
    struct_len = {k: float(sum(b - a for a, b, kk in spans if kk == k)) for k in STRUCTURE_KINDS}
    return Profile(
        distance_m=s, elevation_m=z, ground_m=ground, lon=lon, lat=lat, grade=grade,
        min_m=float(z.min()), max_m=float(z.max()), mean_m=float((z * w).sum() / length),
        ascent_m=float(dz[dz > 0].sum()), descent_m=float(-dz[dz < 0].sum()),
        highest={"lon": float(lon[top]), "lat": float(lat[top]), "elevation_m": float(z[top]),
                 "distance_m": float(s[top])},
        mean_abs_grade=float((np.abs(grade) * w).sum() / length), max_abs_grade=float(np.abs(grade).max()),
        window_m=float(window), mode=mode, share_above=shares, structures=spans,
        structure_length_m=struct_len, voids_filled=bool(void.any()), void_length_m=void_len,
        step_m=float(step), dem_source=dem.source + (" (voids interpolated)" if void.any() else ""),
        design_m=None if form is None or not np.isfinite(form).any() else np.where(np.isfinite(form), z, np.nan),
    )


def formation_at(obj: Any, s: np.ndarray, total: float) -> np.ndarray | None:
    """Designed formation level at chainages ``s`` (m) of a route of length ``total`` (NaN off its
    designed runs), or None if it carries no design.

    :func:`corridor.align.trace` records the grade line of every run of new build
    in ``route.meta["formation"]``; it applies if the route still has the same
    length and ends (either way round).
    """
    meta = getattr(obj, "meta", None)
    f = meta.get("formation") if isinstance(meta, dict) and hasattr(obj, "segments") else None
    if not isinstance(f, dict) or abs(float(f.get("length_m", -1.0)) - total) > max(1.0, 1e-6 * total):
        return None
    start = np.asarray(obj.start, dtype=float)
    rev = not same_point(start, f["start_lonlat"])
    if rev and not same_point(start, f["end_lonlat"]):
        return None
    out = np.full(s.size, np.nan)
    for run in f["runs"]:
        d = float(run["start_m"]) + np.asarray(run["distance_m"], dtype=float)
        lv = np.asarray(run["level_m"], dtype=float)
        if rev:
            d, lv = (total - d)[::-1], lv[::-1]
        sel = (s >= d[0] - 0.5) & (s <= d[-1] + 0.5)  # chainages agree to well under 0.5 m
        out[sel] = np.interp(s[sel], d, lv)
    return out


# --------------------------------------------------------------- edge grades
class _HasEdges(Protocol):
    """Anything with an edge table (a :class:`~corridor.network.Network`, a higher stage not named here)."""

    edges: gpd.GeoDataFrame


def edge_grades(network_or_edges: _HasEdges | gpd.GeoDataFrame, dem: DEMLike = None, *,
                step_m: float | None = None) -> gpd.GeoDataFrame:
    """Add ``grade_max``, ``grade_mean``, ``rise_m`` to every edge, sampled along its geometry.

    All edges are sampled at once (vectorised): points every ``step_m`` along
    each geometry (at least the two ends), bilinear DEM values, then per-edge
    reductions. A long simplified edge over a pass therefore shows its real
    maximum grade, not the end-to-end average. Edges flagged ``tunnel`` or
    ``bridge`` take the straight grade between their ends.

    Parameters
    ----------
    network_or_edges : Network or GeoDataFrame
        A :class:`~corridor.network.Network` (its ``edges`` table gets the
        columns in place and is returned) or an edge GeoDataFrame (a copy
        with the columns is returned).
    dem : DEM, path or None
        Elevation model; None opens the embedded DEM.
    step_m : float, optional
        Sampling step; default half the DEM's ground resolution.

    Returns
    -------
    geopandas.GeoDataFrame
        ``grade_max`` (max absolute grade over sample intervals), ``grade_mean``
        (length-weighted mean absolute grade), ``rise_m`` (end minus start
        elevation, in geometry direction). NaN where the edge leaves the DEM or
        touches a void (logged), never 0.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> e = gpd.GeoDataFrame(geometry=[LineString([(44.40, 40.10), (44.60, 40.25)])], crs=4326)
    >>> out = edge_grades(e)
    >>> bool(out["grade_max"].iloc[0] >= out["grade_mean"].iloc[0] > 0)
    True
    """
    import geopandas as gpd
    import shapely

    is_net = hasattr(network_or_edges, "edges") and not isinstance(network_or_edges, gpd.GeoDataFrame)
    edges = network_or_edges.edges if is_net else network_or_edges
    if not isinstance(edges, gpd.GeoDataFrame):
        raise InvalidInputError(f"edge_grades needs a Network or an edge GeoDataFrame, got {type(edges).__name__}")
    if not is_net:
        edges = edges.copy()
    geoms = edges.geometry
    if geoms.crs is not None and not geoms.crs.equals("EPSG:4326"):
        geoms = geoms.to_crs("EPSG:4326")
    dem = DEM.open(dem)
    n = len(edges)
    if n == 0:
        for c in ("grade_max", "grade_mean", "rise_m"):
            edges[c] = np.zeros(0)
        return edges
    xy, idx = shapely.get_coordinates(geoms.values, return_index=True)
    _check_degrees(xy, "the edge geometries")
    step = (_positive(step_m, "step_m") if step_m is not None
            else dem.ground_resolution_m(float(np.mean(xy[:, 1]))) / 2)
    d = segment_lengths(xy[:, 0], xy[:, 1])
    same = idx[:-1] == idx[1:]
    seg = np.where(same, d, 0.0)
    cum = np.concatenate([[0.0], np.cumsum(seg)])  # global, flat across edge boundaries
    counts = np.bincount(idx, minlength=n)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    last = first + counts - 1
    has = counts >= 2
    length = np.where(has, cum[np.minimum(last, len(cum) - 1)] - cum[first], 0.0)
    nsamp = np.where(has, np.maximum(2, np.ceil(length / step).astype(np.int64) + 1), 0)
    eid = np.repeat(np.arange(n), nsamp)
    start = np.concatenate([[0], np.cumsum(nsamp)[:-1]])
    j = np.arange(eid.size) - start[eid]
    t = length[eid] * j / np.maximum(nsamp[eid] - 1, 1)
    pos = cum[first[eid]] + t
    k = first[eid]
    multi = (counts > 2)[eid]  # only edges with inner vertices need a search
    if multi.any():
        km = np.searchsorted(cum, pos[multi], side="right") - 1
        k[multi] = np.clip(km, k[multi], last[eid[multi]] - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(seg[k] > 0, (pos - cum[k]) / seg[k], 0.0)
    kk = np.minimum(k + 1, len(xy) - 1)
    lon = xy[k, 0] + frac * (xy[kk, 0] - xy[k, 0])
    lat = xy[k, 1] + frac * (xy[kk, 1] - xy[k, 1])
    z = dem.sample(lon, lat)
    flat = np.zeros(n, dtype=bool)
    for col in ("tunnel", "bridge"):
        if col in edges.columns:
            flat |= edges[col].fillna(False).astype(bool).to_numpy()
    stop = start + nsamp - 1
    zs, ze = np.full(n, np.nan), np.full(n, np.nan)
    zs[has], ze[has] = z[start[has]], z[stop[has]]
    if flat.any():
        fe = flat[eid]
        z[fe] = zs[eid[fe]] + (ze[eid[fe]] - zs[eid[fe]]) * t[fe] / np.maximum(length[eid[fe]], 1e-9)
    dz = np.abs(np.diff(z))
    ds = np.diff(t)
    inner = eid[:-1] == eid[1:]  # intervals inside one edge
    g_int = np.where(inner & (ds > 0), dz / np.where(ds > 0, ds, 1.0), 0.0)
    g_int = np.where(inner, g_int, -np.inf)  # boundary pairs never win the max
    starts_int = start[has]
    gmax = np.zeros(n)
    gsum = np.zeros(n)
    if starts_int.size:
        gmax[has] = np.maximum.reduceat(np.append(g_int, -np.inf), starts_int)
        gsum[has] = np.add.reduceat(np.append(np.where(inner, dz, 0.0), 0.0), starts_int)
    with np.errstate(invalid="ignore", divide="ignore"):
        gmean = np.where(length > 0, gsum / np.where(length > 0, length, 1.0), 0.0)
    gmax = np.where(length > 0, gmax, 0.0)
    bad = ~has
    if starts_int.size:
        bad[has] = np.logical_or.reduceat(np.isnan(z), starts_int)
    gmax[bad], gmean[bad] = np.nan, np.nan
    if bad.any():
        log.warning("edge_grades: %d of %d edges leave the DEM or touch voids; their grades are NaN",
                    int(bad.sum()), n)
    edges["grade_max"] = gmax
    edges["grade_mean"] = gmean
    edges["rise_m"] = np.where(bad, np.nan, ze - zs)
    return edges
