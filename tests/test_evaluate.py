"""Route evaluation, comparison, ranking and sensitivity on routes over real places.

Routes are built from LineStrings through gazetteer coordinates (Route.from_lines; the shared ones in
``tests/_evalroutes.py``), so country units, crossings and the GLOBE profile are real; only the
attributes given explicitly (build, status, structure, gauge) are set by the test. Border crossings,
excursions, gauge breaks and transfers (``corridor.evaluation._borders``) are tested in
``tests/test_borders.py``.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest
from _evalroutes import evaluated, opposed, routes, xy
from _ordertext import ODD_NAMES, read_order, read_ranks
from shapely.geometry import LineString

from corridor import (
    CorridorError,
    InvalidInputError,
    ParameterError,
    ScenarioError,
    UnknownUnitError,
    scenarios,
)
from corridor._logs import reset_once
from corridor.costs import CostParams
from corridor.evaluation import DEFAULT_WEIGHTS
from corridor.evaluation._core import build_category, terrain_classes
from corridor.evaluation.metrics import (
    ROW_COLUMNS,
    RouteMetrics,
    compare,
    evaluate,
    sensitivity,
    table,
)
from corridor.route import Route
from corridor.terrain import DEM


@pytest.fixture(scope="module")
def dem():
    return DEM.open(None)


# the shared routes (tests/_evalroutes.py) and their metrics
@pytest.fixture(scope="module")
def meghri():
    return routes()["meghri"]


@pytest.fixture(scope="module")
def igdir_sadarak():
    return routes()["igdir_sadarak"]


@pytest.fixture(scope="module")
def plain_road():
    return routes()["plain_road"]


@pytest.fixture(scope="module")
def metrics():
    return evaluated()


# ---------------------------------------------------------------- invariants
def test_unit_lengths_sum_to_total(metrics):
    for m in metrics.values():
        parts = sum(m.length_by_unit_m.values())
        assert parts == pytest.approx(m.length_m, rel=1e-3)
        row = m.as_row()
        cols = [k for k in row if k.startswith("length_km_") and k.upper()[10:] in
                ("ARM", "AZE", "NAX", "GEO", "TUR", "IRN", "RUS", "OUTSIDE")]
        assert len(cols) == 8
        assert sum(row[c] for c in cols) == pytest.approx(row["length_km"], rel=1e-3)
        assert sum(m.length_by_build_m.values()) == pytest.approx(m.length_m, rel=1e-9)


def test_reversal_keeps_length_and_swaps_ascent_descent(meghri, igdir_sadarak, plain_road, metrics, dem):
    for r in (meghri, igdir_sadarak, plain_road):
        m, b = metrics[r.name], evaluate(r.reversed(), dem=dem)
        assert b.length_m == pytest.approx(m.length_m, rel=1e-9)
        assert b.profile.ascent_m == pytest.approx(m.profile.descent_m, rel=1e-6, abs=1e-3)
        assert b.profile.descent_m == pytest.approx(m.profile.ascent_m, rel=1e-6, abs=1e-3)
        assert m.profile.ascent_m > 0 or m.profile.descent_m > 0
        assert b.n_crossings == m.n_crossings
        assert b.time_h == pytest.approx(m.time_h, rel=1e-6)
        assert b.cost_musd == pytest.approx(m.cost_musd, rel=1e-6)
        assert b.over_ruling_km == pytest.approx(m.over_ruling_km, rel=1e-6)


def test_cost_band_ordered(metrics):
    for m in metrics.values():
        lo, mid, hi = m.cost_musd
        assert 0 < lo <= mid <= hi
        row = m.as_row()
        assert row["cost_low_musd"] <= row["cost_central_musd"] <= row["cost_high_musd"]


# ------------------------------------------------------------ build, terrain
def test_build_categories(dem):
    a, b, c, d = xy("Yerevan"), xy("Masis"), (44.50, 39.98), (44.55, 39.90)
    attrs = [{"build": "existing", "status": "active"}, {"build": "existing", "status": "razed"},
             {"build": "new", "status": "new"}]
    r = Route.from_lines([LineString([a, b]), LineString([b, c]), LineString([c, d])], mode="rail", attrs=attrs)
    m = evaluate(r, dem=dem)
    seg = r.segments  # pieces may be split at borders: sum them by status
    by_status = seg.groupby("status")["length_m"].sum()
    assert m.length_by_build_m["existing_active"] == pytest.approx(by_status["active"])
    assert m.length_by_build_m["existing_disused"] == pytest.approx(by_status["razed"])
    assert m.length_by_build_m["new"] == pytest.approx(by_status["new"])
    assert build_category("existing", None) == "existing_active"
    assert build_category("existing", "abandoned") == "existing_disused"
    assert build_category("existing", "construction") == "new"


def test_status_pricing(dem):
    """Disused line is rehabilitated; razed and not-yet-built line costs as much as new build."""
    line = LineString([xy("Yerevan"), xy("Masis")])

    def cost(status: str, build: str = "existing") -> tuple[float, float, float]:
        r = Route.from_lines([line], mode="rail", attrs=[{"build": build, "status": status}])
        return evaluate(r, dem=dem).cost_musd

    new = cost("new", "new")
    assert cost("razed") == pytest.approx(new)
    assert cost("construction") == pytest.approx(new)
    assert cost("proposed") == pytest.approx(new)
    assert all(0 < d < n for d, n in zip(cost("disused"), new, strict=True))
    assert cost("active") == (0.0, 0.0, 0.0)  # active track is not priced by default


def test_terrain_class_from_real_dem(metrics):
    assert metrics["Yerevan-Masis"].terrain_class in ("flat", "rolling")
    assert metrics["Yerevan-Masis"].terrain_km["mountainous"] < 0.25 * metrics["Yerevan-Masis"].length_km
    assert metrics["Ordubad-Meghri-Aghband"].terrain_class == "mountainous"
    for m in metrics.values():
        assert sum(m.terrain_km.values()) == pytest.approx(m.length_km, rel=1e-9)


def test_terrain_classes_synthetic():
    p = CostParams()
    d = np.arange(0, 10001, 250.0)
    assert terrain_classes(d, np.full(d.size, 900.0), p).tolist() == [0] * d.size
    assert set(terrain_classes(d, 900 + d * 0.03, p).tolist()) == {1}
    assert set(terrain_classes(d, 900 + d * 0.07, p).tolist()) == {2}


def test_structures_costed_and_reported(dem):
    a, b = xy("Meghri"), xy("Agarak")
    mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    plain = Route.from_lines([LineString([a, mid]), LineString([mid, b])], mode="rail")
    tunnel = Route.from_lines([LineString([a, mid]), LineString([mid, b])], mode="rail",
                              attrs=[{}, {"structure": "tunnel"}])
    mp, mt = evaluate(plain, dem=dem), evaluate(tunnel, dem=dem)
    assert mt.tunnel_km == pytest.approx(tunnel.segments["length_m"].iat[-1] / 1000)
    assert mp.tunnel_km == 0 and mt.bridge_km == 0
    assert all(t > p for t, p in zip(mt.cost_musd, mp.cost_musd, strict=True))
    assert mt.profile.structure_length_m["tunnel"] == pytest.approx(mt.tunnel_km * 1000, rel=1e-6)
    # a structure given on the route is listed as it is: no depth inferred, no earthworks
    (st,) = mt.structures
    assert st.kind == "tunnel" and st.start_m == pytest.approx(tunnel.offsets()[1])
    assert math.isnan(st.max_depth_m) and mt.cut_m3 == mt.fill_m3 == 0.0
    row = mt.as_row()
    assert row["n_tunnels"] == 1 and row["longest_tunnel_m"] == pytest.approx(mt.tunnel_km * 1000)


def test_cost_parts_sum_to_the_band_and_follow_recost(dem):
    a, b = xy("Meghri"), xy("Agarak")
    mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    r = Route.from_lines([LineString([a, mid]), LineString([mid, b])], mode="rail",
                         attrs=[{"cut_m3_per_m": 40.0, "fill_m3_per_m": 10.0},
                                {"structure": "bridge", "structure_depth_m": 25.0}])
    m = evaluate(r, dem=dem)
    seg_len = r.segments["length_m"].to_numpy()
    assert m.cut_m3 == pytest.approx(40.0 * seg_len[:-1].sum()) and m.fill_m3 == pytest.approx(10.0 * seg_len[:-1].sum())
    p = m.params
    ew = (m.cut_m3 * (p.earthwork_cut_usd_per_m3 + p.earthwork_dump_usd_per_m3)
          + m.fill_m3 * (p.earthwork_borrow_usd_per_m3 + p.earthwork_fill_usd_per_m3)) / 1e6
    assert m.cost_parts_musd["earthworks"] == pytest.approx((ew, ew, ew))
    assert m.cost_parts_musd["bridges"][1] == pytest.approx(m.bridge_km * p.rail_bridge_musd_per_km[1])
    for k in range(3):
        assert sum(v[k] for v in m.cost_parts_musd.values()) == pytest.approx(m.cost_musd[k])
    assert m.structures[0].max_depth_m == 25.0
    # facilities are priced once set, and recost carries every part
    dear = p.replace(border_facility_musd=(5.0, 10.0, 20.0), earthwork_cut_usd_per_m3=52.0)
    m2 = m.recost(dear)
    assert m2.cost_parts_musd["border_gauge"][1] == pytest.approx(10.0 * m.n_border_stops)
    assert m2.cost_parts_musd["earthworks"][1] > m.cost_parts_musd["earthworks"][1]
    assert m2.cost_musd[1] == pytest.approx(sum(v[1] for v in m2.cost_parts_musd.values()))
    row = m.as_row()
    assert row["cut_m3"] == m.cut_m3 and row["cost_earthworks_musd"] == pytest.approx(ew)
    assert row["cost_open_line_musd"] + row["cost_earthworks_musd"] + row["cost_tunnels_musd"] + \
        row["cost_bridges_musd"] + row["cost_border_gauge_musd"] == pytest.approx(row["cost_central_musd"])


# -------------------------------------------------------------- detour, time
def test_detour_factor(plain_road, dem):
    m = evaluate(plain_road, dem=dem)
    assert 1.0 <= m.detour_factor < 1.001
    a, b = xy("Yerevan"), xy("Masis")
    bent = Route.from_lines([LineString([a, (44.60, 40.15), b])], mode="road")
    mb = evaluate(bent, dem=dem)
    assert mb.detour_factor == pytest.approx(mb.length_m / bent.great_circle_m)
    assert mb.detour_factor > 1.2


def test_time_model(plain_road, dem):
    p = CostParams()
    m = evaluate(plain_road, dem=dem, params=p)
    # a new road at 80 km/h on flat terrain: running time ~ length / 80
    assert m.time_parts_h["running"] == pytest.approx(m.length_km / 80.0, rel=0.1)
    assert m.time_h == pytest.approx(sum(m.time_parts_h.values()))
    # an existing primary road with a 50 km/h limit is slower
    capped = Route.from_lines([plain_road.segments.geometry.iat[0]], mode="road",
                              attrs=[{"build": "existing", "status": "active", "class": "primary",
                                      "maxspeed_kmh": 50.0}])
    assert evaluate(capped, dem=dem).time_parts_h["running"] == pytest.approx(m.length_km / 50.0, rel=0.1)


def test_time_grade_penalty_and_border_dwell(metrics, meghri, dem):
    m = metrics["Ordubad-Meghri-Aghband"]
    no_penalty = CostParams(rail_grade_speed=[(1.0, 1.0)], rail_border_dwell_h=0.0, gauge_break_dwell_h=0.0)
    m2 = evaluate(meghri, dem=dem, params=no_penalty)
    assert m.over_ruling_km > 0
    assert m2.time_parts_h["running"] < m.time_parts_h["running"]
    assert m2.time_parts_h["running"] == pytest.approx(m.length_km / 100.0, rel=1e-6)
    assert m.time_parts_h["border"] == pytest.approx(2.0 * m.n_border_stops)
    assert 2 <= m.n_border_stops <= m.n_crossings
    assert m2.time_h == pytest.approx(m2.time_parts_h["running"])


def test_km_over_ruling_follows_parameter(meghri, metrics, dem):
    m = metrics["Ordubad-Meghri-Aghband"]
    loose = evaluate(meghri, dem=dem, params=CostParams(rail_ruling_grade=0.05))
    assert 0 <= loose.over_ruling_km < m.over_ruling_km <= m.length_km
    assert loose.ruling_grade == 0.05 and m.ruling_grade == 0.0125


# ---------------------------------------------------------------- provenance
def test_provenance_and_row(metrics, meghri, dem):
    m = metrics["Ordubad-Meghri-Aghband"]
    assert "GLOBE" in m.dem_source
    assert m.modelled and "modelled" in m.network_source
    r = meghri.with_meta(network_source="OSM geofabrik (extract 2026-01-01)",
                         published=[{"figure": "length", "value": 43, "unit": "km", "source": "massispost"}],
                         scenario="meghri", status="planned")
    row = evaluate(r, dem=dem).as_row()
    assert row["network_source"] == "OSM geofabrik (extract 2026-01-01)"
    assert row["published_length_km"] == 43 and row["published_sources"] == "massispost"
    assert row["scenario"] == "meghri" and row["status"] == "planned"
    contract = ["name", "mode", "length_km", "length_km_ARM", "length_km_existing_active",
                "length_km_existing_disused", "length_km_new", "n_crossings", "crossings", "n_gauge_breaks",
                "min_elevation_m", "max_elevation_m", "mean_elevation_m", "ascent_m", "descent_m", "max_grade",
                "mean_grade", "over_ruling_km", "tunnel_km", "bridge_km", "detour_factor", "time_h",
                "cost_low_musd", "cost_central_musd", "cost_high_musd", "terrain_class", "source", "modelled",
                "network_source", "dem_source"]
    assert not [c for c in contract if c not in row]
    assert all(isinstance(v, str | int | float | bool) for v in row.values())


def test_metrics_pickle_round_trip(metrics):
    m = metrics["Igdir-Sadarak"]
    back = pickle.loads(pickle.dumps(m))
    assert back.as_row() == m.as_row()
    assert back.crossings == m.crossings


# ----------------------------------------------------------------- bad input
def test_unknown_unit_code_rejected(dem):
    seg = gpd.GeoDataFrame({"unit": ["XXX"]}, geometry=[LineString([xy("Yerevan"), xy("Masis")])],
                           crs="EPSG:4326")
    r = Route.from_segments(seg, mode="road", split_units=False)
    with pytest.raises(UnknownUnitError, match="'XXX'") as ei:
        evaluate(r, dem=dem)
    assert isinstance(ei.value, ValueError) and isinstance(ei.value, CorridorError)


def test_bad_params_and_items(plain_road, dem):
    with pytest.raises(ParameterError, match="CostParams"):
        evaluate(plain_road, dem=dem, params={"rail_new_musd_per_km": 1})  # type: ignore[arg-type]
    with pytest.raises(CorridorError, match="cannot evaluate"):
        evaluate(42, dem=dem)
    with pytest.raises(CorridorError, match="nothing to compare"):
        compare([], dem=dem)


# ----------------------------------------------------------- compare, ranks
def test_compare_table_and_rank(meghri, igdir_sadarak, plain_road, metrics, dem):
    t = compare([meghri, igdir_sadarak, plain_road], dem=dem)
    assert list(t["name"]) == [meghri.name, igdir_sadarak.name, plain_road.name]
    assert sorted(t["rank"]) == [1, 2, 3]
    assert t["score"].between(0, 1).all()
    for crit in DEFAULT_WEIGHTS:
        assert crit in t.columns
    # RouteMetrics are accepted as they are, without re-evaluation
    t2 = compare(list(metrics.values()), weights={"length_km": 1})
    best = t2.loc[t2["rank"] == 1, "name"].item()
    assert best == min(metrics.values(), key=lambda m: m.length_m).name


def test_in_rank_order_is_the_display_order_of_the_table(metrics):
    from corridor.evaluation import comparison, in_rank_order

    ms = list(metrics.values())
    t = table(ms, weights={"length_km": 1})  # the table keeps the order the routes were given in
    assert list(t["name"]) == [m.name for m in ms] and list(t["rank"]) != sorted(t["rank"])
    ordered = in_rank_order(t)
    assert list(ordered["rank"]) == sorted(t["rank"]) and set(ordered.index) == set(t.index)
    assert ordered.loc[0].equals(t.loc[0])  # rows move whole, index kept
    tied = t.assign(rank=[2, 1, 2])
    assert list(in_rank_order(tied)["name"]) == [ms[1].name, ms[0].name, ms[2].name]  # ties keep the table's order
    assert list(in_rank_order(t.drop(columns="rank"))["name"]) == list(t["name"])
    # the notebook display reads the same order
    html = comparison(ms, weights={"length_km": 1})._repr_html_()
    assert [html.index(n) for n in ordered["name"]] == sorted(html.index(n) for n in ordered["name"])


def test_compare_weights_validation(metrics):
    ms = list(metrics.values())
    with pytest.raises(ParameterError, match="'speed'"):
        compare(ms, weights={"speed": 1})
    with pytest.raises(ParameterError, match="-2"):
        compare(ms, weights={"length_km": -2})
    with pytest.raises(ParameterError, match="at least one weight"):
        compare(ms, weights={"length_km": 0})
    with pytest.raises(ParameterError, match="not numeric"):
        compare(ms, weights={"terrain_class": 1})


def test_compare_recosts_metrics_with_params(metrics):
    ms = list(metrics.values())
    dear = CostParams().scaled("rail_new_musd_per_km", 2.0)
    t1, t2 = compare(ms), compare(ms, params=dear)
    rail = t1["mode"] == "rail"
    assert (t2.loc[rail, "cost_central_musd"] > t1.loc[rail, "cost_central_musd"]).all()
    assert (t2.loc[~rail, "cost_central_musd"] == t1.loc[~rail, "cost_central_musd"]).all()


def test_sensitivity_reports_rank_flip():
    ma, mb = opposed()  # A: short but with a long tunnel (dear); B: longer, open line (cheaper)
    assert ma.length_m < mb.length_m and ma.cost_musd[1] > mb.cost_musd[1]
    w = {"length_km": 1.0, "cost_central_musd": 1.2}
    s = sensitivity([ma, mb], weights=w)
    assert len(s) == 1 + 2 * len(w) + 2 * len(CostParams.cost_keys())
    base = s.iloc[0]
    assert base["parameter"] == "base" and not base["changed"] and base["order"] == "B > A"
    flip = s[(s["parameter"] == "cost_central_musd") & (s["factor"] == 0.5)].iloc[0]
    assert flip["changed"] and flip["order"] == "A > B" and flip["kendall_tau"] == pytest.approx(-1.0)
    keep = s[(s["parameter"] == "cost_central_musd") & (s["factor"] == 1.5)].iloc[0]
    assert not keep["changed"]
    tunnel_cheap = s[(s["parameter"] == "rail_tunnel_musd_per_km") & (s["factor"] == 0.5)].iloc[0]
    assert tunnel_cheap["kind"] == "unit_cost"
    # halving the tunnel cost lowers A's cost only: A's score cannot get worse
    cheap_a = ma.recost(CostParams().scaled("rail_tunnel_musd_per_km", 0.5))
    assert cheap_a.cost_musd[1] < ma.cost_musd[1] and cheap_a.length_m == ma.length_m
    with pytest.raises(ParameterError, match="factor"):
        sensitivity([ma, mb], factors=(math.nan,))
    # equal weights on the two opposed criteria tie the routes: the order says so, not "A > B"
    tie = sensitivity([ma, mb], weights={"length_km": 1.0, "cost_central_musd": 2.0})
    tied = tie[(tie["parameter"] == "cost_central_musd") & (tie["factor"] == 0.5)].iloc[0]
    assert tied["order"] == "A = B" and tied["changed"] and tie.iloc[0]["order"] == "B > A"
    assert tied["rank_groups"] == (("A", "B"),) and tie.iloc[0]["rank_groups"] == (("B",), ("A",))


def test_sensitivity_carries_ties_as_groups_not_text():
    """A name holding " = " or " > " is one route, not a tie or an order: the groups say which routes tie,
    and the text of the order sets such a name in quotes."""
    ma, mb = opposed()
    odd = replace(ma, name="A = B")
    s = sensitivity([odd, mb], weights={"length_km": 1.0, "cost_central_musd": 2.0})
    base = s.iloc[0]
    assert base["rank_groups"] == (("B",), ("A = B",)) and base["order"] == "B > “A = B”"  # no tie
    # equal weights on the two opposed criteria: a real tie, of the two routes
    tied = s[(s["parameter"] == "cost_central_musd") & (s["factor"] == 0.5)].iloc[0]
    assert tied["rank_groups"] == (("A = B", "B"),) and tied["order"] == "“A = B” = B"
    assert [len(g) for g in tied["rank_groups"]] == [2]
    # a longer weight on length puts B last
    odd2 = replace(mb, name="B > A")
    flip = sensitivity([ma, odd2], weights={"length_km": 1.0, "cost_central_musd": 1.0})
    assert flip.iloc[0]["rank_groups"] == (("A", "B > A"),) and flip.iloc[0]["order"] == "A = “B > A”"
    longer = flip[(flip["parameter"] == "length_km") & (flip["factor"] == 1.5)].iloc[0]
    assert longer["rank_groups"] == (("A",), ("B > A",)) and longer["order"] == "A > “B > A”"
    assert longer["changed"] and math.isnan(longer["kendall_tau"])  # from a tie of all: no tau


def test_sensitivity_text_of_scenarios_with_odd_names(tmp_path, dem):
    """Scenario files whose names hold =, "; ", curly and straight quotes and >: in every row of the
    sensitivity table the order and the ranks, as text, read back as its rank_groups and ranks."""
    import json

    p = tmp_path / "odd.toml"
    ends = [[45.63, 38.96], [45.70, 39.10], [45.55, 39.05], [45.63, 38.96]]  # the last ties with the first
    names = ODD_NAMES[:4]
    p.write_text("".join(f'[[scenario]]\nname = {json.dumps(n, ensure_ascii=False)}\nmode = "road"\n'
                         f"waypoints = [[45.40, 39.21], {e}]\n" for n, e in zip(names, ends, strict=True)),
                 encoding="utf-8")
    s = sensitivity(str(p), dem=dem, network=None, weights={"length_km": 1.0, "cost_central_musd": 1.0})
    assert len(s) > 1 and (names[0], names[3]) in s.iloc[0]["rank_groups"]  # a tie, of two odd names
    for _, row in s.iterrows():
        assert read_order(row["order"]) == row["rank_groups"]
        assert sorted(n for g in row["rank_groups"] for n in g) == sorted(names)
        pairs = read_ranks(row["ranks"])
        assert [n for n, _ in pairs] == names
        by_rank = {}
        for n, r in pairs:
            by_rank.setdefault(r, []).append(n)
        assert tuple(tuple(by_rank[r]) for r in sorted(by_rank)) == row["rank_groups"]


def test_table_of_metrics_matches_as_row(metrics):
    ms = list(metrics.values())
    t = table(ms)
    for i, m in enumerate(ms):
        assert t["length_km"].iat[i] == m.length_km
        assert t["crossings"].iat[i] == m.crossings_text()
    assert isinstance(ms[0], RouteMetrics)


# ----------------------------------------------------------------------------- inputs (issue 15 §7)
def test_one_scenario_name_or_path_is_one_item(tmp_path, dem):
    t = compare("meghri-rail", dem=dem)  # was split into letters: "unknown scenario 'm'"
    assert t["scenario"].tolist() == ["meghri-rail"] and t["rank"].tolist() == [1]
    p = tmp_path / "two.toml"
    p.write_text('[[scenario]]\nname = "A"\nmode = "road"\nwaypoints = [[45.40, 39.21], [45.63, 38.96]]\n'
                 '[[scenario]]\nname = "B"\nmode = "road"\nwaypoints = [[45.40, 39.21], [45.70, 39.10]]\n')
    assert compare(p, dem=dem, network=None)["name"].tolist() == ["A", "B"]  # a Path is one file
    assert sensitivity(str(p), dem=dem, network=None)["ranks"].iloc[0] in ("A=1; B=2", "A=2; B=1")


def test_duplicate_names_are_rejected_with_both_sources(tmp_path, metrics, plain_road):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    for p in (a, b):
        p.write_text('[scenario]\nname = "Dup"\nmode = "road"\nwaypoints = [[45.40, 39.21], [45.63, 38.96]]\n')
    with pytest.raises(ScenarioError, match=r"'Dup'.*a\.toml.*b\.toml"):
        sensitivity([a, b], network=None)
    with pytest.raises(ScenarioError, match=r"item 1 \(RouteMetrics\) and item 2 \(RouteMetrics\)"):
        compare([metrics["Yerevan-Masis"], metrics["Yerevan-Masis"]])
    with pytest.raises(ScenarioError, match="Yerevan-Masis"):
        table([metrics["Yerevan-Masis"], metrics["Yerevan-Masis"]])


def test_table_of_nothing_has_the_columns(metrics):
    empty = table([])
    full = table(list(metrics.values()))
    assert len(empty) == 0 and list(empty.columns) == [c for c in full.columns if not c.startswith("published_")]
    assert list(empty.columns) == [*ROW_COLUMNS, "score", "rank"]
    with pytest.raises(ParameterError):
        table([], weights={"nope": 1})
    with pytest.raises(InvalidInputError, match="RouteMetrics"):
        table([1])
    assert table(metrics["Yerevan-Masis"])["name"].tolist() == ["Yerevan-Masis"]  # one item


# ------------------------------------------------------------------ notebook display (issue 18)
def test_metrics_and_comparison_html():
    """RouteMetrics and a comparison display as escaped summaries with the profile as inline SVG."""
    from shapely.geometry import LineString

    from corridor.evaluation import comparison, evaluate
    from corridor.route import Route

    ms = [evaluate(Route.from_lines([LineString([(46.0, 38.92), (x, 38.92)])], mode="rail", name=n))
          for n, x in (("<b>short</b>", 46.3), ("long", 46.6))]
    html = ms[0]._repr_html_()
    assert "&lt;b&gt;short&lt;/b&gt;" in html and "<b>short" not in html
    assert "Length in Nakhchivan" in html and "Maximum grade" in html and "million USD" in html
    assert "length_km" not in html
    assert html.count("<svg") == 1 and "<script" not in html
    c = comparison(ms)
    assert list(c.table["name"]) == ["<b>short</b>", "long"]
    table_html = c._repr_html_()
    assert table_html.count("<svg") == 2 and table_html.count("<tr>") == 3
    assert table_html.index("&lt;b&gt;short") < table_html.index("long")  # ranked order


def test_renamed_columns_keep_their_old_names_for_one_release():
    """Columns now end in their unit (issue 17): the old names still work, with a DeprecationWarning."""
    from shapely.geometry import LineString

    from corridor.evaluation import evaluate
    from corridor.evaluation.ranking import RENAMED_COLUMNS, check_weights
    from corridor.route import Route

    m = evaluate(Route.from_lines([LineString([(44.50, 40.10), (44.60, 40.25)])], mode="rail"))
    row = m.as_row()
    assert set(RENAMED_COLUMNS.values()) <= set(row) and not set(RENAMED_COLUMNS) & set(row)
    with pytest.warns(DeprecationWarning, match="over_ruling_km"):
        assert m.km_over_ruling == m.over_ruling_km
    with pytest.warns(DeprecationWarning, match="'flat_km'"):
        assert check_weights({"km_flat": 2.0}) == {"flat_km": 2.0}


@pytest.mark.parametrize("status, counted", [("construction", True), ("razed", True), ("disused", False),
                                             ("abandoned", False), ("active", False)])
def test_earthworks_count_only_on_line_priced_as_new_build(dem, status, counted):
    """Modelled reference lines carry their design's earthworks; a line rehabilitated on its formation has none."""
    a, b = xy("Meghri"), xy("Agarak")
    r = Route.from_lines([LineString([a, b])], mode="rail",
                         attrs=[{"build": "existing", "status": status, "cut_m3_per_m": 40.0, "fill_m3_per_m": 10.0}])
    m = evaluate(r, dem=dem, dem_samples=0)
    length = float(r.segments["length_m"].sum())
    assert m.cut_m3 == pytest.approx(40.0 * length if counted else 0.0)
    assert m.fill_m3 == pytest.approx(10.0 * length if counted else 0.0)


# ------------------------------------------------------- designed new build: one cost model
@pytest.fixture(scope="module")
def traced_road():
    from corridor.align import trace

    return trace(["Meghri", "Agarak"], mode="road", network=None)


def test_designed_new_build_costs_what_its_design_costs(traced_road):
    # the vertical design prices the terrain as earthworks; the evaluation must not add a terrain factor on
    # top (it did: the line was chosen under one cost model and reported under another)
    m = evaluate(traced_road, dem_samples=0)
    parts = {k: v[1] for k, v in m.cost_parts_musd.items()}
    assert parts["open_line"] + parts["earthworks"] + parts["tunnels"] + parts["bridges"] == pytest.approx(
        traced_road.meta["design_cost_musd"], rel=1e-6)
    assert all(t == "designed" for (_m, b, t, s) in m.quantities_km if b == "new" and s == "none")
    # the same line without its design (no earthworks known) takes the terrain factor of its ground
    bare = Route.from_segments(traced_road.segments.drop(columns=["cut_m3_per_m", "fill_m3_per_m"]),
                               mode="road", split_units=False)
    mb = evaluate(bare, dem_samples=0)
    assert mb.cut_m3 == 0 and all(t != "designed" for (_m, _b, t, _s) in mb.quantities_km)


def test_the_ruling_grade_is_the_one_the_route_was_traced_to(traced_road):
    steep = traced_road.with_meta(max_grade=0.02)
    m = evaluate(steep, dem_samples=0)
    assert m.ruling_grade == 0.02
    over = m.over_ruling_km
    assert evaluate(traced_road.with_meta(max_grade=0.12), dem_samples=0).over_ruling_km <= over
    plain = traced_road.with_meta(max_grade=None)
    assert evaluate(plain, dem_samples=0, params=CostParams().replace(road_ruling_grade=0.06)).ruling_grade == 0.06


def test_a_design_parameter_override_on_stored_reference_designs_is_a_warning(caplog):
    import logging


    r = scenarios.get("meghri-road").route(network="reference")
    reset_once()
    with caplog.at_level(logging.WARNING, logger="corridor.evaluation._core"):
        evaluate(r, dem_samples=0, params=CostParams().replace(gauge_break_dwell_h=1.0))  # not a design field
        assert not caplog.records
        evaluate(r, dem_samples=0, params=CostParams().replace(max_cut_depth_m=5.0))
    assert "max_cut_depth_m" in caplog.text and "not redraw" in caplog.text


def test_a_route_traced_to_another_ruling_grade_over_stored_designs_is_a_warning(caplog):
    """`corridor route --max-grade` / `sweep --vary max_grade` over the reference network: the stored
    lines keep the design drawn at the default ruling grade, and the user is told so."""
    import logging

    r = scenarios.get("meghri-road").route(network="reference")
    reset_once()
    with caplog.at_level(logging.WARNING, logger="corridor.evaluation._core"):
        evaluate(r, dem_samples=0)
        assert not caplog.records  # traced at the default: nothing to say
        evaluate(r.with_meta(max_grade=0.06), dem_samples=0)
    assert "traced to 60 per mille" in caplog.text and "designed at 80" in caplog.text
    assert "not redraw" in caplog.text
    # a costs file's ruling grade is traced too (route.meta["max_grade"]): named once, not twice
    caplog.clear()
    reset_once()
    with caplog.at_level(logging.WARNING, logger="corridor.evaluation._core"):
        evaluate(r.with_meta(max_grade=0.06), dem_samples=0, params=CostParams().replace(road_ruling_grade=0.06))
    assert "traced to 60 per mille" in caplog.text and "road_ruling_grade" not in caplog.text


def test_published_sources_list_each_source_once():
    from corridor.evaluation._rows import published_columns
    cols = published_columns([{"figure": "length", "value": 224, "unit": "km", "source": "menafn.com 1; report.az"},
                              {"figure": "cost", "value": 2400, "unit": "MEUR", "source": "menafn.com 1"}])
    assert cols["published_sources"] == "menafn.com 1; report.az"
