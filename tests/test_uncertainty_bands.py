"""corridor.evaluation.uncertainty_bands: DEM-uncertainty bands of tunnel km, bridge km and central cost.

Routes are traced on the embedded GLOBE DEM (a short new road Meghri - Agarak and a
new rail line Horadiz - Aghband, both without a network, so every metre is new build
designed by corridor); the DEM's documented error is overridden with
``DEM.open(None, vertical_le90_m=...)`` to control the noise.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from shapely.geometry import LineString

from corridor import settings
from corridor._errors import ParameterError
from corridor._logs import reset_once
from corridor.align import trace
from corridor.costs import CostParams
from corridor.evaluation import evaluate
from corridor.evaluation.metrics import ROW_COLUMNS
from corridor.evaluation.uncertainty_bands import (
    BAND_COLUMNS,
    NO_DESIGN,
    OFF,
    DemBand,
    band_figures,
    check_samples,
    dem_band,
)
from corridor.route import Route
from corridor.terrain import DEM


@pytest.fixture(scope="module")
def road():
    return trace(["Meghri", "Agarak"], mode="road", network=None)


@pytest.fixture(scope="module")
def rail():
    return trace(["Horadiz", "Aghband"], mode="rail", network=None)


def _new_structure_km(route, kind):
    seg = route.segments
    sel = (seg["build"].astype(str) == "new") & (seg["structure"].astype(str) == kind)
    return float(seg.loc[sel, "length_m"].sum()) / 1000.0


def test_redesign_on_unperturbed_ground_reproduces_the_trace(rail, road):
    """The level constraints of each run are rebuilt as the trace set them: same structures."""
    for route in (rail, road):
        b = dem_band(route, None, n=1, seed=0)
        assert b.runs >= 1 and b.designed_km == pytest.approx(route.length_m / 1000.0, rel=1e-3)
        assert b.base_tunnel_km == pytest.approx(_new_structure_km(route, "tunnel"), abs=0.15)
        assert b.base_bridge_km == pytest.approx(_new_structure_km(route, "bridge"), abs=0.15)


@pytest.mark.parametrize("slug", ["meghri-rail", "aras-iran"])
def test_redesign_reproduces_long_lines_whose_segments_have_more_vertices(slug):
    """The route's segments (cut at structures and unit borders) have more vertices than the line the
    trace designed; the stations must not depend on them. They did (the spacing took the mean latitude
    of the vertices): Meghri's re-design had 24.7 km of tunnel against the route's 21.5."""
    from corridor import scenarios

    route = scenarios.get(slug).route()
    b = dem_band(route, None, n=1, seed=0)
    assert b.base_tunnel_km == pytest.approx(_new_structure_km(route, "tunnel"), abs=0.05)
    assert b.base_bridge_km == pytest.approx(_new_structure_km(route, "bridge"), abs=0.05)


@pytest.mark.parametrize("which", ["rail", "road"])
def test_bands_ordered_and_contain_the_unperturbed_value(which, request):
    route = request.getfixturevalue(which)
    m = evaluate(route, dem=DEM.open(None, vertical_le90_m=5.0), dem_samples=25)
    figs = band_figures(m)
    assert set(figs) == {"tunnel_km", "bridge_km", "cost_central_musd"}
    unperturbed = {"tunnel_km": m.tunnel_km, "bridge_km": m.bridge_km, "cost_central_musd": m.cost_musd[1]}
    for key, (p10, p50, p90) in figs.items():
        assert p10 <= p50 <= p90, key
        assert p10 - 1e-9 <= unperturbed[key] <= p90 + 1e-9, (key, figs[key], unperturbed[key])
    # the noise does something: some realisation changes the design
    assert np.any(m.dem_band.d_cut_m3 != 0) or np.any(m.dem_band.d_fill_m3 != 0)
    row = m.as_row()
    assert row["tunnel_km_dem_p10"] == figs["tunnel_km"][0] and row["cost_central_musd_dem_p90"] == figs[
        "cost_central_musd"][2]
    assert row["dem_samples"] == m.dem_band.n_ok == 25 - m.dem_band.n_failed
    assert "σ 3.0 m" in row["dem_band"]  # LE90 5 m / 1.6449


def test_zero_error_gives_a_degenerate_band_at_the_reported_figures(road):
    m = evaluate(road, dem=DEM.open(None, vertical_le90_m=0.0), dem_samples=4)
    for key, value in (("tunnel_km", m.tunnel_km), ("bridge_km", m.bridge_km),
                       ("cost_central_musd", m.cost_musd[1])):
        p10, p50, p90 = band_figures(m)[key]
        assert p10 == pytest.approx(value) and p50 == pytest.approx(value) and p90 == pytest.approx(value)


def test_larger_error_gives_a_wider_band(rail):
    widths = []
    for le90 in (2.0, 30.0):
        m = evaluate(rail, dem=DEM.open(None, vertical_le90_m=le90), dem_samples=20)
        lo, _, hi = band_figures(m)["bridge_km"]
        widths.append(hi - lo)
    assert widths[1] > widths[0]


def test_n_zero_gives_no_band(road):
    m = evaluate(road, dem_samples=0)
    assert m.dem_band is None and band_figures(m) == {}
    row = m.as_row()
    assert all(math.isnan(row[c]) for c in BAND_COLUMNS if c.endswith(("_p10", "_p90")))
    assert row["dem_samples"] == 0 and row["dem_band"] == OFF
    assert set(BAND_COLUMNS) <= set(ROW_COLUMNS)
    assert dem_band(road, None, n=0) is None


def test_band_is_reproducible_with_a_seed(road):
    dem = DEM.open(None)
    a = dem_band(road, dem, n=8, seed=3)
    b = dem_band(road, dem, n=8, seed=3)
    c = dem_band(road, dem, n=8, seed=4)
    for f in ("d_tunnel_km", "d_bridge_km", "d_cut_m3", "d_fill_m3"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    assert not all(np.array_equal(getattr(a, f), getattr(c, f)) for f in ("d_cut_m3", "d_fill_m3"))
    # evaluate threads the seed through
    m1, m2 = (evaluate(road, dem=dem, dem_samples=6, dem_seed=9) for _ in range(2))
    assert band_figures(m1) == band_figures(m2)


def test_existing_only_route_gets_no_band_and_says_so():
    r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="no design")
    m = evaluate(r, dem_samples=5)
    assert isinstance(m.dem_band, DemBand) and m.dem_band.n_ok == 0 and m.dem_band.reason == NO_DESIGN
    row = m.as_row()
    assert row["dem_band"] == NO_DESIGN and row["dem_samples"] == 0
    assert math.isnan(row["tunnel_km_dem_p10"]) and math.isnan(row["cost_central_musd_dem_p90"])


def test_a_route_whose_design_no_longer_applies_gets_no_band(road):
    """A route changed after tracing (another length) no longer carries its design."""
    longer = Route.from_lines([*road.segments.geometry, LineString([road.end, (road.end[0] + 0.05, road.end[1])])],
                              mode="road", name="changed", waypoints=road.waypoints,
                              attrs=[*({"build": "new"} for _ in range(len(road.segments) + 1))])
    longer = longer.with_meta(formation=road.meta["formation"])
    assert dem_band(longer, None, n=3).reason == NO_DESIGN


def test_reversed_route_gets_a_band(road):
    b = dem_band(road.reversed(), None, n=4, seed=1)
    assert b.runs >= 1 and b.n == 4
    assert b.base_bridge_km == pytest.approx(_new_structure_km(road, "bridge"), abs=0.15)


def test_cost_band_prices_the_changes_with_the_routes_unit_costs():
    """A constructed band: every change priced by hand."""
    p = CostParams()
    band = DemBand(n=3, sigma_m=1.0, corr_length_m=500.0, seed=0, mode="rail", runs=1, designed_km=10.0,
                   d_tunnel_km=np.array([0.0, 1.0, 2.0]), d_bridge_km=np.array([0.0, 0.0, -1.0]),
                   d_cut_m3=np.array([0.0, 1000.0, 0.0]), d_fill_m3=np.array([0.0, 0.0, 2000.0]))
    m = SimpleNamespace(dem_band=band, tunnel_km=3.0, bridge_km=2.0, cost_musd=(50.0, 100.0, 200.0),
                        quantities_km={("rail", "new", "mountainous", "none"): 4.0,
                                       ("rail", "new", "flat", "none"): 4.0},
                        terrain_class="flat", params=p)
    fac = (p.rail_terrain_mountainous[1] + p.rail_terrain_flat[1]) / 2
    ro = p.rail_new_musd_per_km[1] * fac
    rt, rb = p.rail_tunnel_musd_per_km[1], p.rail_bridge_musd_per_km[1]
    cut = (p.earthwork_cut_usd_per_m3 + p.earthwork_dump_usd_per_m3) / 1e6
    fill = (p.earthwork_borrow_usd_per_m3 + p.earthwork_fill_usd_per_m3) / 1e6
    costs = [100.0, 100.0 + (rt - ro) + 1000 * cut, 100.0 + 2 * (rt - ro) - (rb - ro) + 2000 * fill]
    figs = band_figures(m)
    assert figs["cost_central_musd"] == pytest.approx(tuple(np.percentile(costs, [10, 50, 90])))
    assert figs["tunnel_km"] == pytest.approx(tuple(np.percentile([3.0, 4.0, 5.0], [10, 50, 90])))
    assert figs["bridge_km"] == pytest.approx(tuple(np.percentile([2.0, 2.0, 1.0], [10, 50, 90])))


def test_recost_reprices_the_band(road):
    m = evaluate(road, dem=DEM.open(None, vertical_le90_m=20.0), dem_samples=10, dem_seed=2)
    dearer = m.recost(m.params.scaled("road_bridge_musd_per_km", 3.0))
    a, b = band_figures(m), band_figures(dearer)
    assert a["bridge_km"] == b["bridge_km"] and a["tunnel_km"] == b["tunnel_km"]
    if np.any(m.dem_band.d_bridge_km != 0):
        assert a["cost_central_musd"] != b["cost_central_musd"]


@pytest.mark.parametrize("bad", [-1, 1.5, "x", True])
def test_bad_sample_counts(bad, road):
    with pytest.raises(ParameterError, match="dem_samples"):
        check_samples(bad)
    with pytest.raises(ParameterError, match="dem_samples"):
        evaluate(road, dem_samples=bad)


def test_default_sample_count_comes_from_settings(monkeypatch):
    monkeypatch.setattr(settings, "dem_samples", 7)
    assert check_samples(None) == 7
    monkeypatch.setattr(settings, "dem_samples", "many")  # an unparsable CORRIDOR_DEM_SAMPLES
    with pytest.raises(ParameterError, match="CORRIDOR_DEM_SAMPLES"):
        check_samples(None)
    assert settings.DEFAULTS["dem_samples"] > 0


def test_modelled_reference_lines_not_built_get_a_band_rehabilitated_ones_none():
    """A route over the reference network: its lines carry the design corridor drew for them
    (corridor.network._design), so a line still to build gets the band; a disused one does not."""
    from corridor import scenarios
    from corridor.network import load_network

    net = load_network("reference")
    built = evaluate(scenarios.get("kars-dilucu-sadarak").route(network=net), dem_samples=8)  # construction
    assert built.dem_band.n_ok > 0 and built.dem_band.runs >= 1 and built.dem_band.designed_km > 200
    assert np.ptp(built.dem_band.d_tunnel_km) > 0  # the ground noise moves the design's tunnels
    row = built.as_row()
    assert row["tunnel_km_dem_p10"] <= row["tunnel_km_dem_p90"] and row["dem_samples"] == built.dem_band.n_ok
    disused = evaluate(scenarios.get("yeraskh-sadarak").route(network=net), dem_samples=8)
    assert disused.dem_band.n_ok == 0 and disused.dem_band.reason == NO_DESIGN


def test_too_few_realisations_warn_once(caplog):
    import logging

    from corridor.evaluation import uncertainty_bands as ub

    reset_once()
    with caplog.at_level(logging.WARNING, logger="corridor.evaluation.uncertainty_bands"):
        assert check_samples(0) == 0 and check_samples(ub.MIN_BAND_SAMPLES) == ub.MIN_BAND_SAMPLES
        assert not caplog.records
        assert check_samples(1) == 1 and check_samples(1) == 1
    assert len(caplog.records) == 1 and "1 realisation(s) is no P10-P90 spread" in caplog.text
