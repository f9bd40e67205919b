"""Synthetic OSM data for tests and benchmarks (XML, XML.bz2 and PBF via pyosmium's writer).

Everything here is SYNTHETIC: invented node positions and tags laid out near the
Gyumri (ARM) - Kars (TUR) border so that the real region pack gives them units.
It exercises every tag variant the reader must normalise: list tags
(``primary;secondary``, ``M1; E691``, ``2;3``), odd maxspeeds (``60 mph``,
``RU:urban``, ``none``, ``60;80``, ``TR:rural``), each railway status, tunnels,
bridges, one-way roads (``oneway=yes``, ``-1``, ``no``), dual gauge, a narrow-gauge branch, a level crossing (a node shared by
road and rail), stations, a way with a missing node, and a gauge break
(1435 -> 1520 mm) next to the TUR/ARM border.

``big_network`` writes a large grid network (streamed, for the benchmark).
``small_files`` writes the small network in every format the reader takes; ``write_xml`` writes
elements in any order (around the ``YEREVAN`` positions in the tests of bad OSM input).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- small
#: node id -> (lon, lat, tags)
NODES: dict[int, tuple[float, float, dict[str, str]]] = {
    # rail main line Kars side (TUR, 1435) -> gauge break at 4 -> Gyumri (ARM, 1520)
    1: (43.60, 40.70, {}),
    2: (43.66, 40.71, {}),
    3: (43.72, 40.725, {}),
    4: (43.745, 40.73, {}),
    5: (43.78, 40.74, {}),   # level crossing with road W203
    6: (43.82, 40.77, {}),
    7: (43.85, 40.79, {}),
    8: (43.90, 40.80, {}),
    9: (43.95, 40.81, {}),
    10: (44.00, 40.82, {}),
    11: (44.05, 40.83, {}),
    12: (44.10, 40.84, {}),
    13: (44.15, 40.85, {}),
    14: (43.83, 40.82, {}),
    15: (43.835, 40.83, {}),
    # roads
    101: (43.84, 40.80, {}),
    102: (43.852, 40.792, {"highway": "traffic_signals"}),
    103: (43.86, 40.78, {}),
    104: (43.80, 40.75, {}),
    106: (43.77, 40.76, {}),
    107: (43.755, 40.75, {}),
    108: (43.70, 40.74, {}),
    109: (43.722, 40.727, {}),
    110: (43.853, 40.80, {}),
    111: (43.88, 40.77, {}),
    112: (43.90, 40.76, {}),
    113: (43.65, 40.72, {}),
    120: (44.05, 40.70, {}),
    121: (44.08, 40.71, {}),
    130: (43.90, 40.90, {}),
    # stations
    901: (43.8505, 40.7905, {"railway": "station", "name": "Gyumri (synthetic)"}),
    902: (43.7205, 40.7255, {"railway": "station", "name": "Dogukapi (synthetic)"}),
    903: (43.80, 40.90, {"railway": "halt", "name": "Far halt (synthetic)"}),
}

#: way id -> (node ids, tags)
WAYS: dict[int, tuple[list[int], dict[str, str]]] = {
    101: ([1, 2, 3, 4], {"railway": "rail", "gauge": "1435", "electrified": "contact_line",
                         "maxspeed": "100", "name": "Kars - Dogukapi (synthetic)"}),
    102: ([4, 5], {"railway": "rail", "gauge": "1520", "bridge": "viaduct", "name": "Akhurian bridge"}),
    103: ([5, 6], {"railway": "rail", "gauge": "1520;1435", "tunnel": "yes", "maxspeed": "60;80"}),
    104: ([6, 7], {"railway": "rail", "gauge": "1520", "maxspeed": "80", "usage": "main",
                   "name": "Gyumri - Akhurik;Gyumri line"}),
    105: ([7, 8], {"railway": "disused", "gauge": "1520"}),
    106: ([8, 9], {"railway": "abandoned"}),
    107: ([9, 10], {"railway": "razed"}),
    108: ([10, 11], {"railway": "construction", "construction": "rail", "gauge": "1520"}),
    109: ([11, 12], {"railway": "proposed", "proposed": "rail"}),
    110: ([12, 13], {"disused:railway": "rail"}),
    111: ([6, 14, 15], {"railway": "narrow_gauge", "gauge": "750"}),
    112: ([3, 2], {"railway": "platform"}),
    113: ([13, 99999], {"railway": "rail", "gauge": "1520"}),  # node 99999 is missing from the file
    201: ([101, 102, 103], {"highway": "primary", "ref": "M1; E691", "name": "Gyumri road",
                            "maxspeed": "RU:urban", "lanes": "2;3"}),
    202: ([103, 104], {"highway": "primary;secondary", "maxspeed": "60 mph", "bridge": "yes"}),
    203: ([104, 5, 106], {"highway": "secondary", "maxspeed": "none", "railway": "level_crossing"}),
    204: ([106, 107], {"highway": "tertiary", "tunnel": "yes", "maxspeed": "50;70", "oneway": "no"}),
    205: ([107, 108], {"highway": "trunk", "maxspeed": "TR:rural", "lanes": "4"}),
    206: ([108, 109], {"highway": "motorway_link", "maxspeed": "50 knots", "oneway": "yes"}),
    207: ([102, 110], {"highway": "footway"}),
    208: ([103, 111], {"highway": "unclassified"}),
    209: ([111, 112], {"highway": "track"}),
    210: ([109, 113], {"highway": "construction", "construction": "primary"}),
    211: ([120, 121], {"highway": "secondary", "name": "island road", "oneway": "-1"}),
    212: ([101, 130], {"highway": "residential"}),
}


def _mutable_node(nid: int, lon: float, lat: float, tags: dict[str, str]) -> Any:
    import osmium

    return osmium.osm.mutable.Node(id=nid, location=osmium.osm.Location(lon, lat), tags=tags,
                                   version=1, changeset=1, uid=1, user="synthetic",
                                   timestamp="2025-01-01T00:00:00Z")


def _mutable_way(wid: int, refs: list[int], tags: dict[str, str]) -> Any:
    import osmium

    return osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, version=1, changeset=1, uid=1,
                                  user="synthetic", timestamp="2025-01-01T00:00:00Z")


def write(path: str | Path, nodes: dict[int, tuple[float, float, dict[str, str]]] | None = None,
          ways: dict[int, tuple[list[int], dict[str, str]]] | None = None) -> Path:
    """Write nodes and ways to ``path``; the format follows the suffix (.osm, .osm.bz2, .osm.pbf)."""
    import osmium

    path = Path(path)
    nodes = NODES if nodes is None else nodes
    ways = WAYS if ways is None else ways
    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        for nid in sorted(nodes):
            lon, lat, tags = nodes[nid]
            w.add_node(_mutable_node(nid, lon, lat, tags))
        for wid in sorted(ways):
            refs, tags = ways[wid]
            w.add_way(_mutable_way(wid, refs, tags))
    return path


def small(folder: str | Path, fmt: str = "osm.pbf") -> Path:
    """The small synthetic network as ``folder/small.<fmt>``."""
    return write(Path(folder) / f"small.{fmt}")


def small_files(folder: str | Path) -> dict[str, Path]:
    """The small synthetic network in each format the reader takes (keys ``osm.pbf``, ``osm``, ``osm.bz2``)."""
    return {fmt: small(folder, fmt) for fmt in ("osm.pbf", "osm", "osm.bz2")}


# --------------------------------------------------------------------------- big
def big_network(path: str | Path, *, n: int = 360, k: int = 8, seed: int = 1,
                bounds: tuple[float, float, float, float] = (44.0, 39.4, 45.6, 40.9)) -> Path:
    """A synthetic grid network: ``n x n`` intersections, ``k`` intermediate nodes per block side.

    n=360, k=8 gives about 2.2 M nodes and 258 k ways (each way one block side,
    10 nodes). Classes cycle through primary ... unclassified; every 9th row is
    a 1520 mm railway instead of a road. Written streamed (nodes, then ways), with
    the ``Sort.Type_then_ID`` header a sorted extract carries.
    """
    import random

    import osmium

    rng = random.Random(seed)
    path = Path(path)
    left, bottom, right, top = bounds
    step_x = (right - left) / (n - 1)
    step_y = (top - bottom) / (n - 1)
    jit = 0.15

    def inter_id(r: int, c: int) -> int:
        return 1 + r * n + c

    n_inter = n * n
    classes = ["primary", "secondary", "tertiary", "unclassified", "secondary", "tertiary"]
    speeds = ["", "60", "RU:urban", "50 mph", "", "90;70", "none"]
    header = osmium.io.Header()
    header.set("sorting", "Type_then_ID")  # true: nodes then ways, ids ascending (as in Geofabrik extracts)
    with osmium.SimpleWriter(str(path), overwrite=True, header=header) as w:
        for r in range(n):
            for c in range(n):
                w.add_node(_mutable_node(inter_id(r, c), left + c * step_x, bottom + r * step_y, {}))
        # intermediate nodes: horizontal block sides then vertical ones
        nid = n_inter + 1
        for r in range(n):
            for c in range(n - 1):
                x0, y0 = left + c * step_x, bottom + r * step_y
                for j in range(1, k + 1):
                    t = j / (k + 1)
                    w.add_node(_mutable_node(nid, x0 + t * step_x, y0 + rng.uniform(-jit, jit) * step_y, {}))
                    nid += 1
        for c in range(n):
            for r in range(n - 1):
                x0, y0 = left + c * step_x, bottom + r * step_y
                for j in range(1, k + 1):
                    t = j / (k + 1)
                    w.add_node(_mutable_node(nid, x0 + rng.uniform(-jit, jit) * step_x, y0 + t * step_y, {}))
                    nid += 1
        wid = 1
        mid = n_inter + 1
        for r in range(n):
            rail = r % 9 == 4
            for c in range(n - 1):
                refs = [inter_id(r, c), *range(mid, mid + k), inter_id(r, c + 1)]
                mid += k
                if rail:
                    tags = {"railway": "rail", "gauge": "1520", "name": f"synthetic line {r}"}
                else:
                    tags = {"highway": classes[(r + c) % len(classes)], "name": f"synthetic row {r}"}
                    sp = speeds[(r * 7 + c) % len(speeds)]
                    if sp:
                        tags["maxspeed"] = sp
                w.add_way(_mutable_way(wid, refs, tags))
                wid += 1
        for c in range(n):
            for r in range(n - 1):
                refs = [inter_id(r, c), *range(mid, mid + k), inter_id(r + 1, c)]
                mid += k
                tags = {"highway": classes[(r + 2 * c) % len(classes)], "name": f"synthetic col {c}"}
                w.add_way(_mutable_way(wid, refs, tags))
                wid += 1
    return path


def big_counts(n: int, k: int) -> tuple[int, int]:
    """``(nodes, ways)`` that :func:`big_network` writes for ``n`` and ``k``."""
    ways = 2 * n * (n - 1)
    return n * n + ways * k, ways


def block_m(n: int, bounds: tuple[float, float, float, float] = (44.0, 39.4, 45.6, 40.9)) -> float:
    """Approximate block side in metres (for sanity checks)."""
    return (bounds[2] - bounds[0]) / (n - 1) * 111_320 * math.cos(math.radians((bounds[1] + bounds[3]) / 2))


# --------------------------------------------------------------------------- a fake Overpass server
def overpass_handler(nodes: dict[int, tuple[float, float, dict[str, str]]] | None = None,
                     ways: dict[int, tuple[list[int], dict[str, str]]] | None = None) -> Any:
    """An ``http_server`` Reply handler that answers Overpass QL like the real API, on fixture data.

    It reads the ``(poly:'lat lon ...')`` area of the POSTed query and returns,
    as OSM XML, every fixture way with a segment in that polygon, the nodes of
    those ways (Overpass's ``>`` recursion) and the tagged railway station
    nodes inside it. Way filters are not evaluated (the reader filters).
    """
    import re
    import tempfile
    import urllib.parse

    import shapely

    nodes = NODES if nodes is None else nodes
    ways = WAYS if ways is None else ways

    def handle(req: Any) -> None:
        raw = req.server.requests[-1][3]  # the server has read the POSTed body already (requests are sequential)
        query = urllib.parse.parse_qs(raw.decode())["data"][0]
        coords = [float(v) for v in re.search(r"\(poly:'([^']+)'\)", query).group(1).split()]
        poly = shapely.Polygon(list(zip(coords[1::2], coords[0::2], strict=True)))
        keep_w: dict[int, tuple[list[int], dict[str, str]]] = {}
        for wid, (refs, tags) in ways.items():
            pts = [nodes[r][:2] for r in refs if r in nodes]
            geom = shapely.LineString(pts) if len(pts) > 1 else shapely.Point(pts[0]) if pts else None
            if geom is not None and geom.intersects(poly):
                keep_w[wid] = (refs, tags)
        keep_n = {r for refs, _ in keep_w.values() for r in refs if r in nodes}
        keep_n |= {nid for nid, (x, y, t) in nodes.items() if t.get("railway") in ("station", "halt", "yard")
                   and poly.contains(shapely.Point(x, y))}
        with tempfile.TemporaryDirectory() as d:
            body = write(Path(d) / "r.osm", {n: nodes[n] for n in keep_n}, keep_w).read_bytes()
        req.send_response(200)
        req.send_header("Content-Type", "application/osm3s+xml")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    return handle


# --------------------------------------------------------------------------- raw XML, in any order
#: Four SYNTHETIC node positions near Yerevan (ARM) for files laid out the way JOSM, Overpass or a
#: broken merge writes them (tests of bad OSM input).
YEREVAN = {1: (44.50, 40.10), 2: (44.55, 40.12), 3: (44.60, 40.10), 4: (44.65, 40.12)}


def write_xml(path: str | Path, items: list[tuple[Any, ...]], *, generator: str = "synthetic") -> Path:
    """Write SYNTHETIC OSM XML with the elements exactly in the order given (no sorting, no checks).

    Each item is ``("node", id, lon, lat, tags)`` or ``("way", id, refs, tags)``.
    Unlike pyosmium's writer this can produce what other tools write: ways
    before their nodes (Overpass ``out body; >; out skel qt;``), negative ids
    (JOSM's new objects), a node id twice, coordinates out of range.
    """
    from xml.sax.saxutils import quoteattr

    def tag_xml(tags: dict[str, str]) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())

    lines = ["<?xml version='1.0' encoding='UTF-8'?>", f'<osm version="0.6" generator={quoteattr(generator)}>']
    for it in items:
        if it[0] == "node":
            _, nid, lon, lat, tags = it
            lines.append(f'  <node id="{nid}" version="1" lat="{lat}" lon="{lon}">{tag_xml(tags)}</node>')
        else:
            _, wid, refs, tags = it
            nds = "".join(f'<nd ref="{r}"/>' for r in refs)
            lines.append(f'  <way id="{wid}" version="1">{nds}{tag_xml(tags)}</way>')
    lines.append("</osm>")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
