"""Build the MODELLED reference network ``data/reference/network.geojson``.

No OpenStreetMap extract can be downloaded where corridor is built, so the
embedded default network is modelled: every built-in scenario's waypoint chain
is traced over the embedded GLOBE 30" DEM with ``corridor.align.trace`` (no
network), and each resulting segment becomes one edge of the normalised edge
table (mode, osm_way_id=-1, u, v, class, status, gauge_mm, electrified, tunnel,
bridge, maxspeed_kmh, lanes, name, ref, length_m, unit, source) plus
``scenario`` and ``note``. Node ids are shared wherever two scenarios meet at
the same waypoint, so routing across scenarios works. ``status`` is the
scenario's ``reference_status`` (the published state of that line). Tunnels and
bridges are those of the least-cost vertical design of each line
(:mod:`corridor.align.vertical`, default :class:`corridor.costs.CostParams`), and
every vertex is 3-D: ``[lon, lat, formation level]`` of that design (m, to 0.01 m), which
routes over the network follow (:mod:`corridor.network._design`).

Infeasible legs. Where the ruling grade cannot join two consecutive waypoints
(``NoFeasibleAlignment``), the scenario is traced leg by leg: each maximal run
of feasible legs becomes edges as above, and every infeasible leg is listed,
with the reason, in the collection's ``infeasible`` member (and printed). No
special case, no steeper grade and no tunnel is added to make a leg fit;
``corridor compare`` then reports that scenario as infeasible and compares
the others.

Usage::

    python scripts/build_reference_network.py            # rebuild and print the SHA-256
    python scripts/build_reference_network.py --check    # rebuild in memory and compare

The build is deterministic (same code, DEM and catalogue give identical bytes).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

NOTE = ("MODELLED, not surveyed: least-cost alignment of the scenario's waypoint chain over the "
        "GLOBE 30 arc-second DEM by corridor.align.trace (grade-aware search; scripts/build_reference_network.py); "
        "tunnels and bridges from the least-cost vertical design at the ruling grade; the third coordinate of "
        "each vertex is that design's formation level (m), not the ground; cut_m3_per_m, fill_m3_per_m and "
        "structure_depth_m are that design's earthworks and greatest structure depth or height")


def _chains(s: Any, levels: dict[int, float]) -> tuple[list[Any], list[dict[str, str]]]:
    """Routes of a scenario: the whole chain, or its maximal runs of feasible legs, and the infeasible legs.

    ``levels`` are formation levels at the chain's waypoints (by index) where it continues a line built
    before; a chain that cannot meet them is traced without them (its grade line then steps there).
    """
    import dataclasses

    from corridor import NoFeasibleAlignment
    from corridor.route import true_runs

    if levels:
        try:
            return [s.route(waypoint_levels=levels)], []
        except NoFeasibleAlignment as exc:
            print(f"{s.slug:26s} cannot meet the levels of the lines it continues ({exc})", file=sys.stderr)
    try:
        return [s.route()], []
    except NoFeasibleAlignment as exc:
        print(f"{s.slug:26s} infeasible as a whole; tracing leg by leg ({exc})", file=sys.stderr)
    wps = list(s.waypoints)
    ok: list[bool] = []
    bad: list[dict[str, str]] = []
    for i in range(len(wps) - 1):
        try:
            dataclasses.replace(s, waypoints=(wps[i], wps[i + 1])).route()
            ok.append(True)
        except NoFeasibleAlignment as exc:
            ok.append(False)
            bad.append({"scenario": s.slug, "leg": f"{wps[i]} - {wps[i + 1]}", "reason": str(exc)})
            print(f"{s.slug:26s} leg {wps[i]} - {wps[i + 1]}: INFEASIBLE ({exc})", file=sys.stderr)
    routes = [dataclasses.replace(s, waypoints=tuple(wps[i:j + 2])).route() for i, j in true_runs(ok)]
    return routes, bad


Leg = tuple[str, tuple[float, float], tuple[float, float]]  # mode and the two waypoints' positions


def _num(v: Any) -> float | None:
    """A design quantity rounded to 0.1, or None where there is none (NaN)."""
    import math

    return None if v is None or not math.isfinite(float(v)) else round(float(v), 1)


def _at(place: Any) -> tuple[float, float]:
    return round(float(place.lon), 6), round(float(place.lat), 6)


def _collection(feats: list[dict[str, Any]], infeasible: list[dict[str, str]],
                stations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "name": "corridor reference network (MODELLED)",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "infeasible": infeasible, "stations": stations, "features": feats}


def build() -> dict[str, Any]:
    """The edge table as a GeoJSON FeatureCollection (dict).

    Scenarios are traced in order of their number of waypoints (then slug). A leg (consecutive
    waypoint pair, same mode) that an earlier scenario already built (Horadiz - Aghband, shared by
    three scenarios) is not traced again: the network's line for it is the earlier one, with its
    design. The scenario's other legs are traced as chains that, at every waypoint where a line
    built before passes (a shared leg, or another scenario's line ending or passing at that waypoint:
    the same node), meet that line's formation level there (``trace(waypoint_levels=...)``). So the
    network holds one line, and one grade line, where scenarios share legs, and lines meeting at a
    node meet at one level.
    """
    import dataclasses

    from corridor import scenarios
    from corridor.data import resolve_all
    from corridor.route import true_runs

    nodes: dict[tuple[float, float], int] = {}

    def node(xy: tuple[float, float]) -> int:
        key = (round(xy[0], 6), round(xy[1], 6))
        if key not in nodes:
            nodes[key] = len(nodes) + 1
        return nodes[key]

    feats: list[dict[str, Any]] = []
    built: dict[Leg, list[dict[str, Any]]] = {}  # the features of each leg built so far
    infeasible: list[dict[str, str]] = []
    stations: list[dict[str, Any]] = []  # where a line serves a waypoint it does not reach (a spur cut)

    def level_at(mode: str, xy: tuple[float, float]) -> float | None:
        """Formation level of a line of ``mode`` built before at the waypoint ``xy`` (its node), if any."""
        for f in feats:
            if f["properties"]["mode"] != mode:
                continue
            for c in f["geometry"]["coordinates"]:
                if (c[0], c[1]) == xy:
                    return float(c[2])
        return None

    for s in sorted(scenarios.builtin(), key=lambda s: (len(s.waypoints), s.slug)):
        at = [_at(p) for p in resolve_all(list(s.waypoints))]
        legs = [(s.mode, a, b) for a, b in itertools.pairwise(at)]
        shared = [leg in built or (leg[0], leg[2], leg[1]) in built for leg in legs]
        if any(shared):
            print(f"{s.slug:26s} reuses {sum(shared)} of {len(legs)} legs built before", file=sys.stderr)
        for i, j in true_runs([not x for x in shared]):  # runs of legs i..j to trace
            # every waypoint of the run where a line built before passes (the same node): meet its level
            levels = {k - i: z for k in range(i, j + 2) if (z := level_at(s.mode, at[k])) is not None}
            sub = s if (i, j) == (0, len(legs) - 1) else dataclasses.replace(s, waypoints=s.waypoints[i:j + 2])
            routes, bad = _chains(sub, levels)
            for b in bad:
                b["scenario"] = s.slug
            infeasible += bad
            for r in routes:
                stations += [{"waypoint": sp["waypoint"], "waypoint_lon": round(sp["waypoint_lonlat"][0], 6),
                              "waypoint_lat": round(sp["waypoint_lonlat"][1], 6),
                              "lon": round(sp["station_lonlat"][0], 6), "lat": round(sp["station_lonlat"][1], 6),
                              "scenario": s.slug}
                             for sp in r.meta.get("spurs_cut", [])]
                for f, leg in _features(s, r, node):
                    feats.append(f)
                    built.setdefault(leg, []).append(f)
    return _collection(feats, infeasible, stations)


def _features(s: Any, r: Any, node: Callable[[tuple[float, float]], int]
              ) -> list[tuple[dict[str, Any], Leg]]:
    """The new-build segments of ``r`` as features, each with the mode and the ends of its leg."""
    import math

    seg_t = r.segments
    tun = seg_t.loc[seg_t["structure"] == "tunnel", "length_m"].sum() / 1000
    bri = seg_t.loc[seg_t["structure"] == "bridge", "length_m"].sum() / 1000
    print(f"{s.slug:26s} {r.length_m / 1000:7.1f} km  tunnels {tun:5.1f} km  bridges {bri:5.1f} km  "
          f"{r.unit_sequence()}", file=sys.stderr)
    feats = []
    levels = _vertex_levels(r)
    for row, z in zip(seg_t.itertuples(index=False), levels, strict=True):
        seg = row._asdict()
        if seg["build"] != "new":
            continue  # a line built before (another scenario's): already in the network
        geom = seg["geometry"]
        coords = [[round(x, 6), round(y, 6), round(float(h), 2)] for (x, y), h in zip(geom.coords, z, strict=True)]
        if len(coords) < 2 or (coords[0][:2] == coords[-1][:2] and len(coords) == 2):
            continue
        gauge = seg["gauge_mm"]
        props = {
            "mode": s.mode, "osm_way_id": -1,
            "u": node((coords[0][0], coords[0][1])), "v": node((coords[-1][0], coords[-1][1])),
            "class": f"new_{s.mode}", "status": s.reference_status,
            "gauge_mm": None if gauge is None or math.isnan(gauge) else float(gauge),
            "electrified": None, "tunnel": seg["structure"] == "tunnel",
            "bridge": seg["structure"] == "bridge", "maxspeed_kmh": None, "lanes": None,
            "name": s.name, "ref": s.slug, "length_m": round(float(seg["length_m"]), 1),
            "unit": seg["unit"], "source": "reference (modelled)", "scenario": s.slug, "note": NOTE,
            "cut_m3_per_m": _num(seg.get("cut_m3_per_m")), "fill_m3_per_m": _num(seg.get("fill_m3_per_m")),
            "structure_depth_m": _num(seg.get("structure_depth_m")),
        }
        wp = r.waypoints
        leg = int(seg["leg"])
        feats.append(({"type": "Feature", "properties": props,
                       "geometry": {"type": "LineString", "coordinates": coords}},
                      (s.mode, _at(wp[leg]), _at(wp[leg + 1]))))
    return feats


def _vertex_levels(r: Any) -> list[Any]:
    """Formation level (m) of the route's design at every vertex of every segment, segment by segment."""
    import numpy as np

    from corridor._geo import cumulative_distance

    runs = r.meta["formation"]["runs"]
    chain = np.concatenate([float(run["start_m"]) + np.asarray(run["distance_m"], dtype=float) for run in runs])
    level = np.concatenate([np.asarray(run["level_m"], dtype=float) for run in runs])
    off = r.offsets()
    out = []
    for k, geom in enumerate(r.segments.geometry):
        xy = np.asarray(geom.coords, dtype=float)
        d = off[k] + cumulative_distance(xy[:, 0], xy[:, 1])
        out.append(np.interp(d, chain, level))  # new build: designed; reused lines: their own design
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare a fresh build with the committed file")
    args = ap.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    out = root / "data" / "reference" / "network.geojson"
    text = json.dumps(build(), ensure_ascii=False, separators=(",", ":")) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()
    if args.check:
        same = out.is_file() and out.read_text(encoding="utf-8") == text
        print("identical" if same else "DIFFERENT", digest)
        return 0 if same else 1
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"{out}  {len(text) / 1e6:.2f} MB  sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
