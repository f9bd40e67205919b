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
(:mod:`corridor.align.vertical`, default :class:`corridor.costs.CostParams`).

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
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

NOTE = ("MODELLED, not surveyed: least-cost alignment of the scenario's waypoint chain over the "
        "GLOBE 30 arc-second DEM by corridor.align.trace (grade-aware search; scripts/build_reference_network.py); "
        "tunnels and bridges from the least-cost vertical design at the ruling grade")


def _chains(s: Any) -> tuple[list[Any], list[dict[str, str]]]:
    """Routes of a scenario: the whole chain, or its maximal runs of feasible legs, and the infeasible legs."""
    import dataclasses

    from corridor import NoFeasibleAlignment
    from corridor.route import true_runs

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


def build() -> dict[str, Any]:
    """The edge table as a GeoJSON FeatureCollection (dict)."""
    from corridor import scenarios

    nodes: dict[tuple[float, float], int] = {}

    def node(xy: tuple[float, float]) -> int:
        key = (round(xy[0], 6), round(xy[1], 6))
        if key not in nodes:
            nodes[key] = len(nodes) + 1
        return nodes[key]

    feats = []
    infeasible: list[dict[str, str]] = []
    for s in sorted(scenarios.builtin(), key=lambda s: s.slug):
        routes, bad = _chains(s)
        infeasible += bad
        for r in routes:
            feats += _features(s, r, node)
    return {"type": "FeatureCollection", "name": "corridor reference network (MODELLED)",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "infeasible": infeasible, "features": feats}


def _features(s: Any, r: Any, node: Callable[[tuple[float, float]], int]) -> list[dict[str, Any]]:
    import math

    seg_t = r.segments
    tun = seg_t.loc[seg_t["structure"] == "tunnel", "length_m"].sum() / 1000
    bri = seg_t.loc[seg_t["structure"] == "bridge", "length_m"].sum() / 1000
    print(f"{s.slug:26s} {r.length_m / 1000:7.1f} km  tunnels {tun:5.1f} km  bridges {bri:5.1f} km  "
          f"{r.unit_sequence()}", file=sys.stderr)
    feats = []
    for row in seg_t.itertuples(index=False):
        seg = row._asdict()
        geom = seg["geometry"]
        coords = [[round(x, 6), round(y, 6)] for x, y in geom.coords]
        if len(coords) < 2 or (coords[0] == coords[-1] and len(coords) == 2):
            continue
        gauge = seg["gauge_mm"]
        props = {
            "mode": s.mode, "osm_way_id": -1,
            "u": node(tuple(coords[0])), "v": node(tuple(coords[-1])),
            "class": f"new_{s.mode}", "status": s.reference_status,
            "gauge_mm": None if gauge is None or math.isnan(gauge) else float(gauge),
            "electrified": None, "tunnel": seg["structure"] == "tunnel",
            "bridge": seg["structure"] == "bridge", "maxspeed_kmh": None, "lanes": None,
            "name": s.name, "ref": s.slug, "length_m": round(float(seg["length_m"]), 1),
            "unit": seg["unit"], "source": "reference (modelled)", "scenario": s.slug, "note": NOTE,
        }
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "LineString", "coordinates": coords}})
    return feats


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
