"""Export corridor routes as GIS layers in every supported format.

Usage::

    python examples/export_layers.py [OUTPUT_FOLDER]

Routes two built-in corridors on the embedded, MODELLED reference network and
writes them (with their metrics and border crossings) as GeoPackage, GeoJSON,
FlatGeobuf, GeoParquet and CSV to OUTPUT_FOLDER (default: a new temporary
folder). Every feature carries a ``source`` attribute; modelled ones say so.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import corridor
from corridor import scenarios
from corridor.evaluation import evaluate
from corridor.outputs import export

FORMATS = ["routes.gpkg", "routes.geojson", "routes.fgb", "routes.parquet", "routes.csv"]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    net = corridor.load_network("reference")
    routes = [scenarios.get(s).route(network=net) for s in ("gyumri-kars", "yeraskh-sadarak")]
    metrics = [evaluate(r) for r in routes]
    for name in FORMATS:
        path = export.write_layers(out / name, routes, metrics)
        print(f"{path.name:16s} {path.stat().st_size:>9,d} bytes")
    import pyogrio

    print("layers in routes.gpkg:", [str(n) for n, _ in pyogrio.list_layers(out / "routes.gpkg")])
    lay = export.layers(routes, metrics)
    print(lay["routes"][["name", "source"]].to_string(index=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="corridor-export-")))
