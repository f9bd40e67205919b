"""Sampling a line's ground on a DEM: geodesic samples, coverage and void checks.

The sampling of :func:`corridor.terrain.profile` (which adds grades, structures and the
designed grade line) and of the vertical design's stations (:func:`sample_ground`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from corridor._errors import DEMCoverageError, InvalidInputError, ParameterError
from corridor._geo import geod
from corridor.terrain._lines import _positive
from corridor.terrain.dem import DEM, DEMLike

log = logging.getLogger(__name__)

__all__ = ["Samples", "ground_samples", "sample_ground", "sample_line", "seg_weights"]

#: Most samples one line may take (a guard against a step far too small for the line).
_MAX_SAMPLES = 5_000_000


def sample_line(xy: np.ndarray, extra: np.ndarray, step: float, vertices: bool = True) -> tuple[np.ndarray, ...]:
    """Geodesic samples along a vertex chain: ``(distance, lon, lat)``, every ``step`` from the start, at the
    end, at the chainages ``extra`` and (``vertices``) at every vertex."""
    g = geod()
    az, _, seg = g.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    keep = np.concatenate([[True], seg > 0])
    if not keep.all():  # drop repeated vertices
        xy = xy[keep]
        az, _, seg = g.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    if len(xy) < 2:
        raise InvalidInputError("the line has zero length; give two distinct (lon, lat) points")
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    length = float(cum[-1])
    if length / step > _MAX_SAMPLES:
        raise ParameterError(f"step_m={step} gives {length / step:.0f} samples over {length / 1000:.0f} km; "
                             "use a larger step_m")
    s = np.concatenate([np.arange(0.0, length, step), cum if vertices else [], np.clip(extra, 0, length), [length]])
    s = np.unique(s)
    s = s[np.concatenate([[True], np.diff(s) > 1e-6])]
    s[-1] = length
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    lon, lat, _ = g.fwd(xy[k, 0], xy[k, 1], az[k], s - cum[k])
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    idx = np.minimum(np.searchsorted(cum, s), len(cum) - 1)
    at_vertex = cum[idx] == s  # samples at vertices take the vertex itself
    lon[at_vertex], lat[at_vertex] = xy[idx[at_vertex], 0], xy[idx[at_vertex], 1]
    return s, lon, lat


class Samples(NamedTuple):
    s: np.ndarray  # chainage (m)
    lon: np.ndarray
    lat: np.ndarray
    ground: np.ndarray  # DEM ground, NaN in voids
    z: np.ndarray  # ground with voids interpolated
    void: np.ndarray  # void samples outside structures
    void_len: float  # metres of line in voids
    inner: np.ndarray  # samples strictly inside a structure span


def ground_samples(xy: np.ndarray, dem: DEM, ends: np.ndarray, step: float,
            spans: Sequence[tuple[float, float, str]], fill_voids: bool, vertices: bool = True) -> Samples:
    """Samples along ``xy`` (:func:`sample_line`) and their DEM ground.

    Voids are interpolated only if ``fill_voids``; samples inside ``spans`` are not checked. :class:`DEMCoverageError` where the line leaves the DEM or crosses voids otherwise.
    """
    s, lon, lat = sample_line(xy, ends, step, vertices)
    ground = dem.sample(lon, lat, method="bilinear")

    off = ~dem.covers(lon, lat)
    if off.any():
        km = s[off] / 1000
        raise DEMCoverageError(
            f"the line leaves the DEM ({dem.source}; bounds {tuple(round(v, 4) for v in dem.bounds)}) "
            f"between km {km.min():.1f} and km {km.max():.1f}; open a DEM that covers it "
            "(e.g. `corridor fetch dem --bbox ...`) or shorten the line")
    inner = np.zeros(s.size, dtype=bool)
    for a, b, _ in spans:
        inner |= (s > a + 1e-6) & (s < b - 1e-6)
    void = np.isnan(ground) & ~inner
    void_len = float(seg_weights(s)[void].sum()) if void.any() else 0.0
    z = ground.copy()
    if void.any():
        if not fill_voids:
            km = s[void] / 1000
            raise DEMCoverageError(
                f"the line crosses DEM voids (nodata) over {void_len:.0f} m between km {km.min():.1f} "
                f"and km {km.max():.1f} ({dem.source}); pass fill_voids=True to interpolate across "
                "them, or use a DEM without voids there")
        ok = ~np.isnan(ground) & ~inner
        if not ok.any():
            raise DEMCoverageError(f"every sample of the line falls in DEM voids ({dem.source}); "
                                   "use a DEM that covers the line")
        z[void] = np.interp(s[void], s[ok], ground[ok])
        log.warning("profile: filled %.0f m of DEM voids by interpolation", void_len)
    return Samples(s, lon, lat, ground, z, void, void_len, inner)


def seg_weights(s: np.ndarray) -> np.ndarray:
    """Length represented by each sample (half the gap to each neighbour)."""
    gaps = np.diff(s)
    w = np.zeros_like(s)
    w[:-1] += gaps / 2
    w[1:] += gaps / 2
    return w


def sample_ground(xy: Any, dem: DEMLike = None, *, step_m: float, fill_voids: bool = False, vertices: bool = True
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic chainage (m) and bilinear DEM ground (m) along a vertex chain, every ``step_m``.

    The sampling of :func:`profile` without its grades and statistics: vertices are sampled too (unless
    ``vertices`` is False), the same coverage and void checks apply (voids interpolated when ``fill_voids``).

    Parameters
    ----------
    xy : array-like of (lon, lat)
        EPSG:4326 vertices in travel order.
    dem : DEM, path or None
        Default: the embedded GLOBE DEM.
    step_m : float
        Sampling step (geodesic metres).
    fill_voids : bool
        Interpolate across DEM voids instead of raising.
    vertices : bool
        Sample every vertex too; False: only every ``step_m`` from the start and the end (stations).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Chainage and ground level (void-filled if asked).

    Examples
    --------
    >>> d, z = sample_ground([(44.40, 40.10), (44.60, 40.25)], step_m=1000)
    >>> d.size, float(d[-1]) > 23_000, bool((z > 800).all())
    (25, True, True)
    """
    pts = np.asarray(xy, dtype=float)
    if pts.ndim != 2 or pts.shape[0] < 2 or pts.shape[1] != 2:
        raise InvalidInputError(f"xy must be two or more (lon, lat) pairs, got an array of shape {pts.shape}")
    step = _positive(step_m, "step_m")
    got = ground_samples(pts, DEM.open(dem), np.empty(0), step, (), fill_voids, vertices)
    return got.s, got.z
