"""corridor.evaluation._borders: crossings, border excursions, gauge breaks and transfers.

Most tests go through :func:`corridor.evaluation.evaluate`, where these figures reach the metrics (border
stops, gauge-break dwell, the ``crossings`` text), on routes over real places (``tests/_evalroutes.py``);
the last ones call the module's functions directly on routes built segment by segment.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from _evalroutes import evaluated, routes, xy
from shapely.geometry import LineString

from corridor import scenarios
from corridor._geo import distances_from
from corridor._types import NATIONAL_GAUGE_MM
from corridor.costs import CostParams
from corridor.evaluation import evaluate
from corridor.evaluation._borders import (
    GAUGE_MIN_PIECE_M,
    crossings,
    effective_units,
    gauge_breaks,
    n_transfers,
)
from corridor.network import REFERENCE_SOURCE
from corridor.route import Route
from corridor.terrain import DEM


@pytest.fixture(scope="module")
def dem():
    return DEM.open(None)


@pytest.fixture(scope="module")
def metrics():
    return evaluated()


# ----------------------------------------------------------------- crossings
def test_crossings_equal_unit_changes(metrics):
    for r in routes().values():
        m = metrics[r.name]
        seq = r.unit_sequence()
        assert m.n_crossings == len(seq) - 1
        assert [c["from_unit"] for c in m.crossings] == seq[:-1]
        assert [c["to_unit"] for c in m.crossings] == seq[1:]
        d = [c["distance_km"] for c in m.crossings]
        assert d == sorted(d) and all(0 < x < m.length_km for x in d)
    assert metrics["Yerevan-Masis"].n_crossings == 0
    assert metrics["Ordubad-Meghri-Aghband"].crossings[0]["from_unit"] == "NAX"
    assert metrics["Ordubad-Meghri-Aghband"].crossings[-1]["to_unit"] == "AZE"


def test_known_crossing_named(metrics):
    m = metrics["Igdir-Sadarak"]
    last = m.crossings[-1]
    assert (last["from_unit"], last["to_unit"]) == ("TUR", "NAX")
    assert last["known"] and last["known_name"] == "Dilucu"
    assert "TUR>NAX (Dilucu)" in m.as_row()["crossings"]
    # the crossing point lies on the border near Dilucu (44.80 E, 39.66 N)
    assert abs(last["lon"] - 44.80) < 0.05 and abs(last["lat"] - 39.66) < 0.05


def test_unknown_crossing_not_named(dem):
    # Ordubad (NAX) -> Meghri (ARM): the first crossing is not within 5 km of a listed crossing point
    r = Route.from_lines([LineString([xy("Ordubad"), xy("Meghri")])], mode="road")
    m = evaluate(r, dem=dem, crossing_tolerance_m=100.0)
    assert m.crossings and not any(c["known"] for c in m.crossings)


def _across(units, at, step=0.01):
    """A west-east route of one segment per unit, changing unit at ``at`` (then every ``step`` degrees)."""
    x0, y = at[0] - step, at[1]
    xs = [x0 + k * step for k in range(len(units) + 1)]
    seg = gpd.GeoDataFrame({"unit": units}, geometry=[LineString([(xs[k], y), (xs[k + 1], y)])
                                                      for k in range(len(units))], crs="EPSG:4326")
    return Route.from_segments(seg, mode="road", split_units=False)


def test_a_crossing_takes_only_the_name_of_a_point_on_its_own_border(dem):
    # Salammelik (ARM-NAX border) lies ~1 km from Iran and Kalaleh (AZE-IRN) ~3 km from Armenia: a crossing
    # of another border right at them is not at them
    salammelik, kalaleh = xy("Salammelik (approx.)"), xy("Kalaleh (approx.)")
    for units, at in ((["NAX", "IRN"], salammelik), (["IRN", "ARM"], kalaleh), (["ARM", "IRN"], kalaleh)):
        m = evaluate(_across(units, at), dem=dem)
        (c,) = m.crossings
        assert (c["from_unit"], c["to_unit"]) == tuple(units)
        assert not c["known"] and c["known_name"] == "", units
        assert m.as_row()["n_known_crossings"] == 0 and m.as_row()["crossings"] == ">".join(units)
    # the pair of units names the point, in either direction
    for units, at, name in ((["NAX", "ARM"], salammelik, "Salammelik (approx.)"),
                            (["ARM", "NAX"], salammelik, "Salammelik (approx.)"),
                            (["AZE", "IRN"], kalaleh, "Kalaleh (approx.)"),
                            (["IRN", "AZE"], kalaleh, "Kalaleh (approx.)")):
        (c,) = evaluate(_across(units, at), dem=dem).crossings
        assert c["known"] and c["known_name"] == name, units


def test_real_crossings_of_another_border_near_a_known_point_stay_unnamed(dem):
    # south across the Aras from Nakhchivan into Iran 1.1 km from Salammelik: no NAX-IRN crossing point is near
    r = Route.from_lines([LineString([(46.14, 38.875), (46.14, 38.83)])], mode="road")
    m = evaluate(r, dem=dem)
    assert [(c["from_unit"], c["to_unit"]) for c in m.crossings] == [("NAX", "IRN")]
    assert not m.crossings[0]["known"] and m.as_row()["crossings"] == "NAX>IRN"


def test_excursions_are_not_crossings_at_known_points(dem):
    # AZE -> IRN at the Kalaleh bridge, 1 km back in AZE, then on in IRN: one crossing at a known point
    r = _across(["AZE", "IRN", "AZE", "IRN"], xy("Kalaleh (approx.)"))
    m = evaluate(r, dem=dem)
    assert [c["excursion"] for c in m.crossings] == [True, True, False]
    assert [c["known_name"] for c in m.crossings] == ["", "", "Kalaleh (approx.)"]
    row = m.as_row()
    assert m.n_border_stops == 1 and row["n_known_crossings"] == 1
    assert row["crossings"] == "AZE>IRN (Kalaleh (approx.)); +2 excursions across a border along the route"
    # with no folding every change is a border stop, each at the crossing point
    strict = evaluate(r, dem=dem, params=CostParams(border_excursion_max_m=0)).as_row()
    assert strict["n_border_stops"] == strict["n_known_crossings"] == 3


def test_aras_scenario_counts_its_one_crossing_at_a_known_point(dem):
    m = evaluate(scenarios.get("aras-iran").route(network="reference"), dem=dem)
    row = m.as_row()
    assert [(c["from_unit"], c["to_unit"]) for c in m.crossings if not c["excursion"]] == [("AZE", "IRN"),
                                                                                          ("IRN", "NAX")]
    assert row["n_border_stops"] == 2 and row["n_known_crossings"] == 1
    assert row["crossings"].startswith("AZE>IRN (Kalaleh (approx.)); IRN>NAX; +")
    assert not any(c["known"] for c in m.crossings if c["excursion"])


def test_border_excursions_fold_into_one_stop(dem):
    # NAX -> IRN for 1 km along the Araks -> NAX -> ARM: 3 unit changes, 1 border stop
    pts = [(45.70, 38.95), (45.75, 38.95), (45.76, 38.95), (45.85, 38.95), (45.95, 38.95)]
    units = ["NAX", "IRN", "NAX", "ARM"]
    seg = gpd.GeoDataFrame({"unit": units}, geometry=[LineString(pts[i:i + 2]) for i in range(4)],
                           crs="EPSG:4326")
    r = Route.from_segments(seg, mode="rail", split_units=False)
    m = evaluate(r, dem=dem)
    assert m.n_crossings == 3 == len(r.unit_sequence()) - 1
    assert [c["excursion"] for c in m.crossings] == [True, True, False]
    assert m.n_border_stops == 1 and m.time_parts_h["border"] == 2.0
    assert m.n_gauge_breaks == 0  # the short IRN (1435 mm) run does not change the gauge
    assert m.as_row()["crossings"] == "NAX>ARM; +2 excursions across a border along the route"
    strict = evaluate(r, dem=dem, params=CostParams(border_excursion_max_m=0))
    assert strict.n_border_stops == 3 and strict.n_gauge_breaks == 2
    # new build carrying its unit's national gauge (as align.trace sets it) is re-inferred
    seg2 = seg.assign(build="new", gauge_mm=[1520.0, 1435.0, 1520.0, 1520.0])
    assert evaluate(Route.from_segments(seg2, mode="rail", split_units=False), dem=dem).n_gauge_breaks == 0
    # a gauge that is not the unit's national gauge is a deliberate choice and is kept
    seg3 = seg.assign(build="new", gauge_mm=[1520.0, 1520.0, 1520.0, 1435.0])
    assert evaluate(Route.from_segments(seg3, mode="rail", split_units=False), dem=dem).n_gauge_breaks == 1
    # lines of the modelled reference network carry their unit's gauge as the engine assigned it: the same;
    # a gauge from data (an OSM line) that changes is a real change
    for source, breaks in ((REFERENCE_SOURCE, 0), ("osm", 2)):
        seg4 = seg.assign(build="existing", status="proposed", source=source, gauge_mm=[1520.0, 1435.0, 1520.0, 1520.0])
        got = evaluate(Route.from_segments(seg4, mode="rail", split_units=False), dem=dem)
        assert got.n_gauge_breaks == breaks, source
        assert got.time_parts_h["gauge_break"] == breaks * CostParams().gauge_break_dwell_h


# --------------------------------------------------------------------- gauge
def test_gauge_of_a_sliver_is_passed_over(dem):
    # a modelled line strays 1 km into IRN along the Araks; its IRN edge, cut at the border and cut there
    # again, leaves a ~0.1 m piece on the NAX side carrying the IRN edge's 1435 mm: no gauge of its own
    p = [(45.70, 38.95), (45.75, 38.95), (45.76, 38.95), (45.76 + 1e-6, 38.95), (45.85, 38.95)]
    seg = gpd.GeoDataFrame({"unit": ["NAX", "IRN", "NAX", "NAX"], "gauge_mm": [1520.0, 1435.0, 1435.0, 1520.0],
                            "source": REFERENCE_SOURCE, "build": "existing", "status": "proposed"},
                           geometry=[LineString(p[i:i + 2]) for i in range(4)], crs="EPSG:4326")
    r = Route.from_segments(seg, mode="rail", split_units=False)
    assert r.segments["length_m"].iat[2] < GAUGE_MIN_PIECE_M
    assert evaluate(r, dem=dem).n_gauge_breaks == 0
    # a piece of 1 km with that gauge is track of that gauge: two changes
    p[3] = (45.77, 38.95)
    longer = seg.set_geometry([LineString(p[i:i + 2]) for i in range(4)], crs="EPSG:4326")
    breaks = evaluate(Route.from_segments(longer, mode="rail", split_units=False), dem=dem).gauge_breaks
    assert [(g["from_gauge_mm"], g["to_gauge_mm"]) for g in breaks] == [(1520.0, 1435.0), (1435.0, 1520.0)]


def test_gauge_break_inferred_from_units(metrics):
    m = metrics["Igdir-Sadarak"]
    assert m.n_gauge_breaks == 1
    gb = m.gauge_breaks[0]
    assert (gb["from_gauge_mm"], gb["to_gauge_mm"]) == (1435.0, 1520.0)
    assert gb["distance_km"] == pytest.approx(m.crossings[-1]["distance_km"])
    assert NATIONAL_GAUGE_MM["IRN"] == NATIONAL_GAUGE_MM["TUR"] == 1435.0
    assert metrics["Yerevan-Masis"].n_gauge_breaks == 0  # road


def test_gauge_break_explicit_segment_not_double_counted(dem):
    a, b, c = xy("Iğdır"), xy("Dilucu"), xy("Sadarak")
    lines = [LineString([a, b]), LineString([b, (b[0] + 0.0005, b[1])]), LineString([(b[0] + 0.0005, b[1]), c])]
    attrs = [{"gauge_mm": 1435.0, "build": "existing", "status": "active"},
             {"class": "gauge_break", "build": "existing", "status": "active"},
             {"gauge_mm": 1520.0, "build": "existing", "status": "active"}]
    r = Route.from_lines(lines, mode="rail", attrs=attrs)
    m = evaluate(r, dem=dem)
    assert m.n_gauge_breaks == 1
    assert m.time_parts_h["gauge_break"] == CostParams().gauge_break_dwell_h
    # same gauge everywhere and no transfer edge: no break
    same = Route.from_lines([LineString([xy("Yerevan"), xy("Masis")])], mode="rail",
                            attrs=[{"gauge_mm": 1520.0}])
    assert evaluate(same, dem=dem).n_gauge_breaks == 0


# ------------------------------------------------------------- the functions themselves
def _line(units, lons, lat=38.95, mode="rail", **cols):
    """A west-east route of one segment per unit between the given longitudes (no split at borders)."""
    seg = gpd.GeoDataFrame({"unit": units, **cols}, crs="EPSG:4326",
                           geometry=[LineString([(lons[k], lat), (lons[k + 1], lat)]) for k in range(len(units))])
    return Route.from_segments(seg, mode=mode, split_units=False)


def _east(lon, lat, m):
    """The longitude ``m`` metres east of ``lon`` at ``lat`` (close enough over a few metres)."""
    import math

    return lon + m / (111_320.0 * math.cos(math.radians(lat)))


def test_an_excursion_across_a_border_and_back_is_folded_into_the_unit_around_it():
    # NAX for 4.3 km, 0.87 km across the Araks in IRN, back in NAX: the route ends where it started
    r = _line(["NAX", "IRN", "NAX"], [45.70, 45.75, 45.76, 45.85], build="new", gauge_mm=[1520.0, 1435.0, 1520.0])
    excursion_m = float(r.segments["length_m"].iat[1])
    assert 500 < excursion_m < 1000
    assert effective_units(r) == effective_units(r, 0.0) == ["NAX", "IRN", "NAX"]  # 0 folds nothing
    assert effective_units(r, 5000.0) == ["NAX", "NAX", "NAX"]
    assert effective_units(r, excursion_m) == ["NAX", "IRN", "NAX"]  # only runs shorter than the limit
    # both unit changes are still crossings, in travel order, but only bound the excursion: no stop, no name
    cross = crossings(r, max_excursion_m=5000.0)
    assert [(c["from_unit"], c["to_unit"], c["excursion"], c["known"]) for c in cross] == [
        ("NAX", "IRN", True, False), ("IRN", "NAX", True, False)]
    assert [c["distance_km"] for c in cross] == pytest.approx([r.offsets()[1] / 1000, r.offsets()[2] / 1000])
    assert not any(c["excursion"] for c in crossings(r))
    # new build carrying its unit's national gauge is re-inferred with the excursion folded: no gauge break
    assert gauge_breaks(r, max_excursion_m=5000.0) == []
    assert [(g["from_gauge_mm"], g["to_gauge_mm"]) for g in gauge_breaks(r)] == [(1520.0, 1435.0), (1435.0, 1520.0)]


def test_only_an_interior_run_between_two_runs_of_one_unit_is_an_excursion():
    # a run of two segments folds as one run (0.87 km in all)
    two = _line(["NAX", "IRN", "IRN", "NAX"], [45.70, 45.75, 45.755, 45.76, 45.85])
    assert effective_units(two, 5000.0) == ["NAX"] * 4
    # a short run between two other units is a border stop on the way through, not an excursion
    through = _line(["NAX", "IRN", "AZE"], [45.70, 45.75, 45.76, 45.85])
    assert effective_units(through, 5000.0) == ["NAX", "IRN", "AZE"]
    assert not any(c["excursion"] for c in crossings(through, max_excursion_m=5000.0))
    # a short first or last run has no unit on its other side: kept
    ends = _line(["IRN", "NAX", "IRN"], [45.75, 45.76, 45.85, 45.86])
    assert effective_units(ends, 5000.0) == ["IRN", "NAX", "IRN"]


def test_a_crossing_at_an_unknown_point_is_not_named():
    # ARM -> NAX 4-5 km east of Salammelik, the one crossing point of that border there: named within
    # the tolerance, unknown beyond it
    sx, sy = xy("Salammelik (approx.)")
    at = (sx + 0.05, sy)
    d = float(distances_from(at[0], at[1], [sx], [sy])[0])
    assert 4000 < d < 5000
    r = _line(["ARM", "NAX"], [at[0] - 0.01, at[0], at[0] + 0.01], lat=at[1])
    (near,) = crossings(r)  # the default tolerance is 5 km
    assert near["known"] and near["known_name"] == "Salammelik (approx.)"
    (far,) = crossings(r, tolerance_m=d - 100.0)
    assert (far["from_unit"], far["to_unit"]) == ("ARM", "NAX")
    assert not far["known"] and far["known_name"] == ""
    assert (far["lon"], far["lat"]) == pytest.approx(at)
    # on a border with no crossing point anywhere in the gazetteer (ARM-IRN), nothing is ever known
    (none,) = crossings(_line(["ARM", "IRN"], [46.0, 46.1, 46.2], lat=38.9), tolerance_m=1e9)
    assert not none["known"] and none["known_name"] == ""
    # leaving every unit is a crossing (to None), never named and never an excursion
    out = crossings(_line(["ARM", None, "ARM"], [sx - 0.01, sx, sx + 0.01, sx + 0.02], lat=sy), max_excursion_m=5000.0)
    assert [(c["from_unit"], c["to_unit"], c["known"]) for c in out] == [("ARM", None, False), (None, "ARM", False)]


def test_a_gauge_break_shorter_than_the_shortest_piece():
    lat = xy("Dilucu")[1]
    x0, x1 = 44.70, 44.75

    def piece(m, **cols):
        x2 = _east(x1, lat, m)
        return _line(["TUR", "TUR", "TUR"], [x0, x1, x2, x2 + 0.05], lat=lat, build="existing", status="active",
                     source="osm", **cols)

    # a piece of another tagged gauge shorter than GAUGE_MIN_PIECE_M carries no gauge of its own: no break
    sliver = piece(GAUGE_MIN_PIECE_M / 2, gauge_mm=[1435.0, 1520.0, 1435.0])
    assert sliver.segments["length_m"].iat[1] < GAUGE_MIN_PIECE_M
    assert gauge_breaks(sliver) == []
    # twice as long, it is track of that gauge: a break at each end
    short = piece(2 * GAUGE_MIN_PIECE_M, gauge_mm=[1435.0, 1520.0, 1435.0])
    assert short.segments["length_m"].iat[1] > GAUGE_MIN_PIECE_M
    assert [(g["from_gauge_mm"], g["to_gauge_mm"]) for g in gauge_breaks(short)] == [(1435.0, 1520.0),
                                                                                   (1520.0, 1435.0)]
    # a gauge-change edge of the network is a break however short, counted once with the gauges either side
    edge = piece(GAUGE_MIN_PIECE_M / 2, gauge_mm=[1435.0, None, 1520.0], **{"class": ["", "gauge_break", ""]})
    (g,) = gauge_breaks(edge)
    assert (g["from_gauge_mm"], g["to_gauge_mm"]) == (1435.0, 1520.0)
    assert g["distance_km"] == pytest.approx(edge.offsets()[1] / 1000)


def test_gauges_are_inferred_from_the_units_only_when_asked():
    r = _line(["TUR", "NAX"], [44.70, 44.80, 44.90], lat=39.66)  # untagged rail, 1435 -> 1520 mm
    assert NATIONAL_GAUGE_MM["TUR"] != NATIONAL_GAUGE_MM["NAX"]
    (g,) = gauge_breaks(r)
    assert (g["from_gauge_mm"], g["to_gauge_mm"]) == (NATIONAL_GAUGE_MM["TUR"], NATIONAL_GAUGE_MM["NAX"])
    assert gauge_breaks(r, infer=False) == []
    assert gauge_breaks(_line(["TUR", "NAX"], [44.70, 44.80, 44.90], lat=39.66, mode="road")) == []


def test_transfers_are_counted_from_the_class_or_the_column():
    base = dict(units=["ARM", "ARM", "ARM"], lons=[44.50, 44.51, 44.52, 44.60], lat=40.10)
    assert n_transfers(_line(**base)) == 0
    assert n_transfers(_line(**base, **{"class": ["", "transfer", ""]})) == 1
    both = _line(**base, **{"class": ["transfer", "", ""]}, transfer=[False, False, True])
    assert n_transfers(both) == 2
    m = evaluate(both, dem_samples=0)
    assert m.n_transfers == 2 and m.time_parts_h["transfer"] == 2 * CostParams().transfer_dwell_h
