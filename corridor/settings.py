"""Global settings, read at call time (never at import time).

Change a setting by assigning to the module attribute, as in osmnx::

    import corridor
    corridor.settings.cache_folder = "/tmp/corridor-cache"
    corridor.settings.timeout = 60

Environment variables with the prefix ``CORRIDOR_`` set the defaults
(``CORRIDOR_CACHE_FOLDER``, ``CORRIDOR_DATA_FOLDER``, ``CORRIDOR_OVERPASS_URL``,
``CORRIDOR_CHUNK_SIZE`` ...), so tests and CI can redirect every service to a loopback server.
The built-in defaults of the numeric settings are in :data:`DEFAULTS` (read-only).

Attributes
----------
cache_folder : pathlib.Path
    Where downloads (Geofabrik extracts, DEM tiles, Overpass responses) and
    parsed-network caches are kept. Default ``~/.cache/corridor``.
data_folder : pathlib.Path or None
    Where the embedded data (``region/``, ``reference/``, ``scenarios/``) lives.
    ``None`` means "next to the installed package" (``corridor/_data`` in a
    wheel, the repository's ``data/`` in an editable install).
timeout : float
    Seconds to wait for a server to connect or send the next chunk. Default 30.
max_retries : int
    Attempts per download after the first (429, 5xx, stalls, truncated bodies).
    Default 4.
backoff_base : float
    First back-off delay in seconds; doubles each retry, capped by
    ``backoff_max``. A ``Retry-After`` header from the server wins if larger
    (up to ``backoff_max``). Default 1.0.
backoff_max : float
    Upper bound of one back-off delay in seconds. Default 60.
chunk_size : int
    Largest block read from the network and written to disk at a time, in bytes.
    Default 1 MiB.
overpass_url : str
    Overpass API interpreter endpoint.
geofabrik_url : str
    Base URL of Geofabrik's download server (extracts live at
    ``{geofabrik_url}/asia/armenia-latest.osm.pbf`` etc.).
copernicus_url : str
    Base URL of the Copernicus DEM open-data bucket (HTTPS).
user_agent : str
    HTTP User-Agent sent with every request.
dask_scheduler : str or None
    Address of a running Dask scheduler (``tcp://10.0.0.5:8786``) that
    ``corridor sweep`` uses when ``--scheduler`` is not given
    (``CORRIDOR_DASK_SCHEDULER``). Default None (local processes).
dask_timeout : float
    Seconds to wait when connecting to that scheduler. Default 10.
snap_tolerance_m : float
    How much farther (metres) than the nearest node of its layer group (road,
    or rail of any gauge) a route may start or end when that nearest node
    cannot reach the other end (an isolated fragment, a one-way dead end).
    Within it the route starts at the next node that connects and a
    ``UserWarning`` is issued; beyond it ``Network.route`` raises
    ``NoRouteError`` naming the distance needed. Default 250
    (``CORRIDOR_SNAP_TOLERANCE_M``).
max_sweep_variants : int
    Largest number of parameter combinations (the product of the ``--vary``
    range sizes) ``corridor sweep`` / ``variants.variant_grid`` builds; more raises
    ``ParameterError`` with the count before anything is allocated. Default
    10000 (``CORRIDOR_MAX_SWEEP_VARIANTS``).
dem_samples : int
    Number of perturbed DEM realisations on which ``corridor compare`` (and
    :func:`corridor.evaluation.compare`) re-designs the grade line of every
    corridor-designed new-build run, for the P10-P90 DEM-uncertainty band
    (:mod:`corridor.evaluation.uncertainty_bands`); 0 switches the band off.
    Default 20, which keeps ``corridor compare`` within 1.5x of its time
    without the band (``python -m benchmarks cli``) (``CORRIDOR_DEM_SAMPLES``,
    or ``corridor compare --dem-samples N``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CORRIDOR_{name}", default)


def _env_num(name: str, default: float | int) -> Any:
    """A number from ``CORRIDOR_<name>``; an unparsable value is kept as the raw string so that
    importing never fails and the first use reports it (``corridor._http`` checks settings)."""
    raw = os.environ.get(f"CORRIDOR_{name}")
    if raw is None:
        return default
    try:
        return type(default)(raw)
    except ValueError:
        return raw


#: Built-in defaults of the numeric settings, before any ``CORRIDOR_<NAME>`` override (read-only;
#: error messages about a bad value quote them).
DEFAULTS: Mapping[str, float | int] = MappingProxyType({
    "timeout": 30.0, "max_retries": 4, "backoff_base": 1.0, "backoff_max": 60.0, "chunk_size": 1 << 20,
    "dask_timeout": 10.0, "snap_tolerance_m": 250.0, "max_sweep_variants": 10_000, "dem_samples": 20,
})

cache_folder: Path = Path(_env("CACHE_FOLDER", str(Path.home() / ".cache" / "corridor")))
data_folder: Path | None = (
    Path(os.environ["CORRIDOR_DATA_FOLDER"]) if "CORRIDOR_DATA_FOLDER" in os.environ else None
)
timeout: float = _env_num("TIMEOUT", DEFAULTS["timeout"])
max_retries: int = _env_num("MAX_RETRIES", DEFAULTS["max_retries"])
backoff_base: float = _env_num("BACKOFF_BASE", DEFAULTS["backoff_base"])
backoff_max: float = _env_num("BACKOFF_MAX", DEFAULTS["backoff_max"])
chunk_size: int = _env_num("CHUNK_SIZE", DEFAULTS["chunk_size"])
overpass_url: str = _env("OVERPASS_URL", "https://overpass-api.de/api/interpreter")
geofabrik_url: str = _env("GEOFABRIK_URL", "https://download.geofabrik.de")
copernicus_url: str = _env("COPERNICUS_URL", "https://copernicus-dem-90m.s3.amazonaws.com")
copernicus30_url: str = _env("COPERNICUS30_URL", "https://copernicus-dem-30m.s3.amazonaws.com")
user_agent: str = _env("USER_AGENT", "corridor/0.1 (+https://pypi.org/project/corridor)")
dask_scheduler: str | None = os.environ.get("CORRIDOR_DASK_SCHEDULER") or None
dask_timeout: float = _env_num("DASK_TIMEOUT", DEFAULTS["dask_timeout"])
snap_tolerance_m: float = _env_num("SNAP_TOLERANCE_M", DEFAULTS["snap_tolerance_m"])
max_sweep_variants: int = _env_num("MAX_SWEEP_VARIANTS", DEFAULTS["max_sweep_variants"])
dem_samples: int = _env_num("DEM_SAMPLES", DEFAULTS["dem_samples"])
