"""corridor.align.gradewindow: the windowed grade-aware search equals the whole-grid search (generated DEMs)."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from scipy.ndimage import gaussian_filter

from corridor.align import Grid
from corridor.align.gradesearch import GradeModel, cell_fields, search
from corridor.align.gradewindow import search_windowed

RAIL = GradeModel.for_mode("rail")


def _wall_dem(gap_row, rows=81, cols=81):
    """Flat plain with a 400 m tent ridge across it (columns 25-55, crest at 40) and one gap at ``gap_row``."""
    z = np.full((rows, cols), 500.0)
    c = np.arange(25, 56)
    z[:, 25:56] = 500.0 + 400.0 * (1 - np.abs(c - 40) / 15.5)
    z[gap_row - 1:gap_row + 2, 25:56] = 500.0
    return Grid(z, Affine(1 / 1200, 0, 45.0, 0, -1 / 1200, 40.0))


@pytest.mark.parametrize("gap_row", [40, 45, 75])
def test_windowed_equals_whole_grid(gap_row):
    g = _wall_dem(gap_row)
    f = cell_fields(g, np.ones(g.shape), RAIL)
    s, e = (40, 5), (40, 75)
    _, whole = search(g, np.ones(g.shape), RAIL, s, e, fields=f)
    res = search_windowed(g, f, RAIL, s, e, half_width_m=800.0)
    assert res.certified and res.cost == pytest.approx(whole, rel=1e-9)
    assert any(r in range(gap_row - 1, gap_row + 2) and c == 40 for r, c in res.path)
    if gap_row == 40:  # the optimum is inside the first corridor: solved there once
        assert len(res.windows) == 1 and res.windows[0] != (0, 81, 0, 81)
    if gap_row == 75:  # the gap is far outside the first corridor: it grew to find it
        assert len(res.windows) > 1


def test_windowed_equals_whole_grid_on_rough_terrain():
    rng = np.random.default_rng(3)
    z = 1000 + gaussian_filter(rng.normal(0, 400, (90, 120)), 4)
    g = Grid(z, Affine(1 / 1200, 0, 45.0, 0, -1 / 1200, 40.0))
    f = cell_fields(g, np.ones(g.shape), RAIL)
    for s, e in [((45, 10), (50, 110)), ((10, 20), (80, 90))]:
        _, whole = search(g, np.ones(g.shape), RAIL, s, e, fields=f)
        res = search_windowed(g, f, RAIL, s, e, half_width_m=1500.0)
        assert res.cost == pytest.approx(whole, rel=1e-9)
