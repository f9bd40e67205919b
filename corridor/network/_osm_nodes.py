"""Node locations of the scanned ways: validity, a second pass for the ones missed, duplicate ids.

The way scan (:mod:`corridor.network._osm_read`) copies osmium's fixed-point
coordinates into flat arrays. This module holds what is known about those
numbers (the undefined marker, the scale, the bounds of a valid location) and
the checks on bad input: the nodes pyosmium's one-pass location index cannot
place (negative ids, nodes written after their ways) are looked up again, and
a node id given twice with different coordinates is rejected.
"""

from __future__ import annotations

import logging
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from corridor._errors import OSMParseError

log = logging.getLogger(__name__)

__all__ = ["SCALE", "UNDEF", "complete_locations", "osmium_module", "valid"]

UNDEF = 2147483647  # osmium's undefined fixed-point coordinate
SCALE = 1e-7
_MAX_LON, _MAX_LAT = 1_800_000_000, 900_000_000  # fixed-point bounds of a valid location


def valid(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """osmium's ``Location.valid()`` on fixed-point arrays: defined, lon in [-180, 180], lat in [-90, 90]."""
    return (np.abs(x.astype(np.int64)) <= _MAX_LON) & (np.abs(y.astype(np.int64)) <= _MAX_LAT)


def osmium_module() -> Any:
    """The ``osmium`` package (pyosmium), imported on first use."""
    import osmium

    return osmium


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

