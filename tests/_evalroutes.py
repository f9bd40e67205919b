"""Three routes over real places, and their metrics, shared by the evaluation tests.

``tests/test_evaluate.py`` and ``tests/test_borders.py`` read the same routes: built with
:meth:`corridor.route.Route.from_lines` through gazetteer coordinates, so country units, crossings
and the GLOBE profile are real; only the attributes a test gives explicitly (build, status,
structure, gauge) are set by it. The metrics come from the real :func:`corridor.evaluation.evaluate`
on the embedded DEM, once per process; both are read-only mappings.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any


def xy(name: str) -> tuple[float, float]:
    """The (lon, lat) of a gazetteer place."""
    from corridor.data import lookup

    return lookup(name).xy


@lru_cache(maxsize=1)
def routes() -> Mapping[str, Any]:
    """The shared routes, keyed ``meghri``, ``igdir_sadarak`` and ``plain_road``.

    ``meghri``: Ordubad (NAX) - Meghri (ARM) - Aghband (AZE) along the Araks, several border changes;
    ``igdir_sadarak``: Iğdır (TUR) - Dilucu border crossing - Sadarak (NAX), a 1435/1520 gauge change;
    ``plain_road``: Yerevan - Masis on the Ararat plain, one unit.
    """
    from shapely.geometry import LineString

    from corridor.route import Route

    return MappingProxyType({
        "meghri": Route.from_lines([LineString([xy("Ordubad"), xy("Meghri"), xy("Aghband")])], mode="rail",
                                   name="Ordubad-Meghri-Aghband"),
        "igdir_sadarak": Route.from_lines([LineString([xy("Iğdır"), xy("Dilucu"), xy("Sadarak")])], mode="rail",
                                          name="Igdir-Sadarak"),
        "plain_road": Route.from_lines([LineString([xy("Yerevan"), xy("Masis")])], mode="road",
                                       name="Yerevan-Masis"),
    })


@lru_cache(maxsize=1)
def evaluated() -> Mapping[str, Any]:
    """The metrics of :func:`routes` on the embedded DEM, keyed by route name."""
    from corridor.evaluation import evaluate
    from corridor.terrain import DEM

    dem = DEM.open(None)
    return MappingProxyType({r.name: evaluate(r, dem=dem) for r in routes().values()})


@lru_cache(maxsize=1)
def opposed() -> tuple[Any, Any]:
    """Metrics of two rail routes Meghri - Agarak opposed on length and cost, on the embedded DEM.

    ``A`` is short but all tunnel (dear), ``B`` longer open line (cheaper): with equal weights on
    ``length_km`` and ``cost_central_musd`` they tie, and a change of either weight orders them.
    """
    from shapely.geometry import LineString

    from corridor.evaluation import evaluate
    from corridor.route import Route
    from corridor.terrain import DEM

    a0, a1 = xy("Meghri"), xy("Agarak")
    mid = ((a0[0] + a1[0]) / 2, (a0[1] + a1[1]) / 2)
    a = Route.from_lines([LineString([a0, mid]), LineString([mid, a1])], mode="rail", name="A",
                         attrs=[{"structure": "tunnel"}, {"structure": "tunnel"}])
    b = Route.from_lines([LineString([a0, (46.25, 38.83), a1])], mode="rail", name="B")
    dem = DEM.open(None)
    return evaluate(a, dem=dem), evaluate(b, dem=dem)
