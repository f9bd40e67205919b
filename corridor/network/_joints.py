"""The nodes simplification merged away, kept as snap points inside the simplified edges.

:func:`corridor.network._simplify.simplify_edges` merges chains of edges
through nodes where nothing else meets. Those nodes are gone from the graph but
not from the map: a waypoint placed on one must still start there, as it does
on the unsimplified table. So every merged edge lists its *joints* in the
column :data:`VIA_COLUMN` (``via_nodes``): ``"<OSM node id>:<coordinate index>"``
items, ``;``-separated, in order along the edge geometry (empty on edges that
were not merged). The table alone carries them, so they survive the cache,
:meth:`~corridor.network.Network.subset` and a ``to_networkx`` /
``from_networkx`` round trip.

The router (:class:`corridor.network._solver.Solver`) snaps to the vertices and
joints of every layer alike. A route starting at a joint ``J`` of a link
``a -> b`` leaves it towards ``b`` (cost ``(1 - f) * c``) or, on a two-way
link, towards ``a`` (cost ``f * c``), where ``c`` is the link's cost and ``f``
the joint's share of the link's geodesic length from ``a``; one ending at ``J``
arrives the same way; a start and an end on one link may also run straight
between them. Merged pieces share every attribute (speed included), so these
partial costs are exactly those of the unsimplified pieces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor._geo import segment_lengths

__all__ = ["VIA_COLUMN", "Joints", "join_vias", "parse_vias", "part_coords"]

#: Column of a simplified edge table listing the nodes merged away inside each edge.
VIA_COLUMN = "via_nodes"


def parse_vias(texts: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The joints listed in ``texts`` (one text per row): ``(row, node id, coordinate index)`` arrays.

    >>> parse_vias(["", "7:2;-9:5", None])
    (array([1, 1]), array([ 7, -9]), array([2, 5]))
    >>> parse_vias(["x;3:1", "4:"])  # malformed items are left out
    (array([0]), array([3]), array([1]))
    """
    arr = np.asarray(texts, dtype=object)
    rows = [i for i, t in enumerate(arr.tolist()) if isinstance(t, str) and t]
    if not rows:
        z = np.zeros(0, np.int64)
        return z, z.copy(), z.copy()
    items = [t.strip(";") for t in arr[rows].tolist()]
    count = np.array([t.count(";") + 1 for t in items], dtype=np.int64)
    flat = ";".join(items).replace(":", ";").split(";")  # node, index, node, index ...
    try:
        if len(flat) != 2 * count.sum():
            raise ValueError("not node:index pairs")
        return (np.repeat(np.asarray(rows, dtype=np.int64), count), np.array(flat[0::2], dtype=np.int64),
                np.array(flat[1::2], dtype=np.int64))
    except ValueError:  # a malformed text (e.g. from a foreign graph): keep its well-formed items only
        good = [(r, int(a), int(b)) for r, t in zip(rows, items, strict=True) for it in t.split(";")
                if re.fullmatch(r"-?\d+:\d+", it.strip()) for a, b in [it.strip().split(":")]]
        t3 = np.array(good, dtype=np.int64).reshape(-1, 3)
        return t3[:, 0], t3[:, 1], t3[:, 2]


def join_vias(group: np.ndarray, node: np.ndarray, ci: np.ndarray, n_group: int) -> np.ndarray:
    """Per group ``0 .. n_group - 1``, the ``via_nodes`` text of its joints (ordered by coordinate index).

    >>> join_vias(np.array([1, 1, 0]), np.array([5, 4, 3]), np.array([9, 2, 1]), 3).tolist()
    ['3:1', '4:2;5:9', '']
    """
    out = np.full(n_group, "", dtype=object)
    if not len(group):
        return out
    o = np.lexsort((ci, group))
    group = group[o]
    m = len(group)
    last = np.r_[group[1:] != group[:-1], True]  # the last joint of each group ends its text
    # one flat "node:index;node:index\n..." string split at the group ends: no Python code per joint or group
    seq: list[str] = [":"] * (4 * m)
    seq[0::4] = map(str, node[o].tolist())
    seq[2::4] = map(str, ci[o].tolist())
    seq[3::4] = np.where(last, "\n", ";").tolist()
    out[group[last]] = "".join(seq).split("\n")[:-1]
    return out


def part_coords(coords: np.ndarray, i: int | None, j: int | None, *, backward: bool) -> np.ndarray:
    """The coordinates of a link's geometry from index ``i`` to ``j`` (None: the end the run leaves or reaches).

    ``backward`` runs against the geometry (from the higher index to the lower).
    """
    n = len(coords)
    if backward:
        lo, hi = (0 if j is None else j), (n - 1 if i is None else i)
        return coords[lo:hi + 1][::-1]
    lo, hi = (0 if i is None else i), (n - 1 if j is None else j)
    return coords[lo:hi + 1]


@dataclass(frozen=True)
class Joints:
    """The joints of a routing graph, one per (joint, link): a dual-gauge edge's joint is in each gauge layer.

    Attributes
    ----------
    link : numpy.ndarray
        The router link the joint lies on.
    node : numpy.ndarray
        Its OSM node id.
    x, y : numpy.ndarray
        Its position (EPSG:4326).
    ci : numpy.ndarray
        Its index among the coordinates of the link's edge geometry.
    frac : numpy.ndarray
        Its share of the link's length (and cost) from the link's ``a`` end.
    """

    link: np.ndarray
    node: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ci: np.ndarray
    frac: np.ndarray

    def __len__(self) -> int:
        return len(self.link)

    @classmethod
    def of(cls, edges: Any, eidx: np.ndarray) -> Joints:
        """The joints of ``edges`` (its :data:`VIA_COLUMN`) on the links ``0 .. len(eidx) - 1`` of edges ``eidx``."""
        import shapely

        z = np.zeros(0, np.int64)
        if VIA_COLUMN not in edges.columns or not len(edges):
            return cls(z, z, np.zeros(0), np.zeros(0), z, np.zeros(0))
        row, node, ci = parse_vias(edges[VIA_COLUMN].to_numpy(dtype=object))
        if not len(row):
            return cls(z, z, np.zeros(0), np.zeros(0), z, np.zeros(0))
        rows = np.unique(row)
        xy, owner = shapely.get_coordinates(edges.geometry.values[rows], return_index=True)
        start = np.searchsorted(owner, np.arange(len(rows)), side="left")
        end = np.searchsorted(owner, np.arange(len(rows)), side="right") - 1
        seg = segment_lengths(xy[:, 0], xy[:, 1]) if len(xy) > 1 else np.zeros(0)
        seg = np.where(owner[1:] == owner[:-1], seg, 0.0)  # no segment between two edges
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        r = np.searchsorted(rows, row)
        ok = (ci > 0) & (ci < end[r] - start[r])  # inside the edge (a malformed text is ignored)
        r, node, ci = r[ok], node[ok], ci[ok]
        at = start[r] + ci
        whole = cum[end[r]] - cum[start[r]]
        frac = np.where(whole > 0, (cum[at] - cum[start[r]]) / np.where(whole > 0, whole, 1.0), 0.5)
        # every link of each edge (a dual-gauge edge has one per gauge)
        lk = np.flatnonzero(np.isin(eidx, rows))
        lr = np.searchsorted(rows, eidx[lk])
        order = np.argsort(r, kind="stable")
        first = np.searchsorted(r[order], np.arange(len(rows)), side="left")
        cnt = np.bincount(r, minlength=len(rows))
        rep = cnt[lr]
        links = np.repeat(lk, rep)
        j = order[np.repeat(first[lr], rep) + (np.arange(rep.sum()) - np.repeat(np.cumsum(rep) - rep, rep))]
        return cls(links.astype(np.int64), node[j], xy[at[j], 0], xy[at[j], 1], ci[j], frac[j])
