"""Tests of corridor.align.surface: cost-surface cells of border rivers (issue #14), the links of a
leg's waypoints to the network nodes at them, and the deprecated Preset alias.

The grids are the embedded DEM's or a flat synthetic one; the networks are one line built here.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from corridor.align.surface import waypoint_links


def _line_net(points, status="disused"):
    """A network of one line through ``points`` (node k at point k)."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from corridor._geo import great_circle_m

    return gpd.GeoDataFrame({
        "u": list(range(len(points) - 1)), "v": list(range(1, len(points))), "status": status,
        "length_m": [great_circle_m(*a, *b) for a, b in itertools.pairwise(points)],
    }, geometry=[LineString(ab) for ab in itertools.pairwise(points)], crs="EPSG:4326")


def test_a_leg_whose_waypoint_is_a_network_node_starts_and_ends_at_that_node():
    from affine import Affine

    from corridor.align import gradesearch
    from corridor.align.surface import Grid, nodes_at, search_combined

    # flat 0.01-degree cells; the line's first node lies on the edge between cells (5, 3) and (5, 4),
    # and the leg's start cell is the other one than the node's: without the link the leg would
    # start with a step from that cell to the node's
    grid = Grid(np.zeros((10, 20)), Affine(0.01, 0, 45.0, 0, -0.01, 40.1))
    pts = [(45.04, 40.045), (45.10, 40.045), (45.155, 40.045)]
    net = _line_net(pts)
    node_cell = grid.rowcol(*pts[0])
    assert node_cell in ((5, 3), (5, 4)) and grid.rowcol(*pts[-1]) == (5, 15)
    start = (5, 7 - node_cell[1])  # the waypoint's cell: the other cell at that edge
    at_a, at_b = sorted(nodes_at(net, *pts[0])), sorted(nodes_at(net, *pts[-1]))
    assert (at_a, at_b) == ([0], [2])
    costs = np.full(grid.shape, 10.0)
    fields = gradesearch.cell_fields(grid, np.ones(grid.shape), gradesearch.GradeModel.for_mode("rail"))
    model = gradesearch.GradeModel.for_mode("rail")
    for linked in (True, False):
        kw = {"at_start": at_a, "at_end": at_b} if linked else {}
        for steps, _cost in (search_combined(costs, grid, start, (5, 15), net, **kw),
                             gradesearch.search_network(grid, fields, model, start, (5, 15), net, **kw)):
            if linked:  # the whole leg runs on the line, node to node
                assert steps == [("node", 0, None), ("node", 1, None), ("node", 2, None)]
            else:  # it starts from the start cell, which is not the node's
                assert steps[0] == ("cell", *start) and ("node", 0, None) in steps


def test_a_station_serving_a_waypoint_from_elsewhere_gets_no_free_link():
    """Nodes at the waypoint are joined to its cell at no cost; a station serving it from elsewhere
    (not in ``linked``) is the leg's end but is reached over the graph."""
    node_ids = np.array([3, 7, 9])
    s, t, (src, dst, _w) = waypoint_links(0, 5, [7], [9], node_ids, 6, linked={7})
    assert (s, t) == (6 + 1, 6 + 2)  # the leg starts at node 7 and ends at node 9
    assert src[0].tolist() == [0] and dst[0].tolist() == [7]  # node 7 (at the place) is linked
    assert src[1].size == 0 and dst[1].size == 0  # node 9 (a station elsewhere) is not
    s2, t2, (src2, _d2, _w2) = waypoint_links(0, 5, [7], [9], node_ids, 6)
    assert (s2, t2) == (s, t) and src2[1].tolist() == [8]  # default: all linked


def test_preset_is_a_deprecated_alias_of_surface_preset():
    import corridor.align as align_pkg
    from corridor.align import PRESETS, SurfacePreset, surface

    assert isinstance(PRESETS["rail"], SurfacePreset)
    for mod in (align_pkg, surface):
        with pytest.warns(DeprecationWarning, match=r"\.Preset is deprecated.*SurfacePreset"):
            assert mod.Preset is SurfacePreset


# ------------------------------------------------ border rivers on a coarse DEM (issue #14)
def test_cells_touched_by_an_allowed_unit_are_searchable():
    """A cell whose centre is across a border river but which holds allowed ground stays searchable;
    a cell with no allowed ground in it is excluded. Checked cell by cell against the polygons."""
    import shapely
    from shapely.geometry import box

    from corridor._types import BBox
    from corridor.align.surface import read_grid, unit_factors
    from corridor.data.regions import index

    grid = read_grid(None, BBox(46.0, 38.84, 46.6, 39.0))  # the Araks between Meghri/Ordubad and Iran
    tr = grid.transform
    f = unit_factors(grid, stay_in=["ARM", "NAX"])
    geoms = dict(zip(index().codes, index().geoms, strict=True))
    allowed = shapely.union_all([geoms["ARM"], geoms["NAX"]])
    irn = geoms["IRN"]
    rows, cols = grid.shape
    n_border = 0
    for r in range(rows):
        for c in range(cols):
            x0, y0 = tr @ (c, r)
            x1, y1 = tr @ (c + 1, r + 1)
            cell = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            touches = cell.intersection(allowed).area > 0
            centre_in_irn = irn.contains(cell.centroid)
            if touches:
                assert np.isfinite(f[r, c]), (r, c)
                n_border += centre_in_irn
            elif centre_in_irn:
                assert np.isinf(f[r, c]), (r, c)
    assert n_border > 10  # the valley-floor cells across the river that the old rule excluded
