"""Write ``data/demo/demo_network.osm.pbf``: a SMALL SYNTHETIC OSM network for notebooks and demos.

Nothing here is real OpenStreetMap data. Node positions join approximate town
coordinates from ``/work/shared/reference/corridors.md`` (Nakhchivan, Julfa,
Jolfa, Ordubad, Agarak, Meghri, Aghband, Kapan) with straight polylines; every
way is named ``... (synthetic)`` and tagged ``note=synthetic demo data``. It
shows the tag variants the loader normalises: a 1435 mm line from Jolfa (IRN)
meeting the 1520 mm line at Julfa (a gauge break), a razed section through
Meghri, a line under construction to Aghband, stations at Julfa and Meghri,
roads with list-valued and zone maxspeed tags, a tunnel and a bridge.

Run: ``python scripts/make_demo_pbf.py`` (deterministic output).
"""

from __future__ import annotations

from pathlib import Path

import osmium

OUT = Path(__file__).resolve().parents[1] / "data" / "demo" / "demo_network.osm.pbf"
NOTE = {"note": "synthetic demo data, not OpenStreetMap"}

# id: (lon, lat, tags)
NODES: dict[int, tuple[float, float, dict[str, str]]] = {
    1: (45.412, 39.209, {}),            # Nakhchivan (approx.)
    2: (45.55, 39.05, {}),
    3: (45.63, 38.96, {}),              # Julfa (AZ) - gauge break node
    4: (45.643, 38.935, {}),            # Jolfa (IR)
    5: (45.70, 38.90, {}),
    6: (45.85, 38.93, {}),
    7: (46.023, 38.905, {}),            # Ordubad
    8: (46.12, 38.89, {}),
    9: (46.18, 38.86, {}),              # Agarak
    10: (46.24, 38.903, {}),            # Meghri
    11: (46.40, 38.88, {}),
    12: (46.57, 38.90, {}),             # Aghband
    13: (46.41, 39.21, {}),             # Kapan
    14: (46.30, 39.05, {}),
    20: (45.415, 39.205, {}),           # road nodes near the towns
    21: (45.632, 38.962, {}),
    22: (46.025, 38.907, {}),
    23: (46.242, 38.905, {}),
    24: (46.412, 39.212, {}),
    90: (45.6305, 38.9605, {"railway": "station", "name": "Julfa (synthetic)"}),
    91: (46.2405, 38.9035, {"railway": "station", "name": "Meghri (synthetic)"}),
}
WAYS: dict[int, tuple[list[int], dict[str, str]]] = {
    1: ([1, 2, 3], {"railway": "rail", "gauge": "1520", "electrified": "no", "name": "Nakhchivan - Julfa (synthetic)"}),
    2: ([3, 4, 5], {"railway": "rail", "gauge": "1435", "name": "Jolfa line (synthetic)", "bridge": "yes"}),
    3: ([3, 6, 7], {"railway": "rail", "gauge": "1520", "maxspeed": "60;80", "name": "Julfa - Ordubad (synthetic)"}),
    4: ([7, 8, 9], {"railway": "construction", "construction": "rail", "name": "Ordubad - Agarak (synthetic)"}),
    5: ([9, 10], {"railway": "razed", "name": "Meghri section (synthetic)"}),
    6: ([10, 11, 12], {"railway": "construction", "construction": "rail", "gauge": "1520",
                       "name": "Meghri - Aghband (synthetic)", "tunnel": "yes"}),
    10: ([20, 21], {"highway": "primary", "maxspeed": "RU:rural", "ref": "M7;E002", "name": "road (synthetic)"}),
    11: ([21, 22], {"highway": "primary;secondary", "maxspeed": "90", "lanes": "2"}),
    12: ([22, 23], {"highway": "secondary", "maxspeed": "none", "name": "border road (synthetic)"}),
    13: ([23, 14, 24], {"highway": "trunk", "maxspeed": "50 mph", "name": "mountain road (synthetic)",
                        "tunnel": "building_passage"}),
}


def main() -> Path:
    """Write the demo file (overwriting) and return its path."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    hdr = osmium.io.Header()
    hdr.set("generator", "corridor scripts/make_demo_pbf.py (synthetic)")
    with osmium.SimpleWriter(str(OUT), overwrite=True, header=hdr) as w:
        for nid in sorted(NODES):
            lon, lat, tags = NODES[nid]
            w.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat), tags=tags, version=1,
                                               timestamp="2025-01-01T00:00:00Z"))
        for wid in sorted(WAYS):
            refs, tags = WAYS[wid]
            w.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags={**tags, **NOTE}, version=1,
                                             timestamp="2025-01-01T00:00:00Z"))
    return OUT


if __name__ == "__main__":
    print(main())
