"""corridor.evaluation.published: modelled vs published figures.

Metrics are constructed (``SimpleNamespace`` with an ``as_row``) so every expected %
difference is computed by hand, plus one real evaluation of a built-in scenario.
"""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import pytest

from corridor import scenarios
from corridor._text import write_csv
from corridor.evaluation.metrics import ROW_COLUMNS
from corridor.evaluation.published import (
    COLUMNS,
    FIGURE_UNITS,
    MEASURES,
    NO_COUNTERPART,
    USD_PER_EUR,
    compare_figure,
    published_table,
)


def _metrics(name, published, **row):
    return SimpleNamespace(name=name, meta={"scenario": name.lower()}, published=tuple(published),
                           as_row=lambda: dict(row))


def _fig(figure, value, unit, measure=None, source="src"):
    item = {"figure": figure, "value": value, "unit": unit, "source": source}
    if measure is not None:
        item["measure"] = measure
    return item


def test_percent_difference_on_a_constructed_example():
    m = _metrics("A", [_fig("main line", 110.0, "km", "length"),
                       _fig("section in Armenia", 40.0, "km", "length_in_ARM"),
                       _fig("longest tunnel", 1000, "m", "longest_tunnel"),
                       _fig("tunnels", 2.0, "km", "tunnel_length"),
                       _fig("cost", 2000, "MEUR", "cost"),
                       _fig("cost in bn", 2, "BUSD", "cost")],
                 length_km=121.0, length_km_ARM=30.0, longest_tunnel_m=1500.0, tunnel_km=2.0,
                 cost_central_musd=3000.0)
    t = published_table([m])
    assert list(t.columns) == list(COLUMNS)
    got = dict(zip(t["figure"], t["diff_pct"], strict=True))
    assert got["main line"] == pytest.approx(10.0)
    assert got["section in Armenia"] == pytest.approx(-25.0)
    assert got["longest tunnel"] == pytest.approx(50.0)
    assert got["tunnels"] == pytest.approx(0.0)
    # 3000 M USD = 3000 / USD_PER_EUR M EUR against 2000 M EUR
    assert got["cost"] == pytest.approx((3000.0 / USD_PER_EUR - 2000.0) / 2000.0 * 100.0)
    assert got["cost in bn"] == pytest.approx(50.0)
    cost = t[t["figure"] == "cost"].iloc[0]
    assert cost["modelled"] == pytest.approx(3000.0 / USD_PER_EUR) and cost["unit"] == "MEUR"
    assert "USD per EUR" in cost["note"] and cost["metric"] == "cost_central_musd"
    assert (t["route"] == "A").all() and (t["scenario"] == "a").all()


def test_figures_without_a_counterpart_are_listed():
    m = _metrics("B", [_fig("length with sidings", 140.6, "km"),            # no measure
                       _fig("height", 5, "km", "altitude"),                 # unknown measure
                       _fig("transit offer", "offered Oct 2025", "", "length"),  # text value
                       _fig("cost", 5, "km", "cost"),                       # unit of another kind
                       _fig("speed", 160, "km/h", "length")],               # unknown unit
                 length_km=100.0, cost_central_musd=10.0)
    t = published_table([m])
    assert len(t) == 5
    assert t["modelled"].isna().all() and t["diff_pct"].isna().all()
    assert t["note"].str.startswith(NO_COUNTERPART).all()
    notes = dict(zip(t["figure"], t["note"], strict=True))
    assert notes["length with sidings"] == NO_COUNTERPART
    assert "unknown measure 'altitude'" in notes["height"]
    assert "not a number" in notes["transit offer"]
    assert "'km'" in notes["cost"] and "'km/h'" in notes["speed"]
    assert t[t["figure"] == "transit offer"]["published"].iloc[0] == "offered Oct 2025"


def test_a_metric_the_route_lacks_is_no_counterpart():
    r = compare_figure(_fig("tunnels", 3, "km", "tunnel_length"), {"tunnel_km": float("nan")})
    assert math.isnan(r["modelled"]) and NO_COUNTERPART in r["note"]


def test_zero_published_value_has_no_percentage():
    r = compare_figure(_fig("tunnels", 0, "km", "tunnel_length"), {"tunnel_km": 1.0})
    assert r["modelled"] == 1.0 and math.isnan(r["diff_pct"])


def test_routes_without_published_figures_give_no_rows():
    t = published_table([_metrics("C", [], length_km=1.0)])
    assert len(t) == 0 and list(t.columns) == list(COLUMNS)


def test_the_one_mapping_table_names_real_columns():
    for key, m in MEASURES.items():
        assert m.column in ROW_COLUMNS, key
        assert FIGURE_UNITS[m.metric_unit][0] == m.kind, key
    assert {"length", "length_in_ARM", "tunnel_length", "cost"} <= set(MEASURES)


def test_every_builtin_measure_is_known():
    """Scenario files cannot check measures against the table (a lower stage): this test does."""
    seen = 0
    for s in scenarios.builtin():
        for p in s.published:
            if "measure" in p:
                seen += 1
                assert p["measure"] in MEASURES, (s.slug, p)
                assert FIGURE_UNITS[p["unit"]][0] == MEASURES[p["measure"]].kind, (s.slug, p)
    assert seen >= 10


def test_hostile_text_stays_literal_in_the_csv():
    evil = "=HYPERLINK(\"http://x\")"
    m = _metrics("=cmd|' /C calc'!A0", [_fig(evil, 1, "km", "length", source="+SUM(1)")], length_km=1.0)
    buf = io.StringIO()
    write_csv(published_table([m]), buf)
    text = buf.getvalue()
    assert "'=HYPERLINK" in text and "'+SUM(1)" in text and "'=cmd" in text
    assert ",=" not in text and ",+" not in text


def test_real_scenario(monkeypatch):
    from corridor.evaluation import evaluate

    m = evaluate("kars-dilucu-sadarak", dem_samples=0)
    t = published_table([m])
    assert set(t["figure"]) == {p["figure"] for p in m.published}
    row = t[t["measure"] == "length_in_TUR"].iloc[0]
    assert row["modelled"] == pytest.approx(m.length_by_unit_m["TUR"] / 1000.0)
    assert row["diff_pct"] == pytest.approx((row["modelled"] - 224.0) / 224.0 * 100.0)


def test_euros_convert_at_the_routes_own_rate():
    from corridor.costs import CostParams

    figs = [_fig("cost", 2000, "MEUR", "cost"), _fig("cost in bn", 2, "BEUR", "cost"), _fig("usd", 3, "BUSD", "cost")]
    at_default = _metrics("A", figs, cost_central_musd=3000.0)
    at_default.params = CostParams()
    given = _metrics("B", figs, cost_central_musd=3000.0)
    given.params = CostParams().replace(usd_per_eur=1.5)
    t = published_table([at_default, given])
    a, b = t[t["route"] == "A"], t[t["route"] == "B"]
    assert a["modelled"].iloc[0] == pytest.approx(3000.0 / USD_PER_EUR)
    assert b["modelled"].tolist()[:2] == pytest.approx([2000.0, 2.0])  # 3000 M USD = 2000 M EUR at 1.5
    assert b["diff_pct"].tolist()[:2] == pytest.approx([0.0, 0.0])
    assert a["modelled"].iloc[2] == b["modelled"].iloc[2] == pytest.approx(3.0)  # dollars: no rate
    assert "1.5 USD per EUR (given in the cost parameters" in b["note"].iloc[0]
    assert f"{USD_PER_EUR} USD per EUR" in a["note"].iloc[0]
    from corridor.evaluation.published import euro_rates

    rates = euro_rates(t)  # each rate once, as the terminal prints them
    assert len(rates) == 2 and any(r.startswith("1.5 USD per EUR") for r in rates)
    # metrics without parameters (older pickles, duck types) use the default rate
    assert published_table([_metrics("C", figs, cost_central_musd=3000.0)])["modelled"].iloc[0] == pytest.approx(
        3000.0 / USD_PER_EUR)


def test_a_scenario_that_was_not_routed_lists_its_figures_with_the_reason():
    s = SimpleNamespace(name="Hrazdan <x>", slug="h", published=[_fig("restoration cost", 318, "MUSD", "cost"),
                                                                  _fig("opened", "1986", "")])
    t = published_table([_metrics("A", [_fig("main line", 110.0, "km", "length")], length_km=121.0)],
                        unrouted=[(s, "the ruling grade cannot join Hrazdan and Dilijan")])
    rows = t[t["scenario"] == "h"]
    assert rows["figure"].tolist() == ["restoration cost", "opened"]
    assert rows["modelled"].isna().all() and rows["diff_pct"].isna().all()
    assert rows["published"].tolist() == [318.0, "1986"] and rows["measure"].tolist() == ["cost", ""]
    assert all(n.startswith(f"{NO_COUNTERPART} (the scenario was not routed: the ruling grade") for n in rows["note"])
    assert rows["route"].tolist() == ["Hrazdan <x>"] * 2  # as given; outputs escape it
    assert t[t["scenario"] == "a"]["diff_pct"].iloc[0] == pytest.approx(10.0)


def test_a_published_cost_of_a_section_in_one_unit_has_its_counterpart():
    """The Meghri section's published cost is the cost of the line's part in Armenia (measure cost_in_ARM)."""
    from corridor.evaluation import evaluate

    assert MEASURES["cost_in_ARM"].column == "cost_central_musd_ARM"
    m = evaluate("meghri-rail", dem_samples=0)
    t = published_table([m])
    row = t[t["figure"] == "Meghri section cost"].iloc[0]
    assert row["measure"] == "cost_in_ARM" and row["note"] != NO_COUNTERPART
    assert row["modelled"] == pytest.approx(m.cost_in_unit_musd("ARM")[1])
    assert 0 < row["modelled"] < m.cost_musd[1]
    aze = t[t["figure"] == "Horadiz - Aghband main line"].iloc[0]
    assert aze["modelled"] == pytest.approx(m.length_by_unit_m["AZE"] / 1000.0)


def test_a_published_number_beyond_any_float_has_no_counterpart():
    """A figure built in code (not read from a scenario file, which refuses it) may hold a whole number too
    large for a float: it is compared with nothing rather than failing."""
    t = published_table([_metrics("A", [_fig("length", 10**400, "km", "length")], length_km=1.0)])
    assert t["note"].iloc[0].startswith(NO_COUNTERPART) and math.isnan(t["diff_pct"].iloc[0])
