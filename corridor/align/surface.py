"""Private helpers of :mod:`corridor.align.tracing`: DEM grid, cost surface, unit masks, windowed search.

The alignment engine works on the DEM's own grid (EPSG:4326 cells). Cell sizes
in metres are geodesic, per row; the least-cost search (scikit-image
``MCP_Geometric``) takes one ``(dy, dx)`` sampling per window, computed at the
window's mid latitude (within a 1-2 degree window the error of that constant is
under 1 %; reported lengths are always re-measured geodesically).

Cost model (per metre of open line = 1)
---------------------------------------
``cost = unit_factor * min(min(1 + (slope / slope_ref) ** 2, open_cap) + relief / relief_ref, structure_factor)``

* ``slope`` is the terrain slope of the cell (magnitude of the DEM gradient,
  central differences over neighbouring cells). On GLOBE 30" (cells ~700-900 m)
  this is an approximation: short steep pitches, cuttings and the line's own
  angle to the contours are below the grid's resolution. A line can run at a
  lower grade than the terrain slope by following contours, so ``slope_ref`` is
  larger than the ruling grade: it is the terrain slope at which earthworks
  double the cost per km.
* ``relief`` is the height of the cell above the lowest ground within
  ``relief_radius_m`` (the local base level): lines keep to valley floors,
  whose long grades are gentle, instead of climbing spurs and ridges; deep
  under a ridge only a tunnel passes.
* ``open_cap`` bounds the price of open line on steep side-long ground, and
  ``structure_factor`` is the price of a tunnel or viaduct per km relative to
  open line: no cell costs more than that (the "tunnel option priced per km"). The ruling grade
  itself is enforced afterwards on the traced line (see ``align.flag_structures``).
* ``unit_factor`` is 1, a penalty multiplier per country unit, or exclusion.

Examples
--------
>>> from corridor.align import PRESETS
>>> PRESETS["rail"].max_grade
0.0125
>>> PRESETS["road"].max_grade
0.08
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corridor._errors import ParameterError
from corridor._geo import M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR, geod
from corridor._types import UNITS, BBox
from corridor._validate import renamed
from corridor.costs import CostParams
from corridor.data.regions import index
from corridor.terrain.dem import DEMLike
from corridor.terrain.profiles import DEM

log = logging.getLogger(__name__)

__all__ = ["PRESETS", "Grid", "SurfacePreset", "cost_surface", "read_grid", "search", "unit_factors"]


#: Cost factor of re-using an existing line by status (new build = 1).
EXISTING_FACTOR: dict[str, float] = {
    "active": 0.25, "construction": 0.3, "disused": 0.5, "abandoned": 0.6, "razed": 0.8, "proposed": 0.9,
}

@dataclass(frozen=True)
class SurfacePreset:
    """Parameters of the cost model for one mode.

    Attributes
    ----------
    mode : str
        ``rail`` or ``road``.
    max_grade : float
        Hard limit: outside flagged tunnels/bridges the line's grade stays below it.
    slope_ref : float
        Terrain slope at which the cost per km of open line doubles.
    relief_ref : float
        Height (m) above the lowest ground within ``relief_radius_m`` that adds the
        cost of one more km of open line per km: lines keep to valley floors,
        whose long grades are gentle, rather than crossing spurs.
    relief_radius_m : float
        Radius of the neighbourhood for the local base level.
    structure_factor : float
        Price per km of a tunnel or viaduct relative to open line (cost cap).
    open_cap : float
        Highest price per km of open line on steep side-long ground (below the
        structure price: a line along a gorge side is cheaper than a tunnel).
    buffer_m : float
        Minimum half-width of the search corridor around each straight leg.
    buffer_frac : float
        Half-width of the corridor as a share of the leg length (the larger wins).
    source : str
        Where the figures come from.
    """

    mode: str
    max_grade: float
    slope_ref: float
    structure_factor: float
    open_cap: float = 4.0
    relief_ref: float = 80.0
    relief_radius_m: float = 2_000.0
    buffer_m: float = 15_000.0
    buffer_frac: float = 0.35
    source: str = ""


#: Old names, kept for one release (``DeprecationWarning``).
__getattr__ = renamed(__name__, {"Preset": ("SurfacePreset", SurfacePreset)})


def _ruling_grade(mode: str) -> float:
    """The default ruling grade of ``mode``: the one documented :class:`corridor.costs.CostParams` field."""
    return float(getattr(CostParams, f"{mode}_ruling_grade"))


#: Search presets by mode; ``max_grade`` is ``CostParams.<mode>_ruling_grade`` (one source of truth).
PRESETS: dict[str, SurfacePreset] = {
    "rail": SurfacePreset(
        "rail", max_grade=_ruling_grade("rail"), slope_ref=0.10, structure_factor=8.0, open_cap=4.0,
        source="ruling grade from CostParams.rail_ruling_grade (EBO par. 7, freight-capable main line); tunnel "
               "$25-60 M/km vs open line ~$5 M/km in the region (Meghri $4.7-5.3 M/km) -> factor 8; "
               "steep open ground up to ~4x flat",
    ),
    "road": SurfacePreset(
        "road", max_grade=_ruling_grade("road"), slope_ref=0.20, structure_factor=15.0, open_cap=5.0,
        source="ruling grade from CostParams.road_ruling_grade (AASHTO mountainous terrain); mountainous sites up to ~5x "
               "the cost of flat terrain (open cap 5); road tunnel ~$20 M/km vs 2-lane road "
               "$1.3 M/km -> factor 15",
    ),
}


@dataclass
class Grid:
    """Elevations on a regular lon/lat grid (NaN = nodata) with its affine transform."""

    z: np.ndarray
    transform: Any
    source: str = ""
    res: tuple[float, float] = field(init=False)

    def __post_init__(self) -> None:
        self.res = (abs(float(self.transform.a)), abs(float(self.transform.e)))

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return (int(self.z.shape[0]), int(self.z.shape[1]))

    @property
    def bounds(self) -> BBox:
        """Outer edges of the grid."""
        t = self.transform
        rows, cols = self.shape
        return BBox(t.c, t.f + rows * t.e, t.c + cols * t.a, t.f)

    def rowcol(self, lon: float, lat: float) -> tuple[int, int]:
        """Cell containing a point (may be outside the grid)."""
        t = self.transform
        return math.floor((lat - t.f) / t.e), math.floor((lon - t.c) / t.a)

    def lonlat(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Centres of cells."""
        t = self.transform
        return (t.c + (np.asarray(cols) + 0.5) * t.a, t.f + (np.asarray(rows) + 0.5) * t.e)

    def cell_m(self) -> tuple[np.ndarray, float]:
        """Geodesic cell width (m) of every row and the cell height (m)."""
        _, lats = self.lonlat(np.arange(self.shape[0]), np.zeros(self.shape[0]))
        g = geod()
        rx, ry = self.res
        lons0 = np.full_like(lats, 45.0)
        _, _, dx = g.inv(lons0, lats, lons0 + rx, lats)
        mid = float(np.mean(lats))
        _, _, dy = g.inv(45.0, mid - ry / 2, 45.0, mid + ry / 2)
        return np.asarray(dx, dtype=float), float(dy)

    def window(self, r0: int, r1: int, c0: int, c1: int) -> Grid:
        """A sub-grid (view) of rows ``r0:r1`` and columns ``c0:c1``."""
        from affine import Affine

        t = self.transform
        tr = Affine(t.a, t.b, t.c + c0 * t.a, t.d, t.e, t.f + r0 * t.e)
        return Grid(self.z[r0:r1, c0:c1], tr, self.source)


def open_dem(dem: DEMLike) -> DEM:
    """``corridor.terrain.DEM.open`` (``None`` = embedded GLOBE 30", a path, a list, a DEM)."""

    return DEM.open(dem)


def read_grid(dem: DEMLike, bbox: BBox) -> Grid:
    """Read the DEM over ``bbox`` (clipped to the DEM) as a :class:`Grid`.

    Examples
    --------
    >>> g = read_grid(None, BBox(45.0, 39.0, 45.5, 39.5))
    >>> g.shape
    (60, 60)
    """
    d = open_dem(dem)
    z, tr = d.read(bbox=bbox)
    return Grid(np.asarray(z, dtype=float), tr, str(d.source))


def slope(grid: Grid) -> np.ndarray:
    """Terrain slope (rise over run) of every cell, from geodesic cell sizes."""
    dx, dy = grid.cell_m()
    z = grid.z
    gy = np.gradient(z, axis=0) / dy if z.shape[0] > 1 else np.zeros_like(z)
    gx = np.gradient(z, axis=1) / dx[:, None] if z.shape[1] > 1 else np.zeros_like(z)
    return np.asarray(np.hypot(gx, gy))


def unit_factors(grid: Grid, *, stay_in: Sequence[str] = (), avoid: Mapping[str, float] | None = None,
                 keep: Sequence[tuple[int, int]] = ()) -> np.ndarray:
    """Per-cell multiplier from unit constraints; ``inf`` marks excluded cells.

    Cells whose centre lies in an excluded unit (``avoid`` value ``inf``, or any
    unit not in ``stay_in``) are excluded, unless an allowed unit touches them:
    border rivers run along valley floors, and on a coarse DEM the floor cell's
    centre is often across the river, so a cell that holds allowed ground stays
    usable. The traced line is taken back out of excluded units afterwards, along
    the border on the allowed side (:mod:`corridor.align._assembly`). Finite
    ``avoid`` values multiply the cost of every cell the unit touches, which also
    keeps a line off a penalised border instead of zig-zagging along it.
    Cells in ``keep`` (the waypoints' own cells) are never excluded.
    """
    from rasterio.features import rasterize


    avoid = dict(avoid or {})
    out = np.ones(grid.shape, dtype=float)
    idx = index()
    geoms = dict(zip(idx.codes, idx.geoms, strict=True))
    excluded = {u for u, f in avoid.items() if math.isinf(f)}
    if stay_in:
        excluded |= {u for u in UNITS if u not in stay_in}
    if excluded:
        shapes = [(geoms[u], 1) for u in sorted(excluded) if u in geoms]
        if shapes:
            mask = rasterize(shapes, out_shape=grid.shape, transform=grid.transform,
                             all_touched=False, fill=0, dtype="uint8").astype(bool)
            def touched(units: Sequence[str]) -> np.ndarray:
                return np.asarray(rasterize([(geoms[u], 1) for u in units], out_shape=grid.shape,
                                            transform=grid.transform, all_touched=True, fill=0,
                                            dtype="uint8").astype(bool))

            allowed = [u for u in (stay_in or UNITS) if u in geoms and u not in excluded]
            by_allowed = touched(allowed) if allowed else None
            if by_allowed is not None:
                mask &= ~by_allowed
            if stay_in:  # cells outside every unit polygon (sea, off-pack) are excluded too
                present = [u for u in stay_in if u in geoms]
                # the same raster unless a stay_in unit is also excluded by ``avoid``
                inside = by_allowed if by_allowed is not None and present == allowed else touched(present)
                mask |= ~inside
            out[mask] = np.inf
    for u, f in avoid.items():
        if math.isinf(f) or f == 1.0:
            continue
        if u in geoms:
            m = rasterize([(geoms[u], 1)], out_shape=grid.shape, transform=grid.transform,
                          all_touched=True, fill=0, dtype="uint8").astype(bool)
            out[m & np.isfinite(out)] *= f
    for r, c in keep:
        if 0 <= r < grid.shape[0] and 0 <= c < grid.shape[1] and math.isinf(out[r, c]):
            out[r, c] = 1.0
    return out


def cost_surface(grid: Grid, preset: SurfacePreset, factors: np.ndarray | None = None) -> np.ndarray:
    """Cost per metre of every cell; ``inf`` for nodata or excluded cells.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> g = Grid(np.zeros((3, 3)), Affine(1 / 120, 0, 45.0, 0, -1 / 120, 40.0))
    >>> cost_surface(g, PRESETS["rail"]).tolist()[1]
    [1.0, 1.0, 1.0]
    """
    if preset.slope_ref <= 0 or preset.structure_factor < 1:
        raise ParameterError(f"preset {preset!r} needs slope_ref > 0 and structure_factor >= 1")
    from scipy.ndimage import minimum_filter

    s = slope(grid)
    dx, dy = grid.cell_m()
    rad = max(1, round(preset.relief_radius_m / max(dy, float(np.mean(dx)))))
    zf = np.where(np.isfinite(grid.z), grid.z, np.inf)
    base = minimum_filter(zf, size=2 * rad + 1, mode="nearest")
    relief = np.where(np.isfinite(grid.z), grid.z - base, 0.0)
    open_line = np.minimum(1.0 + (s / preset.slope_ref) ** 2, preset.open_cap)
    c = np.minimum(open_line + relief / preset.relief_ref, preset.structure_factor)
    if factors is not None:
        c = c * factors
    c[~np.isfinite(grid.z)] = np.inf
    c[~np.isfinite(c)] = np.inf
    return c


def corridor_mask(grid: Grid, a: tuple[float, float], b: tuple[float, float], half_width_m: float) -> np.ndarray:
    """Cells whose centre is within ``half_width_m`` of the straight segment a-b.

    Distances use a local equirectangular projection around the segment, exact
    enough (< 1 %) for a search corridor.
    """
    rows, cols = np.indices(grid.shape)
    lon, lat = grid.lonlat(rows, cols)
    lat0 = math.radians((a[1] + b[1]) / 2)
    kx, ky = M_PER_DEG_LON_EQUATOR * math.cos(lat0), M_PER_DEG_LAT
    px, py = (lon - a[0]) * kx, (lat - a[1]) * ky
    bx, by = (b[0] - a[0]) * kx, (b[1] - a[1]) * ky
    ll = bx * bx + by * by
    t = np.clip((px * bx + py * by) / ll, 0.0, 1.0) if ll > 0 else np.zeros_like(px)
    d = np.hypot(px - t * bx, py - t * by)
    return np.asarray(d <= half_width_m)


def search(costs: np.ndarray, grid: Grid, start: tuple[int, int], end: tuple[int, int]) -> tuple[list[tuple[int, int]], float]:
    """Least-cost path between two cells with ``MCP_Geometric`` (8-connected).

    Returns the cell path and its cost (metres of open-line equivalent); the
    path is empty and the cost ``inf`` when the end cannot be reached.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> g = Grid(np.zeros((5, 5)), Affine(1 / 120, 0, 45.0, 0, -1 / 120, 40.0))
    >>> c = np.ones((5, 5)); c[:4, 2] = np.inf
    >>> path, cost = search(c, g, (0, 0), (0, 4))
    >>> path[0], path[-1], (4, 2) in path
    ((0, 0), (0, 4), True)
    """
    from skimage.graph import MCP_Geometric

    dx, dy = grid.cell_m()
    mid = float(dx[len(dx) // 2])
    mcp = MCP_Geometric(costs, fully_connected=True, sampling=(dy, mid))
    cum, _ = mcp.find_costs([start], [end])
    total = float(cum[end])
    if not math.isfinite(total):
        return [], math.inf
    path = [(int(r), int(c)) for r, c in mcp.traceback(end)]
    return path, total


# --------------------------------------------------------------- network + raster
def _truthy(v: Any) -> bool:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return False
    if isinstance(v, str):
        return v.strip().lower() not in ("", "no", "false", "0", "none")
    return bool(v)


#: Greatest offset (degrees, ~0.1 m) of a network node from a place for the node to stand at that place.
AT_PLACE_DEG = 1e-6
#: How close (m) a leg's way into a waypoint and the next leg's way out run for the two to count
#: as one spur (:func:`corridor.align._assembly.trim_spur`): a quarter of a 1-km DEM cell, so only a
#: retrace or a hairpin (a narrow V whose arms run through neighbouring cells). Assumption: a line
#: does not reverse at a station; a station stands where the two ways part. (It was 100 m, which
#: left a V into Meghri whose arms ran 100-250 m apart for 1.9 km.)
SPUR_GAP_M = 250.0
#: The longest spur cut (m), and the farthest a station may stand from the waypoint it serves: a
#: few 1-km DEM cells; a waypoint farther out along a spur is visited as asked.
SPUR_MAX_M = 3000.0
#: Beyond ``SPUR_GAP_M``, two ways ``s`` metres from a waypoint are apart when more than ``s`` times
#: this apart: an angle of ~29 degrees between them (a turn of less than ~150 degrees is no spur).
SPUR_SPREAD = 0.5


def nodes_at(net: Any, lon: float, lat: float) -> set[int]:
    """Network nodes at ``(lon, lat)`` itself (edge ends within :data:`AT_PLACE_DEG`), vectorised over the edges."""
    import shapely

    out: set[int] = set()
    for end, col in ((0, "u"), (-1, "v")):
        xy = shapely.get_coordinates(shapely.get_point(net.geometry.values, end))
        hit = (np.abs(xy[:, 0] - lon) <= AT_PLACE_DEG) & (np.abs(xy[:, 1] - lat) <= AT_PLACE_DEG)
        out.update(int(k) for k in net[col].to_numpy()[hit])
    return out


def node_coords(net: Any) -> dict[int, tuple[float, float]]:
    """``{node id: (lon, lat)}`` from the end points of the edge geometries."""
    import shapely

    out: dict[int, tuple[float, float]] = {}
    first = shapely.get_coordinates(shapely.get_point(net.geometry.values, 0))
    last = shapely.get_coordinates(shapely.get_point(net.geometry.values, -1))
    for u, v, a, b in zip(net["u"].to_numpy(), net["v"].to_numpy(), first, last, strict=True):
        out.setdefault(int(u), (float(a[0]), float(a[1])))
        out.setdefault(int(v), (float(b[0]), float(b[1])))
    return out


def edge_between(net: Any, a: int, b: int) -> tuple[list[tuple[float, float]], dict[str, Any]]:
    """Geometry (oriented a -> b) and route attributes of the shortest edge joining two nodes."""
    m = ((net["u"] == a) & (net["v"] == b)) | ((net["u"] == b) & (net["v"] == a))
    rows = net[m]
    row = rows.iloc[int(np.argmin(rows["length_m"].to_numpy(dtype=float)))]
    coords = [(float(x), float(y)) for x, y, *_ in row.geometry.coords]
    if int(row["u"]) != a:
        coords.reverse()
    structure = "tunnel" if _truthy(row.get("tunnel")) else "bridge" if _truthy(row.get("bridge")) else "none"
    attrs = {
        "build": "existing", "status": str(row.get("status", "active") or "active"),
        "class": str(row.get("class", "")), "gauge_mm": float(row.get("gauge_mm", float("nan"))),
        "source": str(row.get("source", "osm")), "name": str(row.get("name", "") or ""),
        "osm_way_id": int(row.get("osm_way_id", -1)), "structure": structure, "ref": str(row.get("ref", "") or ""),
    }
    return coords, attrs


def search_combined(costs: np.ndarray, grid: Grid, start: tuple[int, int], end: tuple[int, int],
                    net: Any, factors: Mapping[str, float] | None = None, *,
                    at_start: Sequence[int] = (), at_end: Sequence[int] = (),
                    linked: Collection[int] | None = None) -> tuple[list[Any], float]:
    """Least-cost path over raster cells and existing network edges together.

    The raster is an 8-connected graph with the ``MCP_Geometric`` step cost
    (mean of the two cells' costs times the geodesic step); every network node
    inside the grid is joined to its cell, and edges cost ``length_m`` times
    the reuse factor of their status (``factors``). Network nodes ``at_start``
    (``at_end``) stand at the start (end) waypoint: :func:`waypoint_links`. The
    shortest path is found with ``scipy.sparse.csgraph.dijkstra``. Returns steps
    ``("cell", r, c)`` or ``("node", id, None)`` and the cost (``inf`` if unreachable).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra


    factors = factors or EXISTING_FACTOR
    rows, cols = costs.shape
    n = rows * cols
    dx, dy = grid.cell_m()
    ids = np.arange(n).reshape(rows, cols)
    src, dst, w = [], [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r0, r1 = 0, rows - dr
        c0, c1 = max(0, -dc), cols - max(0, dc)
        a = (slice(r0, r1), slice(c0, c1))
        b = (slice(r0 + dr, r1 + dr), slice(c0 + dc, c1 + dc))
        rowdx = dx[r0:r1][:, None] if dr == 0 else ((dx[r0:r1] + dx[r0 + dr:r1 + dr]) / 2)[:, None]
        dist = np.hypot(rowdx * abs(dc), dy * dr) * np.ones((1, c1 - c0))
        ww = (costs[a] + costs[b]) / 2 * dist
        ok = np.isfinite(ww)
        src.append(ids[a][ok])
        dst.append(ids[b][ok])
        w.append(ww[ok])
    ns, nd, nw, node_ids = network_edges(costs, grid, net, factors, n)
    s, t, (ls, ld, lw) = waypoint_links(int(ids[start]), int(ids[end]), at_start, at_end, node_ids, n, linked)
    src += ns + ls
    dst += nd + ld
    w += nw + lw
    total_n = n + len(node_ids)
    mat = coo_matrix((np.concatenate(w), (np.concatenate(src), np.concatenate(dst))),
                     shape=(total_n, total_n)).tocsr()
    dist_, pred = dijkstra(mat, directed=False, indices=s, return_predecessors=True)
    return graph_steps(dist_, pred, s, t, cols, n, node_ids)


def waypoint_links(s: int, t: int, at_start: Sequence[int], at_end: Sequence[int], node_ids: np.ndarray,
                   n: int, linked: Collection[int] | None = None
                   ) -> tuple[int, int, tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]]:
    """Where a leg starts and ends in a graph of ``n`` cells followed by the network nodes ``node_ids``.

    A leg whose start (end) waypoint is a network node (``at_start``, ``at_end``: the nodes at that
    place, :func:`nodes_at`) starts (ends) at the first of those nodes, not at the waypoint's cell:
    a waypoint on a cell edge falls in either cell, and the steps between the cell and the node
    would be a detour. Those nodes are also joined to the start (end) cell ``s`` (``t``) at no cost
    (1 mm), except nodes not in ``linked`` (default: all are): a station that serves the waypoint
    from elsewhere (:meth:`corridor.align._problem.Problem.place_nodes`) is reached over the graph.
    Returns the graph's start and end and the joining edges (``src``, ``dst``, ``weight`` lists, one
    direction).

    Examples
    --------
    >>> s, t, (src, dst, w) = waypoint_links(0, 5, [7], [], np.array([3, 7]), 6)
    >>> s, t, src[0].tolist(), dst[0].tolist()
    (7, 5, [0], [7])
    """
    a = n + np.flatnonzero(np.isin(node_ids, list(at_start)))  # graph nodes of the network nodes (sorted ids)
    b = n + np.flatnonzero(np.isin(node_ids, list(at_end)))
    la, lb = a, b
    if linked is not None:
        la = n + np.flatnonzero(np.isin(node_ids, [k for k in at_start if k in linked]))
        lb = n + np.flatnonzero(np.isin(node_ids, [k for k in at_end if k in linked]))
    links = ([np.full(la.size, s, dtype=np.int64), lb], [la, np.full(lb.size, t, dtype=np.int64)],
             [np.full(la.size, 1e-3), np.full(lb.size, 1e-3)])
    return int(a[0]) if a.size else s, int(b[0]) if b.size else t, links


def graph_steps(dist: np.ndarray, pred: np.ndarray, s: int, t: int, cols: int, n: int,
                node_ids: np.ndarray) -> tuple[list[Any], float]:
    """Steps ``("cell", r, c)`` / ``("node", id, None)`` of the shortest path s -> t and its cost.

    Graph nodes below ``n`` are grid cells (``r * cols + c``), the others
    network nodes ``node_ids[k - n]``. ``([], inf)`` when t is unreachable.
    """
    if not math.isfinite(dist[t]):
        return [], math.inf
    seq = [t]
    while seq[-1] != s:
        seq.append(int(pred[seq[-1]]))
    seq.reverse()
    steps: list[Any] = []
    for k in seq:
        if k < n:
            steps.append(("cell", k // cols, k % cols))
        else:
            steps.append(("node", int(node_ids[k - n]), None))
    return steps, float(dist[t])


def network_edges(costs: np.ndarray, grid: Grid, net: Any, factors: Mapping[str, float],
                  n: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Network edges and node-cell connectors for a graph whose first ``n`` nodes are the grid cells.

    Network node ``k`` (sorted ids, returned) becomes graph node ``n + k``. Edges
    cost ``length_m`` times the reuse factor of their status; a connector joins
    a node to its cell at ``costs[cell]`` per metre plus 1. Returns lists of
    ``src``, ``dst``, ``weight`` arrays (one direction: the caller adds the
    reverse for a directed graph) and the node ids.
    """
    import pandas as pd

    rows, cols = costs.shape
    dx, dy = grid.cell_m()
    ids = np.arange(rows * cols).reshape(rows, cols)
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    w: list[np.ndarray] = []
    # network edges
    e = pd.DataFrame({"u": net["u"].to_numpy(dtype=np.int64), "v": net["v"].to_numpy(dtype=np.int64),
                      "w": net["length_m"].to_numpy(dtype=float)
                      * net["status"].map(lambda s: factors.get(str(s), 0.5)).to_numpy(dtype=float)})
    e = e[e["u"] != e["v"]]
    node_ids = np.unique(np.concatenate([e["u"].to_numpy(), e["v"].to_numpy()]))
    pos = {int(k): n + i for i, k in enumerate(node_ids)}
    lo, hi = np.minimum(e["u"], e["v"]), np.maximum(e["u"], e["v"])
    e = pd.DataFrame({"a": lo, "b": hi, "w": e["w"]}).groupby(["a", "b"], as_index=False)["w"].min()
    src.append(np.array([pos[int(x)] for x in e["a"]], dtype=np.int64))
    dst.append(np.array([pos[int(x)] for x in e["b"]], dtype=np.int64))
    w.append(np.maximum(e["w"].to_numpy(dtype=float), 1e-3))
    # connectors node <-> its cell
    xy = node_coords(net)
    cs, cd, cw = [], [], []
    for nid in node_ids:
        lon, lat = xy[int(nid)]
        r, c = grid.rowcol(lon, lat)
        if 0 <= r < rows and 0 <= c < cols and math.isfinite(costs[r, c]):
            clon, clat = grid.lonlat(np.array([r]), np.array([c]))
            d = math.hypot((lon - float(clon[0])) * dx[r] / grid.res[0], (lat - float(clat[0])) * dy / grid.res[1])
            cs.append(ids[r, c])
            cd.append(pos[int(nid)])
            cw.append(costs[r, c] * d + 1.0)
    src.append(np.array(cs, dtype=np.int64))
    dst.append(np.array(cd, dtype=np.int64))
    w.append(np.array(cw, dtype=float))
    return src, dst, w, node_ids
