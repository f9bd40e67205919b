"""Stage 5, align: new alignments over the DEM.

Cost surfaces (:mod:`corridor.align.surface`), the least-cost search and
:func:`trace` (:mod:`corridor.align.tracing`), structures
(:mod:`corridor.align.structures`) and :func:`alternatives`. Every line this
stage makes is modelled, and says so in its ``source``.

Examples
--------
>>> from corridor.align import trace
>>> r = trace(["Meghri", "Agarak"], mode="road", network=None)
>>> "modelled" in r.source
True
"""

from __future__ import annotations

from corridor._validate import renamed
from corridor.align._alternatives import alternatives, shared_share
from corridor.align.levelsearch import LevelProblem, search_levels
from corridor.align.surface import EXISTING_FACTOR, PRESETS, Grid, SurfacePreset
from corridor.align.tracing import FLAG_STEP_M, GRADE_TOL, SEARCHES, flag_structures, trace

__all__ = [
    "EXISTING_FACTOR",
    "FLAG_STEP_M",
    "GRADE_TOL",
    "PRESETS",
    "SEARCHES",
    "Grid",
    "LevelProblem",
    "SurfacePreset",
    "alternatives",
    "flag_structures",
    "search_levels",
    "shared_share",
    "trace",
]

#: Old names, kept for one release (``DeprecationWarning``).
__getattr__ = renamed(__name__, {"Preset": ("SurfacePreset", SurfacePreset)})
