"""Stage 4, network: OpenStreetMap road and rail networks, normalised and routable.

Sources (a local ``.osm.pbf``/``.osm`` file, a Geofabrik extract, Overpass, or
the embedded modelled reference network) all give one edge table
(:data:`EDGE_COLUMNS`); :class:`Network` adds the topology and routing.

Examples
--------
>>> from corridor.network import load_network
>>> net = load_network("reference")
>>> net.meta["modelled"]
True
"""

from __future__ import annotations

from corridor._validate import renamed
from corridor.network._design import (
    REFERENCE_SOURCE,
    DesignLevels,
    PieceDesign,
    piece_levels,
    reference_design,
    with_design_levels,
)
from corridor.network.core import (
    GRAPHML_EDGE_DTYPES,
    GRAPHML_NODE_DTYPES,
    NO_NETWORK_SOURCE,
    Network,
    RoutingCosts,
    as_network,
    load_network,
)
from corridor.network.osm import (
    EDGE_COLUMNS,
    REGION_PATHS,
    REGIONS,
    RawOSM,
    fetch_geofabrik,
    fetch_overpass,
    file_checksum,
    geofabrik_url,
    overpass_filters,
    overpass_queries,
    read_osm,
    region_extracts,
)

__all__ = [
    "EDGE_COLUMNS",
    "GRAPHML_EDGE_DTYPES",
    "GRAPHML_NODE_DTYPES",
    "NO_NETWORK_SOURCE",
    "REFERENCE_SOURCE",
    "REGIONS",
    "REGION_PATHS",
    "DesignLevels",
    "Network",
    "PieceDesign",
    "RawOSM",
    "RoutingCosts",
    "as_network",
    "fetch_geofabrik",
    "fetch_overpass",
    "file_checksum",
    "geofabrik_url",
    "load_network",
    "overpass_filters",
    "overpass_queries",
    "piece_levels",
    "read_osm",
    "reference_design",
    "region_extracts",
    "with_design_levels",
]

#: Old names, kept for one release (``DeprecationWarning``).
__getattr__ = renamed(__name__, {"Costs": ("RoutingCosts", RoutingCosts)})
