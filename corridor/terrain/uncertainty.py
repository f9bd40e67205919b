"""Honest uncertainty from the DEM: perturbed elevations and P10/P50/P90 bands.

A DEM's absolute vertical error (:attr:`corridor.terrain.DEM.vertical_sigma_m`,
from the documented figures in :data:`corridor.terrain.dem.VERTICAL_ERRORS`) is not
white noise: neighbouring cells share source data, so errors are spatially
correlated. Here an error field is modelled as stationary Gaussian noise with
standard deviation ``sigma_m`` and a Gaussian correlation function

    ρ(h) = exp(-(h / L)²),

where ``L = corr_length_m`` is the lag at which the correlation has fallen to
1/e. It is built as white noise smoothed with a Gaussian filter of standard
deviation ``L / 2`` (the autocorrelation of such a filter is exactly the ρ
above) and rescaled *by the filter's known gain* — not by each realisation's
sample spread, which would bias short profiles — so every point has
variance ``sigma_m²``.

Along a profile only the error *along the line* matters, so
:func:`perturbed_profiles` draws 1-D correlated noise over the stations'
chainage: it is exactly the 2-D field restricted to the line when the line is
straight, and a close, much cheaper stand-in otherwise (a curving line's
chainage overstates the straight-line distance between stations, so
correlation is slightly understated there). :func:`perturbed_grids` draws full
2-D fields for callers that re-run something on the whole grid.

The correlation length is not a published figure for any of the tabled DEMs;
:func:`default_corr_length_m` gives the documented planning assumption used
when the caller has no better value.

Everything is array-based and reproducible: the same ``seed`` gives the same
realisations, and the first ``k`` realisations of a run with ``n > k`` are the
``k`` realisations of a run with ``n = k``.

Examples
--------
>>> import numpy as np
>>> d = np.arange(0.0, 10_000.0, 50.0)
>>> z = perturbed_profiles(d, 1000 + 0.01 * d, sigma_m=2.4, corr_length_m=500.0, n=200, seed=1)
>>> z.shape
(200, 200)
>>> p10, p50, p90 = bands(z.max(axis=1))
>>> bool(p10 <= p50 <= p90)
True
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import overload

import numpy as np

from corridor._errors import InvalidInputError, ParameterError
from corridor._validate import check_positive

log = logging.getLogger(__name__)

__all__ = ["CORR_LENGTH_CELLS", "MIN_CORR_LENGTH_M", "bands", "correlated_noise", "default_corr_length_m",
           "figure_bands", "perturbed_grids", "perturbed_profiles"]

#: Planning assumption (no published figure exists for GLOBE or Copernicus): DEM
#: errors stay correlated over a few cells, because a cell, its neighbours and the
#: bilinear samples between them come from the same source measurements.
CORR_LENGTH_CELLS = 3.0
#: ... and over no less than this (m), the scale of the source data's own patches.
MIN_CORR_LENGTH_M = 250.0
#: Smoothing-grid spacing as a fraction of the filter's standard deviation (L/2).
#: At 1/8 linear interpolation to the stations changes the variance and the correlation by < 1 %.
_GRID_PER_KERNEL_SIGMA = 0.125
_TRUNCATE = 4.0  # the Gaussian filter is cut at 4 standard deviations
_MAX_GRID = 20_000_000  # grid nodes per realisation
_CHUNK_CELLS = 4_000_000  # grid cells drawn and filtered at once


def default_corr_length_m(cell_m: float) -> float:
    """The assumed error correlation length (m) of a DEM with ground cells of ``cell_m``.

    ``max(CORR_LENGTH_CELLS × cell_m, MIN_CORR_LENGTH_M)`` — an assumption, not
    a documented product figure; pass your own when you have one.

    Examples
    --------
    >>> default_corr_length_m(30.0), default_corr_length_m(900.0)
    (250.0, 2700.0)
    """
    cell = check_positive(cell_m, "cell_m")
    return max(CORR_LENGTH_CELLS * cell, MIN_CORR_LENGTH_M)


def _seeded(seed: int | None) -> np.random.Generator:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ParameterError(f"seed must be a non-negative integer or None, got {seed!r}")
    return np.random.default_rng(seed)


def _count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n (number of realisations) must be a positive integer, got {n!r}")
    return int(n)


def _kernel_gain(kernel_sigma_cells: float) -> float:
    """Standard deviation of unit white noise after scipy's Gaussian filter (exact, from its weights)."""
    from scipy.ndimage import gaussian_filter1d

    radius = int(_TRUNCATE * kernel_sigma_cells + 0.5)
    impulse = np.zeros(2 * radius + 1)
    impulse[radius] = 1.0
    w = gaussian_filter1d(impulse, kernel_sigma_cells, truncate=_TRUNCATE, mode="constant")
    return float(np.sqrt(np.sum(w * w)))


def correlated_noise(distance_m: np.ndarray, sigma_m: float, corr_length_m: float, n: int,
                     seed: int | None = None) -> np.ndarray:
    """``n`` realisations of 1-D Gaussian noise at the chainages ``distance_m``.

    Parameters
    ----------
    distance_m : array of float, shape (stations,)
        Chainage of the stations (m), non-decreasing, finite.
    sigma_m : float
        Standard deviation of the noise at every station (m); 0 gives zeros.
    corr_length_m : float
        Lag (m) at which the correlation has fallen to 1/e: ρ(h) = exp(-(h/L)²).
    n : int
        Number of realisations.
    seed : int, optional
        Seed of the random generator (numpy PCG64); None draws a fresh one.

    Returns
    -------
    numpy.ndarray, shape (n, stations)

    Raises
    ------
    ParameterError
        Non-positive ``corr_length_m``/``n``, negative ``sigma_m``, a bad seed,
        or a correlation length so short against the profile length that the
        smoothing grid would exceed 20 million nodes.
    InvalidInputError
        ``distance_m`` is not 1-D, finite and non-decreasing.

    Examples
    --------
    >>> e = correlated_noise(np.arange(0.0, 5000.0, 25.0), 2.0, 300.0, n=3, seed=7)
    >>> e.shape
    (3, 200)
    """
    d = np.asarray(distance_m, dtype="float64")
    if d.ndim != 1 or d.size == 0 or not np.isfinite(d).all():
        raise InvalidInputError(f"distance_m must be a non-empty 1-D array of finite metres, got shape {d.shape}")
    if d.size > 1 and (np.diff(d) < 0).any():
        raise InvalidInputError("distance_m must be non-decreasing (chainage along the line)")
    sigma = check_positive(sigma_m, "sigma_m", allow_zero=True)
    corr = check_positive(corr_length_m, "corr_length_m")
    count = _count(n)
    rng = _seeded(seed)
    if sigma == 0.0:
        return np.zeros((count, d.size))
    ks = corr / 2.0  # filter standard deviation (m): its autocorrelation is exp(-h²/(4 ks²)) = exp(-(h/L)²)
    dx = ks * _GRID_PER_KERNEL_SIGMA
    kernel_cells = ks / dx
    pad = math.ceil(_TRUNCATE * kernel_cells) + 1
    span = float(d[-1] - d[0])
    nodes = math.floor(span / dx) + 2 + 2 * pad
    if nodes > _MAX_GRID:
        raise ParameterError(f"corr_length_m={corr:g} m is too short for a {span / 1000:.1f} km profile "
                             f"({nodes} smoothing nodes, at most {_MAX_GRID}); use a longer correlation length")
    pos = (d - d[0]) / dx + pad  # fractional grid index of every station
    i0 = np.minimum(np.floor(pos).astype(np.int64), nodes - 2)
    f = pos - i0
    scale = sigma / _kernel_gain(kernel_cells)
    from scipy.ndimage import gaussian_filter1d

    out = np.empty((count, d.size))
    rows = max(1, _CHUNK_CELLS // nodes)
    for start in range(0, count, rows):
        k = min(rows, count - start)
        white = rng.standard_normal((k, nodes))
        field = gaussian_filter1d(white, kernel_cells, axis=1, truncate=_TRUNCATE, mode="constant")
        out[start:start + k] = (field[:, i0] * (1.0 - f) + field[:, i0 + 1] * f) * scale
    return out


def perturbed_profiles(distance_m: np.ndarray, ground_m: np.ndarray, sigma_m: float, corr_length_m: float,
                       n: int, seed: int | None = None) -> np.ndarray:
    """``n`` realisations of a ground profile with correlated DEM error added.

    Parameters
    ----------
    distance_m, ground_m : array of float, shape (stations,)
        Chainage (m, non-decreasing) and ground elevation (m) of the stations,
        e.g. ``Profile.distance_m`` and ``Profile.ground_m``. NaN elevations
        stay NaN.
    sigma_m : float
        The DEM's vertical error as one standard deviation (m), e.g.
        ``dem.vertical_sigma_m`` (LE90 / 1.6449).
    corr_length_m : float
        Error correlation length (m), see :func:`correlated_noise`;
        :func:`default_corr_length_m` gives the documented assumption.
    n : int
        Number of realisations.
    seed : int, optional
        Random seed; the same seed gives the same realisations.

    Returns
    -------
    numpy.ndarray, shape (n, stations)
        Row ``i`` is ``ground_m`` plus realisation ``i`` of the noise.

    Examples
    --------
    >>> d = np.linspace(0.0, 2000.0, 41)
    >>> z = perturbed_profiles(d, np.full(41, 500.0), 3.0, 400.0, n=2, seed=3)
    >>> z.shape, bool(np.array_equal(z, perturbed_profiles(d, np.full(41, 500.0), 3.0, 400.0, n=2, seed=3)))
    ((2, 41), True)
    """
    g = np.asarray(ground_m, dtype="float64")
    d = np.asarray(distance_m, dtype="float64")
    if g.shape != d.shape:
        raise InvalidInputError(f"ground_m {g.shape} and distance_m {d.shape} must have the same shape")
    return np.asarray(g[None, :] + correlated_noise(d, sigma_m, corr_length_m, n, seed))


def perturbed_grids(array: np.ndarray, cell_m: tuple[float, float], sigma_m: float, corr_length_m: float,
                    n: int, seed: int | None = None) -> list[np.ndarray]:
    """``n`` realisations of a DEM grid with 2-D correlated error added.

    Parameters
    ----------
    array : 2-D array of float
        Elevations (m), e.g. from :meth:`corridor.terrain.DEM.read`; NaN stays NaN.
    cell_m : (float, float)
        Ground size of a cell, ``(north-south, east-west)`` in metres (e.g.
        from the geodesic size of a pixel at the grid's latitude).
    sigma_m, corr_length_m, n, seed
        As in :func:`perturbed_profiles` (isotropic correlation in metres).

    Returns
    -------
    list of numpy.ndarray
        ``n`` float64 arrays of ``array``'s shape.

    Examples
    --------
    >>> grids = perturbed_grids(np.zeros((50, 60)), (90.0, 70.0), 2.0, 500.0, n=2, seed=1)
    >>> len(grids), grids[0].shape
    (2, (50, 60))
    """
    from scipy.ndimage import gaussian_filter

    z = np.asarray(array, dtype="float64")
    if z.ndim != 2 or z.size == 0:
        raise InvalidInputError(f"array must be a non-empty 2-D grid, got shape {z.shape}")
    try:
        dy, dx = (check_positive(c, "cell_m") for c in cell_m)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"cell_m must be (north-south, east-west) metres, got {cell_m!r}") from exc
    sigma = check_positive(sigma_m, "sigma_m", allow_zero=True)
    corr = check_positive(corr_length_m, "corr_length_m")
    count = _count(n)
    rng = _seeded(seed)
    if sigma == 0.0:
        return [z.copy() for _ in range(count)]
    ks = (corr / 2.0 / dy, corr / 2.0 / dx)  # filter standard deviation in cells, per axis
    pad = tuple(math.ceil(_TRUNCATE * k) + 1 for k in ks)
    shape = (z.shape[0] + 2 * pad[0], z.shape[1] + 2 * pad[1])
    if shape[0] * shape[1] > _MAX_GRID:
        raise ParameterError(f"grid {z.shape} with corr_length_m={corr:g} needs {shape[0] * shape[1]} "
                             f"noise cells, at most {_MAX_GRID}; read a smaller area")
    gain = _kernel_gain(ks[0]) * _kernel_gain(ks[1])  # the 2-D Gaussian filter is separable
    out = []
    for _ in range(count):
        field = gaussian_filter(rng.standard_normal(shape), ks, truncate=_TRUNCATE, mode="constant")
        out.append(z + field[pad[0]:pad[0] + z.shape[0], pad[1]:pad[1] + z.shape[1]] * (sigma / gain))
    return out


@overload
def bands(values: np.ndarray | list[float], axis: None = ...) -> tuple[float, float, float]: ...
@overload
def bands(values: np.ndarray | list[float], axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def bands(values: np.ndarray | list[float], axis: int | None = None
          ) -> tuple[float, float, float] | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P10, P50 and P90 of realisations (linear interpolation between order statistics).

    Parameters
    ----------
    values : array of float
        One figure per realisation (1-D), or realisations along ``axis``.
    axis : int, optional
        Axis of the realisations; None flattens and returns floats.

    Returns
    -------
    (p10, p50, p90)
        Floats (``axis=None``) or arrays; always ``p10 <= p50 <= p90``.

    Raises
    ------
    InvalidInputError
        No values, or some are NaN/inf (drop failed realisations explicitly:
        silently ignoring them would bias the bands).

    Examples
    --------
    >>> bands([3.0, 1.0, 2.0, 5.0, 4.0])
    (1.4, 3.0, 4.6)
    """
    v = np.asarray(values, dtype="float64")
    if v.size == 0:
        raise InvalidInputError("bands need at least one value")
    bad = int((~np.isfinite(v)).sum())
    if bad:
        raise InvalidInputError(f"{bad} of {v.size} values are NaN or infinite; drop the failed "
                                "realisations explicitly before computing bands")
    if axis is None:
        p10, p50, p90 = np.percentile(v.ravel(), [10.0, 50.0, 90.0])
        return float(p10), float(p50), float(p90)
    q = np.percentile(v, [10.0, 50.0, 90.0], axis=axis)
    return q[0], q[1], q[2]


def figure_bands(evaluate: Callable[[np.ndarray], Mapping[str, float]], distance_m: np.ndarray,
                 ground_m: np.ndarray, sigma_m: float, corr_length_m: float, n: int,
                 seed: int | None = None) -> dict[str, tuple[float, float, float]]:
    """P10/P50/P90 of the figures ``evaluate`` computes on ``n`` perturbed ground profiles.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(ground_m) -> {"tunnel_km": ..., "cost": ...}`` for one
        realisation (an array shaped like ``ground_m``). Every call must return
        the same keys.
    distance_m, ground_m, sigma_m, corr_length_m, n, seed
        As in :func:`perturbed_profiles`.

    Returns
    -------
    dict
        ``{figure: (p10, p50, p90)}``.

    Examples
    --------
    >>> d = np.arange(0.0, 3000.0, 30.0)
    >>> out = figure_bands(lambda z: {"max_m": float(z.max())}, d, np.full(d.size, 100.0), 2.0, 300.0,
    ...                    n=50, seed=2)
    >>> lo, mid, hi = out["max_m"]
    >>> bool(100.0 < lo <= mid <= hi)
    True
    """
    runs = perturbed_profiles(distance_m, ground_m, sigma_m, corr_length_m, n, seed)
    figures: dict[str, list[float]] = {}
    for i, z in enumerate(runs):
        got = dict(evaluate(z))
        if i == 0:
            figures = {k: [] for k in got}
        elif set(got) != set(figures):
            raise InvalidInputError(f"evaluate returned keys {sorted(got)} in realisation {i}, "
                                    f"{sorted(figures)} before; return the same figures every time")
        for k, v in got.items():
            figures[k].append(float(v))
    return {k: bands(np.asarray(v)) for k, v in figures.items()}
