"""Topological simplification: merge chains of edges through interstitial vertices, with arrays.

The reader splits OSM ways wherever they share a node, so a street drawn as
several consecutive ways is several edges joined at nodes where nothing else
meets. :func:`find_chains` finds such chains as :func:`osmnx.simplify_graph`
does, on link arrays (no per-edge Python); it serves two levels:

* :func:`simplify_edges` (the network build, ``load_network(simplify=True)``):
  merges only edges that agree on every attribute corridor keeps
  (:data:`MERGE_KEY`), so routing, costs and route reports are exactly those of
  the unsimplified table. Only the way ids differ: ``osm_way_id`` keeps the
  first piece's way and the new column ``osm_way_ids`` lists every way
  (``;``-joined, in chain order, as :mod:`corridor.export` writes them). The
  nodes merged away are listed in the new column ``via_nodes`` and stay snap
  points for routes (:mod:`corridor.network._joints`), so a waypoint on one
  starts there as on the unsimplified table.
* :meth:`corridor.network.Network.to_networkx` merges further by osmnx's
  topological rule alone (attribute changes do not stop a chain), keeping the
  pieces' differing values as lists as osmnx does.

Rule, per layer (road and rail ends at one OSM node are different vertices)
--------------------------------------------------------------------------
A vertex is *interstitial*, and its two links are merged, when

* exactly two link ends meet there, of two different links that are not
  self-loops, leading to two different other vertices (osmnx's "two
  neighbours");
* travel passes through: both links two-way (osmnx's degree 4), or both
  one-way with one arriving and one leaving (degree 2). A change from one-way
  to two-way, or two one-ways meeting head-on, is an end point as in osmnx;
* the two links have the same code (the merge key of each level);
* the vertex is not *protected*: at the network level, the nearest road and
  rail vertex of each station (where road-rail transfers attach).

Chains are labelled with :func:`scipy.sparse.csgraph.connected_components`
on the "mergeable" link adjacency, ordered by hop count from the chain's
first link, and their geometries concatenated (pieces turned round where the
chain runs against their stored direction). Lengths are summed, never
re-measured. A chain that closes on itself with no end point (an isolated
ring) is cut at its vertex of lowest id, which stays a vertex (osmnx drops
such rings; corridor keeps the data).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor._geo import nearest
from corridor.network._joints import VIA_COLUMN, join_vias, parse_vias
from corridor.network._osm_read import EDGE_COLUMNS

log = logging.getLogger(__name__)

__all__ = ["MERGE_KEY", "Chains", "chain_vias", "find_chains", "join_distinct", "protected_station_nodes",
           "simplify_edges"]

#: Edge attributes two edges must share to be merged by :func:`simplify_edges`: every column of the edge
#: table (:data:`~corridor.network._osm_read.EDGE_COLUMNS`) but the way id, the end nodes and the length,
#: so a column added to the table is part of the key (``gauge_source`` included: a tagged and an
#: inferred stretch of one gauge stay apart, and :attr:`~corridor.network.Network.gauge_km` stays exact).
MERGE_KEY: tuple[str, ...] = tuple(c for c in EDGE_COLUMNS if c not in ("osm_way_id", "u", "v", "length_m"))


def _key_codes(edges: Any, key: Iterable[str]) -> np.ndarray:
    """One integer per edge; equal integers iff the edges agree on every column of ``key`` (NaN == NaN)."""
    import pandas as pd

    cols = [c for c in key if c in edges.columns]
    if not cols:
        return np.zeros(len(edges), np.int64)
    # factorize each column (NaN and None are one value), then number the distinct code rows in one pass
    codes = pd.DataFrame({c: pd.factorize(edges[c], use_na_sentinel=False)[0] for c in cols})
    return np.asarray(codes.groupby(cols, sort=False).ngroup().to_numpy(np.int64))


def protected_station_nodes(edges: Any, stations: Any) -> np.ndarray:
    """OSM node ids of the nearest road and rail edge end of each station (where transfers attach)."""
    import shapely

    if stations is None or not len(stations) or not len(edges):
        return np.zeros(0, np.int64)
    n = len(edges)
    xy, ci = shapely.get_coordinates(edges.geometry.values, return_index=True)
    first = np.searchsorted(ci, np.arange(n), side="left")
    last = np.searchsorted(ci, np.arange(n), side="right") - 1
    node = np.concatenate([edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)])
    x = np.concatenate([xy[first, 0], xy[last, 0]])
    y = np.concatenate([xy[first, 1], xy[last, 1]])
    mode = np.concatenate([edges["mode"].to_numpy(object)] * 2)
    sx = stations["lon"].to_numpy(float)
    sy = stations["lat"].to_numpy(float)
    out = []
    for m in ("rail", "road"):
        sel = np.flatnonzero(mode == m)
        if len(sel):
            j, _ = nearest(sx, sy, x[sel], y[sel], ref_lat=float(np.mean(y)))
            out.append(node[sel[j]])
    return np.unique(np.concatenate(out)) if out else np.zeros(0, np.int64)


@dataclass(frozen=True)
class Chains:
    """Chains of links to merge, in chain order.

    Attributes
    ----------
    piece : numpy.ndarray
        Link indices of every merged piece, chain after chain, each chain in travel order.
    forward : numpy.ndarray
        Per piece: True where the chain runs ``a -> b`` along the link, False where it runs against it.
    chain : numpy.ndarray
        Per piece: its chain number ``0 .. n - 1``.
    first, last : numpy.ndarray
        Position (in ``piece``) of each chain's first and last piece.
    merged : numpy.ndarray
        Per link: True if it is a piece of a chain.
    start, end : numpy.ndarray
        Per chain: the vertex it starts from and the vertex it ends at.
    n_removed : int
        Vertices merged away.
    """

    piece: np.ndarray
    forward: np.ndarray
    chain: np.ndarray
    first: np.ndarray
    last: np.ndarray
    merged: np.ndarray
    start: np.ndarray
    end: np.ndarray
    n_removed: int

    @classmethod
    def none(cls, n_links: int) -> Chains:
        """No chain among ``n_links`` links."""
        z = np.zeros(0, np.int64)
        return cls(z, np.zeros(0, bool), z, z, z, np.zeros(n_links, bool), z, z, 0)

    @property
    def n(self) -> int:
        """Number of chains."""
        return len(self.first)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Per chain, the sum of a per-link array over its pieces (in chain order)."""
        return np.bincount(self.chain, weights=np.asarray(values, dtype=float)[self.piece], minlength=self.n)

    def geometries(self, geoms: Any) -> np.ndarray:
        """Per chain, the pieces' line geometries joined in travel order (joints not repeated)."""
        import shapely

        xy, ci = shapely.get_coordinates(np.asarray(geoms, dtype=object)[self.piece], return_index=True)
        m = len(self.piece)
        cnt = np.bincount(ci, minlength=m)
        cstart = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        rank = np.arange(len(ci)) - cstart[ci]
        xy = xy[np.where(self.forward[ci], rank, cnt[ci] - 1 - rank) + cstart[ci]]
        head = np.zeros(m, bool)
        head[self.first] = True
        keep = (rank > 0) | head[ci]
        return np.asarray(shapely.linestrings(xy[keep], indices=self.chain[ci][keep]), dtype=object)


def chain_vias(ch: Chains, vias: np.ndarray | None, ncoords: np.ndarray, start_node: np.ndarray) -> np.ndarray:
    """Per chain, its :data:`~corridor.network._joints.VIA_COLUMN` text.

    The vertices merged away (the node where each piece but the first starts,
    ``start_node`` per piece in chain order) and the joints the pieces already
    listed (``vias``, per link; None: none), at their coordinate index in the
    chain's geometry (:meth:`Chains.geometries`). ``ncoords``: per link, the
    number of coordinates of its geometry.
    """
    piece = ch.piece
    if not len(piece):
        return np.zeros(0, dtype=object)
    last = np.asarray(ncoords, dtype=np.int64)[piece] - 1  # each piece's last coordinate index
    excl = np.cumsum(last) - last
    off = excl - excl[ch.first][ch.chain]  # where each piece starts in its chain's geometry
    inner = np.ones(len(piece), bool)
    inner[ch.first] = False
    groups, nodes, cis = [ch.chain[inner]], [np.asarray(start_node, dtype=np.int64)[inner]], [off[inner]]
    if vias is not None:
        row, node, ci = parse_vias(np.asarray(vias, dtype=object)[piece])
        groups.append(ch.chain[row])
        nodes.append(node)
        cis.append(off[row] + np.where(ch.forward[row], ci, last[row] - ci))
    return join_vias(np.concatenate(groups), np.concatenate(nodes), np.concatenate(cis), ch.n)


def find_chains(a: np.ndarray, b: np.ndarray, oneway: np.ndarray, codes: np.ndarray,
                protected: np.ndarray) -> Chains:
    """Chains of links ``a -> b`` (vertex ids ``0 .. len(protected) - 1``) through interstitial vertices.

    Parameters
    ----------
    a, b : numpy.ndarray
        End vertices of each link (one-way links run ``a -> b``).
    oneway : numpy.ndarray
        Per link: usable ``a -> b`` only.
    codes : numpy.ndarray
        Per link: an integer; links meet in a chain only where their codes are equal.
    protected : numpy.ndarray
        Per vertex: True if it must stay a vertex.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, dijkstra

    n, nv = len(a), len(protected)
    ends = np.concatenate([a, b])
    eoe = np.concatenate([np.arange(n), np.arange(n)])  # link of each end
    other = np.concatenate([b, a])
    deg = np.bincount(ends, minlength=nv)
    order = np.argsort(ends, kind="stable")
    first_end = np.concatenate([[0], np.cumsum(deg)[:-1]])
    cand = np.flatnonzero((deg == 2) & ~protected)
    p, q = order[first_end[cand]], order[first_end[cand] + 1]
    e1, e2, o1, o2 = eoe[p], eoe[q], other[p], other[q]
    ok = (e1 != e2) & (o1 != o2) & (o1 != cand) & (o2 != cand) & (codes[e1] == codes[e2])
    ow1, ow2 = oneway[e1], oneway[e2]
    ok &= (~ow1 & ~ow2) | (ow1 & ow2 & ((b[e1] == cand) != (b[e2] == cand)))  # pass through, one in one out
    link_v, l1, l2 = cand[ok], e1[ok], e2[ok]
    if not len(link_v):
        return Chains.none(n)
    _, label = connected_components(coo_matrix((np.ones(len(l1)), (l1, l2)), shape=(n, n)).tocsr(),
                                    directed=False)
    # a ring (as many joints as links, no end point) is cut at its lowest vertex id
    n_joint = np.bincount(label[l1], minlength=label.max() + 1)
    n_link = np.bincount(label, minlength=label.max() + 1)
    ring = np.flatnonzero(n_joint[label[l1]] == n_link[label[l1]])
    if len(ring):
        lab = label[l1[ring]]
        o = np.lexsort((link_v[ring], lab))
        firsts = np.ones(len(o), bool)
        firsts[1:] = lab[o][1:] != lab[o][:-1]
        keep = np.ones(len(l1), bool)
        keep[ring[o[firsts]]] = False
        link_v, l1, l2 = link_v[keep], l1[keep], l2[keep]
    joint = np.zeros(nv, bool)
    joint[link_v] = True
    merged = np.zeros(n, bool)
    merged[l1] = True
    merged[l2] = True
    ce = np.flatnonzero(merged)
    m = len(ce)
    loc = np.full(n, -1)
    loc[ce] = np.arange(m)
    lab = label[ce]
    # the chain's first link: one whose a is an end point (run along it), else one whose b is (run against
    # it); a one-way chain always has the former, its tail
    score = np.where(~joint[a[ce]], 0, np.where(~joint[b[ce]], 1, 2))
    o = np.lexsort((ce, score, lab))
    firsts = np.ones(m, bool)
    firsts[1:] = lab[o][1:] != lab[o][:-1]
    heads = o[firsts]
    # hop count from the head along the chain (chains are paths), via a root joined to every head
    rows = np.concatenate([loc[l1], loc[l2], np.full(len(heads), m)])
    cols = np.concatenate([loc[l2], loc[l1], heads])
    hop = dijkstra(coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(m + 1, m + 1)).tocsr(),
                   directed=True, indices=m, unweighted=True)[:m]
    seq = np.lexsort((hop, lab))
    piece = ce[seq]
    slab = lab[seq]
    is_first = np.ones(m, bool)
    is_first[1:] = slab[1:] != slab[:-1]
    prev = np.roll(piece, 1)
    forward = (a[piece] == a[prev]) | (a[piece] == b[prev])  # it starts at the joint with the previous piece
    forward[is_first] = score[seq][is_first] == 0
    chain = np.cumsum(is_first) - 1
    first = np.flatnonzero(is_first)
    last = np.concatenate([first[1:] - 1, [m - 1]])
    hp, tp = piece[first], piece[last]
    start = np.where(forward[first], a[hp], b[hp])
    end = np.where(forward[last], b[tp], a[tp])
    return Chains(piece, forward, chain, first, last, merged, start, end, len(link_v))


def simplify_edges(edges: Any, *, stations: Any = None, keep_nodes: Iterable[int] = (),
                   key: Iterable[str] = MERGE_KEY) -> Any:
    """Merge chains of edges through interstitial vertices (see the module docstring).

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        A normalised edge table (:data:`corridor.osm.EDGE_COLUMNS`).
    stations : pandas.DataFrame, optional
        Station points (``lon``, ``lat``); their nearest road and rail vertices are kept.
    keep_nodes : iterable of int
        Further OSM node ids that must stay vertices.
    key : iterable of str
        Columns two edges must agree on to be merged.

    Returns
    -------
    geopandas.GeoDataFrame
        The simplified table: the same columns plus ``osm_way_ids`` and
        ``via_nodes`` (the nodes merged away inside each edge, still snap
        points: :mod:`corridor.network._joints`); unmerged edges unchanged and
        in their order, then one row per merged chain. Simplifying a simplified
        table changes nothing.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> from corridor.network import Network
    >>> e = gpd.GeoDataFrame({"mode": ["road"] * 3, "osm_way_id": [7, 8, 9]}, crs="EPSG:4326", geometry=[
    ...     LineString([(44.50, 40.18), (44.51, 40.18)]), LineString([(44.52, 40.18), (44.51, 40.18)]),
    ...     LineString([(44.52, 40.18), (44.53, 40.19)])])
    >>> raw = Network.from_edges(e, simplify=False).edges
    >>> s = simplify_edges(raw)
    >>> len(raw), len(s), s["osm_way_ids"].tolist(), bool(s.length_m.sum() == raw.length_m.sum())
    (3, 1, ['7;8;9'], True)
    >>> s["via_nodes"].tolist()  # node 2 at coordinate 1, node 3 at coordinate 2
    ['2:1;3:2']
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    edges = edges.reset_index(drop=True)
    n = len(edges)
    if "osm_way_ids" in edges.columns:
        way_ids = edges["osm_way_ids"].astype(str).to_numpy(object)
    else:
        way_ids = edges["osm_way_id"].to_numpy(np.int64).astype(str).astype(object)
    u_node = edges["u"].to_numpy(np.int64)
    v_node = edges["v"].to_numpy(np.int64)
    rail = (edges["mode"].to_numpy(object) == "rail").astype(np.int64)
    # vertices: (node, road or rail); all gauges count as one, so a node where two gauges meet has
    # three or more rail edge ends, or two of different gauge codes, and is never interstitial
    vkey = np.concatenate([u_node * 2 + rail, v_node * 2 + rail])
    uniq, vid = np.unique(vkey, return_inverse=True)
    protect = np.concatenate([protected_station_nodes(edges, stations), np.fromiter(keep_nodes, np.int64)])
    protected = np.isin(uniq // 2, protect)
    oneway = edges["oneway"].to_numpy(bool) & (rail == 0)  # the router runs rail both ways
    ch = find_chains(vid[:n], vid[n:], oneway, _key_codes(edges, key), protected)
    vias = edges[VIA_COLUMN].fillna("").astype(str).to_numpy(object) if VIA_COLUMN in edges.columns else None
    out = edges.copy()
    out["osm_way_ids"] = way_ids
    out[VIA_COLUMN] = vias if vias is not None else ""
    if not ch.n:
        return out
    head = ch.piece[ch.first]
    merged = out.iloc[head].reset_index(drop=True)
    merged["u"] = uniq[ch.start] // 2
    merged["v"] = uniq[ch.end] // 2
    merged["length_m"] = ch.sums(edges["length_m"].to_numpy(float))
    merged["osm_way_ids"] = join_distinct(ch.chain, way_ids[ch.piece], ch.n)
    merged[VIA_COLUMN] = chain_vias(ch, vias, shapely.get_num_coordinates(edges.geometry.values),
                                    np.where(ch.forward, u_node[ch.piece], v_node[ch.piece]))
    merged = gpd.GeoDataFrame(merged.drop(columns="geometry"), geometry=gpd.array.GeometryArray(
        ch.geometries(edges.geometry.values), crs=edges.crs), crs=edges.crs)
    res = gpd.GeoDataFrame(pd.concat([out[~ch.merged], merged], ignore_index=True), geometry="geometry",
                           crs=edges.crs)
    log.debug("simplified %d edges to %d (%d chains, %d vertices merged away)", n, len(res), ch.n,
              ch.n_removed)
    return res


def join_distinct(chain: np.ndarray, values: np.ndarray, n_chain: int) -> np.ndarray:
    """Per chain, the distinct non-empty ``;``-separated parts of its pieces' ``values`` in order, ``;``-joined."""
    import pandas as pd

    df = pd.DataFrame({"c": chain, "v": pd.Series(values, dtype=object).astype(str)})
    out = np.empty(n_chain, dtype=object)
    firsts = df.drop_duplicates("c")
    out[firsts["c"].to_numpy()] = firsts["v"].to_numpy()
    multi = df.groupby("c", sort=True)["v"].nunique()
    multi = multi.index.to_numpy()[multi.to_numpy() > 1]
    if len(multi):  # only chains whose pieces differ are joined in Python
        sub = df[np.isin(df["c"].to_numpy(), multi)]
        joined = sub.groupby("c", sort=True)["v"].agg(
            lambda s: ";".join(dict.fromkeys(p for v in s for p in v.split(";") if p)))
        out[joined.index.to_numpy()] = joined.to_numpy()
    return out
