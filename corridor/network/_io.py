"""Loading networks for :func:`corridor.network.load_network`: sources, region filters, GeoParquet cache."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corridor import settings
from corridor._errors import DataFileError, EmptyNetworkError, InvalidInputError
from corridor._geo import lengths_of
from corridor._http import fast_file_digest
from corridor._types import UNITS, BBox
from corridor._validate import check_units
from corridor.data import datasets
from corridor.data.datasets import units as unit_table
from corridor.network import _osm_tags as tagnorm
from corridor.network._design import REFERENCE_SOURCE
from corridor.network._graph import apply_gauges
from corridor.network._osm_borders import split_at_borders
from corridor.network._osm_read import EDGE_COLUMNS, read_file
from corridor.network.osm import file_checksum

log = logging.getLogger(__name__)

#: Bump when the edge table or its normalisation changes: old cache entries are ignored.
CACHE_VERSION = 6  # 2: ``oneway`` column, coordinate sidecar; 3: ``gauge_source``, access statuses, both
# layers; 4: meta.json holds digests of every file; 5: simplified table, ``osm_way_ids``; 6: ``via_nodes``,
# ``gauge_source`` in the merge key
#: ``format`` of a cache entry's meta.json.
CACHE_FORMAT = "corridor-network-cache"
#: Files of a cache entry besides meta.json: always the two tables, the coordinate sidecar as a pair.
CACHE_TABLES = ("edges.parquet", "stations.parquet")
CACHE_SIDECAR = ("coords.npy", "offsets.npy")
#: Country units of each region name (``caucasus``: no unit filter).
REGION_UNITS: dict[str, tuple[str, ...]] = {"caucasus": (), "armenia": ("ARM",), "azerbaijan": ("AZE", "NAX"),
                                            "georgia": ("GEO",), "turkey": ("TUR",), "iran": ("IRN",)}
#: Extent of the region pack (lon 42.5-51.0, lat 37.8-42.5): the default clip of Geofabrik extracts.

_DEFAULTS: dict[str, Any] = {"mode": "road", "osm_way_id": -1, "class": "", "status": "active",
                             "gauge_mm": np.nan, "gauge": "", "gauge_source": "", "electrified": "", "tunnel": False,
                             "bridge": False, "oneway": False, "maxspeed_kmh": np.nan, "lanes": np.nan, "name": "",
                             "ref": "",
                             "source": REFERENCE_SOURCE}


def region_units(region: str | Iterable[str] | None) -> tuple[str, ...]:
    """Unit codes selected by ``region`` (names such as ``armenia`` or codes such as ``NAX``)."""
    if region is None:
        return ()
    items = [region] if isinstance(region, str) else list(region)
    out: list[str] = []
    for it in items:
        key = str(it).strip()
        if key.lower() in REGION_UNITS:
            codes = REGION_UNITS[key.lower()]
        elif key.upper() in UNITS:
            codes = check_units([key])
        else:
            raise InvalidInputError(f"unknown region {it!r}; use one of {', '.join(REGION_UNITS)} or unit codes "
                                    f"({', '.join(UNITS)})")
        out.extend(c for c in codes if c not in out)
    return tuple(out)


def units_bbox(units: Sequence[str]) -> BBox:
    """The bounding box of country units (from the embedded unit table)."""

    t = unit_table()
    b = t[t["unit"].isin(list(units))].total_bounds
    return BBox(*[float(v) for v in b])


def read_paths(paths: Sequence[Path], modes: Sequence[str], classes: Sequence[str], box: BBox | None,
               label: str) -> tuple[Any, Any, list[dict[str, Any]]]:
    """Edges, stations and file infos of one OSM file, or of several joined (cut at borders once)."""
    import geopandas as gpd
    import pandas as pd


    if len(paths) == 1:
        raw = read_file(paths[0], modes=modes, road_classes=classes, bbox=box, source=label)
        return raw.edges, raw.stations, [raw.info]
    parts, stations, infos = [], [], []
    for p in paths:  # several extracts: join, drop ways present in two, then cut at borders once
        try:
            raw = read_file(p, modes=modes, road_classes=classes, bbox=box, source=label, split_units=False)
        except EmptyNetworkError:
            log.info("%s has no edges in %s", p, box)
            continue
        parts.append(raw.edges)
        stations.append(raw.stations)
        infos.append(raw.info)
    if not parts:
        raise EmptyNetworkError(f"none of {', '.join(str(p) for p in paths)} has edges in bbox {box}; "
                                "widen the bbox or choose other regions")
    edges = pd.concat(parts, ignore_index=True).drop_duplicates(["mode", "osm_way_id", "u", "v"]).reset_index(drop=True)
    edges = split_at_borders(gpd.GeoDataFrame(edges.drop(columns="unit"), geometry="geometry", crs="EPSG:4326"))
    edges = apply_gauges(edges, what=", ".join(str(p) for p in paths))
    st = pd.concat(stations, ignore_index=True).drop_duplicates("id").reset_index(drop=True)
    return edges, st, infos


def filter_units(edges: Any, units: Sequence[str], what: str) -> Any:
    """Keep edges in ``units``; raise :class:`EmptyNetworkError` if nothing is left."""
    if not units:
        return edges
    out = edges[edges["unit"].isin(list(units))].reset_index(drop=True)
    if len(out) == 0:
        raise EmptyNetworkError(f"{what} has no edges in {', '.join(units)}; choose another region or source")
    return out


def normalise(edges: Any, *, source: str) -> Any:
    """Give an edge table every column of :data:`EDGE_COLUMNS` (types, defaults, topology, units)."""
    import geopandas as gpd
    import pandas as pd
    import shapely


    gdf = gpd.GeoDataFrame(edges.copy(), geometry=edges.geometry.name, crs=edges.crs or "EPSG:4326")
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    if not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].reset_index(drop=True)
    if (gdf.geometry.geom_type == "MultiLineString").any():
        gdf = gdf.explode(index_parts=False).reset_index(drop=True)
    if not (gdf.geometry.geom_type == "LineString").all():
        bad = sorted(set(gdf.geometry.geom_type) - {"LineString"})
        raise DataFileError(f"network edges must be LineStrings, found {bad}; fix the edge table")
    for col, default in _DEFAULTS.items():
        if col not in gdf.columns:
            gdf[col] = source if col == "source" else default
    for col in ("name", "ref", "class", "status", "gauge", "gauge_source", "electrified", "mode"):
        gdf[col] = gdf[col].fillna("").astype(str)
    for col in ("tunnel", "bridge", "oneway"):
        gdf[col] = gdf[col].fillna(False).astype(bool)
    for col in ("gauge_mm", "maxspeed_kmh", "lanes"):
        gdf[col] = pd.to_numeric(gdf[col], errors="coerce").astype(float)
    gdf["osm_way_id"] = pd.to_numeric(gdf["osm_way_id"], errors="coerce").fillna(-1).astype("int64")
    bad_modes = set(gdf["mode"]) - {"road", "rail"}
    if bad_modes:
        raise DataFileError(f"edge table has unknown modes {sorted(bad_modes)}; use 'road' or 'rail'")
    # a user's rail edge without a class is main-line track (OSM ``railway=rail``), so stations link to it
    gdf.loc[(gdf["mode"] == "rail") & (gdf["class"] == ""), "class"] = "rail"
    if "u" not in gdf.columns or "v" not in gdf.columns or gdf[["u", "v"]].isna().any().any():
        # topology from coordinates: end points equal to 1e-7 degrees are one node
        xy = shapely.get_coordinates(gdf.geometry.values, return_index=True)
        coords, idx = xy
        n = len(gdf)
        f = np.searchsorted(idx, np.arange(n), side="left")
        last = np.searchsorted(idx, np.arange(n), side="right") - 1
        ends = np.round(np.concatenate([coords[f], coords[last]]) * 1e7).astype(np.int64)
        _, inv = np.unique(ends, axis=0, return_inverse=True)
        gdf["u"], gdf["v"] = inv[:n].astype(np.int64) + 1, inv[n:].astype(np.int64) + 1
    gdf["u"] = gdf["u"].astype("int64")
    gdf["v"] = gdf["v"].astype("int64")
    if "unit" not in gdf.columns or gdf["unit"].isna().all():
        gdf = split_at_borders(gdf.drop(columns=["unit"], errors="ignore"))
    gdf["length_m"] = lengths_of(gdf.geometry.values)
    gdf = apply_gauges(gdf, what=source)
    return gpd.GeoDataFrame(gdf[[*EDGE_COLUMNS, "geometry"]], geometry="geometry", crs="EPSG:4326")


def load_reference() -> tuple[Any, dict[str, Any]]:
    """The embedded modelled reference network (``data/reference/network.geojson``)."""
    import geopandas as gpd

    path = datasets.data_dir() / "reference" / "network.geojson"
    if not path.is_file():
        raise DataFileError(f"the reference network {path} does not exist yet; build it with "
                            "`python scripts/build_reference_network.py`, or load OSM data instead "
                            "(load_network('path/to/extract.osm.pbf') or 'geofabrik')")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:
        raise DataFileError(f"cannot read the reference network {path}: {exc}; rebuild it with "
                            "`python scripts/build_reference_network.py`") from exc
    if len(gdf) == 0:
        raise EmptyNetworkError(f"the reference network {path} has no edges; rebuild it")
    import shapely

    # the vertices' third coordinate is the modelled formation level, kept aside (corridor.network._design)
    gdf = gdf.set_geometry(shapely.force_2d(gdf.geometry.values))
    edges = normalise(gdf, source=REFERENCE_SOURCE)

    # keep_all_nodes: its edges end at the scenarios' waypoints, which a trace over it must reach as nodes
    meta = {"source": REFERENCE_SOURCE, "path": str(path), "checksum": file_checksum(path), "modelled": True,
            "keep_all_nodes": True,
            "extract_date": "", "filter": {"modes": sorted(set(edges["mode"]))}}
    return edges, meta


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a network is parsed or read.

    Loading creates hundreds of thousands of objects (geometries, OSM wrappers,
    tag strings) that form no reference cycles; meanwhile the collector would
    traverse every object of the process again and again (a third of a cache
    reload). Plain reference counting still frees everything; the previous state
    is restored on exit.

    Examples
    --------
    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# ------------------------------------------------------------------------------ cache
def cache_key(parts: dict[str, Any]) -> str:
    """Stable short key of the inputs that determine a network."""
    text = json.dumps({**parts, "version": CACHE_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cache_dir(key: str) -> Path:
    return Path(settings.cache_folder) / "networks" / key


def read_cache(key: str) -> tuple[Any, Any, dict[str, Any]] | None:
    """Edges, stations and meta of a cache entry, or None if absent, damaged or changed.

    ``meta.json`` must have the expected shape (:func:`check_entry`) and every
    file of the entry the size and digest it records; otherwise the entry is
    removed (with a warning) and the caller rebuilds it. The attribute columns
    come from the GeoParquet file; the geometries are rebuilt from the
    coordinate sidecar (``coords.npy``/``offsets.npy``, the same vertices as the
    GeoParquet geometry column) in one array call, which is what makes a reload
    fast. Checking the digests reads every file once more (SHA-256 at several
    hundred MB/s, or xxHash when installed): a small part of the reload.
    """
    import pandas as pd

    folder = cache_dir(key)
    if not (folder / "meta.json").is_file():
        return None
    try:
        entry = check_entry(folder, key)
        edges = _read_edges(folder, sidecar=CACHE_SIDECAR[0] in entry["files"])
        stations = pd.read_parquet(folder / "stations.parquet")
    except Exception as exc:  # a damaged or changed entry is rebuilt, never trusted
        log.warning("network cache %s is damaged or was changed (%s); rebuilding it", folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return edges, stations, dict(entry["meta"])


def _file_record(path: Path) -> dict[str, Any]:

    return {"bytes": path.stat().st_size, "digest": fast_file_digest(path)}


def check_entry(folder: Path, key: str) -> dict[str, Any]:
    """The validated ``meta.json`` of a cache entry, its files checked against their digests.

    Raises
    ------
    DataFileError
        ``meta.json`` is not a JSON object of this cache version and key, lists
        other files than the entry holds, or a file's size or digest differs.
    """

    try:
        entry = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataFileError(f"meta.json is unreadable: {exc}") from exc
    if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
        raise DataFileError("meta.json is not a corridor network-cache record")
    if entry.get("version") != CACHE_VERSION or entry.get("key") != key:
        raise DataFileError(f"meta.json is of version {entry.get('version')!r}, key {entry.get('key')!r}")
    files, meta = entry.get("files"), entry.get("meta")
    if not isinstance(files, dict) or not isinstance(meta, dict):
        raise DataFileError("meta.json lacks its 'files' or 'meta' object")
    want = set(CACHE_TABLES) | (set(CACHE_SIDECAR) if CACHE_SIDECAR[0] in files else set())
    if set(files) != want:
        raise DataFileError(f"meta.json lists {sorted(files)}, expected {sorted(want)}")
    for name in sorted(set(CACHE_TABLES + CACHE_SIDECAR)):  # present exactly when listed
        if (folder / name).is_file() != (name in files):
            raise DataFileError(f"{name} is {'missing' if name in files else 'not listed'}")
    for name, rec in files.items():
        if not (isinstance(rec, dict) and isinstance(rec.get("bytes"), int) and isinstance(rec.get("digest"), str)):
            raise DataFileError(f"meta.json record of {name} is malformed")
        if (folder / name).stat().st_size != rec["bytes"]:
            raise DataFileError(f"{name} has {(folder / name).stat().st_size} bytes, {rec['bytes']} recorded")
    for name, rec in files.items():  # sizes first (cheap), then the content
        if fast_file_digest(folder / name) != rec["digest"]:
            raise DataFileError(f"{name} does not match its recorded digest")
    return entry


def _read_edges(folder: Path, *, sidecar: bool = True) -> Any:
    """The edge table of a cache entry (GeoParquet attributes + sidecar coordinates)."""
    import geopandas as gpd
    import pyarrow.parquet as pq
    import shapely

    path = folder / "edges.parquet"
    sidecar_files = folder / CACHE_SIDECAR[0], folder / CACHE_SIDECAR[1]
    if not sidecar:
        edges = gpd.read_parquet(path)
    else:
        names = [n for n in pq.read_schema(path).names if n != "geometry"]
        df = pq.read_table(path, columns=names).to_pandas()
        coords = np.load(sidecar_files[0], mmap_mode="r")  # read once, straight into the geometries
        offsets = np.load(sidecar_files[1])
        if len(offsets) != len(df) + 1 or offsets[-1] != len(coords) or coords.ndim != 2:
            raise DataFileError(f"coordinate sidecar of {path} does not match the table")
        geoms = shapely.linestrings(coords, indices=np.repeat(np.arange(len(df)), np.diff(offsets)))
        del coords
        edges = gpd.GeoDataFrame(df, geometry=gpd.array.GeometryArray(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    missing = [c for c in EDGE_COLUMNS if c not in edges.columns]
    if missing:  # written by an older corridor: never serve a table short of columns
        raise DataFileError(f"cached edge table {path} lacks {missing}")
    unit = edges["unit"].astype(object)
    edges["unit"] = unit.where(unit.notna(), None)  # as built: object codes, None off every unit
    return edges


def write_cache(key: str, edges: Any, stations: Any, meta: dict[str, Any]) -> None:
    """Write a cache entry atomically (temp folder, then rename); failures leave nothing behind.

    ``edges.parquet`` is GeoParquet 1.1 (geoarrow encoding); ``coords.npy`` and
    ``offsets.npy`` hold its vertices once more as flat arrays for a fast reload.
    ``meta.json`` (written last) holds the network's ``meta``, the cache version
    and key, and the size and digest of every other file (see :func:`check_entry`).
    """
    import shapely

    folder = cache_dir(key)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=folder.parent))
    except OSError as exc:
        log.warning("cannot write the network cache in %s (%s); continuing without", folder.parent, exc)
        return
    try:
        edges.to_parquet(tmp / "edges.parquet", geometry_encoding="geoarrow")  # GeoParquet 1.1, fast decode
        kind, coords, (offsets,) = shapely.to_ragged_array(np.asarray(edges.geometry.values, dtype=object))
        if kind == shapely.GeometryType.LINESTRING:
            np.save(tmp / "coords.npy", np.ascontiguousarray(coords, dtype=np.float64))
            np.save(tmp / "offsets.npy", np.asarray(offsets, dtype=np.int64))
        stations.to_parquet(tmp / "stations.parquet")
        names = [n for n in (*CACHE_TABLES, *CACHE_SIDECAR) if (tmp / n).is_file()]
        entry = {"format": CACHE_FORMAT, "version": CACHE_VERSION, "key": key,
                 "files": {n: _file_record(tmp / n) for n in names}, "meta": meta}
        (tmp / "meta.json").write_text(json.dumps(entry, default=str), encoding="utf-8")
        with contextlib.suppress(OSError):  # another process wrote it first
            os.replace(tmp, folder)
    except Exception as exc:
        log.warning("cannot write the network cache %s (%s); continuing without", folder, exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def filter_spec(modes: Sequence[str], road_classes: Any) -> dict[str, Any]:
    """The filter part of a cache key and of ``Network.meta``."""
    out: dict[str, Any] = {"modes": list(modes)}
    if "road" in modes:
        out["road_classes"] = list(tagnorm.resolve_road_classes(road_classes))
    if "rail" in modes:
        out["railway"] = [*tagnorm.RAIL_CLASSES, *tagnorm.RAIL_STATUSES]
    return out
