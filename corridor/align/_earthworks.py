"""The cost model of the vertical design: cross-sections, earthworks and structures per metre of line.

At a station where the formation is ``d`` metres below ground (``d < 0``: above
it) the line costs the open-line rate plus earthworks over a trapezoid
cross-section (formation width by mode and tracks/lanes, side slopes), or a
tunnel / viaduct where that is cheaper or the cut/fill cap is exceeded. Every
figure is a :class:`corridor.costs.CostParams` field; the method is described in
:mod:`corridor.align.vertical`, which solves for the least-cost grade line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from corridor._errors import ParameterError
from corridor.align import _dp
from corridor.align._dp import BRIDGE, CUT, FILL, OPEN, TUNNEL
from corridor.costs import CostParams, unit_rate

__all__ = ["BRIDGE", "CUT", "FILL", "KINDS", "OPEN", "TUNNEL", "CostModel", "cost_model", "economic_switch"]

#: Station kinds: at grade, in cutting, on embankment, in tunnel, on a viaduct/bridge.
#: Numbered as the kernels number them (:data:`corridor.align._dp.OPEN` .. ``BRIDGE``), which also
#: decide them (:func:`corridor.align._dp.cell_kinds`) with the cost model's one statement.
KINDS = ("open", "cut", "fill", "tunnel", "bridge")


@dataclass(frozen=True)
class CostModel:
    """Unit costs (USD per metre of line, per m3) and cross-section of one mode and number of tracks/lanes."""

    open_usd_m: float
    tunnel_usd_m: float
    bridge_usd_m: float
    w_cut: float
    w_fill: float
    s_cut: float
    s_fill: float
    c_cut: float  # USD per m3 of cut (excavation + dumping)
    c_fill: float  # USD per m3 of fill (borrow + placing)
    cap_cut: float
    cap_fill: float

    def coefficients(self) -> np.ndarray:
        """The figures in the order of :data:`corridor.align._dp.COEFFICIENTS`, as float32."""
        return np.array([getattr(self, name) for name in _dp.COEFFICIENTS], dtype=np.float32)

    def costs(self, d: np.ndarray) -> np.ndarray:
        """USD per metre of line where the formation is ``d`` m below ground (float32).

        Open line plus earthworks, ``O + c_cut * cut * (w + s * cut) + c_fill * fill * (w + s * fill)``,
        or the structure where that is dearer or the cut (fill) is deeper (higher) than the cap; at
        grade no structure (:func:`corridor.align._dp.cell_costs`).
        """
        return np.asarray(_dp.cell_costs(np.ascontiguousarray(d, dtype=np.float32), self.coefficients()))


def economic_switch(width_m: float, side_slope: float, usd_per_m3: float, structure_usd_m: float,
                    open_usd_m: float) -> float:
    """Depth (or height) where earthworks cost as much per metre as a structure.

    Solves ``open + c * (w * d + s * d**2) = structure`` for ``d >= 0``; ``inf`` if
    earthworks are free, 0 if the structure is not dearer than open line.

    >>> round(economic_switch(5.49, 1.0, 33.0, 40_000.0, 5_000.0), 1)
    29.9
    """
    extra = structure_usd_m - open_usd_m
    if extra <= 0:
        return 0.0
    if usd_per_m3 <= 0:
        return math.inf
    q = extra / usd_per_m3
    return (-width_m + math.sqrt(width_m * width_m + 4.0 * side_slope * q)) / (2.0 * side_slope)


def _widths(mode: str, params: CostParams, tracks_or_lanes: int | None) -> tuple[float, float, int]:
    if mode == "rail":
        n = 1 if tracks_or_lanes is None else tracks_or_lanes
        extra = (n - 1) * params.rail_track_spacing_m
        return params.rail_formation_width_cut_m + extra, params.rail_formation_width_fill_m + extra, n
    n = 2 if tracks_or_lanes is None else tracks_or_lanes
    w = params.road_formation_width_2lane_m + (n - 2) * params.road_lane_width_m
    return w, w, n


def cost_model(mode: str, params: CostParams, tracks_or_lanes: int | None) -> tuple[CostModel, int]:
    if tracks_or_lanes is not None and (isinstance(tracks_or_lanes, bool) or not isinstance(tracks_or_lanes, int)
                                        or tracks_or_lanes < 1):
        raise ParameterError(f"tracks_or_lanes must be a whole number >= 1, got {tracks_or_lanes!r}")
    w_cut, w_fill, n = _widths(mode, params, tracks_or_lanes)
    if w_cut <= 0 or w_fill <= 0:
        raise ParameterError(f"formation width must be > 0 m, got {w_cut:g} m in cutting and {w_fill:g} m on "
                             f"embankment for {n} {'tracks' if mode == 'rail' else 'lanes'}")
    for name in ("cut_side_slope", "fill_side_slope", "max_cut_depth_m", "max_fill_height_m"):
        if getattr(params, name) <= 0:
            raise ParameterError(f"cost parameter {name!r} must be greater than zero, got {getattr(params, name)!r}")
    rate = [unit_rate(params, mode, "new", s)[0][1] * 1000.0 for s in ("none", "tunnel", "bridge")]
    for kind, r in (("tunnel", rate[1]), ("bridge", rate[2])):  # the design builds a structure only where it pays
        if r < rate[0]:
            raise ParameterError(f"{mode}_{kind}_musd_per_km (central {r / 1000:g}) must not be below "
                                 f"{mode}_new_musd_per_km (central {rate[0] / 1000:g}) for a vertical design: a "
                                 f"{kind} cheaper than open line would be built everywhere (repricing with such "
                                 "rates, as a sensitivity variant does, is fine)")
    return CostModel(
        open_usd_m=rate[0], tunnel_usd_m=rate[1], bridge_usd_m=rate[2], w_cut=w_cut, w_fill=w_fill,
        s_cut=params.cut_side_slope, s_fill=params.fill_side_slope,
        c_cut=params.earthwork_cut_usd_per_m3 + params.earthwork_dump_usd_per_m3,
        c_fill=params.earthwork_borrow_usd_per_m3 + params.earthwork_fill_usd_per_m3,
        cap_cut=params.max_cut_depth_m, cap_fill=params.max_fill_height_m), n
