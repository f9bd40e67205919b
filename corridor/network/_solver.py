"""Shortest paths on the routing graph: one CSR view per (mode, weight, avoid), snapping, Dijkstra.

See :mod:`corridor.network._graph` for the graph (vertices, links, costs) and
:mod:`corridor.network._joints` for the nodes simplification merged away,
which stay snap candidates here.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np

from corridor._errors import NoRouteError
from corridor._geo import distances_from
from corridor.network._graph import ACCESS_FACTOR, ACCESS_SPEED_KMH, Graph

__all__ = ["Solver"]

_MAX_SPEED_MS = 160.0 / 3.6


class Solver:
    """A CSR matrix of one (mode, weight, avoid) view with components and a snapping index.

    Snap candidates are the vertices in use and the usable links' joints (the
    nodes simplification merged away, :mod:`corridor.network._joints`); a
    joint's candidate id is ``g.nv + its index in g.joints``. Paths are lists
    of candidate ids: vertices, with a joint only as the first or last item.
    """

    def __init__(self, g: Graph, mode: str | None, weight: str, avoid: tuple[str, ...]) -> None:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        self.g, self.mode, self.weight = g, mode, weight
        mask = g.mask(mode, avoid)
        self.link_cost = np.maximum(g.cost(weight), 1e-9)
        links = np.flatnonzero(mask)
        cost = self.link_cost[links]
        a, b = g.a[links], g.b[links]
        two = ~g.oneway[links]
        # directed arcs: a -> b for every link, b -> a for two-way links; keep the cheapest per pair
        rows = np.concatenate([a, b[two]])
        cols = np.concatenate([b, a[two]])
        data = np.concatenate([cost, cost[two]])
        lid = np.concatenate([links, links[two]])
        order = np.lexsort((data, cols, rows))
        rows, cols, data, lid = rows[order], cols[order], data[order], lid[order]
        keep = np.ones(len(rows), bool)
        keep[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, data, lid = rows[keep], cols[keep], data[keep], lid[keep]
        indptr = np.zeros(g.nv + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=g.nv), out=indptr[1:])
        self.csr = csr_matrix((data, cols, indptr), shape=(g.nv, g.nv))
        self.link_of = lid
        self.indptr, self.indices = indptr, cols
        # weak components: "disconnected" means no path either way (one-way dead ends are found by Dijkstra)
        self.ncomp, self.comp = connected_components(self.csr, directed=True, connection="weak")
        used = np.zeros(g.nv, bool)
        used[rows] = True
        used[cols] = True
        self.active = np.flatnonzero(used)
        self._usable = mask

    # ------------------------------------------------------------------ candidates
    @cached_property
    def points(self) -> np.ndarray:
        """Candidate ids to snap to: the vertices in use, then the joints of usable links."""
        jt = self.g.joints
        return np.concatenate([self.active, self.g.nv + np.flatnonzero(self._usable[jt.link])]).astype(np.int64)

    def _joint(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mask of the joint ids among ``ids``, and their indices in ``g.joints`` (0 elsewhere)."""
        j = ids >= self.g.nv
        return j, np.where(j, ids - self.g.nv, 0)

    def xy(self, ids: Any) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of candidate ids."""
        g, jt = self.g, self.g.joints
        ids = np.asarray(ids, np.int64)
        j, k = self._joint(ids)
        if not j.any():
            return g.vx[ids], g.vy[ids]
        v = np.where(j, 0, ids)
        return np.where(j, jt.x[k], g.vx[v]), np.where(j, jt.y[k], g.vy[v])

    def node_of(self, ids: Any) -> np.ndarray:
        """OSM node id of candidate ids."""
        g = self.g
        ids = np.asarray(ids, np.int64)
        j, k = self._joint(ids)
        return np.where(j, g.joints.node[k], g.vnode[np.where(j, 0, ids)]) if j.any() else g.vnode[ids]

    def layer_of(self, ids: Any) -> np.ndarray:
        """Layer (0 road, else gauge) of candidate ids."""
        g = self.g
        ids = np.asarray(ids, np.int64)
        j, k = self._joint(ids)
        if not j.any():
            return np.asarray(g.vlayer[ids])
        return np.where(j, g.vlayer[g.a[g.joints.link[k]]], g.vlayer[np.where(j, 0, ids)])

    @cached_property
    def _node_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        g, jt = self.g, self.g.joints
        vo = np.argsort(g.vnode, kind="stable")
        jo = np.argsort(jt.node, kind="stable")
        return vo, g.vnode[vo], jo, jt.node[jo]

    def node_candidates(self, node: int) -> tuple[np.ndarray, bool]:
        """Candidate ids of one OSM node (its vertices in every layer, its joints on usable links), and
        whether the network has that node at all."""
        vo, vs, jo, js = self._node_index
        v = vo[np.searchsorted(vs, node, side="left"):np.searchsorted(vs, node, side="right")]
        j = jo[np.searchsorted(js, node, side="left"):np.searchsorted(js, node, side="right")]
        known = bool(len(v) or len(j))
        j = j[self._usable[self.g.joints.link[j]]]
        return np.concatenate([v, self.g.nv + j]).astype(np.int64), known

    @cached_property
    def _tree(self) -> Any:
        from scipy.spatial import cKDTree

        g = self.g
        self._lat0 = math.cos(math.radians(float(np.mean(g.vy)))) if g.nv else 1.0
        x, y = self.xy(self.points)
        return cKDTree(np.c_[x * self._lat0, y])

    def candidates(self, lon: float, lat: float, k: int = 12) -> tuple[np.ndarray, np.ndarray]:
        """Nearest snap candidates (ids, geodesic metres), nearest first."""
        if not len(self.points):
            return np.zeros(0, np.int64), np.zeros(0)
        tree = self._tree
        k = min(k, len(self.points))
        _, j = tree.query([lon * self._lat0, lat], k=k)
        vs = self.points[np.atleast_1d(j)]
        d = distances_from(lon, lat, *self.xy(vs))
        o = np.argsort(d, kind="stable")
        return vs[o], np.asarray(d)[o]

    @cached_property
    def _layer_trees(self) -> list[tuple[np.ndarray, Any]]:
        from scipy.spatial import cKDTree

        self._tree  # noqa: B018 - sets self._lat0
        pts = self.points
        lay = self.layer_of(pts)
        x, y = self.xy(pts)
        out = []
        for layer in np.unique(lay):
            sel = lay == layer
            out.append((pts[sel], cKDTree(np.c_[x[sel] * self._lat0, y[sel]])))
        return out

    def layer_candidates(self, lon: float, lat: float, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest snap candidates of *every* layer (ids, geodesic metres), nearest first.

        A node shared by several layers (a road/rail level crossing, a gauge
        break) gives one candidate per layer, so no layer is passed over because
        another one lies a few metres nearer.
        """
        found = []
        for vs, tree in self._layer_trees:
            _, j = tree.query([lon * self._lat0, lat], k=min(k, len(vs)))
            found.append(vs[np.atleast_1d(j)])
        if not found:
            return np.zeros(0, np.int64), np.zeros(0)
        cand = np.concatenate(found)
        d = np.asarray(distances_from(lon, lat, *self.xy(cand)), dtype=float)
        o = np.argsort(d, kind="stable")
        return cand[o], d[o]

    def access_cost(self, metres: np.ndarray) -> np.ndarray:
        """Cost in this solver's weight of reaching the network over ``metres`` off it."""
        m = np.asarray(metres, dtype=float)
        return m * ACCESS_FACTOR if self.weight == "length" else m / (ACCESS_SPEED_KMH / 3.6)

    # ------------------------------------------------------------------ joints as path ends
    def expand(self, ids: Any, costs: Any, *, leaving: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The vertices standing for candidates ``ids`` at ``costs``: ``(vertex, cost, index in ids)``.

        A vertex stands for itself; a joint of link ``a -> b`` for the link ends
        it leaves to (``leaving``) or arrives from, at the cost of the part of
        the link in between: ``b`` always and ``a`` on a two-way link when leaving,
        ``a`` always and ``b`` on a two-way link when arriving.
        """
        g = self.g
        ids = np.asarray(ids, np.int64)
        costs = np.asarray(costs, dtype=float)
        j, _ = self._joint(ids)
        jj = np.flatnonzero(j)
        if not len(jj):
            return ids, costs, np.arange(len(ids))
        jt = g.joints
        k = ids[jj] - g.nv
        lk, f = jt.link[k], jt.frac[k]
        c = self.link_cost[lk]
        two = ~g.oneway[lk]
        always, other = (g.b[lk], g.a[lk]) if leaving else (g.a[lk], g.b[lk])
        c_always, c_other = (c * (1 - f), c * f) if leaving else (c * f, c * (1 - f))
        real = np.flatnonzero(~j)
        return (np.concatenate([ids[real], always, other[two]]),
                np.concatenate([costs[real], costs[jj] + c_always, costs[jj][two] + c_other[two]]),
                np.concatenate([real, jj, jj[two]]))

    def _direct(self, src: np.ndarray, sc: np.ndarray, dst: np.ndarray, dc: np.ndarray) -> tuple[float, int, int]:
        """The cheapest run straight along one link from a start joint to an end joint: (cost, i, k) or inf."""
        g = self.g
        si, di = np.flatnonzero(src >= g.nv), np.flatnonzero(dst >= g.nv)
        if not len(si) or not len(di):
            return math.inf, -1, -1
        jt = g.joints
        ks, kd = src[si] - g.nv, dst[di] - g.nv
        p, q = np.nonzero(jt.link[ks][:, None] == jt.link[kd][None, :])
        if not len(p):
            return math.inf, -1, -1
        lk = jt.link[ks[p]]
        fs, fd = jt.frac[ks[p]], jt.frac[kd[q]]
        cost = np.where(~g.oneway[lk] | (fd >= fs), sc[si[p]] + dc[di[q]] + self.link_cost[lk] * np.abs(fd - fs),
                        math.inf)
        b = int(np.argmin(cost))
        return float(cost[b]), int(si[p[b]]), int(di[q[b]])

    def step(self, p: int, q: int) -> tuple[int, int | None, int | None, bool]:
        """The link of a path step ``p -> q`` and the part of its edge geometry: ``(link, i, j, backward)``.

        ``i``/``j`` are coordinate indices of the joints the step leaves/reaches
        (None at a vertex); ``backward`` runs against the geometry.
        """
        g, nv = self.g, self.g.nv
        jt = g.joints
        if p < nv and q < nv:
            lk = self.link_between(p, q)
            return lk, None, None, bool(g.a[lk] != p)
        if p >= nv and q >= nv:
            kp, kq = p - nv, q - nv
            return int(jt.link[kp]), int(jt.ci[kp]), int(jt.ci[kq]), bool(jt.frac[kq] < jt.frac[kp])
        k = p - nv if p >= nv else q - nv
        lk, f = int(jt.link[k]), float(jt.frac[k])
        end = q if p >= nv else p
        # forward along the link: joint -> b, or a -> joint; backward (two-way links): joint -> a, b -> joint
        fwd_ok = end == (g.b[lk] if p >= nv else g.a[lk])
        back_ok = not g.oneway[lk] and end == (g.a[lk] if p >= nv else g.b[lk])
        fwd_cost = (1 - f) if p >= nv else f
        backward = back_ok and (not fwd_ok or 1 - fwd_cost < fwd_cost)
        ci = int(jt.ci[k])
        return lk, (ci if p >= nv else None), (None if p >= nv else ci), bool(backward)

    @cached_property
    def _strong(self) -> np.ndarray:
        from scipy.sparse.csgraph import connected_components

        return np.asarray(connected_components(self.csr, directed=True, connection="strong")[1])

    @cached_property
    def _reverse(self) -> Any:
        return self.csr.T.tocsr()

    def reachable(self, a: np.ndarray, b: np.ndarray, *, search_from_b: bool = False) -> bool:
        """Whether some candidate of ``a`` has a path to some candidate of ``b`` (one-way links respected).

        Vertices in one strongly connected component reach each other; otherwise
        an unbounded search runs from ``a`` (or backwards from ``b`` with
        ``search_from_b``; pick the side expected to have the smaller reach).
        """
        from scipy.sparse.csgraph import dijkstra

        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        if math.isfinite(self._direct(a, np.zeros(len(a)), b, np.zeros(len(b)))[0]):
            return True
        a = self.expand(a, np.zeros(len(a)), leaving=True)[0]
        b = self.expand(b, np.zeros(len(b)), leaving=False)[0]
        if np.isin(self._strong[a], self._strong[b]).any():
            return True
        graph, start, end = (self._reverse, b, a) if search_from_b else (self.csr, a, b)
        dist = dijkstra(graph, directed=True, indices=start, unweighted=True, min_only=True)
        return bool(np.isfinite(dist[end]).any())

    def link_between(self, p: int, q: int) -> int:
        """Link id of the (cheapest) link joining vertices ``p`` and ``q``."""
        lo, hi = self.indptr[p], self.indptr[p + 1]
        k = lo + int(np.searchsorted(self.indices[lo:hi], q))
        return int(self.link_of[k])

    def shortest(self, src: np.ndarray, dst: np.ndarray, lower_bound_m: float,
                 src_cost: np.ndarray | None = None, dst_cost: np.ndarray | None = None) -> tuple[float, list[int]]:
        """Cost and candidate path from the best of ``src`` to the best of ``dst`` (vertices or joints).

        ``src_cost``/``dst_cost`` (default 0) are added to a path starting/ending
        at each candidate (access and egress costs); the returned cost includes
        them. Dijkstra is bounded by a ``limit`` grown from the geodesic lower
        bound (x2, x8, then unbounded): a bounded search is exact for every
        vertex it reaches, so the answer is the true cheapest path.
        """
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import dijkstra

        src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
        sc = np.zeros(len(src)) if src_cost is None else np.asarray(src_cost, dtype=float)
        dc = np.zeros(len(dst)) if dst_cost is None else np.asarray(dst_cost, dtype=float)
        nv = self.g.nv
        direct, di_s, di_d = self._direct(src, sc, dst, dc)
        sv, scv, sfrom = self.expand(src, sc, leaving=True)
        dv, dcv, dfrom = self.expand(dst, dc, leaving=False)
        virtual = bool(scv.any() or (src >= nv).any())
        if virtual:  # a virtual super-source (vertex nv) with one arc per start vertex, its cheapest cost
            o = np.lexsort((scv, sv))
            keep = o[np.r_[True, sv[o][1:] != sv[o][:-1]]]
            sv, scv, sfrom = sv[keep], scv[keep], sfrom[keep]
            c = self.csr
            graph = csr_matrix((np.concatenate([c.data, np.maximum(scv, 1e-9)]), np.concatenate([c.indices, sv]),
                                np.append(c.indptr, c.indptr[-1] + len(sv))), shape=(nv + 1, nv + 1))
            start = np.array([nv])
        else:
            graph, start = self.csr, sv
        lb = lower_bound_m if self.weight == "length" else lower_bound_m / _MAX_SPEED_MS
        pad = 5_000.0 if self.weight == "length" else 600.0
        for limit in (2 * lb + pad, 8 * lb + 4 * pad, np.inf):
            dist, pred, _ = dijkstra(graph, directed=True, indices=start, return_predecessors=True,
                                     limit=limit, min_only=True)
            total = dist[dv] + dcv
            best = float(total.min()) if len(total) else math.inf
            # an end found within the limit is exact; one beyond it costs more than the limit
            if min(best, direct) <= limit and math.isfinite(min(best, direct)):
                if direct <= best:
                    return direct, list(dict.fromkeys([int(src[di_s]), int(dst[di_d])]))
                j = int(np.argmin(total))
                path = [int(dv[j])]
                while 0 <= pred[path[-1]] < nv:
                    path.append(int(pred[path[-1]]))
                path.reverse()
                first = int(src[sfrom[np.searchsorted(sv, path[0])]]) if virtual else path[0]
                last = int(dst[dfrom[j]])
                return best, [*([first] if first != path[0] else []), *path, *([last] if last != path[-1] else [])]
        raise NoRouteError("no path")
