"""corridor: compare candidate road and rail corridors in the South Caucasus.

Load OpenStreetMap networks, evaluate routes by length, borders and terrain,
trace new alignments over a DEM, and export layers, maps and reports.

The public API is listed in ``__all__`` below. Everything is imported lazily on
first attribute access, so ``import corridor`` does no I/O and no network.

Examples
--------
>>> import corridor
>>> corridor.places.lookup("Meghri").unit
'ARM'
>>> corridor.BBox(44.0, 39.0, 46.5, 41.0).width
2.5
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from corridor._errors import (
    ChecksumError,
    CorridorError,
    CRSMismatchError,
    DataFileError,
    DataPackError,
    DEMCoverageError,
    DEMError,
    DownloadError,
    EmptyNetworkError,
    InvalidBBoxError,
    InvalidInputError,
    MissingDependencyError,
    NoFeasibleAlignment,
    NoRouteError,
    OSMParseError,
    OutputError,
    OutsideRegionError,
    ParameterError,
    RemoteFileNotFound,
    ScenarioError,
    UnknownPlaceError,
    UnknownUnitError,
)
from corridor._types import UNITS, BBox, Place
from corridor._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from corridor import (  # noqa: F401  (names are in __all__ via _LAZY)
        align,
        batch,
        cli,
        costs,
        data,
        evaluation,
        network,
        outputs,
        scenarios,
        settings,
        terrain,
    )
    from corridor.align import trace  # noqa: F401
    from corridor.costs import CostParams  # noqa: F401
    from corridor.data import datasets, lookup, places, region_pack, regions, unit_at  # noqa: F401
    from corridor.evaluation import RouteMetrics, compare, evaluate  # noqa: F401
    from corridor.network import Network, load_network  # noqa: F401
    from corridor.outputs import export, maps, report  # noqa: F401
    from corridor.route import Route  # noqa: F401
    from corridor.terrain import DEM, Profile  # noqa: F401

# public name -> (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    # the stages (subpackages) and the shared modules
    "settings": ("corridor.settings", None),
    "data": ("corridor.data", None),
    "terrain": ("corridor.terrain", None),
    "network": ("corridor.network", None),
    "align": ("corridor.align", None),
    "scenarios": ("corridor.scenarios", None),
    "costs": ("corridor.costs", None),
    "evaluation": ("corridor.evaluation", None),
    "batch": ("corridor.batch", None),
    "outputs": ("corridor.outputs", None),
    "cli": ("corridor.cli", None),
    # modules reached through their stage, kept at the top level for convenience
    "datasets": ("corridor.data.datasets", None),
    "regions": ("corridor.data.regions", None),
    "places": ("corridor.data.places", None),
    "export": ("corridor.outputs.export", None),
    "maps": ("corridor.outputs.maps", None),
    "report": ("corridor.outputs.report", None),
    # functions and classes
    "Route": ("corridor.route", "Route"),
    "CostParams": ("corridor.costs", "CostParams"),
    "load_network": ("corridor.network", "load_network"),
    "Network": ("corridor.network", "Network"),
    "trace": ("corridor.align", "trace"),
    "evaluate": ("corridor.evaluation", "evaluate"),
    "compare": ("corridor.evaluation", "compare"),
    "RouteMetrics": ("corridor.evaluation", "RouteMetrics"),
    "DEM": ("corridor.terrain", "DEM"),
    "Profile": ("corridor.terrain", "Profile"),
    "region_pack": ("corridor.data", "region_pack"),
    "unit_at": ("corridor.data", "unit_at"),
    "lookup": ("corridor.data", "lookup"),
}

__all__ = [
    "UNITS",
    "BBox",
    "CRSMismatchError",
    "ChecksumError",
    "CorridorError",
    "DEMCoverageError",
    "DEMError",
    "DataFileError",
    "DataPackError",
    "DownloadError",
    "EmptyNetworkError",
    "InvalidBBoxError",
    "InvalidInputError",
    "MissingDependencyError",
    "NoFeasibleAlignment",
    "NoRouteError",
    "OSMParseError",
    "OutputError",
    "OutsideRegionError",
    "ParameterError",
    "Place",
    "RemoteFileNotFound",
    "ScenarioError",
    "UnknownPlaceError",
    "UnknownUnitError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'corridor' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
