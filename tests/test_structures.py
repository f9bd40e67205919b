"""Tests of corridor.align.structures: structures flagged on a given line, and the vertical design's
level targets at the stations serving waypoints (embedded DEM).
"""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from corridor import NoFeasibleAlignment
from corridor._types import Place
from corridor.align import flag_structures
from corridor.align.structures import run_levels
from corridor.terrain import DEM


def test_flag_structures_on_steep_line_flags_tunnels_or_bridges():
    from shapely.geometry import LineString

    # the ends are ~840 m apart in level over 7.6 km (110 per mille): the vertical design cannot join
    # them at 12.5 per mille and says so instead of tunnelling to make it fit
    with pytest.raises(NoFeasibleAlignment, match=r"start \(km 0\.00\).*end \(km 7\.6"):
        flag_structures(LineString([(46.10, 38.95), (46.16, 38.90)]), mode="rail")
    spans = flag_structures(LineString([(46.10, 38.95), (46.16, 38.90)]), mode="rail", max_grade=0.12)
    assert spans and all(a < b and k in ("tunnel", "bridge") for a, b, k in spans)
    # a gentler limit needs fewer structures
    loose = flag_structures(LineString([(46.10, 38.95), (46.16, 38.90)]), mode="rail", max_grade=0.2)
    assert sum(b - a for a, b, _ in loose) < sum(b - a for a, b, _ in spans)


def test_run_levels_takes_a_station_for_the_waypoint_it_serves():
    places = [Place("A", 45.0, 39.0), Place("B", 45.1, 39.02), Place("C", 45.2, 39.0)]
    station = np.array([45.1, 39.0])
    p1 = np.array([(45.0, 39.0), (45.1, 39.0)])
    p2 = np.array([(45.1, 39.0), (45.2, 39.0)])
    full = np.vstack([p1, p2[1:]])
    bound = [float(Geod(ellps="WGS84").inv(45.0, 39.0, 45.1, 39.0)[2])]
    with_station = run_levels(full, bound, [(p1, 0), (p2, 1)], places, DEM.open(), stations={1: station})
    assert [n for _d, n in with_station.waypoints] == ["A", "B", "C"]
    assert with_station.waypoints[1][0] == pytest.approx(bound[0])
    without = run_levels(full, bound, [(p1, 0), (p2, 1)], places, DEM.open())
    assert [n for _d, n in without.waypoints] == ["A", "C"]  # a boundary off the waypoint is no target
