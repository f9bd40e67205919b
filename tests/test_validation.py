"""Public validation (issue #14): modelled figures of the built-in scenarios against published ones.

Every route is traced as new build throughout (``Scenario.route()``: no network) over the
embedded GLOBE 30" DEM with the default :class:`corridor.costs.CostParams`, as a new user
would. Published figures and their sources are those of ``shared/reference/corridors.md``,
repeated in the scenario files. Where the model misses a published figure the check is
marked ``xfail(strict=True)`` with the measured figure, so the shortfall stays visible and
the test fails (flips) as soon as the model meets it. No check is tuned to a special case.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from corridor import NoFeasibleAlignment, scenarios
from corridor.costs import CostParams
from corridor.data.datasets import data_dir
from corridor.evaluation import evaluate


def _km(seg, mask=None) -> float:
    s = seg if mask is None else seg[mask]
    return float(s["length_m"].sum()) / 1000


@pytest.fixture(scope="module")
def routes() -> dict:
    out = {}
    for s in scenarios.builtin():
        try:
            out[s.slug] = s.route()
        except NoFeasibleAlignment as exc:
            out[s.slug] = exc
    return out


# ------------------------------------------------ Horadiz - Aghband (trend.az 4087540; report.az)
def test_horadiz_aghband_length_within_10_percent_of_110_4_km(routes):
    km = routes["horadiz-aghband"].length_m / 1000
    assert 110.4 * 0.9 <= km <= 110.4 * 1.1, km  # modelled 103.4 km


def test_horadiz_aghband_tunnels_at_most_5_km(routes):
    seg = routes["horadiz-aghband"].segments
    # modelled 3.0 km; 7.8 km while the line pushed onto the AZE bank ran out and back along a slit of
    # the country polygons between Minjivan and Bartaz (a 3.1 km tunnel up to 157 m deep)
    assert _km(seg, seg["structure"] == "tunnel") <= 5.0


@pytest.mark.xfail(strict=True, reason=(
    "13.3 km of bridges modelled vs <= 8 km (longest published bridge 771 m): after Hakari the line on the AZE "
    "bank of the Araks reads 1-km DEM cells of the valley side (~410 m beside a ~310 m floor), and the design "
    "climbs to them on a 5.2 km viaduct and comes down on a 3.8 km bridge before Minjivan; searching the leg "
    "again around them finds no cheaper line on that bank. 7.8 km while the line still ran out to Gumlagh and "
    "back and along a border slit. Left on the floor cells across the river (not a valid line: 20 km in Iran) "
    "it would have 5.4 km: the shortfall is the bank's 1-km cells. The remedy is a finer DEM (Copernicus "
    "GLO-90, `corridor fetch dem`), not reachable offline; not tuned"))
def test_horadiz_aghband_bridges_at_most_8_km(routes):
    seg = routes["horadiz-aghband"].segments
    assert _km(seg, seg["structure"] == "bridge") <= 8.0


# ------------------------------------------------ Kars - Igdir - Dilucu (menafn.com 1109962733; report.az)
def test_kars_dilucu_length_within_10_percent_of_224_km(routes):
    seg = routes["kars-dilucu-sadarak"].segments
    km = _km(seg, seg["leg"] < 5)  # legs Kars ... Dilucu (waypoint 6 of 7); Dilucu - Sadarak is the +7 km link
    assert 224 * 0.9 <= km <= 224 * 1.1, km  # modelled 237.5 km


def test_kars_dilucu_tunnels_at_most_25_km(routes):
    seg = routes["kars-dilucu-sadarak"].segments
    assert _km(seg, (seg["leg"] < 5) & (seg["structure"] == "tunnel")) <= 25.0  # published 11.5 km; modelled 1.4


def test_kars_dilucu_central_cost_within_half_to_twice_eur_2_4_bn():
    s = scenarios.get("kars-dilucu-sadarak")
    wps = list(s.waypoints)
    kars_dilucu = dataclasses.replace(s, waypoints=tuple(wps[:wps.index("Dilucu") + 1]))  # the priced 224 km
    p = CostParams()
    published_musd = 2400.0 * p.usd_per_eur  # EUR 2.4 bn at the one documented rate
    central = evaluate(kars_dilucu.route(), params=p).cost_musd[1]  # modelled 1,707 M USD, 0.66x
    assert 0.5 * published_musd <= central <= 2.0 * published_musd, (central, published_musd)


# ------------------------------------------------ Meghri / TRIPP (1news.az 2026-02-18; massispost.com 2022-01)
def test_meghri_length_in_armenia_38_to_50_km(routes):
    seg = routes["meghri-rail"].segments
    assert 38.0 <= _km(seg, seg["unit"] == "ARM") <= 50.0  # modelled 44.9 km


def test_meghri_tunnels_in_armenia_at_most_10_km(routes):
    """Modelled 8.1 km. The figure is as coarse as the 1-km DEM, and it passes without being credible in
    detail: west of Agarak the line leaves the Araks gorge, whose ARM-bank cells are valley-side cells
    (~960-1,040 m beside a ~590-640 m floor), for a 4.9 km tunnel up to 760 m deep, and the Meghri
    section has 29.5 km of viaduct up to 290 m high. It was 11.4 km (a strict expected failure) before
    the design's stations stopped depending on where the line has vertices, a change of 0.05 % in their
    spacing; 5.6 km while the line ran out to Agarak and back; 30.7 km before border cells became
    searchable. Not tuned; the remedy is a finer DEM (Copernicus GLO-90)."""
    seg = routes["meghri-rail"].segments
    assert _km(seg, (seg["unit"] == "ARM") & (seg["structure"] == "tunnel")) <= 10.0


# ------------------------------------------------ every built-in scenario
@pytest.mark.parametrize("slug", [s.slug for s in scenarios.builtin()])
def test_tunnels_at_most_a_quarter_of_the_length(routes, slug):
    r = routes[slug]
    if isinstance(r, NoFeasibleAlignment):
        # a scenario the ruling grade cannot connect is recorded as such by the reference build
        recorded = json.loads((data_dir() / "reference" / "network.geojson").read_text())["infeasible"]
        assert any(rec["scenario"] == slug for rec in recorded), (slug, str(r))
        assert "per mille cannot join" in str(r)
        return
    seg = r.segments
    assert _km(seg, seg["structure"] == "tunnel") <= 0.25 * r.length_m / 1000, slug  # no published figure says more


def test_usd_per_eur_is_one_documented_overridable_parameter():
    (row,) = [r for r in CostParams().describe() if r["key"] == "usd_per_eur"]
    assert row["unit"] == "USD/EUR" and "Kars-Dilucu" in row["source"] and 1.0 < row["value"] < 1.2
    assert CostParams.from_dict({"usd_per_eur": 1.2}).usd_per_eur == 1.2
