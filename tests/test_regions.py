import itertools

import pytest
from shapely.geometry import LineString

from corridor import InvalidInputError
from corridor._geo import geodesic_length
from corridor.places import lookup
from corridor.regions import split_by_unit, unit_at


@pytest.mark.parametrize(
    "place, country, unit",
    [("Meghri", None, "ARM"), ("Julfa", "AZ", "NAX"), ("Jolfa", "IR", "IRN"),
     ("Horadiz", None, "AZE"), ("Kars", None, "TUR"), ("Gazakh", None, "AZE"),
     ("Tbilisi", None, "GEO"), ("Sadarak", None, "NAX")],
)
def test_unit_at_known_places(place, country, unit):
    p = lookup(place, country=country)
    assert unit_at(p.lon, p.lat) == unit


def test_unit_at_outside_and_enclaves():
    assert unit_at(30.0, 10.0) is None
    assert unit_at(50.5, 40.0) is None  # Caspian Sea
    assert unit_at(45.30, 40.35) == "ARM"  # Lake Sevan belongs to Armenia
    assert unit_at(45.514, 40.627) == "ARM"  # Artsvashen, Armenian exclave in Azerbaijan
    assert unit_at(45.209, 40.995) == "AZE"  # Azerbaijani exclave in Armenia (Tavush)
    assert unit_at(44.796, 39.671) == "NAX"  # Karki, Nakhchivan exclave


def test_unit_at_rejects_projected():
    with pytest.raises(InvalidInputError, match="not in degrees"):
        unit_at(450000, 4400000)


def test_split_by_unit_preserves_length_and_order():
    line = LineString([(45.41, 39.21), (45.9, 39.0), (46.24, 38.95), (46.8, 39.1), (47.34, 39.45)])
    parts = split_by_unit(line)
    units = [u for u, _ in parts]
    assert units[0] == "NAX" and units[-1] == "AZE" and "ARM" in units
    assert all(a != b for a, b in itertools.pairwise(units))  # neighbours differ: one change per crossing
    total = geodesic_length(line)
    assert sum(geodesic_length(g) for _, g in parts) == pytest.approx(total, rel=1e-3)
    # pieces chain end to start
    for (_, a), (_, b) in itertools.pairwise(parts):
        assert a.coords[-1] == pytest.approx(b.coords[0], abs=1e-9)
