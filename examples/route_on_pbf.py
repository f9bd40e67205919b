"""Load a road/rail network from a local OSM PBF file, route on it and export the result.

Usage::

    python examples/route_on_pbf.py [OUTPUT_FOLDER]

Uses ``data/demo/demo_network.osm.pbf``: a tiny SYNTHETIC file (invented
straight lines, not OpenStreetMap; see ``data/demo/README.md``). For real data
download a Geofabrik extract (``corridor fetch osm --region armenia``) and pass its path
instead. Writes ``demo_route.gpkg`` and ``demo_route.geojson`` to OUTPUT_FOLDER
(default: a new temporary folder).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import corridor
from corridor.evaluation import evaluate
from corridor.outputs import export

PBF = Path(__file__).resolve().parent.parent / "data" / "demo" / "demo_network.osm.pbf"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    net = corridor.load_network(PBF, cache=False)
    print(net)
    rail = net.edges[net.edges["mode"] == "rail"]
    print("rail ways by status and gauge (mm):")
    print(rail.groupby(["status", "gauge_mm"], dropna=False)["length_m"].sum().div(1000).round(1).to_string())

    # Jolfa (Iran, 1435 mm) to Nakhchivan (1520 mm): the route crosses the synthetic gauge break at Julfa.
    route = net.route((45.643, 38.935), (45.412, 39.209), mode="rail")
    print(route)
    print(route.segments[["class", "gauge_mm", "status", "unit", "length_m", "name"]].to_string())

    m = evaluate(route)  # profile over the embedded GLOBE 30" DEM
    print(f"{m.length_km:.1f} km, {m.n_gauge_breaks} gauge break(s), {m.time_h:.2f} h, "
          f"cost {m.cost_musd} M USD")
    export.write_layers(out / "demo_route.gpkg", [route], [m])
    export.write_layers(out / "demo_route.geojson", [route], [m])
    print(f"wrote demo_route.gpkg and demo_route.geojson to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="corridor-pbf-")))
