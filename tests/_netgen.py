"""Small networks shared by the network tests (test_graph, test_routing, test_io, test_nx, test_osm_borders).

Everything here is SYNTHETIC. ``KARS_SIDE`` and ``GYUMRI_RAIL`` are rail points on either side of the
gauge break of the small network of ``tests/_osmgen.py`` (loaded by the ``pbf``/``net``/``raw``
fixtures of ``tests/conftest.py``); :func:`lines` builds an edge table from coordinate lists, and
:func:`xml_net` loads a network from OSM XML written by ``tests/_osmgen.write_xml`` (invented ids, tags
and positions).
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString

from corridor.network import load_network

KARS_SIDE = (43.60, 40.70)  # rail, TUR, 1435 mm
GYUMRI_RAIL = (43.85, 40.79)  # rail, ARM, 1520 mm


def lines(modes, coords, **cols):
    return gpd.GeoDataFrame({"mode": modes, **cols}, geometry=[LineString(c) for c in coords], crs="EPSG:4326")


def xml_net(tmp_path, name, nodes, ways, **kw):
    from _osmgen import write_xml

    items = [("node", n, x, y, t) for n, (x, y, t) in nodes.items()] + [("way", w, r, t) for w, (r, t) in ways.items()]
    return load_network(write_xml(tmp_path / name, items), cache=False, **kw)
