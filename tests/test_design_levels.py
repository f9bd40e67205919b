"""Tests of corridor.network._design: the modelled reference network's grade line on the routes that use it.

Fixtures: small FeatureCollections written in the tests (3-D vertices with made-up levels), and the
embedded reference network (``data/reference/network.geojson``, modelled by
``scripts/build_reference_network.py``; its levels are the vertical design of the traced lines).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from shapely.geometry import LineString

from corridor import scenarios
from corridor._geo import great_circle_m
from corridor._types import Place
from corridor.align.surface import SPUR_MAX_M
from corridor.costs import CostParams
from corridor.data import data_dir, resolve_all
from corridor.evaluation import evaluate
from corridor.network import Network, load_network, reference_design, with_design_levels
from corridor.network._design import parse_design
from corridor.route import Route
from corridor.terrain import profile

RULING = CostParams().rail_ruling_grade


def _feature(ref: str, coords: list[tuple[float, ...]], **props: object) -> dict[str, object]:
    return {"type": "Feature", "properties": {"ref": ref, **props},
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]}}


@pytest.fixture(scope="module")
def reference():
    return load_network("reference")


def test_levels_are_read_along_the_designed_line_split_or_reversed():
    d = parse_design({"features": [_feature("a", [(45.0, 40.0, 100.0), (45.1, 40.0, 110.0), (45.2, 40.0, 130.0)],
                                            cut_m3_per_m=2.5, structure_depth_m=None)]})
    # a piece of it in the other direction, cut at a point that is not a vertex (a border)
    z = d.levels("a", np.array([[45.15, 40.0], [45.1, 40.0], [45.05, 40.0]]))
    assert z is not None and z.tolist() == pytest.approx([120.0, 110.0, 105.0])
    got = d.piece("a", np.array([[45.15, 40.0], [45.05, 40.0]]))
    assert got is not None and got.quantities == {"cut_m3_per_m": 2.5}
    assert got.levels.tolist() == pytest.approx([120.0, 105.0])
    assert d.levels("b", np.array([[45.0, 40.0], [45.1, 40.0]])) is None  # another line's ref
    assert d.levels("a", np.array([[45.0, 40.001], [45.1, 40.0]])) is None  # a vertex ~110 m off the line
    assert d.piece("a", np.array([[45.0, 40.01], [45.1, 40.01]])) is None


def test_a_piece_gets_the_quantities_of_the_line_that_holds_it():
    d = parse_design({"features": [
        _feature("a", [(45.0, 40.0, 100.0), (45.1, 40.0, 110.0)], cut_m3_per_m=1.0),
        _feature("a", [(45.1, 40.0, 110.0), (45.2, 40.0, 130.0)], cut_m3_per_m=7.0, fill_m3_per_m=0.5),
    ]})
    # a piece of the second line: its first vertex is also the end of the first line
    got = d.piece("a", np.array([[45.1, 40.0], [45.15, 40.0], [45.2, 40.0]]))
    assert got is not None and got.quantities == {"cut_m3_per_m": 7.0, "fill_m3_per_m": 0.5}
    assert got.levels.tolist() == pytest.approx([110.0, 120.0, 130.0])
    first = d.piece("a", np.array([[45.02, 40.0], [45.1, 40.0]]))
    assert first is not None and first.quantities == {"cut_m3_per_m": 1.0}


def test_features_without_a_level_on_every_vertex_add_no_design():
    d = parse_design({"features": [
        _feature("a", [(45.0, 40.0), (45.1, 40.0)]),  # 2-D
        _feature("a", [(45.0, 40.0, 100.0), (45.1, 40.0, None)]),  # a vertex without level
        {"type": "Feature", "properties": {"ref": "a"}, "geometry": {"type": "Point", "coordinates": [45, 40, 1]}},
        {"type": "Feature", "properties": None, "geometry": None},
        "not a feature",
    ]})
    assert len(d) == 0
    assert len(parse_design({"features": "nonsense"})) == 0 and len(parse_design([])) == 0


def test_routes_over_the_reference_network_follow_its_design(reference):
    for slug in ("kars-dilucu-sadarak", "meghri-rail"):
        r = scenarios.get(slug).route(network=reference)
        seg = r.segments
        assert (seg["source"] == "reference (modelled)").mean() > 0.95
        p = profile(r, mode="rail")
        assert p.design_m is not None and np.isfinite(p.design_m).all()
        # the grade line obeys the ruling grade (levels stored to 0.01 m), where the 1-km DEM ground does not
        assert p.max_abs_grade <= RULING + 1e-4
        assert np.max(np.abs(np.diff(p.ground_m) / np.diff(p.distance_m))) > 5 * RULING
        m = evaluate(r, dem_samples=0)
        assert m.over_ruling_km == 0.0 and m.cut_m3 > 0 and m.fill_m3 > 0  # the design's own earthworks


def test_shared_legs_are_one_line_whose_level_the_others_continue(reference):
    """Horadiz - Aghband is built once (by the scenario with fewest waypoints) and reused by the Meghri and
    Aras lines; their own legs start at its formation level at Aghband."""
    fc = json.loads((data_dir() / "reference" / "network.geojson").read_text(encoding="utf-8"))
    gumlagh, aghband = resolve_all(["Gumlagh", "Aghband"])

    def touching(p):  # the rail lines through a place (the Meghri road is another line)
        return [f for f in fc["features"] if f["properties"]["mode"] == "rail" for c in f["geometry"]["coordinates"]
                if abs(c[0] - p.lon) < 1e-6 and abs(c[1] - p.lat) < 1e-6]

    # Gumlagh is served by a station where the line's spur out to it and back was cut
    (station,) = [Place("Gumlagh station", lon, lat)
                  for lon, lat in reference_design().stations[(round(gumlagh.lon, 6), round(gumlagh.lat, 6))]]
    assert touching(gumlagh) == [] and great_circle_m(gumlagh.lon, gumlagh.lat, station.lon, station.lat) < SPUR_MAX_M
    assert {f["properties"]["ref"] for f in touching(station)} == {"horadiz-aghband"}
    at_aghband = touching(aghband)
    assert {f["properties"]["ref"] for f in at_aghband} >= {"horadiz-aghband", "meghri-rail", "aras-iran"}
    levels = [c[2] for f in at_aghband for c in f["geometry"]["coordinates"]  # one level where they meet
              if abs(c[0] - aghband.lon) < 1e-6 and abs(c[1] - aghband.lat) < 1e-6]
    assert max(levels) - min(levels) <= CostParams().vertical_design_join_tolerance_m


def test_lines_that_meet_at_a_node_meet_at_one_level():
    """Wherever lines of one mode end or pass at the same node (a waypoint), their formation levels agree
    to the centimetre the file keeps: Yeraskh - Sadarak, Kars - Dilucu - Sadarak and the Meghri line all
    end at Sadarak, and were 832.9, 836.2 and 848.1 m apart before the builder passed the first line's
    level to the later ones (a 69 per-mille step on Kars - Nakhchivan); a line given several levels met
    the second and later only to the nearest level step at the nearest station (0.57 m apart at Julfa)."""
    fc = json.loads((data_dir() / "reference" / "network.geojson").read_text(encoding="utf-8"))
    at: dict[tuple[str, float, float], list[float]] = {}
    for f in fc["features"]:
        for c in f["geometry"]["coordinates"]:
            at.setdefault((f["properties"]["mode"], c[0], c[1]), []).append(c[2])
    ends = {(f["properties"]["mode"], *c[:2]) for f in fc["features"]
            for c in (f["geometry"]["coordinates"][0], f["geometry"]["coordinates"][-1])}
    tol = CostParams().vertical_design_join_tolerance_m + 0.01  # levels are kept to 0.01 m
    spread = {k: max(at[k]) - min(at[k]) for k in ends}
    assert len([k for k in ends if len(at[k]) >= 3]) >= 3  # several nodes where three or more lines meet
    assert max(spread.values()) <= tol + 0.01, max(spread.items(), key=lambda kv: kv[1])
    sadarak, = [p for p in resolve_all(["Sadarak", "Yeraskh"]) if p.name == "Sadarak"]
    assert len(at[("rail", round(sadarak.lon, 6), round(sadarak.lat, 6))]) >= 3


def test_routes_over_the_reference_network_stop_at_the_stations_that_serve_waypoints(reference):
    """Every station of the reference network (a waypoint whose spur the trace cut) is a node of it, and a
    route over the network through that waypoint stops there: no new build out to the waypoint and back."""
    stations = reference_design().stations
    assert stations  # the built-in scenarios have such waypoints
    ends = {(round(x, 6), round(y, 6)) for g in reference.edges.geometry for x, y in (g.coords[0], g.coords[-1])}
    for name, points in stations.items():
        assert all((round(lon, 6), round(lat, 6)) in ends for lon, lat in points), name
    for slug in ("horadiz-aghband", "kars-dilucu-sadarak", "gyumri-kars", "meghri-rail"):
        r = scenarios.get(slug).route(network=reference)
        assert (r.segments["build"] == "new").sum() == 0, slug
        assert "spurs_cut" not in r.meta or r.meta["spurs_cut"] == [], slug


def test_the_reference_network_keeps_its_waypoint_nodes(reference):
    again = Network(reference.edges, stations=reference.stations, meta=reference.meta)  # simplify=True
    assert len(again.edges) == len(reference.edges)
    # a trace over it reaches the waypoints at their nodes: no new build at all on the Gyumri - Kars line
    r = scenarios.get("gyumri-kars").route(network=again)
    assert (r.segments["build"] == "new").sum() == 0


def test_routes_on_other_sources_are_left_alone():
    r = Route.from_lines([LineString([(45.0, 40.0), (45.1, 40.0)])], mode="rail", name="osm line",
                         attrs=[{"build": "existing", "status": "active", "source": "osm", "ref": "a"}])
    d = parse_design({"features": [_feature("a", [(45.0, 40.0, 100.0), (45.1, 40.0, 110.0)])]})
    assert with_design_levels(r, design=d) is r and "formation" not in r.meta
    got = with_design_levels(r, source="osm", design=d)  # the same line, read as a modelled source
    assert got.meta["formation"]["runs"][0]["level_m"].tolist() == [100.0, 110.0]
