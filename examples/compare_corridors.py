"""Compare a few built-in corridors on the embedded (offline) data.

Usage::

    python examples/compare_corridors.py [OUTPUT_FOLDER]

Writes ``summary.csv``, ``routes.gpkg``, ``profiles.png``, ``map.html`` and
``report.html`` to OUTPUT_FOLDER (default: a new temporary folder) and prints
the ranking. The embedded reference network is MODELLED, not OpenStreetMap.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import corridor
from corridor import scenarios
from corridor.evaluation import evaluate, table
from corridor.outputs import charts, export, maps, report

SCENARIOS = ["meghri-rail", "aras-iran", "kars-dilucu-sadarak"]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    net = corridor.load_network("reference")  # embedded, MODELLED
    scens = [scenarios.get(s) for s in SCENARIOS]
    routes = [s.route(network=net) for s in scens]
    metrics = [evaluate(r) for r in routes]
    df = table(metrics)
    cols = ["name", "length_km", "cost_central_musd", "time_h", "rank"]
    print(df[[c for c in cols if c in df.columns]].sort_values("rank").to_string(index=False))

    df.to_csv(out / "summary.csv", index=False)
    export.write_layers(out / "routes.gpkg", routes, metrics)
    charts.profiles_png(out / "profiles.png", routes, metrics)
    maps.save_map(out / "map.html", maps.route_map(routes, metrics=metrics, basemap="offline"))
    report.write_report(out / "report.html", routes, metrics, df,
                        provenance={"network": str(net.meta.get("source")), "dem": "embedded GLOBE 30\" (~1 km)"},
                        basemap="offline", title="Example comparison (modelled network)")
    print(f"wrote {', '.join(sorted(p.name for p in out.iterdir()))} to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="corridor-compare-")))
