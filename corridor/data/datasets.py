"""The embedded data: region pack, reference network and scenario catalogue.

Everything lives in one folder (``data/`` in a checkout, ``corridor/_data`` in a
wheel, or :data:`corridor.settings.data_folder`). Files are read lazily on first
use and checked against ``region/SHA256SUMS``.

Examples
--------
>>> from corridor import datasets
>>> pack = datasets.region_pack()
>>> sorted(pack.boundaries["unit"])
['ARM', 'AZE', 'GEO', 'IRN', 'NAX', 'RUS', 'TUR']
>>> pack.dem_path.name
'dem_globe30.tif'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from corridor import settings
from corridor._errors import DataPackError
from corridor._files import file_hexdigest

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

__all__ = ["RegionPack", "data_dir", "dem_path", "places", "region_dir", "region_pack", "units",
           "verify_region_pack"]

REGION_FILES = ("units.geojson", "dem_globe30.tif", "places.csv")
_FIX = "reinstall corridor or rebuild with `python scripts/build_region_pack.py`"


def data_dir() -> Path:
    """The folder holding ``region/``, ``reference/`` and ``scenarios/``.

    Examples
    --------
    >>> from corridor import datasets
    >>> (datasets.data_dir() / "region").is_dir()
    True
    """
    if settings.data_folder is not None:
        return Path(settings.data_folder)
    here = Path(__file__).resolve().parents[1]  # the corridor package folder
    for cand in (here / "_data", here.parent / "data"):
        if (cand / "region").is_dir():
            return cand
    raise DataPackError(f"cannot find the embedded data folder next to {here}; {_FIX}")


def region_dir() -> Path:
    """The region pack folder (``data/region``).

    Examples
    --------
    >>> from corridor import datasets
    >>> datasets.region_dir().name
    'region'
    """
    return data_dir() / "region"


def _expected_sums(folder: Path) -> dict[str, str]:
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        raise DataPackError(f"region pack checksum list {sums} is missing; {_FIX}")
    out = {}
    try:
        text = sums.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataPackError(f"region pack checksum list {sums} is unreadable ({exc}); {_FIX}") from exc
    for line in text.splitlines():
        if line.strip():
            fields = line.split(maxsplit=1)
            if len(fields) != 2:
                raise DataPackError(f"region pack checksum list {sums} has a malformed line {line!r}; {_FIX}")
            digest, name = fields
            out[name.strip()] = digest
    return out


@lru_cache(maxsize=8)
def _verified(folder: Path, stamp: tuple[tuple[str, float, int], ...]) -> bool:
    expected = _expected_sums(folder)
    for name in REGION_FILES:
        path = folder / name
        if not path.is_file():
            raise DataPackError(f"region pack file {path} is missing; {_FIX}")
        if name in expected and file_hexdigest(path) != expected[name]:
            raise DataPackError(f"region pack file {path} is corrupted (SHA-256 mismatch); {_FIX}")
    return True


def verify_region_pack(folder: Path | None = None) -> None:
    """Check every region pack file exists and matches ``SHA256SUMS``.

    Raises
    ------
    DataPackError
        A file is missing or its checksum differs.

    Examples
    --------
    >>> from corridor import datasets
    >>> datasets.verify_region_pack() is None  # raises DataPackError if damaged
    True
    """
    folder = Path(folder) if folder is not None else region_dir()
    stamp = []
    for name in REGION_FILES:
        p = folder / name
        if not p.is_file():
            raise DataPackError(f"region pack file {p} is missing; {_FIX}")
        st = p.stat()
        stamp.append((name, st.st_mtime, st.st_size))
    _verified(folder, tuple(stamp))


def dem_path() -> Path:
    """Path of the embedded GLOBE 30-arc-second DEM GeoTIFF (verified).

    Examples
    --------
    >>> from corridor import datasets
    >>> datasets.dem_path().name
    'dem_globe30.tif'
    """
    verify_region_pack()
    return region_dir() / "dem_globe30.tif"


@lru_cache(maxsize=4)
def _read_units(path: Path, mtime: float) -> gpd.GeoDataFrame:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types for bad files
        raise DataPackError(f"cannot read {path}: {exc}; {_FIX}") from exc
    missing = {"unit", "name", "sovereign"} - set(gdf.columns)
    if missing or len(gdf) == 0:
        raise DataPackError(f"{path} lacks the columns {sorted(missing)} or has no rows; {_FIX}")
    return gdf.set_crs("EPSG:4326", allow_override=True)


def units() -> gpd.GeoDataFrame:
    """Country units (ARM, AZE, NAX, GEO, TUR, IRN, RUS) as a GeoDataFrame in EPSG:4326.

    Examples
    --------
    >>> from corridor import datasets
    >>> gdf = datasets.units()
    >>> sorted(gdf["unit"])
    ['ARM', 'AZE', 'GEO', 'IRN', 'NAX', 'RUS', 'TUR']
    >>> gdf.crs.to_epsg()
    4326
    """
    verify_region_pack()
    p = region_dir() / "units.geojson"
    return _read_units(p, p.stat().st_mtime).copy()


@lru_cache(maxsize=4)
def _read_places(path: Path, mtime: float) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype={"alt_names": str, "note": str}, keep_default_na=False)
    except Exception as exc:
        raise DataPackError(f"cannot read {path}: {exc}; {_FIX}") from exc
    need = {"name", "alt_names", "kind", "country", "lat", "lon", "population", "source"}
    missing = need - set(df.columns)
    if missing or not (pd.api.types.is_numeric_dtype(df["lon"]) and pd.api.types.is_numeric_dtype(df["lat"])):
        raise DataPackError(f"{path} lacks the columns {sorted(missing)} or has non-numeric lon/lat; {_FIX}")
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")


def places() -> gpd.GeoDataFrame:
    """Gazetteer: GeoNames places plus curated crossings and stations (EPSG:4326).

    Examples
    --------
    >>> from corridor import datasets
    >>> gdf = datasets.places()
    >>> len(gdf) > 0 and "Meghri" in set(gdf["name"])
    True
    """
    verify_region_pack()
    p = region_dir() / "places.csv"
    return _read_places(p, p.stat().st_mtime).copy()


@dataclass(frozen=True)
class RegionPack:
    """The embedded region pack.

    Attributes
    ----------
    boundaries : geopandas.GeoDataFrame
        Country units, one MultiPolygon per unit, with ``unit``, ``name``,
        ``iso2`` and ``sovereign`` (``AZE`` for ``NAX``).
    places : geopandas.GeoDataFrame
        Gazetteer points with ``name``, ``alt_names``, ``kind``, ``country``,
        ``population`` and ``source``.
    dem_path : pathlib.Path
        GLOBE 30" DEM GeoTIFF.

    Examples
    --------
    >>> from corridor.data import RegionPack, region_pack
    >>> pack = region_pack()
    >>> isinstance(pack, RegionPack)
    True
    >>> pack.dem_path.suffix
    '.tif'
    """

    boundaries: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    dem_path: Path


def region_pack() -> RegionPack:
    """Load the embedded region pack (boundaries, places, DEM path).

    Examples
    --------
    >>> from corridor.data import region_pack
    >>> pack = region_pack()
    >>> len(pack.boundaries), pack.dem_path.name
    (7, 'dem_globe30.tif')
    """
    return RegionPack(boundaries=units(), places=places(), dem_path=dem_path())
