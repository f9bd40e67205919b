"""Tests of corridor.terrain._sampling: sample_ground, the line sampling of profiles with its checks,
on synthetic DEMs with exactly known answers (tests/_demgen.py).

The test line and ``files`` (GeoTIFFs of the ridge, its tiles, a void) come from tests/_demlines.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _demlines import LINE, dem_files, meridian_len

from corridor._errors import DEMCoverageError, InvalidInputError, ParameterError
from corridor.terrain import DEM, profile, sample_ground


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """GeoTIFF of the ridge, its four quadrant tiles, and a void version (tests/_demlines.dem_files)."""
    return dem_files(tmp_path_factory.mktemp("dem"))


def test_sample_ground_is_the_profiles_sampling_with_its_checks(files):
    dem = DEM.open(files.void)
    xy = np.asarray(LINE.coords)
    with pytest.raises(DEMCoverageError, match="fill_voids=True"):
        sample_ground(xy, dem, step_m=100)
    d, z = sample_ground(xy, dem, step_m=100, fill_voids=True)
    p = profile(LINE, dem, step_m=100, fill_voids=True)
    np.testing.assert_array_equal(d, p.distance_m)
    np.testing.assert_allclose(z, p.elevation_m)  # voids interpolated, as the profile's line
    assert np.all(np.diff(d) <= 100 + 1e-9) and d[-1] == pytest.approx(meridian_len(40.02, 40.18))
    with pytest.raises(InvalidInputError, match="two or more"):
        sample_ground([(45.1, 40.1)], dem, step_m=100)
    with pytest.raises(ParameterError, match="step_m"):
        sample_ground(xy, dem, step_m=0)


def test_stations_only_sample_the_same_ground_at_the_same_chainages():
    """vertices=False (the vertical design's stations): every step from the start and the end, no vertex;
    the ground there is the ground sampled with the vertices."""
    xy = [(44.40, 40.10), (44.47, 40.13), (44.52, 40.21), (44.60, 40.25)]
    d_all, z_all = sample_ground(xy, step_m=1000)
    d, z = sample_ground(xy, step_m=1000, vertices=False)
    assert d.size < d_all.size and d[-1] == d_all[-1]
    np.testing.assert_array_equal(d[:-1], 1000.0 * np.arange(d.size - 1))
    np.testing.assert_allclose(z, np.interp(d, d_all, z_all), rtol=0, atol=1e-9)
