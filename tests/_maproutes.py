"""Small real routes (gazetteer places, embedded DEM) shared by the export/charts/maps/report tests.

Built with :meth:`corridor.route.Route.from_lines` over real places; metrics come from the real
:func:`corridor.evaluate.evaluate` on the embedded GLOBE DEM. One OSM-like segment carries the
hostile name ``<script>alert(1)</script>`` and list/dict attributes, as OSM data can.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

XSS = "<script>alert(1)</script>"


@lru_cache(maxsize=1)
def sample() -> tuple[list[Any], list[Any]]:
    """Two routes (rail, all modelled; road, existing OSM + new build) and their metrics."""
    from shapely.geometry import LineString

    from corridor import places
    from corridor.evaluate import evaluate
    from corridor.route import Route

    rail_pl = [places.lookup(n) for n in ("Ordubad", "Meghri", "Aghband")]
    rail = Route.from_lines([LineString([p.xy for p in rail_pl])], mode="rail",
                            name="Meghri section (test)", waypoints=rail_pl, source="modelled",
                            meta={"published": [{"figure": "length", "value": 42, "unit": "km",
                                                 "source": "1news.az 2026-02-18"}],
                                  "description": "Ordubad – Meghri – Aghband"})
    road_pl = [places.lookup("Julfa, AZ"), places.lookup("Jolfa, IR"), places.lookup("Aghband")]
    attrs = [
        {"build": "existing", "status": "active", "source": "osm", "class": "primary",
         "name": XSS, "osm_way_id": 123, "tags": ["a", "b"], "extra": {"k": 1}},
        {"build": "new", "status": "new", "source": "modelled", "class": "new_road",
         "name": "", "osm_way_id": -1, "tags": [], "extra": {}},
    ]
    road = Route.from_lines([LineString([road_pl[0].xy, road_pl[1].xy]),
                             LineString([road_pl[1].xy, (46.0, 38.75), road_pl[2].xy])],
                            mode="road", name="Aras road " + XSS, waypoints=road_pl, source="osm",
                            attrs=attrs)
    routes = [rail, road]
    return routes, [evaluate(r) for r in routes]
