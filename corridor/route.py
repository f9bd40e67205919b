"""The :class:`Route` value type: a geometry plus an ordered segment table.

A route is what the network router and the alignment engine produce and what
evaluation, export and maps consume. Its ``segments`` GeoDataFrame (EPSG:4326)
is ordered from the first waypoint to the last; each segment's geometry points
in the direction of travel. Columns (see :data:`SEGMENT_COLUMNS`):

========== ======================================================================
build      ``existing`` (an OSM or reference edge) or ``new`` (modelled alignment)
status     ``active``, ``disused``, ``abandoned``, ``razed``, ``construction``,
           ``proposed`` for existing track/road; ``new`` for new build
unit       country unit (ARM, AZE, NAX, GEO, TUR, IRN, RUS) or None
mode       ``road`` or ``rail``
structure  ``none``, ``tunnel`` or ``bridge``
class      OSM class (``rail``, ``primary`` ...) or ``new_rail`` / ``new_road``
gauge_mm   track gauge in mm (NaN for road / unknown)
length_m   geodesic length in metres
source     ``osm``, ``reference (modelled)``, ``modelled``, ``user``
name       name from OSM or the scenario (untrusted text)
osm_way_id OSM way id, or -1
========== ======================================================================

Examples
--------
>>> from shapely.geometry import LineString
>>> from corridor.route import Route
>>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
>>> list(r.segments["unit"])
['NAX', 'ARM']
>>> round(r.length_m / 1000, 1)
26.0
>>> r.reversed().segments["unit"].tolist()
['ARM', 'NAX']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor._errors import CRSMismatchError, InvalidInputError
from corridor._folium import ExploreLine, explore_map
from corridor._geo import great_circle_m, lengths_of
from corridor._html import card, plan_svg
from corridor._types import Place
from corridor._validate import as_items, check_mode
from corridor.data.regions import split_lines

if TYPE_CHECKING:
    import folium
    from shapely.geometry import LineString

__all__ = ["BUILD_TYPES", "SEGMENT_COLUMNS", "STRUCTURES", "Route", "true_runs"]

BUILD_TYPES = ("existing", "new")
STRUCTURES = ("none", "tunnel", "bridge")
SEGMENT_COLUMNS: dict[str, Any] = {
    "build": "new",
    "status": "new",
    "unit": None,
    "mode": "rail",
    "structure": "none",
    "class": "",
    "gauge_mm": float("nan"),
    "length_m": 0.0,
    "source": "modelled",
    "name": "",
    "osm_way_id": -1,
}


@dataclass(frozen=True)
class Route:
    """A route: ordered segments with attributes, plus its waypoints and metadata.

    Attributes
    ----------
    name : str
        Route name (scenario name or ``"A - B"``). Untrusted text.
    mode : str
        ``"rail"`` or ``"road"``.
    segments : geopandas.GeoDataFrame
        Ordered segment table, see the module docstring.
    waypoints : tuple of Place
        The places the route was asked to pass, in order.
    source : str
        ``osm``, ``reference (modelled)``, ``modelled`` or ``user``.
    meta : dict
        Free metadata: scenario description, published figures, status,
        provenance of the network and DEM.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
    >>> r.name, r.mode, r.start
    ('demo', 'rail', (46.0, 38.92))
    >>> r.unit_sequence(), round(r.length_m / 1000, 1)
    (['NAX', 'ARM'], 26.0)
    """

    name: str
    mode: str
    segments: Any
    waypoints: tuple[Place, ...] = ()
    source: str = "modelled"
    meta: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------ construction
    @classmethod
    def from_segments(
        cls,
        segments: Any,
        *,
        mode: str,
        name: str = "route",
        waypoints: Sequence[Place] = (),
        source: str = "modelled",
        meta: Mapping[str, Any] | None = None,
        split_units: bool = True,
    ) -> Route:
        """Build a route from an ordered GeoDataFrame of LineStrings.

        Missing columns get the defaults of :data:`SEGMENT_COLUMNS`; with
        ``split_units`` segments are cut at unit borders (by overlay) and
        ``unit`` is set; ``length_m`` is always recomputed geodesically.
        """
        import geopandas as gpd

        check_mode(mode)
        if segments is None or len(segments) == 0:
            raise InvalidInputError(f"route {name!r} has no segments; give at least one LineString")
        seg = gpd.GeoDataFrame(segments.copy(), geometry="geometry", crs=segments.crs or "EPSG:4326")
        if seg.crs is not None and not seg.crs.equals("EPSG:4326"):
            seg = seg.to_crs("EPSG:4326")
        seg = seg[[g is not None and not g.is_empty for g in seg.geometry]].reset_index(drop=True)
        if len(seg) == 0:
            raise InvalidInputError(f"route {name!r} has only empty geometries; give at least one LineString")
        _check_lines(seg.geometry.values, name)
        b = seg.total_bounds
        if not (-180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90):
            raise CRSMismatchError(
                f"route {name!r} has coordinates {tuple(round(float(v), 3) for v in b)} that are not "
                "degrees; reproject the lines to EPSG:4326 (lon, lat) or set the GeoDataFrame's crs"
            )
        for col, default in SEGMENT_COLUMNS.items():
            if col not in seg.columns:
                seg[col] = mode if col == "mode" else default
        if split_units:

            seg = split_lines(seg.drop(columns=["unit"]))  # keeps the order; pieces in travel order
        seg["length_m"] = lengths_of(seg.geometry.values)
        cols = [*SEGMENT_COLUMNS, *[c for c in seg.columns if c not in SEGMENT_COLUMNS and c != "geometry"], "geometry"]
        seg = gpd.GeoDataFrame(seg[cols], geometry="geometry", crs="EPSG:4326")
        return cls(name=name, mode=mode, segments=seg, waypoints=tuple(waypoints), source=source,
                   meta=dict(meta or {}))

    @classmethod
    def from_lines(cls, lines: Any, *, mode: str, name: str = "route",
                   attrs: Sequence[Mapping[str, Any]] | None = None, **kw: Any) -> Route:
        """Build a route from ordered LineStrings and optional per-line attribute dicts.

        ``lines`` is one LineString or an iterable of them; anything else (a
        Point, an empty LineString, NaN or infinite coordinates) raises
        :class:`InvalidInputError` naming the line.
        """
        import geopandas as gpd

        lines = as_items(lines)
        for i, g in enumerate(lines):
            if g is None or getattr(g, "is_empty", False):
                raise InvalidInputError(f"route {name!r}: line {i} is empty; give LineStrings with coordinates")
        _check_lines(lines, name)
        rows = [dict(a) for a in attrs] if attrs is not None else [{} for _ in lines]
        if len(rows) != len(lines):
            raise InvalidInputError("attrs must have one mapping per line")
        gdf = gpd.GeoDataFrame(rows, geometry=lines, crs="EPSG:4326")
        return cls.from_segments(gdf, mode=mode, name=name, **kw)

    # -------------------------------------------------------------- geometry
    @property
    def geometry(self) -> LineString:
        """The whole route as one LineString (segments joined in order)."""
        from shapely.geometry import LineString

        coords: list[tuple[float, float]] = []
        for g in self.segments.geometry:
            c = list(g.coords)
            if coords and coords[-1] == c[0]:
                c = c[1:]
            coords.extend(c)
        return LineString(coords)

    @property
    def length_m(self) -> float:
        """Total geodesic length in metres."""
        return float(np.sum(self.segments["length_m"].to_numpy(dtype=float)))

    @property
    def start(self) -> tuple[float, float]:
        """First vertex ``(lon, lat)``."""
        c = self.segments.geometry.iloc[0].coords[0]
        return (float(c[0]), float(c[1]))

    @property
    def end(self) -> tuple[float, float]:
        """Last vertex ``(lon, lat)``."""
        c = self.segments.geometry.iloc[-1].coords[-1]
        return (float(c[0]), float(c[1]))

    @property
    def great_circle_m(self) -> float:
        """Geodesic distance between the first and last vertex."""
        return great_circle_m(*self.start, *self.end)

    @property
    def modelled(self) -> bool:
        """True if any part of the route is modelled (new build or reference network)."""
        src = self.segments["source"].astype(str)
        return bool((self.segments["build"] == "new").any() or src.str.contains("modelled").any())

    def unit_sequence(self) -> list[str | None]:
        """Units along the route with consecutive repeats collapsed."""
        out: list[str | None] = []
        for u in self.segments["unit"]:
            u = None if u is None or (isinstance(u, float) and math.isnan(u)) else str(u)
            if not out or out[-1] != u:
                out.append(u)
        return out

    def offsets(self) -> np.ndarray:
        """Start distance (m) of each segment along the route; length ``n + 1``."""
        return np.concatenate([[0.0], np.cumsum(self.segments["length_m"].to_numpy(dtype=float))])

    def structure_spans(self) -> list[tuple[float, float, str]]:
        """``(start_m, end_m, kind)`` of tunnel/bridge spans along the route, merged."""
        off = self.offsets()
        spans: list[tuple[float, float, str]] = []
        for i, kind in enumerate(self.segments["structure"].astype(str)):
            if kind not in ("tunnel", "bridge"):
                continue
            a, b = float(off[i]), float(off[i + 1])
            if spans and spans[-1][2] == kind and abs(spans[-1][1] - a) < 1e-6:
                spans[-1] = (spans[-1][0], b, kind)
            else:
                spans.append((a, b, kind))
        return spans

    # ------------------------------------------------------------ transforms
    def reversed(self) -> Route:
        """The same route travelled the other way."""
        import geopandas as gpd
        import shapely

        seg = self.segments.iloc[::-1].reset_index(drop=True).copy()
        seg = gpd.GeoDataFrame(seg, geometry=shapely.reverse(seg.geometry.values), crs="EPSG:4326")
        return replace(self, segments=seg, waypoints=tuple(reversed(self.waypoints)))

    def with_meta(self, **meta: Any) -> Route:
        """A copy with metadata entries added or replaced."""
        return replace(self, meta={**self.meta, **meta})

    def __repr__(self) -> str:
        return (f"Route(name={self.name!r}, mode={self.mode!r}, length_km={self.length_m / 1000:.1f}, "
                f"segments={len(self.segments)}, units={self.unit_sequence()})")

    # ------------------------------------------------------------ notebook display
    def _modelled_flags(self) -> list[bool]:
        seg = self.segments
        return [(str(b) == "new") or ("modelled" in str(s)) for b, s in zip(seg["build"], seg["source"], strict=True)]

    def _repr_html_(self) -> str:
        """Compact summary with the route drawn to scale (inline SVG; modelled parts dashed)."""
        title = f"{self.name} ({self.mode}" + (", modelled)" if self.modelled else ")")
        rows = [("Length", f"{self.length_m / 1000:,.1f} km"),
                ("Country units", " → ".join(u or "?" for u in self.unit_sequence())),
                ("Waypoints", " – ".join(p.name for p in self.waypoints) or "–"),
                ("Segments", f"{len(self.segments):,}"), ("Source", self.source)]
        lines = [np.asarray(g.coords)[:, :2] for g in self.segments.geometry]
        flags = self._modelled_flags()
        svg = plan_svg(lines, ["#1f77b4"], dashed=flags)
        return card(title, rows, svg=svg, note="dashed: modelled (not surveyed); .explore() for a map")

    def explore(self, *, tiles: str | None = "OpenStreetMap", m: folium.Map | None = None) -> folium.Map:
        """An interactive folium map of the route (like ``GeoDataFrame.explore``), offline-capable.

        Existing track or road is drawn solid, modelled parts dashed, waypoints as
        discs; tooltips show the name as text. The map's notebook display inlines
        Leaflet, so it works with the network off (the tiles need it).

        Parameters
        ----------
        tiles : str or None
            folium tile layer (``None``: no tiles).
        m : folium.Map, optional
            Draw into this map.

        Returns
        -------
        folium.Map

        Examples
        --------
        >>> from shapely.geometry import LineString
        >>> r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="demo")
        >>> type(r.explore(tiles=None)).__name__
        'OfflineMap'
        """
        flags = self._modelled_flags()
        km = self.length_m / 1000
        lines: list[ExploreLine] = []
        for modelled in (False, True):
            parts = [[[round(float(y), 6), round(float(x), 6)] for x, y in np.asarray(g.coords)[:, :2]]
                     for g, f in zip(self.segments.geometry, flags, strict=True) if f == modelled]
            if parts:
                kind = "modelled" if modelled else "existing"
                lines.append((parts, "#1f77b4", modelled, f"{self.name} — {self.mode}, {km:.1f} km ({kind})",
                              f"{self.name} ({kind})"))
        points = [(p.lat, p.lon, f"{p.name} ({p.kind}, {p.unit or '?'})") for p in self.waypoints]
        fmap: folium.Map = explore_map(lines, points, tiles=tiles, m=m)
        return fmap


def true_runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """The runs of consecutive true flags, as inclusive ``(first, last)`` index pairs.

    Used for runs of segments (new build) and of legs (feasible ones) along a route.

    Examples
    --------
    >>> true_runs([True, True, False, True, False, False, True])
    [(0, 1), (3, 3), (6, 6)]
    >>> true_runs([])
    []
    """
    out = []
    i, n = 0, len(flags)
    while i < n:
        if not flags[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and flags[j + 1]:
            j += 1
        out.append((i, j))
        i = j + 1
    return out


def _check_lines(geoms: Sequence[Any], name: str) -> None:
    """Every geometry is a shapely LineString with finite coordinates (InvalidInputError naming the first that is not)."""
    import shapely

    for i, g in enumerate(geoms):
        if not isinstance(g, shapely.Geometry):
            raise InvalidInputError(f"route {name!r}: line {i} is a {type(g).__name__}, not a LineString; "
                                    "give shapely LineStrings in (lon, lat)")
        if g.geom_type != "LineString":
            raise InvalidInputError(f"route {name!r}: line {i} is a {g.geom_type}, not a LineString; give "
                                    "LineStrings (split MultiLineStrings into their parts, in travel order)")
    xy, idx = shapely.get_coordinates(np.asarray(geoms, dtype=object), return_index=True)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        i = int(idx[np.argmax(bad)])
        raise InvalidInputError(f"route {name!r}: line {i} has NaN or infinite coordinates; give finite (lon, lat)")
