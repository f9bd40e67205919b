"""Tests of corridor.align.tracing (trace): validation against published figures, grades, the engine's
behaviour (passes, windows, avoided units, network reuse), bad input, cost parameters, given waypoint
levels and joins with a modelled line.

The built-in scenarios' routes (``routes``) are traced once, in this module; the other lines are traced
over the embedded DEM, a synthetic DEM or small networks built here, or the reference network.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from corridor import NoFeasibleAlignment, scenarios
from corridor._errors import DEMCoverageError, InvalidInputError, ParameterError, UnknownPlaceError
from corridor._logs import reset_once
from corridor.align import GRADE_TOL, alternatives, trace


@pytest.fixture(scope="module")
def routes() -> dict:
    return {slug: scenarios.get(slug).route()
            for slug in ("horadiz-aghband", "meghri-rail", "kars-dilucu-sadarak", "aras-iran", "gyumri-kars")}


def _km(seg, mask=None) -> float:
    s = seg if mask is None else seg[mask]
    return float(s["length_m"].sum()) / 1000


# --------------------------------------------------------------- validation
def test_horadiz_aghband_length_matches_published(routes):
    km = routes["horadiz-aghband"].length_m / 1000
    assert 110.4 * 0.88 <= km <= 110.4 * 1.12, km


def test_meghri_arm_share_and_no_iran(routes):
    seg = routes["meghri-rail"].segments
    assert 38.0 <= _km(seg, seg["unit"] == "ARM") <= 50.0
    assert _km(seg, seg["unit"] == "IRN") == 0.0
    assert routes["meghri-rail"].unit_sequence() == ["AZE", "ARM", "NAX"]


def test_kars_dilucu_length_matches_published(routes):
    seg = routes["kars-dilucu-sadarak"].segments
    km = _km(seg, seg["leg"] < 5)  # legs Kars ... Dilucu (waypoint 6 of 7)
    assert 224 * 0.88 <= km <= 224 * 1.12, km


def test_aras_has_no_length_in_armenia(routes):
    seg = routes["aras-iran"].segments
    assert _km(seg, seg["unit"] == "ARM") == 0.0
    assert _km(seg, seg["unit"] == "IRN") > 50


def test_rail_grade_within_ruling_grade_outside_structures(routes):
    from corridor.terrain import profile

    # Outside structures means: beyond half the grade window (100 m for rail) from each portal,
    # where the profile's smoothing window would mix in the structure's own grade.
    for slug in ("gyumri-kars", "horadiz-aghband", "kars-dilucu-sadarak"):
        r = routes[slug]
        p = profile(r, mode="rail")
        d = p.distance_m
        half = p.window_m / 2
        inside = np.zeros(d.size, dtype=bool)
        for a, b, _k in r.structure_spans():
            inside |= (d >= a - half) & (d <= b + half)
        outside = np.abs(p.grade[~inside])
        assert outside.size > 0.2 * d.size  # not everything is a structure
        assert outside.max() <= 0.0125 + GRADE_TOL, (slug, outside.max())


def test_segments_are_labelled_modelled(routes):
    r = routes["gyumri-kars"]
    seg = r.segments
    assert set(seg["build"]) == {"new"} and set(seg["status"]) == {"new"}
    assert set(seg["class"]) == {"new_rail"} and set(seg["source"]) == {"modelled"}
    assert set(seg["structure"]) <= {"none", "tunnel", "bridge"}
    assert r.meta["modelled"] is True and "GLOBE" in r.meta["dem_source"]
    # gauge follows the country: 1435 mm in Turkiye, 1520 mm in Armenia
    assert set(seg.loc[seg["unit"] == "TUR", "gauge_mm"]) == {1435.0}
    assert set(seg.loc[seg["unit"] == "ARM", "gauge_mm"]) == {1520.0}


def test_route_starts_and_ends_at_waypoints(routes):
    r = routes["gyumri-kars"]
    assert r.start == pytest.approx((r.waypoints[0].lon, r.waypoints[0].lat))
    assert r.end == pytest.approx((r.waypoints[-1].lon, r.waypoints[-1].lat))


# --------------------------------------------------------------- engine behaviour
def _synthetic_dem():
    from affine import Affine

    from corridor.terrain import DEM

    z = np.full((60, 120), 500.0)
    cols = np.arange(40, 80)
    z[:, 40:80] = 500.0 + 2500.0 * (1 - np.abs(cols - 59.5) / 20)  # a steep ridge across the plain ...
    z[45:50, 40:80] = 500.0  # ... with one low pass near the bottom
    return DEM.from_array(z, Affine(1 / 120, 0, 45.0, 0, -1 / 120, 40.0), source="synthetic test DEM")


def test_goes_through_the_pass_not_over_the_massif():
    from shapely.geometry import box

    dem = _synthetic_dem()
    r = trace([(45.1, 39.9), (45.9, 39.9)], mode="rail", dem=dem, buffer_m=60_000)
    res = 1 / 120
    north = box(45.0 + 41 * res, 40.0 - 44 * res, 45.0 + 79 * res, 40.0)  # ridge north of the pass
    south = box(45.0 + 41 * res, 39.5, 45.0 + 79 * res, 40.0 - 51 * res)
    assert r.geometry.intersection(north).length == 0 and r.geometry.intersection(south).length == 0
    assert r.geometry.intersects(box(45.0 + 41 * res, 40.0 - 50 * res, 45.0 + 79 * res, 40.0 - 45 * res))
    seg = r.segments  # the plain and the pass are flat: structures only where the pass edge is sampled
    assert _km(seg, seg["structure"] != "none") < 0.1 * r.length_m / 1000


def test_windowed_search_matches_whole_area_cost():
    from corridor.costs import CostParams

    one_pass = CostParams().replace(vertical_refine_rounds=0)  # leg costs of the search itself, no re-search
    a = trace(["Goris", "Kapan"], mode="road", params=one_pass)
    b = trace(["Goris", "Kapan"], mode="road", buffer_m=200_000, params=one_pass)
    ca, cb = sum(a.meta["leg_costs"]), sum(b.meta["leg_costs"])
    assert ca == pytest.approx(cb, rel=0.01)


def test_avoid_penalty_factor_moves_the_line():
    base = trace(["Ordubad", "Agarak"], mode="road")
    pen = trace(["Ordubad", "Agarak"], mode="road", avoid={"IRN": 20.0})
    irn = lambda r: _km(r.segments, r.segments["unit"] == "IRN")  # noqa: E731
    assert irn(base) > 0.5 and irn(pen) < 0.5 * irn(base)


def test_several_network_nodes_at_a_waypoint_make_no_detour():
    from corridor._geo import great_circle_m
    from corridor.network import Network

    # two ways start at A without sharing a node there: a stub A-W (nodes 0-1) and the line A-M-B (5-6-7)
    a, m, b, w = (47.3003, 39.4502), (47.25, 39.4502), (47.2003, 39.4502), (47.35, 39.4502)
    ways = [(0, 1, [a, w]), (5, 6, [a, m]), (6, 7, [m, b])]
    import geopandas as gpd
    from shapely.geometry import LineString

    gdf = gpd.GeoDataFrame({"u": [x[0] for x in ways], "v": [x[1] for x in ways], "status": "disused", "mode": "rail",
                            "length_m": [great_circle_m(*x[2][0], *x[2][1]) for x in ways]},
                           geometry=[LineString(x[2]) for x in ways], crs="EPSG:4326")
    net = Network.from_edges(gdf, simplify=False)
    for search in ("grade", "slope"):
        seg = trace([a, b], mode="rail", network=net, search=search).segments
        assert set(seg["build"]) == {"existing"}, search  # no round trip to the waypoint's cell centre
        assert _km(seg) == pytest.approx((great_circle_m(*a, *m) + great_circle_m(*m, *b)) / 1000)


def test_a_leg_leaving_a_network_node_at_its_waypoint_keeps_the_waypoint_for_its_cell():
    from corridor._geo import great_circle_m
    from corridor.network import Network

    # a stub at A pointing away from B: the leg starts at its node but leaves the network at once
    a, b, w = (47.3003, 39.4502), (47.2003, 39.4202), (47.35, 39.4502)
    import geopandas as gpd
    from shapely.geometry import LineString

    gdf = gpd.GeoDataFrame({"u": [0], "v": [1], "status": "disused", "mode": "rail",
                            "length_m": [great_circle_m(*a, *w)]}, geometry=[LineString([a, w])], crs="EPSG:4326")
    net = Network.from_edges(gdf, simplify=False)
    for search in ("grade", "slope"):
        with_net = trace([a, b], mode="rail", network=net, search=search)
        alone = trace([a, b], mode="rail", search=search)
        # the same line as without the network: the waypoint's cell centre is not a vertex of it
        assert with_net.length_m == pytest.approx(alone.length_m, rel=1e-9), search


def test_network_edges_are_reused_and_gaps_are_new():
    import geopandas as gpd
    from shapely.geometry import LineString

    # an existing (disused) line covering the middle of the Yerevan plain leg
    xs = np.linspace(44.45, 44.70, 6)
    lines = [LineString([(xs[i], 40.05), (xs[i + 1], 40.05)]) for i in range(5)]
    edges = gpd.GeoDataFrame({
        "mode": "rail", "osm_way_id": [10 + i for i in range(5)], "u": list(range(5)), "v": list(range(1, 6)),
        "class": "rail", "status": "disused", "gauge_mm": 1520.0, "tunnel": False, "bridge": False,
        "name": "test line", "source": "osm", "length_m": [4260.0] * 5,
    }, geometry=lines, crs="EPSG:4326")

    class Net:
        def __init__(self, e):
            self.edges = e
            self.meta = {"source": "test"}

    # A waypoint ~665 m above the line's end 14 km away would need ~53 km of line at 12.5 per mille:
    # the vertical design names the junction instead of tunnelling to make it fit
    with pytest.raises(NoFeasibleAlignment, match=r"junction with existing line \(km 0\.00\).*44\.8500,40\.1000"):
        trace([(44.40, 40.05), (44.85, 40.10)], mode="rail", network=Net(edges))
    # The end waypoint is ~150 m above the line's end 5 km away (13.5 per mille straight); the grade
    # search develops a longer line that reaches lower ground near the waypoint, and the design climbs
    # from the junction within the ruling grade
    from corridor._geo import great_circle_m
    from corridor.terrain import profile

    r = trace([(44.40, 40.05), (44.76, 40.05)], mode="rail", network=Net(edges))
    tail = r.meta["formation"]["runs"][-1]  # the new line from the junction at 44.70 E to the waypoint
    lev, dist = tail["level_m"], tail["distance_m"]
    assert np.abs(np.diff(lev) / np.diff(dist)).max() <= 0.0125 + GRADE_TOL
    assert dist[-1] > great_circle_m(44.70, 40.05, 44.76, 40.05)  # longer than the straight line
    p = profile(r, mode="rail", step_m=50)
    junction = float(np.interp(r.length_m - dist[-1], p.distance_m, p.ground_m))
    near_end = p.ground_m[p.distance_m >= p.distance_m[-1] - 1000].min()  # the waypoint's level window
    # joins the existing line within the join tolerance plus one level step (module docstring of
    # corridor.align.vertical; the step divides the rise per station, so it is at most 1.5x the target)
    from corridor.align.structures import LEVEL_STEP_M

    assert abs(lev[0] - junction) <= 20 + 1.5 * LEVEL_STEP_M + 1
    need = (near_end - 20) - (junction + 20)  # the least rise the level windows allow
    # it climbs (5 m: the route profile's samples are not the design's stations, on a steep slope) ...
    assert need > 0 and lev[-1] - lev[0] >= need - 5
    assert dist[-1] * 0.0125 >= need  # ... over enough line
    r = trace([(44.40, 40.05), (44.76, 40.05)], mode="rail", network=Net(edges), max_grade=0.035)
    seg = r.segments
    existing = seg[seg["build"] == "existing"]
    assert _km(existing) > 15
    assert set(existing["status"]) == {"disused"} and set(existing["source"]) == {"osm"}
    assert (seg["build"] == "new").any()  # the ends are bridged by new alignment
    # existing edges keep their own (here: no) structures; nothing is inferred on them
    assert set(existing["structure"]) == {"none"} and existing["structure_depth_m"].isna().all()
    assert existing["cut_m3_per_m"].isna().all()
    assert r.meta["network_source"] == "test"


# --------------------------------------------------------------- bad input
def test_fewer_than_two_waypoints():
    with pytest.raises(InvalidInputError, match="at least two waypoints"):
        trace(["Meghri"], mode="rail")


def test_unknown_place():
    with pytest.raises(UnknownPlaceError, match="Atlantis"):
        trace(["Meghri", "Atlantis"], mode="rail")


def test_waypoint_outside_dem():
    with pytest.raises(DEMCoverageError, match="outside the DEM"):
        trace(["Meghri", (30.0, 10.0)], mode="rail")


def test_disconnected_stay_in_names_the_leg():
    with pytest.raises(NoFeasibleAlignment, match=r"leg 2 \(Meghri -> .*\)"):
        trace(["Agarak", "Meghri", "Horadiz"], mode="rail", stay_in=["ARM"])
    # Nakhchivan is an exclave: it cannot reach mainland Azerbaijan by land in AZE/NAX only
    with pytest.raises(NoFeasibleAlignment, match="leg 1"):
        trace(["Julfa, AZ", "Horadiz"], mode="rail", stay_in=["NAX", "AZE"])


def test_stay_in_and_avoid_of_one_unit_is_a_contradiction_and_messages_name_what_was_given():
    with pytest.raises(ParameterError, match="ARM is in both stay_in and avoid"):
        trace(["Meghri", "Ordubad"], mode="rail", stay_in=["ARM", "NAX"], avoid=["ARM"])
    # the units outside stay_in are not shown as avoided: the message lists the arguments as given
    with pytest.raises(NoFeasibleAlignment, match=r"stay_in=\['ARM'\], avoid=None\)"):
        trace(["Kars", "Meghri"], mode="rail", stay_in=["ARM"])


def test_bad_parameters():
    with pytest.raises(ParameterError, match="percentage"):
        trace(["Goris", "Kapan"], mode="road", max_grade=6)
    with pytest.raises(InvalidInputError, match="mode"):
        trace(["Goris", "Kapan"], mode="bus")
    with pytest.raises(ParameterError):
        alternatives(["Goris", "Kapan"], mode="road", k=0)
    with pytest.raises(InvalidInputError, match="unknown avoid unit"):
        trace(["Goris", "Kapan"], mode="road", avoid=["XXX"])
    assert math.isfinite(GRADE_TOL)


def test_waypoints_from_any_iterable_and_network_by_name():
    chain = list(scenarios.get("gyumri-kars").waypoints)  # on the reference network's rail line
    from_list = trace(chain, mode="rail", network="reference", allow_new=False)
    from_gen = trace((p for p in chain), mode="rail", network="reference", allow_new=False)  # was TypeError
    assert from_gen.length_m == pytest.approx(from_list.length_m)
    assert from_list.meta["network_source"] == "reference (modelled)"  # was AttributeError on the string
    with pytest.raises(InvalidInputError, match="at least two waypoints"):
        trace("Meghri", mode="rail")  # one name is one waypoint, not six letters
    with pytest.raises(InvalidInputError, match="not a Network"):
        trace(chain, mode="rail", network="osm")
    with pytest.raises(InvalidInputError, match="not a Network"):
        trace(chain, mode="rail", network=42)


def test_new_build_structures_and_profile_follow_the_vertical_design():
    from corridor.align.structures import vertical_design
    from corridor.terrain import profile

    r = trace(["Meghri", "Ordubad"], mode="rail", stay_in=["ARM", "NAX"])
    v = vertical_design(r.geometry, mode="rail", waypoints=[(0.0, "Meghri"), (r.length_m, "Ordubad")])
    spans = r.structure_spans()
    assert [k for *_, k in spans] == [s.kind for s in v.structures]
    for (a, b, _k), s in zip(spans, v.structures, strict=True):
        assert a == pytest.approx(s.start_m, abs=1.0) and b == pytest.approx(s.end_m, abs=1.0)
    seg = r.segments
    cut = float((seg["cut_m3_per_m"] * seg["length_m"]).sum())
    fill = float((seg["fill_m3_per_m"] * seg["length_m"]).sum())
    # the route's pieces joined again are the designed line (cut points on its geodesics, stations
    # independent of vertices), so a fresh design is the same design
    assert cut == pytest.approx(v.cut_m3, rel=1e-6) and fill == pytest.approx(v.fill_m3, rel=1e-6)
    # the profile is the designed formation: within the ruling grade everywhere, structures included
    p = profile(r, mode="rail", step_m=50)
    assert np.abs(np.diff(p.elevation_m) / np.diff(p.distance_m)).max() <= 0.0125 + GRADE_TOL
    (run,) = r.meta["formation"]["runs"]
    d = run["start_m"] + run["distance_m"]
    outside = ~np.any([(d > a - 60) & (d < b + 60) for a, b, _k in spans], axis=0)
    assert outside.sum() > 10
    assert np.allclose(np.interp(d, p.distance_m, p.elevation_m)[outside], run["level_m"][outside], atol=0.7)
    # the reversed route keeps the design (mirrored)
    q = profile(r.reversed(), mode="rail", step_m=50)
    assert q.ascent_m == pytest.approx(p.descent_m, abs=1.0)


def test_cost_params_reach_the_search_and_the_vertical_design():
    from corridor.align.structures import vertical_design
    from corridor.costs import CostParams

    # shallow caps: cuts and fills give way to tunnels and viaducts sooner
    p = CostParams(max_cut_depth_m=3.0, max_fill_height_m=3.0)
    default = trace(["Meghri", "Ordubad"], mode="rail", stay_in=["ARM", "NAX"])
    r = trace(["Meghri", "Ordubad"], mode="rail", stay_in=["ARM", "NAX"], params=p)
    v = vertical_design(r.geometry, mode="rail", params=p, waypoints=[(0.0, "Meghri"), (r.length_m, "Ordubad")])
    spans = r.structure_spans()
    assert [k for *_, k in spans] == [s.kind for s in v.structures]
    for (a, b, _k), s in zip(spans, v.structures, strict=True):
        assert a == pytest.approx(s.start_m, abs=1.0) and b == pytest.approx(s.end_m, abs=1.0)
    struct_km = sum(b - a for a, b, _k in spans)
    assert struct_km > sum(b - a for a, b, _k in default.structure_spans())
    assert r.meta["cost_params"] == "given" and default.meta["cost_params"] == "defaults"
    # the horizontal search prices moves with the same parameters: dearer tunnels change the line's cost
    dear = CostParams(rail_tunnel_musd_per_km=(100.0, 200.0, 300.0))
    r2 = trace(["Meghri", "Ordubad"], mode="rail", stay_in=["ARM", "NAX"], params=dear)
    assert sum(r2.meta["leg_costs"]) > sum(default.meta["leg_costs"])
    alt = alternatives(["Meghri", "Ordubad"], mode="rail", stay_in=["ARM", "NAX"], params=p, k=1)
    assert [k for *_, k in alt[0].structure_spans()] == [k for *_, k in spans]
    assert alt[0].length_m == pytest.approx(r.length_m)
    with pytest.raises(ParameterError, match="CostParams"):
        trace(["Meghri", "Ordubad"], mode="rail", params={"max_cut_depth_m": 3.0})


# ------------------------------------------------------------------ given waypoint levels
@pytest.mark.parametrize("search", ["grade", "level"])
def test_waypoint_levels_are_met_instead_of_the_waypoint_window(search):
    free = trace(["Ordubad", "Meghri"], mode="rail", stay_in=["NAX", "ARM"], search=search)
    z0 = float(free.meta["formation"]["runs"][0]["level_m"][0])
    r = trace(["Ordubad", "Meghri"], mode="rail", stay_in=["NAX", "ARM"], waypoint_levels={0: z0 + 12.0},
              search=search)
    got = float(r.meta["formation"]["runs"][0]["level_m"][0])
    assert got == pytest.approx(z0 + 12.0, abs=1e-6)  # on the design's level grid: the level itself
    with pytest.raises(NoFeasibleAlignment, match=r"Meghri \(given level\)"):
        trace(["Ordubad", "Meghri"], mode="rail", stay_in=["NAX", "ARM"], waypoint_levels={-1: 2500.0})


@pytest.mark.parametrize("levels, match", [({2: 800.0}, "index"), ({0: "high"}, "level"), ({0: True}, "finite"),
                                            ({0: float("nan")}, "finite"), ([800.0], "map")])
def test_bad_waypoint_levels_are_refused(levels, match):
    with pytest.raises(ParameterError, match=match):
        trace(["Ordubad", "Meghri"], mode="rail", stay_in=["NAX", "ARM"], waypoint_levels=levels)


def test_new_build_joins_a_modelled_line_at_its_level_or_else_the_line_stays_continuous(monkeypatch, caplog):
    """Yerevan - Gyumri runs new build into the reference network's Gyumri - Kars line: the join meets that
    line's own formation level. Were that level out of reach (made so here), the piece is blocked and
    searched again; if no other way is found, the route is one continuous in level (joining at the
    ground would step the grade line by the modelled line's cut or fill): the network alone, else new
    build alone, with a warning and ``meta["join_fallback"]``."""
    import logging

    from corridor.align import _assembly
    from corridor.network import load_network

    net = load_network("reference")
    r = trace(["Yerevan", "Gyumri"], mode="rail", network=net)
    runs = r.meta["formation"]["runs"]
    assert any(float(x["start_m"]) > 0 for x in runs) and (r.segments["build"] == "existing").any()
    for a, b in itertools.pairwise(runs):  # the grade line is continuous where runs meet
        if abs(float(a["start_m"]) + float(a["distance_m"][-1]) - float(b["start_m"])) < 1.0:
            assert abs(float(a["level_m"][-1]) - float(b["level_m"][0])) <= 3.0

    real = _assembly.vertical_design

    def unreachable(*a, **kw):  # no grade line meets a modelled line's own level here
        if any("modelled line" in str(f[2]) for f in kw.get("fixed_levels", ())):
            raise NoFeasibleAlignment("the modelled line's level is out of reach (test)")
        return real(*a, **kw)

    monkeypatch.setattr(_assembly, "vertical_design", unreachable)
    with caplog.at_level(logging.DEBUG, logger="corridor.align.tracing"):
        avoided = trace(["Yerevan", "Gyumri"], mode="rail", network=net)
    assert "blocked" in caplog.text  # the piece that could not meet the level was blocked and searched again
    assert (avoided.segments["build"] == "new").all()  # here another line exists: all new build

    # where no other line exists (simulated: a leg searched after such a block finds nothing), the route is
    # continuous in level: the network alone does not join Yerevan (its Gyumri - Kars line does not reach
    # it), so new build alone, and that is a warning
    from corridor.align import tracing

    solve = tracing._solve_leg
    calls = [0]

    def nothing_else(pb, i, *a, **kw):  # one leg: a second search comes after a block
        calls[0] += 1
        if pb.network is not None and calls[0] > 1:
            raise NoFeasibleAlignment("no other line (test)")
        return solve(pb, i, *a, **kw)

    monkeypatch.setattr(tracing, "_solve_leg", nothing_else)
    reset_once()  # warned once per route, reason and fallback
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="corridor.align.tracing"):
        r2 = trace(["Yerevan", "Gyumri"], mode="rail", network=net)
    assert "the route follows new build alone" in caplog.text
    assert r2.meta["join_fallback"].startswith("new build alone: ")
    assert (r2.segments["build"] == "new").all() and r2.meta["network_source"] is None
    _assert_continuous(r2)

    # and where new build alone is infeasible too, its reason (the more basic one)
    def nothing(pb, i, *a, **kw):
        calls[0] += 1
        if pb.network is None or calls[0] > 1:
            raise NoFeasibleAlignment("nothing (test)")
        return solve(pb, i, *a, **kw)

    monkeypatch.setattr(tracing, "_solve_leg", nothing)
    calls[0] = 0
    with pytest.raises(NoFeasibleAlignment, match=r"nothing \(test\)"):
        trace(["Yerevan", "Gyumri"], mode="rail", network=net)


def test_a_join_out_of_reach_gives_the_network_alone_where_it_joins_the_waypoints(monkeypatch, caplog):
    """Meghri -> Ordubad over the reference network joins the modelled Meghri line with short new build at
    both ends. Were those joins out of reach at the line's level (made so here; it happened with an earlier
    network, where Ordubad's window lay 110 m above the line's station), joining at the ground stepped the
    grade line by ~118 m (a 232 per-mille "grade"); the route follows the network alone instead."""
    import logging

    from corridor.align import _assembly
    from corridor.evaluation import evaluate
    from corridor.network import load_network

    net = load_network("reference")
    as_is = trace(["Meghri", "Ordubad"], mode="rail", network=net, stay_in=["ARM", "NAX"])
    assert (as_is.segments["build"] == "new").any() and "join_fallback" not in as_is.meta
    _assert_continuous(as_is)
    assert evaluate(as_is, dem_samples=0).over_ruling_km == 0.0  # the README's example

    real = _assembly.vertical_design

    def unreachable(*a, **kw):
        if any("modelled line" in str(f[2]) for f in kw.get("fixed_levels", ())):
            raise NoFeasibleAlignment("the modelled line's level is out of reach (test)")
        return real(*a, **kw)

    monkeypatch.setattr(_assembly, "vertical_design", unreachable)
    reset_once()
    with caplog.at_level(logging.WARNING, logger="corridor.align.tracing"):
        r = trace(["Meghri", "Ordubad"], mode="rail", network=net, stay_in=["ARM", "NAX"])
    assert "the route follows the network alone" in caplog.text
    assert r.meta["join_fallback"].startswith("the network alone: ")
    assert (r.segments["build"] == "existing").all()
    _assert_continuous(r)
    m = evaluate(r, dem_samples=0)
    assert m.as_row()["max_grade"] <= 0.0125 * 1.01 and m.over_ruling_km == 0.0


def test_the_network_alone_must_reach_the_waypoints_it_stands_in_for():
    """A waypoint ~1.2 km above the modelled line and off the network: the network alone would snap to a
    node 9.4 km short of it (its ends snap up to 20 km), so it is no stand-in; new build alone cannot climb
    there either, and that reason is given."""
    from corridor.network import load_network

    net = load_network("reference")
    with pytest.raises(NoFeasibleAlignment, match=r"cannot join Meghri .* and 46\.0227,38\.9896"):
        trace(["Meghri", (46.0227, 38.9896)], mode="rail", network=net, stay_in=["ARM", "NAX"])


def _assert_continuous(route) -> None:
    """The route's grade line has no step where two of its runs meet (within the 1 m join tolerance)."""
    runs = route.meta["formation"]["runs"]
    for a, b in itertools.pairwise(runs):
        if abs(float(a["start_m"]) + float(a["distance_m"][-1]) - float(b["start_m"])) < 1.0:
            assert abs(float(a["level_m"][-1]) - float(b["level_m"][0])) <= 3.0
