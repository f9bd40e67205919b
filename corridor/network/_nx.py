"""networkx/osmnx views of a :class:`corridor.network.Network`, and networks from osmnx graphs.

:func:`to_networkx` gives a ``networkx.MultiDiGraph`` in osmnx's conventions,
so that osmnx's functions (``graph_to_gdfs``, ``basic_stats``,
``shortest_path``, ``nearest_nodes``, ``project_graph``, ``save_graphml``,
``save_graph_geopackage``, ``consolidate_intersections``, ``add_edge_speeds``,
``add_edge_grades``, ``plot_graph`` ...) work on it as on a graph of their own.

Conventions
-----------
Nodes
    Keyed by OSM node id. One OSM node can be a vertex of several layers (the
    road layer and each track gauge: road and rail meet only through transfer
    links). The road vertex, and any vertex that is its node's only one, keeps
    the plain OSM id; the rail vertex of gauge *g* of a node with several
    vertices is keyed ``sign(id) * (g * LAYER_STRIDE + |id|)`` (e.g. node
    ``123`` on 1520 mm track: ``1520_000_000_000_123``), an integer no OSM id
    reaches. Nodes cut at unit borders have negative ids. Attributes: ``x``,
    ``y`` (EPSG:4326), ``street_count`` (as osmnx counts it), ``osm_node``
    (the OSM node id) and ``layer`` (0 road, else the gauge in mm). There is
    no ``osmid`` node attribute: osmnx names the node index ``osmid``.
Edges
    Every link in its usable directions (a one-way road once, in its travel
    direction; anything else twice, the second ``reversed=True`` with its
    geometry turned round). ``osmid`` is the OSM way id, a list of ids where
    pieces of several ways were merged, and ``-1`` on links that are no OSM
    way (``kind`` ``transfer`` or ``gauge_break``). ``highway`` (road) or
    ``railway`` (rail) is the class; ``length`` (geodesic m), ``geometry``,
    ``oneway``, ``reversed``; ``maxspeed`` is the tagged limit in km/h as
    text, and on edges osmnx cannot impute a speed for (rail and link edges,
    which have no ``highway`` type) the speed the router uses;
    ``speed_kph`` and ``travel_time`` are the router's (so
    ``travel_time`` sums to corridor's time); ``weight_length`` /
    ``weight_time`` are the router's costs with the transfer and gauge-break
    penalties (``inf`` on closed roads, which the router never takes; see
    below). corridor's own attributes keep their types: ``mode``,
    ``status``, ``unit`` (absent off every unit), ``name``, ``ref``,
    ``tunnel``/``bridge`` (bool), ``maxspeed_kmh``, ``lanes``, ``gauge_mm``
    (the layer's gauge), ``gauge`` (the gauge tag, ``;``-separated),
    ``gauge_source`` (whether that gauge is tagged or assumed, see
    :data:`corridor.network._graph.GAUGE_SOURCES`), ``electrified``, ``kind``.
    Missing values are absent, as in osmnx.
Zero-length links
    Gauge breaks (and OSM nodes at one position) have no length; such links
    get ``length = MIN_LINK_M`` (1 mm) so that osmnx's grades stay finite;
    ``weight_length`` keeps the router's exact cost.
Simplification
    A network loaded with ``simplify=True`` (or ``to_networkx(simplify=True)``) is merged once more here by
    osmnx's topological rule alone (chains through vertices where only two
    links meet, whatever their attributes, except that a closed road never
    merges with an open one), as ``osmnx.simplify_graph`` does:
    attributes that differ along a merged edge become lists of their distinct
    values; ``length``, ``travel_time`` and the weights are sums, so shortest
    paths are the router's, and :func:`from_networkx` of such a graph keeps the
    first value of each list. ``graph["simplified"]`` says whether this was
    done; otherwise it is False and ``osmnx.simplify_graph`` accepts the graph.
    Either way every edge lists the OSM nodes merged away inside it (by the
    network's simplification and by this one) in ``via_nodes``
    (``"<node>:<coordinate index>;..."`` along its ``geometry``, absent if none),
    so :func:`from_networkx` gives a network whose routes can still start and
    end at them (:mod:`corridor.network._joints`).
Closed roads
    The graph holds every edge of the network's table, so that
    :func:`from_networkx_tables` gives the same table back. Road edges of a
    status in ``RoutingCosts.closed_road_statuses`` (construction, proposed,
    private, no_access), which :meth:`~corridor.network.Network.route` never
    takes, are in it with ``weight_length = weight_time = inf`` (so shortest
    paths by those weights are still the router's). ``closed_roads=False``
    leaves them out: the routing graph alone, as osmnx's ``drive`` network
    leaves out ``access=private``, ``motor_vehicle=no`` and
    ``highway=construction`` ways (then shortest paths by ``length`` are the
    router's too, and :func:`from_networkx_tables` of it has no such roads).
    A network built with ``RoutingCosts(closed_road_statuses=())`` routes on
    them, and gives them finite weights.
    A way that is both a road and a railway is one edge in the road layer and
    one per gauge in the rail layers (``to_networkx(mode="road")`` holds only
    the former, so it does not count twice there).
Networks never simplified
    A network whose nodes must all stay (``meta["keep_all_nodes"]``: the
    modelled reference network, whose edges end at the scenarios' waypoints)
    gives a graph with ``graph["keep_all_nodes"] = True``, and
    :meth:`~corridor.network.Network.from_networkx` of that graph is not
    simplified either.
GraphML
    GraphML stores text. Pass ``node_dtypes=GRAPHML_NODE_DTYPES,
    edge_dtypes=GRAPHML_EDGE_DTYPES`` to ``osmnx.load_graphml`` to get
    corridor's attribute types back (osmnx already converts its own).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from corridor._errors import EmptyNetworkError
from corridor._version import __version__
from corridor.network import _osm_tags as tagnorm
from corridor.network._graph import DEFAULT_SPEED_KMH, KIND_EDGE, KIND_GAUGE, KIND_TRANSFER, Graph
from corridor.network._joints import VIA_COLUMN
from corridor.network._simplify import Chains, chain_vias, find_chains

if TYPE_CHECKING:
    import geopandas as gpd


class _Routable(Protocol):
    """What the graph views read of a :class:`~corridor.network.Network` (so this module needs no import
    of the class that uses it)."""

    @property
    def graph(self) -> Graph: ...

    edges: gpd.GeoDataFrame
    meta: dict[str, Any]

log = logging.getLogger(__name__)

__all__ = ["GRAPHML_EDGE_DTYPES", "GRAPHML_NODE_DTYPES", "LAYER_STRIDE", "MIN_LINK_M", "from_networkx_tables",
           "to_networkx"]

#: Rail vertices of a node with several vertices are keyed ``gauge_mm * LAYER_STRIDE + |OSM id|`` (signed).
LAYER_STRIDE = 10**12
#: Length (m) given to links of zero length (gauge breaks) so that grades stay finite.
MIN_LINK_M = 0.001
_KINDS = {KIND_EDGE: "edge", KIND_TRANSFER: "transfer", KIND_GAUGE: "gauge_break"}


def _bool(value: Any) -> bool:
    """GraphML text ``"True"``/``"False"`` (or a bool) as a bool."""
    if isinstance(value, bool):
        return value
    if value in ("True", "False"):
        return bool(value == "True")
    raise ValueError(f"not a boolean: {value!r}")


#: ``osmnx.load_graphml(node_dtypes=...)`` for corridor's node attributes.
GRAPHML_NODE_DTYPES: dict[str, Callable[[Any], Any]] = {"osm_node": int, "layer": int, "street_count": int}
#: ``osmnx.load_graphml(edge_dtypes=...)`` for corridor's edge attributes.
GRAPHML_EDGE_DTYPES: dict[str, Callable[[Any], Any]] = {
    "weight_length": float, "weight_time": float, "maxspeed_kmh": float, "lanes": float, "gauge_mm": float,
    "tunnel": _bool, "bridge": _bool}


def _node_keys(vnode: np.ndarray, vlayer: np.ndarray) -> np.ndarray:
    """Graph node key of every router vertex (see the module docstring)."""
    order = np.argsort(vnode, kind="stable")
    sn = vnode[order]
    cnt = np.diff(np.concatenate([np.flatnonzero(np.r_[True, sn[1:] != sn[:-1]]), [len(sn)]]))
    shared = np.empty(len(vnode), bool)
    shared[order] = np.repeat(cnt > 1, cnt)
    off = np.where(shared & (vlayer > 0), vlayer.astype(np.int64) * LAYER_STRIDE, 0)
    return np.where(vnode < 0, vnode - off, vnode + off).astype(np.int64)


def _agg(values: np.ndarray, chain: np.ndarray, first: np.ndarray, n: int) -> np.ndarray:
    """Per chain: the one value of its pieces, a list of their distinct values, or None if none has one."""
    import pandas as pd

    out = np.empty(n, dtype=object)
    if values.dtype != object:  # Python scalars, not numpy ones (GraphML writes their repr)
        values = np.array(values.tolist(), dtype=object)
    codes, _ = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    lo = np.minimum.reduceat(codes, first) if len(first) else codes[:0]
    hi = np.maximum.reduceat(codes, first) if len(first) else codes[:0]
    same = lo == hi
    out[same] = values[first[same]]
    bounds = np.r_[first, len(values)]
    for c in np.flatnonzero(~same):  # only chains whose pieces differ
        vals = list(dict.fromkeys(v for v in values[bounds[c]:bounds[c + 1]] if v is not None))
        out[c] = vals[0] if len(vals) == 1 else vals or None
    return out


def _present(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=object).copy()
    out[missing] = None
    return out


def to_networkx(net: _Routable, *, mode: str | None = None, weight_attrs: bool = True,
                simplify: bool | None = None, closed_roads: bool = True) -> Any:
    """The osmnx-compatible graph of ``net`` (see the module docstring).

    ``simplify``: merge by osmnx's rule (None: if the network was built simplified).
    ``closed_roads``: hold the road edges the router leaves out (False: the routing graph alone).
    """
    import networkx as nx
    import shapely


    g = net.graph
    e = net.edges
    links = np.flatnonzero(g.mask(mode, (), closed=closed_roads))
    nl = len(links)
    kind = g.kind[links]
    is_edge = kind == KIND_EDGE
    closed = g.closed[links]  # closed roads: in the table, never routed
    ref = np.where(is_edge, g.ref[links], 0)
    a, b = g.a[links], g.b[links]
    length = g.length[links]
    time = g.time[links]
    wl = np.where(closed, np.inf, g.cost("length")[links])
    wt = np.where(closed, np.inf, g.cost("time")[links])
    oneway = g.oneway[links]
    layer = g.vlayer[b]
    rail_link = (g.vlayer[a] > 0) | (layer > 0)
    # per-link attribute columns (None: absent)
    col = {c: e[c].to_numpy(dtype=object)[ref] for c in ("class", "status", "name", "ref", "electrified", "unit",
                                                         "gauge")}
    col["gauge_source"] = (e["gauge_source"].fillna("").to_numpy(dtype=object)[ref] if "gauge_source" in e.columns
                           else np.full(nl, "", dtype=object))
    for c in ("maxspeed_kmh", "lanes"):
        col[c] = e[c].to_numpy(dtype=float)[ref]
    tunnel = e["tunnel"].to_numpy(dtype=bool)[ref] & is_edge
    bridge = e["bridge"].to_numpy(dtype=bool)[ref] & is_edge
    if "osm_way_ids" in e.columns:
        ways = e["osm_way_ids"].astype(str).to_numpy(dtype=object)[ref]
    else:
        ways = e["osm_way_id"].to_numpy(dtype=np.int64).astype(str).astype(object)[ref]
    ways = np.where(is_edge, ways, "-1")
    link_geom = np.empty(nl, dtype=object)
    link_geom[is_edge] = e.geometry.values[ref[is_edge]]
    other = ~is_edge
    if other.any():
        k = int(other.sum())
        pts = np.c_[g.vx[a[other]], g.vy[a[other]], g.vx[b[other]], g.vy[b[other]]].reshape(-1, 2)
        link_geom[other] = shapely.linestrings(pts, indices=np.repeat(np.arange(k), 2))
    # simplification by osmnx's rule on the link graph (transfer and gauge-break links never merge, nor
    # closed roads with open ones: the merged edge would have one status and the router's weights)
    used, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    la, lb = inv[:nl], inv[nl:]
    simplified = bool(net.meta.get("simplified")) if simplify is None else bool(simplify)
    codes = np.where(is_edge, np.where(closed, -2, -1), np.arange(nl))
    ch = (find_chains(la, lb, oneway, codes, np.zeros(len(used), bool))
          if simplified else Chains.none(nl))
    keep = np.flatnonzero(~ch.merged)

    def per_edge(values: np.ndarray, how: str = "agg") -> np.ndarray:
        """Per output edge: the kept links' values, then each chain's sum or aggregated value."""
        if how == "sum":
            return np.concatenate([np.asarray(values, dtype=float)[keep], ch.sums(values)])
        vals = np.asarray(values, dtype=object) if np.asarray(values).dtype == object else \
            np.array(np.asarray(values).tolist(), dtype=object)
        return np.concatenate([vals[keep], _agg(vals[ch.piece], ch.chain, ch.first, ch.n)])

    u_v = np.concatenate([la[keep], ch.start])
    v_v = np.concatenate([lb[keep], ch.end])
    geom = np.concatenate([link_geom[keep], ch.geometries(link_geom)]) if ch.n else link_geom[keep]
    rev = np.concatenate([np.zeros(len(keep), bool).astype(object), _agg(~ch.forward, ch.chain, ch.first, ch.n)])
    # a chain's pieces' way ids, joined in order (the router needs nothing else of them)
    way_lists = _agg(ways[ch.piece], ch.chain, ch.first, ch.n)
    ways_out = np.concatenate([ways[keep], np.array([";".join(w) if isinstance(w, list) else w
                                                     for w in way_lists.tolist()], dtype=object)])
    # the nodes merged away inside each edge (by the network's simplification, then here): snap points
    vias = (np.where(is_edge, e[VIA_COLUMN].fillna("").astype(str).to_numpy(dtype=object)[ref], "")
            if VIA_COLUMN in e.columns else np.full(nl, "", dtype=object))
    via_out = np.concatenate([vias[keep], chain_vias(ch, vias, shapely.get_num_coordinates(link_geom),
                                                     g.vnode[used[np.where(ch.forward, la[ch.piece], lb[ch.piece])]])])
    n_out = len(u_v)
    len_out = per_edge(length, "sum")
    time_out = per_edge(time, "sum")
    speed = np.full(n_out, DEFAULT_SPEED_KMH["rail"])
    pos = time_out > 0
    speed[pos] = 3.6 * len_out[pos] / time_out[pos]
    len_out = np.maximum(len_out, MIN_LINK_M)
    travel = np.where(pos, time_out, len_out / (speed / 3.6))
    ow = per_edge(oneway.astype(object))
    kind_out = per_edge(np.array([_KINDS[int(k)] for k in range(3)], dtype=object)[kind])
    railv = per_edge(rail_link.astype(object))
    ms = col["maxspeed_kmh"]
    tagged = np.isfinite(ms) & (ms > 0)
    link_speed = np.where(time > 0, 3.6 * length / np.where(time > 0, time, 1.0), DEFAULT_SPEED_KMH["rail"])
    # maxspeed text: the tag; on links without a highway type (rail, transfers) the router's speed
    mtxt = np.where(tagged, ms, np.where(rail_link | ~is_edge, link_speed, np.nan))
    maxspeed = np.array([None if v != v else f"{v:g}" for v in mtxt.tolist()], dtype=object)
    attrs: dict[str, np.ndarray] = {
        "osmid": np.array([_way_ids(w) for w in ways_out.tolist()], dtype=object),
        "mode": np.where(railv.astype(bool), "rail", "road").astype(object),
        "kind": kind_out,
        "class": per_edge(_present(col["class"], ~is_edge)),
        "status": per_edge(_present(col["status"], ~is_edge)),
        "name": per_edge(_present(col["name"], ~is_edge | (col["name"] == ""))),
        "ref": per_edge(_present(col["ref"], ~is_edge | (col["ref"] == ""))),
        "unit": per_edge(_present(col["unit"], ~is_edge | np.array([u is None for u in col["unit"]], dtype=bool))),
        "electrified": per_edge(_present(col["electrified"], ~is_edge | ~rail_link | (col["electrified"] == ""))),
        "tunnel": per_edge(np.array(tunnel.tolist(), dtype=object)),  # links: False
        "bridge": per_edge(np.array(bridge.tolist(), dtype=object)),
        "maxspeed_kmh": per_edge(_present(ms, ~is_edge | ~tagged)),
        "lanes": per_edge(_present(col["lanes"], ~is_edge | ~np.isfinite(col["lanes"]))),
        "gauge_mm": per_edge(_present(layer.astype(float), ~rail_link)),
        "gauge": per_edge(_present(col["gauge"], ~is_edge | ~rail_link | (col["gauge"] == ""))),
        "gauge_source": per_edge(_present(col["gauge_source"], ~is_edge | ~rail_link | (col["gauge_source"] == ""))),
        "maxspeed": per_edge(maxspeed),
        VIA_COLUMN: _present(via_out, via_out == ""),
    }
    cls = attrs.pop("class")
    is_rail = attrs["mode"] == "rail"
    attrs["highway"] = np.where(is_rail, np.full(n_out, None, dtype=object), cls)
    attrs["railway"] = np.where(is_rail, cls, np.full(n_out, None, dtype=object))
    # the graph's nodes: the ends of its edges (vertices merged away are no nodes)
    nodes_v, inv2 = np.unique(np.concatenate([u_v, v_v]), return_inverse=True)
    u_v, v_v = inv2[:n_out], inv2[n_out:]
    used = used[nodes_v]
    key_of = _node_keys(g.vnode[used], g.vlayer[used])
    uk, vk = key_of[u_v], key_of[v_v]
    two = ~ow.astype(bool)
    # parallel keys: rank of each arc among the arcs with the same (u, v), reverse arcs after forward ones
    au = np.concatenate([uk, vk[two]])
    av = np.concatenate([vk, uk[two]])
    o = np.lexsort((av, au))
    grp = np.r_[True, (au[o][1:] != au[o][:-1]) | (av[o][1:] != av[o][:-1])]
    starts = np.flatnonzero(grp)
    rank = np.empty(len(au), np.int64)
    rank[o] = np.arange(len(au)) - np.repeat(starts, np.diff(np.r_[starts, len(au)]))
    fk, bk = rank[:n_out].tolist(), rank[n_out:].tolist()
    names = [k for k, v in attrs.items() if v is not None]
    cols = [attrs[k].tolist() for k in names]
    fixed: dict[str, list[Any]] = {"length": len_out.tolist(), "speed_kph": speed.tolist(), "travel_time": travel.tolist(),
                                   "oneway": ow.astype(bool).tolist(), "reversed": rev.tolist(),
                                   "geometry": list(geom)}
    if weight_attrs:
        fixed["weight_length"] = per_edge(wl, "sum").tolist()
        fixed["weight_time"] = per_edge(wt, "sum").tolist()
    fnames = list(fixed)
    fcols = list(fixed.values())
    datas = []
    for row, frow in zip(zip(*cols, strict=True), zip(*fcols, strict=True), strict=True):
        d = {k: v for k, v in zip(names, row, strict=True) if v is not None}
        d.update(zip(fnames, frow, strict=True))
        datas.append(d)
    ukl, vkl = uk.tolist(), vk.tolist()
    mg = nx.MultiDiGraph(crs="EPSG:4326", name=str(net.meta.get("source", "network")), simplified=simplified,
                         created_with=f"corridor {__version__}")
    if net.meta.get("keep_all_nodes"):  # from_networkx must not simplify it either
        mg.graph["keep_all_nodes"] = True
    x, y = g.vx[used].tolist(), g.vy[used].tolist()
    sc = _street_counts(uk, vk, two, len(used), u_v, v_v)
    mg.add_nodes_from((k, {"x": xx, "y": yy, "street_count": c, "osm_node": nd, "layer": ly})
                      for k, xx, yy, c, nd, ly in zip(key_of.tolist(), x, y, sc.tolist(), g.vnode[used].tolist(),
                                                      g.vlayer[used].tolist(), strict=True))
    mg.add_edges_from((u, v, k, d) for u, v, k, d in zip(ukl, vkl, fk, datas, strict=True))
    idx = np.flatnonzero(two)
    if len(idx):
        back_geom = shapely.reverse(np.asarray(geom, dtype=object)[idx])
        ncoord = shapely.get_num_coordinates(back_geom).tolist()
        mg.add_edges_from(
            (vkl[i], ukl[i], k, {**datas[i], "reversed": _flip(datas[i]["reversed"]), "geometry": bg,
                                 **({VIA_COLUMN: _reverse_vias(datas[i][VIA_COLUMN], nc)}
                                    if VIA_COLUMN in datas[i] else {})})
            for i, k, bg, nc in zip(idx.tolist(), bk, back_geom, ncoord, strict=True))
    return mg


def _reverse_vias(text: str, n_coords: int) -> str:
    """A ``via_nodes`` text for the geometry turned round (``n_coords`` coordinates)."""
    items = [t.split(":", 1) for t in str(text).split(";") if t]
    return ";".join(f"{nd}:{n_coords - 1 - int(ci)}" for nd, ci in reversed(items))


def _flip(r: Any) -> Any:
    return [not x for x in r] if isinstance(r, list) else not r


def _way_ids(text: str) -> int | list[int]:
    ids = list(dict.fromkeys(int(w) for w in str(text).split(";") if w))
    return ids[0] if len(ids) == 1 else ids


def _street_counts(uk: np.ndarray, vk: np.ndarray, two: np.ndarray, nv: int, u_v: np.ndarray,
                   v_v: np.ndarray) -> np.ndarray:
    """osmnx's ``street_count``: undirected edges (u, v, key) per node; a node's self-loops count 2 in all."""
    # arcs per ordered pair; the undirected multigraph holds max(arcs u->v, arcs v->u) edges per pair
    au = np.concatenate([u_v, v_v[two]])
    av = np.concatenate([v_v, u_v[two]])
    loop = au == av
    lo, hi = np.minimum(au, av), np.maximum(au, av)
    fwd = au <= av
    pair = lo.astype(np.int64) * nv + hi
    up, pinv = np.unique(pair[~loop], return_inverse=True)
    nf = np.bincount(pinv, weights=fwd[~loop], minlength=len(up))
    nb = np.bincount(pinv, weights=~fwd[~loop], minlength=len(up))
    mult = np.maximum(nf, nb)
    pl, ph = up // nv, up % nv
    out = np.bincount(pl, weights=mult, minlength=nv) + np.bincount(ph, weights=mult, minlength=nv)
    out[np.unique(au[loop])] += 2
    return out.astype(np.int64)


# ------------------------------------------------------------------------------ from networkx
def _first(v: Any) -> Any:
    return v[0] if isinstance(v, list) and v else v


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, list):
        return ";".join(dict.fromkeys(str(x) for x in v if x is not None and str(x)))
    return str(v)


def _flag(v: Any, test: Callable[[str], bool]) -> bool:
    vals = v if isinstance(v, list) else [v]
    return any(x is True or (isinstance(x, str) and test(x)) for x in vals)


def from_networkx_tables(G: Any) -> tuple[Any, Any, np.ndarray, np.ndarray]:  # noqa: N803
    """A :class:`~corridor.network.Network` from an osmnx-style ``MultiDiGraph`` (EPSG:4326 or with ``crs``).

    Each street appears once: the direction osmnx marks ``reversed=True`` of a
    two-way edge is dropped (without that flag, the second of two arcs between
    the same nodes with the same length), and so is each further gauge layer's
    copy of a rail edge (same ends, length and ``gauge`` text, another
    ``gauge_mm``); parallel edges alike in one layer all stay. The class comes from ``highway``
    (road) or ``railway`` (rail), or corridor's ``mode``; ``osmid`` gives
    ``osm_way_id`` (the first of a list) and ``osm_way_ids``; ``maxspeed`` is
    parsed as OSM text unless corridor's ``maxspeed_kmh`` is there; list
    values (merged edges) keep their first value, or the ``;``-joined distinct
    values for text. Node keys (or corridor's ``osm_node``) become ``u``/``v``;
    edges without ``geometry`` run straight between their nodes; lengths are
    measured again (geodesic); ``status`` (closed roads included) and
    ``gauge_source`` are kept, so an inferred gauge is not taken for a tagged
    one. corridor's ``transfer``/``gauge_break`` links
    are left out (the network places its own: gauge breaks where gauges meet,
    transfers at stations, here a station at the rail end of each transfer
    link, so a graph in EPSG:4326 gets its transfers back), and the layers of
    a dual-gauge line become one edge again.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely


    crs = G.graph.get("crs", "EPSG:4326")
    node_id = {n: d.get("osm_node", n) for n, d in G.nodes(data=True)}
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    stations: dict[int, tuple[float, float]] = {}
    for u, v, data in G.edges(data=True):
        if data.get("kind", "edge") != "edge":
            if data.get("kind") == "transfer":  # its rail end stands in for the station
                r = v if G.nodes[v].get("layer", 0) else u
                stations[int(node_id[r])] = (G.nodes[r]["x"], G.nodes[r]["y"])
            continue
        one = bool(_first(data.get("oneway", False)))
        if not one and data.get("reversed") is True:
            continue
        geom = data.get("geometry")
        if geom is None:
            nu, nv = G.nodes[u], G.nodes[v]
            geom = shapely.LineString([(nu["x"], nu["y"]), (nv["x"], nv["y"])])
        hw, rw = data.get("highway"), data.get("railway")
        mode = data.get("mode") or ("rail" if rw is not None and hw is None else "road")
        osmid = data.get("osmid", -1)
        ids = [int(x) for x in (osmid if isinstance(osmid, list) else [osmid]) if x is not None]
        if "maxspeed_kmh" in data or "kind" in data:  # corridor's own graph: the parsed limit
            ms = float(_first(data.get("maxspeed_kmh", np.nan)))
        else:
            ms = tagnorm.parse_maxspeed(_text(_first(data.get("maxspeed"))) or None)
        lanes = _first(data.get("lanes"))
        ua, va = int(node_id[u]), int(node_id[v])
        rows.append({
            "mode": mode, "u": ua, "v": va, "class": _text(_first(hw if mode == "road" else rw)),
            "osm_way_id": ids[0] if ids else -1, "osm_way_ids": ";".join(str(i) for i in dict.fromkeys(ids)),
            "status": _text(_first(data.get("status", "active"))) or "active",
            "oneway": one and mode == "road",
            "maxspeed_kmh": np.nan if ms is None else float(ms),
            "lanes": float(lanes) if isinstance(lanes, int | float) else tagnorm.parse_lanes(_text(lanes) or None),
            "name": _text(data.get("name")), "ref": _text(data.get("ref")),
            "tunnel": _flag(data.get("tunnel"), tagnorm.is_tunnel),
            "bridge": _flag(data.get("bridge"), tagnorm.is_bridge),
            "gauge": _text(_first(data.get("gauge"))), "gauge_source": _text(_first(data.get("gauge_source"))),
            "electrified": _text(_first(data.get("electrified"))),
            "unit": _first(data.get("unit")), VIA_COLUMN: _text(data.get(VIA_COLUMN)),
            "_sig": (one, min(ua, va), max(ua, va), round(float(data.get("length", geom.length)), 3), mode),
            "_rev": not isinstance(data.get("reversed"), bool), "_layer": _first(data.get("gauge_mm")),
        })
        geoms.append(geom)
    if not rows:
        raise EmptyNetworkError("the graph has no edges to build a network from")
    df = pd.DataFrame(rows)
    df["geometry"] = geoms
    # one row per street: a two-way edge without osmnx's reversed flag (its arc the other way), and a rail
    # line once, not once per gauge layer (its copies have the same ends, length and gauge text, each in
    # another layer); parallel lines alike in one layer are as many edges, not one
    two = ~df["oneway"].to_numpy(bool)
    no_flag = df["_rev"].to_numpy(bool)
    rank = df.groupby(["_sig", "gauge", "_layer"], dropna=False, sort=False).cumcount()
    layer_copy = pd.Series(list(zip(df["_sig"], df["gauge"], rank, strict=True)), dtype=object).duplicated()
    layer_copy = layer_copy.to_numpy(bool)
    dup = two & ((no_flag & df["_sig"].duplicated().to_numpy())
                 | (~no_flag & (df["mode"] == "rail").to_numpy() & layer_copy))
    df = df[~dup].drop(columns=["_sig", "_rev", "_layer"]).reset_index(drop=True)
    df["gauge_mm"] = [tagnorm.parse_gauge(g or None)[0] for g in df["gauge"]]
    if df["unit"].isna().all():
        df = df.drop(columns="unit")
    gdf = gpd.GeoDataFrame(df, geometry="geometry", crs=crs)
    ways = gdf["osm_way_ids"].to_numpy(dtype=object)
    vias = gdf[VIA_COLUMN].to_numpy(dtype=object)
    st = pd.DataFrame({"id": pd.Series(list(stations), dtype="int64"),
                       "lon": pd.Series([p[0] for p in stations.values()], dtype=float),
                       "lat": pd.Series([p[1] for p in stations.values()], dtype=float),
                       "kind": "station", "name": ""})
    return gdf, st, ways, vias
