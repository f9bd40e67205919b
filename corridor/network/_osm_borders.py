"""Cut an edge table at unit borders and give each cut a new node.

Used on the arrays while a file is read (:func:`cut_nodes`) and on a finished
table (:func:`split_at_borders`, e.g. after several files are joined).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from corridor._geo import lengths_of
from corridor.data.regions import cut_lines

log = logging.getLogger(__name__)

__all__ = ["cut_nodes", "split_at_borders"]


def split_at_borders(gdf: Any) -> Any:
    """Cut edges at unit borders (:func:`corridor.data.cut_lines`) and give each cut a new node.

    Pieces of one edge keep their order and the edge's other columns (the
    pieces' ``length_m`` is measured again); the cut points become nodes with new negative ids (``-1, -2, ...``
    in edge order, below any negative id already in use), so ``u``/``v`` stay a valid topology.
    """
    import geopandas as gpd
    import pandas as pd


    gdf = gdf.reset_index(drop=True)
    geom_col = gdf.geometry.name
    eid, unit, geoms, at = cut_lines(gdf.geometry.values)
    out = gdf.take(eid).reset_index(drop=True) if len(at) or len(eid) != len(gdf) else gdf.copy()
    out["unit"] = pd.Series(unit, dtype=object)  # object codes, None off every unit
    if len(at):
        out[geom_col] = gpd.GeoSeries(geoms, crs=gdf.crs)
        if "length_m" in out.columns:
            length = out["length_m"].to_numpy(dtype=float, copy=True)
            length[at] = lengths_of(geoms[at])
            out["length_m"] = length
        out["u"], out["v"] = cut_nodes(out["u"].to_numpy(), out["v"].to_numpy(), eid)
    return gpd.GeoDataFrame(out, geometry=geom_col, crs=gdf.crs)


def cut_nodes(u: np.ndarray, v: np.ndarray, eid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``u``/``v`` of cut rows: each cut between two pieces of one edge becomes a new node.

    The new ids count down from below every id in use (``-1, -2, ...`` when all
    ids are positive), so they never meet a real node, e.g. JOSM's negative ids.
    """
    last = np.ones(len(eid), bool)
    last[:-1] = eid[1:] != eid[:-1]
    cuts = np.flatnonzero(~last)  # piece i ends at a cut shared with piece i + 1
    u, v = np.array(u, copy=True), np.array(v, copy=True)
    if len(cuts):
        base = min(0, int(u.min()), int(v.min())) if len(u) else 0
        new_ids = base - np.arange(1, len(cuts) + 1, dtype=np.int64)
        v[cuts] = new_ids
        u[cuts + 1] = new_ids
        log.debug("cut %d edges at unit borders", len(set(eid[cuts])))
    return u, v

