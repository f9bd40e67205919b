"""Node locations of the scanned ways: copying, validity, a second pass for the ones missed, duplicate ids.

The way scan (:mod:`corridor.network._osm_read`) copies node ids and osmium's
fixed-point coordinates into flat arrays (:class:`WayVertices`). This module
holds what is known about those numbers (the undefined marker, the scale, the
bounds of a valid location) and the checks on bad input: the nodes pyosmium's one-pass location index cannot
place (negative ids, nodes written after their ways) are looked up again, and
a node id given twice with different coordinates is rejected.
"""

from __future__ import annotations

import logging
from array import array
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np

from corridor._errors import OSMParseError

log = logging.getLogger(__name__)

__all__ = ["SCALE", "UNDEF", "CNodes", "WayVertices", "complete_locations", "opl_node_ids", "osmium_module", "valid", "wkb_xy"]

UNDEF = 2147483647  # osmium's undefined fixed-point coordinate
SCALE = 1e-7
_PRECISION = 10_000_000  # osmium's coordinate_precision: lon = x / _PRECISION (1 / SCALE, exact)
_MAX_LON, _MAX_LAT = 1_800_000_000, 900_000_000  # fixed-point bounds of a valid location


def valid(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """osmium's ``Location.valid()`` on fixed-point arrays: defined, lon in [-180, 180], lat in [-90, 90]."""
    return (np.abs(x.astype(np.int64)) <= _MAX_LON) & (np.abs(y.astype(np.int64)) <= _MAX_LAT)


def osmium_module() -> Any:
    """The ``osmium`` package (pyosmium), imported on first use."""
    import osmium

    return osmium


class CNodes:
    """A way's node list read through pyosmium's C++ accessor (``size``, ``get``) directly.

    pyosmium's ``WayNodeList`` runs a Python generator and ``__getitem__``
    per node; mapping the accessor over the indices builds the same
    ``NodeRef`` objects without them (~10 % of the scan).
    """

    __slots__ = ("cw", "lst", "n")

    def __init__(self, lst: Any, cw: Any) -> None:
        self.lst, self.cw = lst, cw
        self.n = int(lst.size(cw))

    def __len__(self) -> int:
        return self.n

    def refs(self, *, backward: bool) -> Any:
        """An iterator over the ``NodeRef`` objects, in order or reversed."""
        n = self.n
        return map(self.lst.get, repeat(self.cw, n), range(n - 1, -1, -1) if backward else range(n))


_REF, _LOC, _X, _Y = attrgetter("ref"), attrgetter("location"), attrgetter("x"), attrgetter("y")


class WayVertices:
    """Appends the node ids and fixed-point locations of the kept ways to flat columns.

    pyosmium hands out a way's nodes only as one Python ``NodeRef`` (and
    ``Location``) object per node, which would be most of the scan's cost. For
    a :class:`CNodes` list two of libosmium's C++ writers do it per way
    instead: the ``OPL`` writer puts the node ids into a text file (a
    temporary file per chunk, parsed by :func:`opl_node_ids`) and the WKB
    writer gives the locations as one line string (decoded by
    :func:`wkb_xy`). Both are decoded in bulk by :meth:`flush`; call it
    before reading the columns, and :meth:`close` at the end. The WKB writer
    refuses a way with a node without a valid location: that way's locations
    are read off its ``NodeRef`` objects (the undefined marker kept for
    :func:`complete_locations`), as are ids and locations of pyosmium's
    public node list and, if no temporary folder can be made, the ids.
    """

    __slots__ = ("_bad", "_dirs", "_file", "_folder", "_hex", "_line", "_n_files", "_opl", "_osmium", "_pending",
                 "_pending_ids", "_rows", "_use_all", "node", "xs", "ys")

    def __init__(self, osmium: Any, node: array, xs: array, ys: array) -> None:
        self.node, self.xs, self.ys = node, xs, ys
        self._osmium = osmium
        self._line = osmium.geom.WKBFactory().create_linestring
        self._use_all = osmium.geom.ALL  # every node, repeated locations included (one vertex per node)
        self._dirs = (osmium.geom.FORWARD, osmium.geom.BACKWARD)
        self._bad = (osmium.InvalidLocationError, RuntimeError)
        self._hex: list[str] = []  # WKB (hex) of the ways whose locations are not decoded yet
        self._pending = 0  # their vertices
        self._rows = array("q")  # node count of each way in the OPL file, negative: stored reversed
        self._pending_ids = 0  # their vertices
        self._opl: Any = None  # the open OPL writer
        self._folder: str | None = None
        self._file = ""
        self._n_files = 0

    def __len__(self) -> int:
        """Vertices appended (decoded or not)."""
        return len(self.node) + self._pending_ids

    def add(self, way: Any, nodes: Any, backward: bool) -> None:
        """Append the vertices of ``way`` (node list ``nodes``), in drawing order or reversed."""
        if not isinstance(nodes, CNodes) or (self._opl is None and not self._open()):
            self.flush()  # the decoded vertices come first
            if isinstance(nodes, CNodes):
                refs = list(nodes.refs(backward=backward))
            else:
                refs = list(reversed(nodes)) if backward else list(nodes)
            self.node.extend(map(_REF, refs))
            self._locations(refs)
            return
        self._opl.add_way(way)
        self._rows.append(-nodes.n if backward else nodes.n)
        self._pending_ids += nodes.n
        try:
            line = self._line(way, self._use_all, self._dirs[backward])
        except self._bad:
            self._flush_xy()
            self._locations(list(nodes.refs(backward=backward)))
        else:
            self._hex.append(line)
            self._pending += nodes.n

    def _locations(self, refs: list[Any]) -> None:
        locs = list(map(_LOC, refs))
        self.xs.extend(map(_X, locs))
        self.ys.extend(map(_Y, locs))

    def _open(self) -> bool:
        """Start an OPL file; False if no temporary folder can be made (ids are then read off the NodeRefs)."""
        import tempfile

        if self._folder == "":
            return False
        if self._folder is None:
            try:
                self._folder = tempfile.mkdtemp(prefix="corridor-scan-")
            except OSError as exc:
                log.debug("no temporary folder for the way scan (%s); node ids read one by one", exc)
                self._folder = ""
                return False
        self._n_files += 1
        self._file = str(Path(self._folder) / f"ways{self._n_files}.opl")
        self._opl = self._osmium.SimpleWriter(self._osmium.io.File(self._file, "opl,add_metadata=false"))
        return True

    def _flush_xy(self) -> None:
        if not self._hex:
            return
        x, y = wkb_xy(self._hex)
        if len(x) != self._pending:
            raise RuntimeError(f"WKB of {len(self._hex)} ways has {len(x)} points, not {self._pending}")
        self.xs.frombytes(x.astype(np.intc).tobytes())
        self.ys.frombytes(y.astype(np.intc).tobytes())
        self._hex.clear()
        self._pending = 0

    def flush(self) -> None:
        """Decode the pending node ids and locations into the columns."""
        self._flush_xy()
        if self._opl is None:
            return
        self._opl.close()
        self._opl = None
        path = Path(self._file)
        text = path.read_text(encoding="utf-8")
        path.unlink()
        rows = np.frombuffer(self._rows, dtype=np.int64) if len(self._rows) else np.zeros(0, np.int64)
        ids = opl_node_ids(text, self._pending_ids)
        back = np.flatnonzero(rows < 0)
        if len(back):  # reverse the node lists of the ways stored against their drawing order
            size = np.abs(rows)
            first = (np.cumsum(size) - size)[back]
            n = size[back]
            pos = np.repeat(first, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
            ids[pos] = ids[np.repeat(first + n - 1, n) - (pos - np.repeat(first, n))]
        self.node.frombytes(ids.astype(np.int64).tobytes())
        self._rows = array("q")
        self._pending_ids = 0

    def close(self) -> None:
        """Close the writer and remove the temporary files (after an error too)."""
        import shutil

        if self._opl is not None:
            self._opl.close()
            self._opl = None
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None


def opl_node_ids(text: str, count: int) -> np.ndarray:
    """The node ids of the ways in OPL text as libosmium writes it (one way a line, ending ``Nn1,n2,...``).

    OPL escapes spaces inside tags, so `` N`` opens the node list only.
    Raises ``ValueError`` unless ``count`` ids are read.
    """
    import re

    txt = ",".join(re.findall(r" N(n[^\n]*)", text)).replace("n", "")
    ids = np.fromstring(txt, dtype=np.int64, sep=",") if txt else np.zeros(0, np.int64)  # text mode: not deprecated
    if len(ids) != count:
        raise ValueError(f"OPL text has {len(ids)} way node ids, not {count}")
    return ids


def wkb_xy(parts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-point coordinates (int32) of the points of 2D WKB line strings written as hex by libosmium.

    libosmium writes ``x / 1e7`` as a double, so ``rint(lon * 1e7)`` is ``x``
    again, exactly: for ``|x| < 2**31`` the two roundings err by far less than
    0.5. Raises ``ValueError`` for anything but plain 2D line strings.
    """
    size = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) // 2
    buf = np.frombuffer(bytes.fromhex("".join(parts)), dtype=np.uint8)
    start = np.cumsum(size) - size
    order = buf[start]  # byte order of each string: 1 little-endian, 0 big-endian
    if not len(parts) or not ((order == order[0]).all() and order[0] in (0, 1)):
        raise ValueError("WKB strings of mixed or unknown byte order")
    end = "<" if order[0] == 1 else ">"
    head = np.ascontiguousarray(buf[start[:, None] + np.arange(1, 9)]).view(end + "u4")  # type, number of points
    if not ((head[:, 0] == 2).all() and (head[:, 1] == (size - 9) // 16).all() and ((size - 9) % 16 == 0).all()):
        raise ValueError("WKB strings are not 2D line strings")
    keep = np.ones(len(buf), dtype=bool)
    keep[(start[:, None] + np.arange(9)).ravel()] = False
    xy = buf[keep].view(end + "f8").reshape(-1, 2) * _PRECISION
    return np.rint(xy[:, 0]).astype(np.int32), np.rint(xy[:, 1]).astype(np.int32)


def complete_locations(path: Path, nodes: array, xs: array, ys: array, header: Any) -> int:
    """Locate the way nodes the one-pass index missed and check node ids are unique.

    The index of the first pass holds only nodes with positive ids read before
    the ways that use them. So for nodes with negative ids (JOSM's new
    objects) and files that write ways before nodes (Overpass ``out body; >;
    out skel qt;``) the locations are looked up again: positive ids in a
    second C++ pass (an ``IdFilter`` feeding a sparse location table), negative
    ids in a Python pass over the file's nodes. The second pass also counts
    how often each used node id occurs; a node id given twice with different
    coordinates raises :class:`OSMParseError` (which one is right cannot be
    known), twice with the same coordinates is only logged. Files that declare
    themselves sorted (``Sort.Type_then_ID``, e.g. Geofabrik extracts) and lack
    no location skip that pass: sorted ids are unique.
    """
    if not len(nodes):
        return 0
    osmium = osmium_module()
    node = np.frombuffer(nodes, dtype=np.int64)
    x = np.frombuffer(xs, dtype=np.int32)
    y = np.frombuffer(ys, dtype=np.int32)
    undef = x == UNDEF
    sorted_file = str(header.get("sorting") or "") == "Type_then_ID"
    if sorted_file and not undef.any():
        return 0
    import pandas as pd

    found: dict[int, tuple[int, int]] = {}
    pos = node[node > 0]
    if len(pos):
        # an append-only vector counts every occurrence (duplicates included: 16 bytes an entry); a
        # map of the unlocated ids answers the look-ups (the vector would need sorting first, which
        # only a way triggers)
        lost = pd.unique(node[undef & (node > 0)])
        upos = pd.unique(pos)  # each used id once (the filter, the count and the duplicate search)
        counter = osmium.index.create_map("sparse_mem_array")
        table = osmium.index.create_map("sparse_mem_map")
        ids = osmium.filter.IdFilter(upos.tolist())
        ids.enable_for(osmium.osm.NODE)
        handlers = [ids, osmium.NodeLocationsForWays(counter)]
        if len(lost):
            lost_ids = osmium.filter.IdFilter(lost.tolist())
            lost_ids.enable_for(osmium.osm.NODE)
            handlers += [lost_ids, osmium.NodeLocationsForWays(table)]
        reader = osmium.io.Reader(str(path), osmium.osm.NODE)
        try:
            osmium.apply(reader, *handlers)
        finally:
            reader.close()
        occurrences = counter.used_memory() // 16
        del counter
        for nid in lost.tolist():
            try:
                loc = table.get(nid)
            except KeyError:
                continue  # not in the file
            found[nid] = (loc.x, loc.y)
        got = np.fromiter(found, dtype=np.int64, count=len(found))
        # ids present in the file: every used one when all were located in the first pass
        distinct = len(upos) if not len(lost) else len(pd.unique(np.concatenate([node[~undef & (node > 0)], got])))
        if occurrences > distinct:
            _check_duplicates(path, osmium, upos, occurrences - distinct)
    if (node < 0).any():
        found.update(_negative_ids(path, osmium, set(node[node < 0].tolist())))
    if found:
        fid = np.fromiter(found, dtype=np.int64, count=len(found))
        fxy = np.array(list(found.values()), dtype=np.int32).reshape(-1, 2)
        order = np.argsort(fid)
        fid, fxy = fid[order], fxy[order]
        need = np.flatnonzero(undef)
        j = np.minimum(np.searchsorted(fid, node[need]), len(fid) - 1)
        hit = fid[j] == node[need]
        x[need[hit]] = fxy[j[hit], 0]  # views of xs / ys: the columns are filled in place
        y[need[hit]] = fxy[j[hit], 1]
        log.info("%s: %d way nodes located in a second pass (negative ids or nodes after their ways)", path,
                 len(found))
    return len(found)


def _duplicates_message(path: Path, groups: dict[int, set[tuple[int, int]]]) -> str:
    bad = sorted(n for n, locs in groups.items() if len(locs) > 1)
    shown = "; ".join(f"node {n} at " + ", ".join(f"({x * SCALE:.7f}, {y * SCALE:.7f})" for x, y in
                                                  sorted(groups[n])) for n in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return (f"{path}: {len(bad)} node ids occur more than once with different coordinates ({shown}{more}); "
            "which one is right cannot be known: fix the file (e.g. renumber the duplicates or merge the "
            "sources with `osmium merge` of distinct versions)")


def _check_duplicates(path: Path, osmium: Any, pos: np.ndarray, extra: int) -> None:
    """Find the used node ids that occur more than once; raise if their coordinates differ."""
    ids = osmium.filter.IdFilter(pos.tolist())
    ids.enable_for(osmium.osm.NODE)
    fp = osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(ids)
    groups: dict[int, set[tuple[int, int]]] = {}
    seen: dict[int, int] = {}
    for o in fp:
        loc = o.location
        groups.setdefault(o.id, set()).add((loc.x, loc.y))
        seen[o.id] = seen.get(o.id, 0) + 1
    if any(len(v) > 1 for v in groups.values()):
        raise OSMParseError(_duplicates_message(path, groups))
    log.info("%s: %d node ids occur %d extra times with identical coordinates; each is used once", path,
             sum(1 for v in seen.values() if v > 1), extra)


def _negative_ids(path: Path, osmium: Any, wanted: set[int]) -> dict[int, tuple[int, int]]:
    """Locations of the nodes with negative ids in ``wanted`` (a Python pass over the file's nodes)."""
    groups: dict[int, set[tuple[int, int]]] = {}
    count = 0
    for o in osmium.FileProcessor(str(path), osmium.osm.NODE):
        if o.id in wanted:
            loc = o.location
            groups.setdefault(o.id, set()).add((loc.x, loc.y))
            count += 1
    if any(len(v) > 1 for v in groups.values()):
        raise OSMParseError(_duplicates_message(path, groups))
    if count > len(groups):
        log.info("%s: %d node ids occur more than once with identical coordinates", path, count - len(groups))
    return {n: next(iter(v)) for n, v in groups.items()}

