"""Structure flagging for new alignments: tunnels and bridges where the ground is too steep.

Split out of :mod:`corridor.align.tracing` to keep modules small; the public entry point
is :func:`corridor.align.flag_structures` (re-exported there).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from corridor._geo import cumulative_distance
from corridor._validate import check_mode, check_positive
from corridor.align import surface as _cost
from corridor.terrain.profiles import profile

log = logging.getLogger(__name__)

#: Profile sampling step (m) used when flagging structures on a new line.
FLAG_STEP_M = 50.0
_MIN_GAP_M = 400.0  # open stretches shorter than this between two structures are merged into them


def _profile(coords: np.ndarray, dem: Any, spans: list[tuple[float, float, str]], mode: str) -> Any:
    from shapely.geometry import LineString


    return profile(LineString(coords), dem, structures=spans or None, mode=mode, step_m=FLAG_STEP_M)


def flag_structures(line: Any, *, mode: str, max_grade: float | None = None, dem: Any = None,
                    max_iter: int = 25) -> list[tuple[float, float, str]]:
    """Spans ``(start_m, end_m, kind)`` of a new line that need a tunnel or bridge.

    The ground profile (:func:`corridor.terrain.profile`) is scanned for grades
    above ``max_grade``; each run is flagged, the profile is recomputed with the
    structures bridged, and the runs are grown until every grade outside a
    structure is within the limit. ``kind`` is ``tunnel`` where the ground is on
    average above the straight line joining the structure's ends, else ``bridge``.

    Parameters
    ----------
    line : shapely LineString
        EPSG:4326.
    mode : {"rail", "road"}
    max_grade : float, optional
        Default: the mode preset (12.5 per mille rail, 8 % road).
    dem : DEM, path or None
        Default: the embedded GLOBE DEM.

    Returns
    -------
    list of (float, float, str)

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> spans = flag_structures(LineString([(46.05, 38.95), (46.20, 38.95)]), mode="rail")
    >>> all(k in ("tunnel", "bridge") and a < b for a, b, k in spans)
    True
    """
    check_mode(mode)
    lim = _cost.PRESETS[mode].max_grade if max_grade is None else check_positive(max_grade, "max_grade")
    coords = np.asarray(line.coords, dtype=float)
    spans: list[tuple[float, float, str]] = []
    prof = _profile(coords, dem, spans, mode)
    total = float(prof.distance_m[-1])
    for _ in range(max_iter):
        d = np.asarray(prof.distance_m, dtype=float)
        gr = np.abs(np.asarray(prof.grade, dtype=float))
        inside = np.zeros(d.size, dtype=bool)
        for a, b, _k in spans:
            inside |= (d >= a - 1e-6) & (d <= b + 1e-6)
        # a structure's own portal-to-portal grade must obey the limit too:
        # inside a span the profile is the straight chord, so steep chords show
        # up here and the span is grown until its chord is within the limit
        bad = (gr > lim) & np.isfinite(gr)
        if not bad.any():
            break
        step = float(np.median(np.diff(d))) if d.size > 1 else 0.0
        pad = max(step, 0.5 * float(getattr(prof, "window_m", 0.0) or 0.0) / 2)
        idx = np.flatnonzero(bad)
        breaks = np.flatnonzero(np.diff(idx) > 1)
        starts = np.concatenate([[idx[0]], idx[breaks + 1]])
        ends = np.concatenate([idx[breaks], [idx[-1]]])
        grow = [max(pad, 0.25 * (d[e] - d[s])) for s, e in zip(starts, ends, strict=True)]
        new = [(max(0.0, d[s] - g), min(total, d[e] + g)) for s, e, g in zip(starts, ends, grow, strict=True)]
        spans = _merge([(a, b) for a, b, _k in spans] + new, total)
        prof = _profile(coords, dem, spans, mode)
    else:
        log.info("structure flagging did not converge after %d rounds (the average grade between "
                 "waypoints exceeds the limit; remaining spans keep their chord grade)", max_iter)
    # kind of each span from the raw ground against the chord
    d = np.asarray(prof.distance_m, dtype=float)
    ground = np.asarray(prof.ground_m, dtype=float)
    out = []
    for a, b, _k in spans:
        m = (d >= a) & (d <= b) & np.isfinite(ground)
        if m.sum() >= 2:
            za, zb = np.interp([a, b], d[np.isfinite(ground)], ground[np.isfinite(ground)])
            chord = za + (zb - za) * (d[m] - a) / max(b - a, 1e-9)
            kind = "tunnel" if float(np.mean(ground[m] - chord)) > 0 else "bridge"
        else:
            kind = "bridge"
        out.append((float(a), float(b), kind))
    return out


def _merge(spans: list[tuple[float, float]], total: float) -> list[tuple[float, float, str]]:
    spans = sorted(spans)
    out: list[list[float]] = []
    for a, b in spans:
        if out and a <= out[-1][1] + _MIN_GAP_M:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    res = []
    for a, b in out:
        a = 0.0 if a < _MIN_GAP_M else a
        b = total if total - b < _MIN_GAP_M else b
        res.append((a, b, "tunnel"))  # kind decided after convergence
    return res


def _cut(coords: np.ndarray, cuts: Sequence[float]) -> list[np.ndarray]:
    """Cut a vertex chain at geodesic distances (linear interpolation within a vertex pair)."""
    cum = cumulative_distance(coords[:, 0], coords[:, 1])
    pieces = []
    bounds = [0.0, *[c for c in cuts if 0.0 < c < cum[-1]], float(cum[-1])]
    for a, b in itertools.pairwise(bounds):
        if b - a <= 1e-6:
            continue
        inner = coords[(cum > a) & (cum < b)]
        pa = np.array([np.interp(a, cum, coords[:, 0]), np.interp(a, cum, coords[:, 1])])
        pb = np.array([np.interp(b, cum, coords[:, 0]), np.interp(b, cum, coords[:, 1])])
        pieces.append(np.vstack([pa, inner, pb]))
    return pieces
