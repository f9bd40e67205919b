"""The routing graph behind :class:`corridor.network.Network`: layers, transfers, gauges, link costs.

Vertices are ``(node id, layer)`` pairs. Layer 0 is road; each track gauge is a
rail layer (a dual-gauge edge lies in both). So road and rail meet only through
*transfer* links placed at stations, and a node where two gauges meet gets a
*gauge-break* link with its own cost. Links are two-way except road edges with
``oneway`` set, which run from ``u`` to ``v`` only (the reader stores
``oneway=-1`` ways reversed). Shortest paths (:mod:`corridor.network._solver`)
run on scipy's compressed sparse graphs (:func:`scipy.sparse.csgraph.dijkstra`),
with a distance ``limit`` grown from the geodesic lower bound so that most
queries stop early; a route may also start or end at a node simplification
merged away inside an edge (:mod:`corridor.network._joints`).

A query may start at several vertices, each with its own *access cost* (the
distance from the waypoint to that vertex, priced by :data:`ACCESS_FACTOR` or
:data:`ACCESS_SPEED_KMH`): they are the arcs of one virtual super-source appended as the last row
of the CSR matrix, so a single Dijkstra run finds the cheapest start; each end
vertex's egress cost is added to its distance afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from corridor._geo import great_circle_m, nearest
from corridor._types import DEFAULT_GAUGE_MM, NATIONAL_GAUGE_MM
from corridor.network import _osm_tags as tagnorm
from corridor.network._joints import Joints

log = logging.getLogger(__name__)

__all__ = ["ACCESS_FACTOR", "ACCESS_SPEED_KMH", "DEFAULT_SPEED_KMH", "GAUGE_SOURCES", "NATIONAL_GAUGE_MM", "Graph",
           "RoutingCosts", "apply_gauges", "gauge_km", "infer_gauges"]

#: Values of the edge table's ``gauge_source`` (rail edges; road edges have ``""``): the way states
#: its gauge; it was taken from the tagged track its untagged stretch connects to; it is the unit's
#: national gauge (:data:`corridor._types.NATIONAL_GAUGE_MM`); it is standard gauge, off every unit.
GAUGE_SOURCES: tuple[str, ...] = ("tagged", "inferred-neighbour", "assumed-unit", "assumed-default")
#: Travel speed (km/h) by class where ``maxspeed`` is missing (a modelling assumption
#: for ``weight="time"``, applied to every status).
DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 100.0, "motorway_link": 60.0, "trunk": 90.0, "trunk_link": 50.0, "primary": 80.0,
    "primary_link": 50.0, "secondary": 70.0, "secondary_link": 40.0, "tertiary": 60.0, "tertiary_link": 40.0,
    "unclassified": 40.0, "track": 20.0, "rail": 80.0, "narrow_gauge": 40.0, "light_rail": 50.0,
}
_FALLBACK_SPEED = 40.0
#: Access cost of the off-network distance between a waypoint and the vertex a route
#: starts or ends at (modelling assumptions): with ``weight="length"`` each metre counts
#: as ``ACCESS_FACTOR`` network metres; with ``weight="time"`` it is covered at
#: ``ACCESS_SPEED_KMH``, slower than every network speed class. So an end leaves its
#: nearest node only when that saves more on the network (a transfer penalty, a loop
#: round a one-way street) than the extra access costs, never just to skip along its line.
ACCESS_FACTOR = 3.0
ACCESS_SPEED_KMH = 10.0
KIND_EDGE, KIND_TRANSFER, KIND_GAUGE = 0, 1, 2


@dataclass(frozen=True)
class RoutingCosts:
    """Penalties of transfers (modelling parameters, not measurements).

    Attributes
    ----------
    transfer_m, gauge_break_m : float
        Extra metres a road-rail transfer / gauge break counts for with ``weight="length"``.
    transfer_s, gauge_break_s : float
        Extra seconds with ``weight="time"`` (reloading, bogie exchange or transhipment).
    station_rail_m, station_road_m : float
        A station links the nearest rail node within ``station_rail_m`` to the
        nearest road node within ``station_road_m``.
    """

    transfer_m: float = 2_000.0
    gauge_break_m: float = 5_000.0
    transfer_s: float = 3_600.0
    gauge_break_s: float = 3 * 3_600.0
    station_rail_m: float = tagnorm.STATION_RAIL_M
    station_road_m: float = tagnorm.STATION_ROAD_M
    #: Road edges with these statuses are kept in the table but left out of routing (``()`` routes them
    #: all); see :data:`corridor.network._osm_tags.CLOSED_ROAD_STATUSES`.
    closed_road_statuses: tuple[str, ...] = tagnorm.CLOSED_ROAD_STATUSES


# ---------------------------------------------------------------------------------------- gauges
def _gauge_values(texts: np.ndarray) -> tuple[list[list[int]], np.ndarray]:
    """The gauges listed in each text (``"1520;1435"``) as (lists of the distinct texts, index of each)."""
    uniq, inv = np.unique(texts.astype(str), return_inverse=True)
    return [[int(v) for v in t.split(";") if v.strip().isdigit()] for t in uniq], inv


def infer_gauges(mode: np.ndarray, u: np.ndarray, v: np.ndarray, gauge: np.ndarray, gauge_mm: np.ndarray,
                 source: np.ndarray, unit: np.ndarray, length: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gauge text, gauge (mm) and :data:`GAUGE_SOURCES` value of every edge, untagged rail filled in.

    A rail edge is tagged when its ``source`` is ``"tagged"``, or when it has
    no source yet and a gauge value (a user's table). The untagged rail edges
    form connected stretches (scipy's ``connected_components`` over their end
    nodes); each stretch takes one gauge for all its edges:

    1. the gauge most often offered by the tagged rail edges touching it (a
       dual-gauge edge offers both; ties go to the stretch's national gauge,
       then to the smaller gauge): ``inferred-neighbour``;
    2. else the national gauge of the unit holding most of its length:
       ``assumed-unit``;
    3. else (off every unit) standard gauge: ``assumed-default``.

    So no gauge break ever appears inside an untagged stretch, nor where an
    untagged stretch meets tagged track of its own gauge: a break only
    separates gauges that tagged track states.
    """
    import pandas as pd
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rail = np.asarray(mode, dtype=object) == "rail"
    text = pd.Series(gauge, dtype=object).fillna("").astype(str).to_numpy(dtype=object)
    mm = np.asarray(gauge_mm, dtype=float)
    src = pd.Series(source, dtype=object).fillna("").astype(str).to_numpy(dtype=object)
    given = (text != "") | np.isfinite(mm)
    tagged = rail & ((src == "tagged") | ((src == "") & given))
    no_text = tagged & (text == "") & np.isfinite(mm)
    text[no_text] = [str(int(g)) for g in mm[no_text]]
    out_text = np.where(tagged, text, "").astype(object)
    out_mm = np.where(tagged, mm, np.nan)
    out_src = np.where(tagged, "tagged", "").astype(object)
    miss_mm = tagged & ~np.isfinite(out_mm)  # a tagged text without the number (a user's table)
    if miss_mm.any():
        lists, inv = _gauge_values(out_text[miss_mm])
        out_mm[miss_mm] = [float(lists[i][0]) if lists[i] else np.nan for i in inv]
    todo = np.flatnonzero(rail & ~tagged)
    if not len(todo):
        return out_text, out_mm, out_src
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    k = len(todo)
    nodes, inv_n = np.unique(np.concatenate([u[todo], v[todo]]), return_inverse=True)
    adj = coo_matrix((np.ones(k), (inv_n[:k], inv_n[k:])), shape=(len(nodes), len(nodes)))
    ncomp, label = connected_components(adj, directed=False)
    comp = label[inv_n[:k]]
    # the national gauge of each stretch: the unit holding most of its length (0: off every unit)
    w = np.nan_to_num(np.asarray(length, dtype=float)[todo], nan=0.0) + 1e-9
    ug = pd.Series(np.asarray(unit, dtype=object)[todo], dtype=object).map(NATIONAL_GAUGE_MM).fillna(0)
    by_unit = pd.DataFrame({"c": comp, "g": ug.to_numpy(dtype=np.int64), "w": w})
    by_unit = by_unit[by_unit["g"] > 0].groupby(["c", "g"], as_index=False)["w"].sum()
    by_unit = by_unit.sort_values(["c", "w", "g"], ascending=[True, False, True]).drop_duplicates("c")
    national = np.zeros(ncomp, dtype=np.int64)
    national[by_unit["c"].to_numpy()] = by_unit["g"].to_numpy()
    # votes of the tagged rail edges touching each stretch, one per gauge they carry
    tg = np.flatnonzero(tagged)
    t_node = np.concatenate([u[tg], v[tg]])
    t_edge = np.concatenate([tg, tg])
    at = np.minimum(np.searchsorted(nodes, t_node), len(nodes) - 1)
    hit = nodes[at] == t_node
    gauge_of = np.zeros(ncomp, dtype=np.int64)
    if hit.any():
        v_comp = label[at[hit]]
        lists, inv = _gauge_values(out_text[t_edge[hit]])
        vc, vg = [], []
        for i, gl in enumerate(lists):
            cs = v_comp[inv == i]
            for g in gl:
                vc.append(cs)
                vg.append(np.full(len(cs), g, dtype=np.int64))
        if vc:
            votes = pd.DataFrame({"c": np.concatenate(vc), "g": np.concatenate(vg)})
            votes = votes.groupby(["c", "g"], as_index=False).size()
            votes["own"] = votes["g"].to_numpy() == national[votes["c"].to_numpy()]
            votes = votes.sort_values(["c", "size", "own", "g"], ascending=[True, False, False, True])
            best = votes.drop_duplicates("c")
            gauge_of[best["c"].to_numpy()] = best["g"].to_numpy()
    inferred = gauge_of > 0
    comp_src = np.where(inferred, "inferred-neighbour", np.where(national > 0, "assumed-unit", "assumed-default"))
    comp_g = np.where(inferred, gauge_of, np.where(national > 0, national, DEFAULT_GAUGE_MM))
    out_mm[todo] = comp_g[comp].astype(float)
    out_text[todo] = comp_g[comp].astype(str).astype(object)
    out_src[todo] = comp_src[comp].astype(object)
    return out_text, out_mm, out_src


def apply_gauges(edges: Any, *, what: str = "network") -> Any:
    """Fill in the gauge of untagged rail edges (:func:`infer_gauges`) in place; log what was assumed.

    Sets ``gauge``, ``gauge_mm`` and ``gauge_source``; returns ``edges``.
    """
    if not len(edges):
        edges["gauge_source"] = np.zeros(0, dtype=object)
        return edges
    src = edges["gauge_source"].to_numpy(dtype=object) if "gauge_source" in edges.columns else \
        np.full(len(edges), "", dtype=object)
    # only rail rows take part (the others come out blank): infer on those, not on every road edge
    mode = edges["mode"].to_numpy(dtype=object)
    r = np.flatnonzero(mode == "rail")
    text = np.full(len(edges), "", dtype=object)
    mm = np.full(len(edges), np.nan)
    source = np.full(len(edges), "", dtype=object)
    text[r], mm[r], source[r] = infer_gauges(
        mode[r], edges["u"].to_numpy()[r], edges["v"].to_numpy()[r], edges["gauge"].to_numpy(dtype=object)[r],
        edges["gauge_mm"].to_numpy(dtype=float)[r], src[r], edges["unit"].to_numpy(dtype=object)[r],
        edges["length_m"].to_numpy(dtype=float)[r])
    edges["gauge"], edges["gauge_mm"], edges["gauge_source"] = text, mm, source
    km = gauge_km(edges)
    guessed = {k: v for k, v in km.items() if k != "tagged" and v > 0}
    if guessed:
        log.info("%s: %.1f km of rail has no gauge tag: %s (gauge breaks are never placed on an assumed "
                 "gauge); see the gauge_source column", what, sum(guessed.values()),
                 ", ".join(f"{v:.1f} km {k}" for k, v in guessed.items()))
    return edges


def gauge_km(edges: Any) -> dict[str, float]:
    """Kilometres of rail by ``gauge_source`` (:data:`GAUGE_SOURCES`, every key present).

    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> e = gpd.GeoDataFrame({"mode": ["rail"], "gauge_source": ["assumed-unit"], "length_m": [2500.0]},
    ...                      geometry=[LineString([(44.5, 40.1), (44.53, 40.1)])])
    >>> gauge_km(e)["assumed-unit"]
    2.5
    """
    out = dict.fromkeys(GAUGE_SOURCES, 0.0)
    if "gauge_source" not in edges.columns or not len(edges):
        return out
    rail = edges[edges["mode"] == "rail"]
    for k, v in rail.groupby("gauge_source")["length_m"].sum().items():
        if k in out:
            out[str(k)] = round(float(v) / 1000.0, 3)
    return out


class Graph:
    """Vertices, links and their attributes (built once per Network)."""

    def __init__(self, edges: Any, stations: Any, costs: RoutingCosts) -> None:
        import shapely

        self.costs = costs
        n = len(edges)
        mode = edges["mode"].to_numpy()
        rail = mode == "rail"
        coords = shapely.get_coordinates(edges.geometry.values, return_index=True)
        xy, ci = coords
        first = np.searchsorted(ci, np.arange(n), side="left")
        last = np.searchsorted(ci, np.arange(n), side="right") - 1
        ux, uy, vx, vy = xy[first, 0], xy[first, 1], xy[last, 0], xy[last, 1]
        u = edges["u"].to_numpy(dtype=np.int64)
        v = edges["v"].to_numpy(dtype=np.int64)
        ridx = np.flatnonzero(rail)
        gtxt = self._gauge_texts(edges, u, v)[ridx]
        lists, which = _gauge_values(gtxt)
        lists = [gl or [DEFAULT_GAUGE_MM] for gl in lists]
        # one link per (edge, layer): road edges layer 0, rail edges one per gauge
        reps = np.ones(n, dtype=np.int64)
        reps[ridx] = np.array([len(gl) for gl in lists], dtype=np.int64)[which] if len(ridx) else 0
        eidx = np.repeat(np.arange(n), reps)
        layer = np.zeros(len(eidx), dtype=np.int64)
        starts = np.cumsum(reps) - reps
        for i, gl in enumerate(lists):  # one step per distinct gauge text
            rows = ridx[which == i]
            for j, g in enumerate(gl):
                layer[starts[rows] + j] = g
        # vertices
        lu = np.concatenate([u[eidx], v[eidx]])
        ll = np.concatenate([layer, layer])
        lx = np.concatenate([ux[eidx], vx[eidx]])
        ly = np.concatenate([uy[eidx], vy[eidx]])
        layers = np.unique(ll)
        key = lu * 4096 + np.searchsorted(layers, ll)
        _ukey, first_i, inv = np.unique(key, return_index=True, return_inverse=True)
        self.vnode = lu[first_i]
        self.vlayer = ll[first_i]
        self.vx, self.vy = lx[first_i], ly[first_i]
        m = len(eidx)
        a, b = inv[:m], inv[m:]
        length = edges["length_m"].to_numpy(dtype=float)[eidx]
        speed = edges["maxspeed_kmh"].to_numpy(dtype=float)[eidx]
        cls = edges["class"].to_numpy(dtype=object)[eidx]
        default = np.array([DEFAULT_SPEED_KMH.get(str(c), _FALLBACK_SPEED) for c in cls], dtype=float)
        speed = np.where(np.isfinite(speed) & (speed > 0), speed, default)
        units = edges["unit"].to_numpy(dtype=object)[eidx]
        oneway = edges["oneway"].to_numpy(dtype=bool) if "oneway" in edges.columns else np.zeros(n, bool)
        oneway = oneway & ~rail  # rail lines are two-way at corridor level
        parts = {"a": [a], "b": [b], "length": [length], "time": [length / (speed / 3.6)],
                 "kind": [np.full(m, KIND_EDGE)], "ref": [eidx], "mode": [rail[eidx].astype(np.int8)],
                 "unit": [units], "oneway": [oneway[eidx]]}
        status = edges["status"].to_numpy(dtype=object) if "status" in edges.columns else np.full(n, "", object)
        closed_e = ~rail & np.isin(status, np.array(costs.closed_road_statuses, dtype=object))
        self._add_gauge_breaks(parts)
        if stations is not None and len(stations):
            # transfers link main-line track and open roads only
            main = rail & np.isin(edges["class"].to_numpy(dtype=object),
                                  np.array(tagnorm.TRANSFER_TRACK_CLASSES, dtype=object))
            self._add_transfers(parts, stations, self._touched(a, b, main[eidx]),
                                self._touched(a, b, (~rail & ~closed_e)[eidx]))
        self.a = np.concatenate(parts["a"]).astype(np.int64)
        self.b = np.concatenate(parts["b"]).astype(np.int64)
        self.length = np.concatenate(parts["length"]).astype(float)
        self.time = np.concatenate(parts["time"]).astype(float)
        self.kind = np.concatenate(parts["kind"]).astype(np.int8)
        self.ref = np.concatenate(parts["ref"]).astype(np.int64)
        self.mode = np.concatenate(parts["mode"]).astype(np.int8)  # 0 road, 1 rail, 2 both (transfer)
        self.unit = np.concatenate(parts["unit"]).astype(object)
        self.oneway = np.concatenate(parts["oneway"]).astype(bool)  # True: usable a -> b only
        self.closed = np.zeros(len(self.a), bool)  # True: a road edge of a closed status (not routed)
        self.closed[:m] = closed_e[eidx]
        self.nv = len(self.vnode)
        self._edges = edges

    @cached_property
    def joints(self) -> Joints:
        """The nodes simplification merged away inside the edges (snap points; see :mod:`._joints`)."""
        m = int(np.count_nonzero(self.kind == KIND_EDGE))  # edge links come first
        return Joints.of(self._edges, self.ref[:m])

    @staticmethod
    def _gauge_texts(edges: Any, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Gauge text of every edge; untagged rail filled in by :func:`infer_gauges` if the table has not been."""
        n = len(edges)

        def col(name: str, default: Any) -> np.ndarray:
            return edges[name].to_numpy() if name in edges.columns else np.full(n, default, dtype=object)

        text = col("gauge", "").astype(object)
        mode = col("mode", "road").astype(object)
        rail = mode == "rail"
        if not any(not isinstance(t, str) or t == "" for t in text[rail]):
            return text
        out, _mm, _src = infer_gauges(mode, u, v, text, col("gauge_mm", np.nan).astype(float),
                                      col("gauge_source", "").astype(object), col("unit", None).astype(object),
                                      col("length_m", 1.0).astype(float))
        return out

    def _touched(self, a: np.ndarray, b: np.ndarray, use: np.ndarray) -> np.ndarray:
        """Vertices at either end of the links ``a[use]``/``b[use]`` (a boolean mask of all vertices)."""
        out = np.zeros(len(self.vnode), bool)
        out[a[use]] = True
        out[b[use]] = True
        return out

    # ------------------------------------------------------------------ transfers
    def _add_gauge_breaks(self, parts: dict[str, list[Any]]) -> None:
        railv = np.flatnonzero(self.vlayer > 0)
        if len(railv) < 2:
            return
        nodes = self.vnode[railv]
        order = np.argsort(nodes, kind="stable")
        sn = nodes[order]
        dup = np.flatnonzero(sn[1:] == sn[:-1])
        pa, pb = [], []
        for i in dup:  # consecutive pairs within a node's group give a chain; add all pairs
            j = i
            while j >= 0 and sn[j] == sn[i + 1]:
                pa.append(railv[order[j]])
                pb.append(railv[order[i + 1]])
                j -= 1
        if not pa:
            return
        k = len(pa)
        parts["a"].append(np.array(pa))
        parts["b"].append(np.array(pb))
        parts["length"].append(np.zeros(k))
        parts["time"].append(np.zeros(k))
        parts["kind"].append(np.full(k, KIND_GAUGE))
        parts["ref"].append(np.full(k, -1))
        parts["mode"].append(np.ones(k, dtype=np.int8))
        parts["unit"].append(np.full(k, None, dtype=object))
        parts["oneway"].append(np.zeros(k, bool))
        log.debug("%d gauge-break links", k)

    def _add_transfers(self, parts: dict[str, list[Any]], stations: Any, rail_ok: np.ndarray,
                       road_ok: np.ndarray) -> None:
        """Link each main-line station's nearest main-line rail vertex (every gauge) to its nearest open road.

        ``rail_ok``/``road_ok`` mark the vertices of main-line track
        (:data:`~corridor.network._osm_tags.TRANSFER_TRACK_CLASSES`) and of roads open
        to routing. A station table with a ``station`` column (the OSM
        ``station=*`` value) loses its metro/tram/light-rail stops first
        (:func:`~corridor.network._osm_tags.is_transfer_station`).
        """
        road = np.flatnonzero(road_ok)
        rail = np.flatnonzero(rail_ok)
        if not len(road) or not len(rail):
            return
        sel = np.arange(len(stations))  # row of each used station in the table (the transfer's ref)
        if "station" in stations.columns:
            kinds = stations["kind"].astype(str).to_numpy() if "kind" in stations.columns else \
                np.full(len(stations), "station")
            sts = stations["station"].to_numpy(dtype=object)
            sel = np.array([i for i in range(len(stations)) if tagnorm.is_transfer_station(
                {"railway": kinds[i], "station": sts[i] if isinstance(sts[i], str) else ""})], dtype=np.int64)
            if not len(sel):
                return
        sx = stations["lon"].to_numpy(dtype=float)[sel]
        sy = stations["lat"].to_numpy(dtype=float)[sel]
        ref_lat = float(np.mean(self.vy))
        pa, pb, ln = [], [], []
        for idxs, lim in ((rail, self.costs.station_rail_m), (road, self.costs.station_road_m)):
            j, d = nearest(sx, sy, self.vx[idxs], self.vy[idxs], ref_lat=ref_lat)
            pa.append(np.where(d <= lim, idxs[j], -1))
        rail_v, road_v = pa
        ok = (rail_v >= 0) & (road_v >= 0)
        for s in np.flatnonzero(ok):
            node = self.vnode[rail_v[s]]
            for rv in np.flatnonzero((self.vnode == node) & rail_ok):
                pb.append((road_v[s], rv, sel[s]))
                ln.append(great_circle_m(self.vx[rv], self.vy[rv], self.vx[road_v[s]], self.vy[road_v[s]]))
        if not pb:
            return
        k = len(pb)
        arr = np.array(pb)
        length = np.array(ln)
        parts["a"].append(arr[:, 0])
        parts["b"].append(arr[:, 1])
        parts["length"].append(length)
        parts["time"].append(length / (30 / 3.6))
        parts["kind"].append(np.full(k, KIND_TRANSFER))
        parts["ref"].append(arr[:, 2])
        parts["mode"].append(np.full(k, 2, dtype=np.int8))
        parts["unit"].append(np.full(k, None, dtype=object))
        parts["oneway"].append(np.zeros(k, bool))
        log.debug("%d road-rail transfer links at %d stations", k, int(ok.sum()))

    # ------------------------------------------------------------------ costs
    def cost(self, weight: str) -> np.ndarray:
        """Cost of every link for ``weight`` ("length" in m or "time" in s), penalties included."""
        c = self.costs
        if weight == "length":
            return self.length + np.where(self.kind == KIND_TRANSFER, c.transfer_m, 0.0) + \
                np.where(self.kind == KIND_GAUGE, c.gauge_break_m, 0.0)
        return self.time + np.where(self.kind == KIND_TRANSFER, c.transfer_s, 0.0) + \
            np.where(self.kind == KIND_GAUGE, c.gauge_break_s, 0.0)

    def mask(self, mode: str | None, avoid: tuple[str, ...], *, closed: bool = False) -> np.ndarray:
        """Links usable for ``mode`` (None: both, with transfers) avoiding ``avoid`` units.

        Road edges of a closed status (``RoutingCosts.closed_road_statuses``) are never usable;
        ``closed=True`` keeps them (the links of the whole edge table, as
        :func:`corridor.network._nx.to_networkx` shows them; the router never asks for them).
        """
        if mode == "road":
            m = self.mode == 0
        elif mode == "rail":
            m = self.mode == 1
        else:
            m = np.ones(len(self.a), bool)
        if not closed:
            m &= ~self.closed
        if avoid:
            m &= ~np.isin(self.unit, np.array(avoid, dtype=object))
        return np.asarray(m)
