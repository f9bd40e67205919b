"""Copernicus DEM products: source names, tile-file names and the product a file denotes.

Shared by :mod:`corridor.terrain.dem` (which product, hence which documented
vertical error, a file carries) and :mod:`corridor.terrain.copernicus` (which
tiles to fetch and from where).
"""

from __future__ import annotations

import re

__all__ = ["FALLBACK", "PRODUCTS", "SOURCES", "product_of_file"]

#: source name -> (file-name resolution code, settings attribute of the base URL, arc-seconds)
SOURCES: dict[str, tuple[str, str, int]] = {
    "copernicus-90": ("30", "copernicus_url", 3),
    "copernicus-30": ("10", "copernicus30_url", 1),
}
#: source name -> Copernicus product name
PRODUCTS: dict[str, str] = {"copernicus-90": "GLO-90", "copernicus-30": "GLO-30"}
#: source -> the source used, tile by tile, where it has no tile (GLO-30 Public leaves out
#: some countries that GLO-90 covers: registry.opendata.aws/copernicus-dem)
FALLBACK: dict[str, str] = {"copernicus-30": "copernicus-90"}
_TILE_FILE = re.compile(r"Copernicus_DSM_COG_(\d\d)_[NS]\d\d_00_[EW]\d{3}_00_DEM\.tif", re.IGNORECASE)


def product_of_file(name: str) -> str | None:
    """The Copernicus product (``"GLO-30"``/``"GLO-90"``) a tile file name denotes, else None.

    Examples
    --------
    >>> product_of_file("Copernicus_DSM_COG_10_N39_00_E045_00_DEM.tif")
    'GLO-30'
    >>> product_of_file("N39E045.hgt") is None
    True
    """
    m = _TILE_FILE.fullmatch(name)
    if m is None:
        return None
    return next((PRODUCTS[src] for src, spec in SOURCES.items() if spec[0] == m.group(1)), None)
