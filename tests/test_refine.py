"""Tests of corridor.align._refine: legs searched again around their designed structures.

Lines are traced over the embedded GLOBE 30" DEM (data/region; the figures in the comments
were measured on it). Solvers that return a given path stand in for the search where a test
needs a re-searched leg of known shape.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from corridor._errors import ParameterError
from corridor._types import Place
from corridor.align import _refine, trace
from corridor.align._assembly import cut_spurs, leg_items
from corridor.align._problem import setup
from corridor.align.tracing import _grade_fields, _solve_leg, _trace_problem
from corridor.costs import CostParams

ONE_PASS = CostParams().replace(vertical_refine_rounds=0)
#: Horadiz to Gumlagh (the first leg of the Horadiz - Aghband scenario): the one-pass line climbs
#: from the Araks plain to Gumlagh on a long viaduct
LEG = ["Horadiz", "Gumlagh"]


def _km(route, kind: str) -> float:
    seg = route.segments
    return float(seg.loc[seg["structure"] == kind, "length_m"].sum()) / 1000


@pytest.fixture(scope="module")
def one_pass():
    return trace(LEG, mode="rail", stay_in=["AZE"], params=ONE_PASS)


@pytest.fixture(scope="module")
def refined():
    return trace(LEG, mode="rail", stay_in=["AZE"])


def test_a_leg_searched_again_around_its_viaduct_is_cheaper_and_has_no_long_viaduct(one_pass, refined):
    before, after = refined.meta["refinement"]["design_cost_musd"]
    # the refinement starts from the one-pass line: same designed cost
    assert before == pytest.approx(one_pass.meta["design_cost_musd"], rel=1e-9)
    assert after == pytest.approx(refined.meta["design_cost_musd"], rel=1e-9)
    assert refined.meta["refinement"]["legs_kept"] >= 1
    assert after < 0.9 * before  # designed 461 -> 312 M USD (evaluation: 424 -> 259 M USD central)
    # measured 9.4 km of bridge (a 7.4 km viaduct) -> none; the line is longer (51.1 -> 55.6 km: development)
    assert _km(one_pass, "bridge") > 5.0
    assert _km(refined, "bridge") < 0.25 * _km(one_pass, "bridge")
    assert refined.length_m > one_pass.length_m
    # still within the ruling grade everywhere: the design is the whole line's, not a spliced one
    for run in refined.meta["formation"]["runs"]:
        g = np.abs(np.diff(run["level_m"]) / np.diff(run["distance_m"]))
        assert g.max() <= 0.0125 + 1e-4


def test_no_rounds_leaves_the_first_line(one_pass):
    assert one_pass.meta["refinement"]["legs_kept"] == 0
    first, last = one_pass.meta["refinement"]["design_cost_musd"]
    assert first == last == one_pass.meta["design_cost_musd"]


def _problem(params=None):
    pb = setup(LEG, "rail", None, ["AZE"], None, None, None, None, "grade", params, None)
    first = _trace_problem(pb, pb.costs, None, True)
    return pb, first


def test_a_dearer_re_search_is_dropped_and_its_penalty_undone():
    pb, first = _problem(ONE_PASS)
    pb.params = CostParams()  # the first line is the one-pass line; the refinement runs with the defaults
    costs = pb.costs.copy()
    fields = _grade_fields(pb, costs)
    steps, c = _solve_leg(pb, 0, costs, None, fields)
    legs, leg_costs = [steps], [c]
    costs0, factor0 = costs.copy(), fields.factor.copy()
    # a "re-search" that wanders: out to a cell ~20 km south-east of the straight line and back
    (ra, ca), (rb, cb) = pb.cells
    mid = ((ra + rb) // 2 + 20, (ca + cb) // 2 + 20)
    wander = [("cell", r, c) for r, c in [(ra, ca), mid, (rb, cb)]]
    calls = []

    def solve(i, cst, f):
        calls.append(i)
        assert (cst > costs0).any() and (f.factor > factor0).any()  # searched with the penalty
        return wander, 0.0

    route, info = _refine.refine(pb, costs, fields, legs, leg_costs, [leg_items(pb, 0, steps, None)], first, None,
                                 "t", solve)
    assert calls  # the leg has structures, so it was searched again ...
    assert route is first and info["legs_kept"] == 0  # ... and the dearer line was not kept
    assert legs == [steps] and leg_costs == [c]
    np.testing.assert_array_equal(costs, costs0)  # the penalty went with the dropped leg
    np.testing.assert_array_equal(fields.factor, factor0)


def test_structure_cells_lie_under_the_leg_structures_and_spare_the_waypoints(one_pass):
    pb, _first = _problem(ONE_PASS)
    rows, cols = _refine.structure_cells(pb, one_pass, 0)
    assert rows.size > 0
    assert not {(int(r), int(c)) for r, c in zip(rows, cols, strict=True)} & set(pb.cells)
    # every structure's middle falls in a listed cell
    seg = one_pass.segments
    cells = set(zip(rows.tolist(), cols.tolist(), strict=True))
    for geom in seg.loc[seg["structure"] != "none", "geometry"]:
        mid = geom.interpolate(0.5, normalized=True)
        assert pb.grid.rowcol(mid.x, mid.y) in cells
    assert _refine.structure_cells(pb, one_pass, 5) is None  # no such leg: nothing under it


def test_a_line_without_structures_is_not_searched_again(monkeypatch):
    from corridor.align import tracing

    calls = []
    solve = tracing._solve_leg
    monkeypatch.setattr(tracing, "_solve_leg", lambda *a, **k: calls.append(a[1]) or solve(*a, **k))
    r = trace(["Yeraskh", "Sadarak"], mode="rail")  # 5.6 km on the Araks plain, no structure
    assert (r.segments["structure"] == "none").all()
    assert calls == [0]  # the first search only
    assert r.meta["refinement"]["legs_kept"] == 0


def _refine_with(monkeypatch, assembled):
    """refine() on Horadiz - Gumlagh where every re-searched leg looks cheaper on its own and
    ``assembled()`` stands for the line assembled with it."""
    pb, first = _problem(ONE_PASS)
    pb.params = CostParams()
    costs = pb.costs.copy()
    fields = _grade_fields(pb, costs)
    steps, c = _solve_leg(pb, 0, costs, None, fields)
    costs0, factor0 = costs.copy(), fields.factor.copy()
    other = [("cell", *pb.cells[0]), ("cell", pb.cells[0][0] + 1, pb.cells[0][1]), ("cell", *pb.cells[1])]
    leg_cost = iter([100.0, 1.0] * 10)  # the current leg, then the new one: always cheaper
    monkeypatch.setattr(_refine, "_leg_cost", lambda *a: next(leg_cost))
    monkeypatch.setattr(_refine, "assemble_items", lambda *a: assembled(first))
    route, info = _refine.refine(pb, costs, fields, [steps], [c], [leg_items(pb, 0, steps, None)], first, None,
                                 "t", lambda *a: (other, 0.0))
    assert route is first and info["legs_kept"] == 0 and info["design_cost_musd"][0] == info["design_cost_musd"][1]
    np.testing.assert_array_equal(costs, costs0)  # every factor tried, then the cells' own cost back
    np.testing.assert_array_equal(fields.factor, factor0)


def test_a_leg_cheaper_alone_but_not_in_the_whole_line_is_dropped(monkeypatch):
    # the whole line designed again costs more than the line it would replace
    _refine_with(monkeypatch, lambda first: first.with_meta(design_cost_musd=first.meta["design_cost_musd"] + 1.0))


def test_a_re_searched_leg_that_cannot_be_designed_is_dropped(monkeypatch):
    from corridor._errors import NoFeasibleAlignment

    def fail(first):
        raise NoFeasibleAlignment("a given waypoint level out of reach")

    _refine_with(monkeypatch, fail)


def test_rounds_and_penalties_are_validated_parameters():
    p = CostParams()
    assert p.vertical_refine_rounds == 3 and p.vertical_refine_penalties == (1.5, 3.0, 10.0)
    assert CostParams.from_dict({"vertical_refine_rounds": 1}).vertical_refine_rounds == 1
    assert CostParams.from_dict({"vertical_refine_penalties": [2, 4.5]}).vertical_refine_penalties == (2.0, 4.5)
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ParameterError, match="vertical_refine_rounds"):
            CostParams(vertical_refine_rounds=bad)
    for bad in ((), (1.0,), (2.0, 0.5), (float("inf"),), "3"):
        with pytest.raises(ParameterError, match="vertical_refine_penalties"):
            CostParams.from_dict({"vertical_refine_penalties": bad})


def test_each_factor_is_tried_in_turn_from_the_cells_own_cost():
    pb, first = _problem(ONE_PASS)
    pb.params = CostParams().replace(vertical_refine_penalties=(1.5, 4.0))
    costs = pb.costs.copy()
    fields = _grade_fields(pb, costs)
    steps, c = _solve_leg(pb, 0, costs, None, fields)
    costs0 = costs.copy()
    cells = _refine.structure_cells(pb, first, 0)
    assert cells is not None and np.isfinite(costs0[cells]).any()
    seen = []

    def solve(i, cst, f):  # the same path again: nothing to keep
        ok = np.isfinite(costs0[cells]) & (costs0[cells] > 0)
        seen.append(float(np.median(cst[cells][ok] / costs0[cells][ok])))
        return steps, c

    route, info = _refine.refine(pb, costs, fields, [steps], [c], [leg_items(pb, 0, steps, None)], first, None,
                                 "t", solve)
    assert seen == pytest.approx([1.5, 4.0])  # not 1.5 * 4: each factor on the cells' own cost
    assert route is first and info["legs_kept"] == 0
    np.testing.assert_array_equal(costs, costs0)


def test_a_path_between_the_same_levels_is_designed_once(monkeypatch):
    """A re-searched path that was not cheaper between given end levels is not designed again when a
    stronger penalty or a later round finds it again."""
    seen: list[tuple] = []
    leg_cost = _refine._leg_cost

    def counting(pb, items, ends):
        seen.append((tuple(np.round(np.vstack([c for c, _a, _l in items]), 9).ravel()), ends))
        return leg_cost(pb, items, ends)

    monkeypatch.setattr(_refine, "_leg_cost", counting)
    r = trace(["Horadiz", "Gumlagh", "Hakari (settlement)", "Minjivan"], mode="rail", stay_in=["AZE"])
    assert r.meta["refinement"]["legs"]  # some leg was searched again and kept
    assert len(seen) == len(set(seen)) > 0


def test_a_leg_is_designed_as_the_route_has_it_with_its_spurs_cut():
    """The refinement designs a leg between the levels at the route's stations, so the leg is cut as
    in the route: cut_spurs on the leg and its neighbours (first = their index) cuts as on all legs."""
    places = [Place("A", 45.0, 39.0), Place("B", 45.05, 39.0), Place("C", 45.1, 39.02), Place("D", 45.2, 39.0)]
    pb = SimpleNamespace(places=places)
    legs = [[(np.array([(45.0, 39.0), (45.05, 39.0)]), None, 0)],
            [(np.array([(45.05, 39.0), (45.1, 39.0), (45.1, 39.02)]), None, 1)],  # east, north 2.2 km to C ...
            [(np.array([(45.1, 39.02), (45.1, 39.0), (45.2, 39.0)]), None, 2)]]  # ... and back: a spur
    whole, st_whole, spurs = cut_spurs(pb, legs)
    part, st_part, _ = cut_spurs(pb, legs[1:], first=1)
    assert [sp["waypoint"] for sp in spurs] == ["C"] and set(st_whole) == set(st_part) == {2}
    assert np.allclose(whole[1][0][0], part[0][0][0]) and np.allclose(whole[2][0][0], part[1][0][0])
    assert _refine._as_routed(pb, legs, 1, legs[1])[0][0][-1].tolist() == st_whole[2].tolist()
