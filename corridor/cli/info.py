"""Summary of the embedded region pack (``corridor info``)."""

from __future__ import annotations

from typing import Any

from corridor._geo import geod
from corridor.cli._render import safe
from corridor.data import datasets
from corridor.data.regions import units_of_points


def pack_summary() -> dict[str, Any]:
    """Real contents of the region pack: units with areas, place counts and DEM facts.

    ``places["no_unit"]`` counts the places in no country unit, not even within
    2 km of one (offshore), so that the places of the units and these add up
    to ``places["total"]``.

    >>> s = pack_summary()
    >>> s["dem"]["crs"], s["dem"]["resolution_arcsec"]
    ('EPSG:4326', 30.0)
    >>> 5200 < s["units"]["NAX"]["area_km2"] < 5500
    True
    """
    import numpy as np
    import rasterio


    pack = datasets.region_pack()
    g = geod()
    units = {}
    places = pack.places

    place_units = units_of_points(places["lon"].to_numpy(), places["lat"].to_numpy(), snap_m=2_000.0)
    for row in pack.boundaries.itertuples():
        units[str(row.unit)] = {
            "name": str(row.name),
            "sovereign": str(row.sovereign),
            "parts": len(getattr(row.geometry, "geoms", [row.geometry])),
            "area_km2": round(abs(g.geometry_area_perimeter(row.geometry)[0]) / 1e6, 1),
            "places": int(sum(1 for u in place_units if u == row.unit)),
        }
    with rasterio.open(pack.dem_path) as src:
        arr = src.read(1, masked=True)
        b = src.bounds
        dem = {
            "path": str(pack.dem_path),
            "crs": src.crs.to_string(),
            "extent": {"left": b.left, "bottom": b.bottom, "right": b.right, "top": b.top},
            "shape": [src.height, src.width],
            "resolution_deg": src.res[0],
            "resolution_arcsec": round(src.res[0] * 3600, 3),
            "nodata": src.nodata,
            "nodata_cells": int(np.ma.count_masked(arr)),
            "min_m": int(arr.min()),
            "max_m": int(arr.max()),
            "mean_m": round(float(arr.mean()), 1),
        }
    kinds = places["kind"].value_counts().to_dict()
    return {
        "data_dir": str(datasets.data_dir()),
        "units": units,
        "places": {"total": len(places), "by_kind": {str(k): int(v) for k, v in sorted(kinds.items())},
                   "no_unit": sum(1 for u in place_units if u is None)},
        "dem": dem,
    }


def print_summary(s: dict[str, Any], console: Any) -> None:
    """Render :func:`pack_summary` as rich tables."""
    from rich.table import Table


    t = Table(title="Country units (region pack, clipped to lon 42.5–51.0, lat 37.8–42.5)")
    for col in ("unit", "name", "part of", "polygons", "area km²", "places"):
        t.add_column(col, justify="right" if col in ("polygons", "area km²", "places") else "left")
    for code, u in s["units"].items():
        t.add_row(safe(code), safe(u["name"]), safe(u["sovereign"]), str(u["parts"]),
                  f"{u['area_km2']:,.1f}", str(u["places"]))
    p = s["places"]
    if p.get("no_unit"):  # the table's places add up to the total
        t.add_row("", "no unit (offshore)", "", "", "", str(p["no_unit"]))
    console.print(t)
    console.print(f"Places: {p['total']} ("
                  + ", ".join(f"{k} {v}" for k, v in p["by_kind"].items()) + ")")
    d = s["dem"]
    e = d["extent"]
    console.print(
        f"DEM: GLOBE 30\" {d['shape'][1]}×{d['shape'][0]} cells, {d['crs']}, "
        f"extent lon {e['left']:.3f}–{e['right']:.3f}, lat {e['bottom']:.3f}–{e['top']:.3f}, "
        f"resolution {d['resolution_arcsec']:g}″ ({d['resolution_deg']:.6f}°), "
        f"elevation {d['min_m']}–{d['max_m']} m (mean {d['mean_m']} m), "
        f"{d['nodata_cells']} nodata cells (sea)"
    )
    console.print(f"Data folder: {s['data_dir']}")
