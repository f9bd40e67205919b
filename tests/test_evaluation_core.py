"""corridor.evaluation._core: the cost of a route's part in each country unit.

Routes are built from lines across the Armenia / Nakhchivan border (``Route.from_lines`` splits
them at the border), evaluated on the embedded DEM with the DEM band off; the expected figures
come from the cost parts of the same metrics, not from hard-coded numbers.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import replace

import pytest
from shapely.geometry import LineString

from corridor._types import UNITS
from corridor.costs import CostParams
from corridor.evaluation import RouteMetrics, evaluate, sensitivity, table
from corridor.evaluation import _core as core
from corridor.evaluation.published import published_table
from corridor.route import Route

_ACROSS = LineString([(45.9, 38.95), (46.3, 38.92)])  # NAX, then ARM


def _parts_sum(m):
    return sum(v[1] for k, v in m.cost_parts_musd.items() if k != "border_gauge")


@pytest.fixture(scope="module")
def across():
    return evaluate(Route.from_lines([_ACROSS], mode="rail"), dem_samples=0)


def test_unit_costs_add_up_to_the_cost_less_border_works(across):
    assert set(across.quantities_km_by_unit) == {"ARM", "NAX"}
    row = across.as_row()
    total = sum(row[f"cost_central_musd_{u}"] for u in (*UNITS, core.OUTSIDE))
    assert total == pytest.approx(across.cost_musd[1] - across.cost_parts_musd["border_gauge"][1])
    assert total == pytest.approx(_parts_sum(across))
    assert row["cost_central_musd_ARM"] > 0 and row["cost_central_musd_NAX"] > 0
    assert row["cost_central_musd_TUR"] == 0.0 and across.cost_in_unit_musd("GEO") == (0.0, 0.0, 0.0)


def test_unit_cost_follows_the_units_own_kilometres(across):
    # both parts are new open line of one kind per terrain: each unit's quantities are its own km
    for u in ("ARM", "NAX"):
        km = sum(across.quantities_km_by_unit[u].values())
        assert km == pytest.approx(across.length_by_unit_m[u] / 1000.0, rel=1e-6)


def test_a_tunnel_is_priced_in_the_unit_it_lies_in():
    r = Route.from_lines([_ACROSS], mode="rail")
    seg = r.segments.copy()
    seg.loc[seg["unit"] == "ARM", "structure"] = "tunnel"  # the Armenian part in tunnel
    tunnelled = evaluate(replace(r, segments=seg), dem_samples=0)
    plain = evaluate(r, dem_samples=0)
    arm_km = tunnelled.length_by_unit_m["ARM"] / 1000.0
    rate = CostParams().rail_tunnel_musd_per_km[1]
    assert tunnelled.cost_in_unit_musd("ARM")[1] == pytest.approx(arm_km * rate)
    assert tunnelled.cost_in_unit_musd("NAX") == pytest.approx(plain.cost_in_unit_musd("NAX"))
    # recosting at other rates moves the unit's cost with them
    dear = tunnelled.recost(CostParams().replace(rail_tunnel_musd_per_km=(50.0, 80.0, 120.0)))
    assert dear.cost_in_unit_musd("ARM")[1] == pytest.approx(arm_km * 80.0)
    assert dear.as_row()["cost_central_musd_ARM"] == pytest.approx(arm_km * 80.0)


def test_earthworks_are_counted_in_their_unit(across):
    total, by_unit = core.earthworks(Route.from_lines([_ACROSS], mode="rail"))
    assert by_unit == across.earthworks_m3_by_unit and set(by_unit) == {"ARM", "NAX"}
    assert total == (across.cut_m3, across.fill_m3)
    cut = sum(c for c, _f in across.earthworks_m3_by_unit.values())
    fill = sum(f for _c, f in across.earthworks_m3_by_unit.values())
    assert (cut, fill) == pytest.approx((across.cut_m3, across.fill_m3))


def test_unit_cost_of_quantities():
    p = CostParams()
    q = {("rail", "new", "flat", "tunnel"): 2.0, ("rail", "new", "flat", "bridge"): 1.0}
    lo, mid, hi = core.unit_cost(q, 1000.0, 0.0, p)
    ew = 1000.0 * (p.earthwork_cut_usd_per_m3 + p.earthwork_dump_usd_per_m3) / 1e6
    assert mid == pytest.approx(2.0 * p.rail_tunnel_musd_per_km[1] + p.rail_bridge_musd_per_km[1] + ew)
    assert lo <= mid <= hi
    assert core.unit_cost({}, 0.0, 0.0, p) == (0.0, 0.0, 0.0)


def test_metrics_without_costs_by_unit_give_no_unit_cost_rather_than_zero(across):
    m = across
    unit = max(m.length_by_unit_m, key=m.length_by_unit_m.get)
    assert m.as_row()[f"cost_central_musd_{unit}"] > 0
    # pickled before the costs by unit were kept: its state has no such fields
    old = RouteMetrics.__new__(RouteMetrics)
    old.__dict__.update({k: v for k, v in m.__dict__.items()
                         if k not in ("quantities_km_by_unit", "earthworks_m3_by_unit")})
    back = pickle.loads(pickle.dumps(old))
    assert math.isnan(back.as_row()[f"cost_central_musd_{unit}"])
    assert back.recost(CostParams()).cost_musd == pytest.approx(m.cost_musd)
    # made by hand without them: a published cost in the unit has no modelled counterpart, not -100 %
    figure = {"figure": "section cost", "value": 100, "unit": "MUSD", "source": "s", "measure": f"cost_in_{unit}"}
    by_hand = replace(m, quantities_km_by_unit={}, earthworks_m3_by_unit={}, published=(figure,))
    assert all(math.isnan(c) for c in by_hand.cost_in_unit_musd(unit))
    pub = published_table([by_hand])
    assert math.isnan(pub["modelled"].iloc[0]) and math.isnan(pub["diff_pct"].iloc[0])
    assert "the model gives no" in pub["note"].iloc[0]


def test_sensitivity_recosts_the_cost_in_each_unit(across):
    # A: 1 km of tunnel in Armenia (40 M USD central); B: open line in Armenia costing 50 M USD
    m = across
    line = ("rail", "new", "flat", "none")
    km = 50.0 / core.unit_cost({line: 1.0}, 0.0, 0.0, CostParams())[1]
    ma = replace(m, name="A", quantities_km_by_unit={"ARM": {("rail", "new", "flat", "tunnel"): 1.0}},
                 earthworks_m3_by_unit={})
    mb = replace(m, name="B", quantities_km_by_unit={"ARM": {line: km}}, earthworks_m3_by_unit={})
    w = {"cost_central_musd_ARM": 1.0}
    s = sensitivity([ma, mb], weights=w)
    assert s.iloc[0]["order"] == "A > B"
    dear = s[(s["parameter"] == "rail_tunnel_musd_per_km") & (s["factor"] == 1.5)].iloc[0]
    assert dear["changed"] and dear["order"] == "B > A"  # A's tunnel now costs 60 M USD
    for _, row in s[s["kind"] == "unit_cost"].iterrows():  # each row ranks as compare at those unit costs
        p2 = CostParams().scaled(row["parameter"], row["factor"])
        assert row["ranks"] == "; ".join(f"{n}={r}" for n, r in zip(
            ["A", "B"], table([ma.recost(p2), mb.recost(p2)], weights=w)["rank"], strict=True))
