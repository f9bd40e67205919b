"""The ``corridor compare`` job: scenarios → routes → metrics → files, atomically.

Outputs are written to a temporary folder inside ``--out`` and moved in only
when every file is complete, so a failure leaves nothing half-written.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "new-folder"
>>> check_out_dir(out) == out
True
>>> check_out_dir(pathlib.Path(tempfile.mkstemp()[1]))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
corridor._errors.OutputError: --out ... is a file, not a folder; give a folder name (it is created if missing)
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import DataFileError, InvalidInputError, OutputError

log = logging.getLogger(__name__)

__all__ = ["CompareResult", "check_out_dir", "load_dem", "load_net", "resolve_scenarios", "run_compare",
           "staged_output", "write_outputs"]

#: Files written by ``corridor compare`` (in this order).
OUTPUT_FILES = ("summary.csv", "routes.gpkg", "profiles.png", "comparison.png", "map.html", "report.html")

Progress = Callable[[str, int, int, str], None]


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK | os.X_OK)


def check_out_dir(out: str | Path) -> Path:
    """Validate an output folder before any work: not a file, writable (or creatable).

    Raises
    ------
    OutputError
        ``out`` is a file, lies under a file, or the folder (or the nearest
        existing parent, if it must be created) is not writable.
    """
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise OutputError(f"--out {str(p)!r} is a file, not a folder; give a folder name "
                          "(it is created if missing)")
    if p.is_dir():
        if not _writable(p):
            raise OutputError(f"output folder {str(p)!r} is not writable; choose another --out folder "
                              "or fix its permissions")
        return p
    parent = p.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot create --out {str(p)!r}: {str(parent)!r} is a file; give a folder path")
    if not _writable(parent):
        raise OutputError(f"cannot create --out {str(p)!r}: {str(parent)!r} is not writable; "
                          "choose another --out folder")
    return p


@contextlib.contextmanager
def staged_output(out: str | Path) -> Iterator[Path]:
    """Yield a temporary folder inside ``out``; move its files into ``out`` on success.

    On any error the temporary folder is removed, and ``out`` too if this call
    created it, so nothing half-written is left behind.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "o"
    >>> with staged_output(out) as tmp:
    ...     _ = (tmp / "a.txt").write_text("x")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    out = check_out_dir(out)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".corridor-tmp-", dir=out))
    except OSError as exc:
        raise OutputError(f"cannot write to --out {str(out)!r}: {exc.strerror or exc}; "
                          "choose a writable folder") from exc
    try:
        yield tmp
        for f in sorted(tmp.iterdir()):
            os.replace(f, out / f.name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if empty
        raise
    shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ inputs
def resolve_scenarios(args: Sequence[str]) -> list[Any]:
    """Scenario files (``.toml``) and built-in names → Scenarios; none → the whole catalogue.

    Duplicate names (across files and arguments) are rejected (:func:`corridor.scenarios.gather`).
    """
    from . import scenarios

    if not args:
        return list(scenarios.builtin())
    return scenarios.gather(args)


#: Margin (degrees) around the waypoints of the Overpass area: alignments stray from the straight chain.
OVERPASS_PAD_DEG = 0.25


def waypoint_bbox(waypoints: Sequence[Any], pad_deg: float = OVERPASS_PAD_DEG) -> Any:
    """The box around resolved waypoints plus ``pad_deg`` (the area ``--network overpass`` queries).

    >>> tuple(round(v, 2) for v in waypoint_bbox(["Ordubad", "Meghri"]))
    (45.77, 38.65, 46.49, 39.16)
    """
    from ._types import BBox
    from .places import resolve

    pts = [resolve(w) for w in waypoints]
    lons, lats = [p.lon for p in pts], [p.lat for p in pts]
    return BBox(min(lons) - pad_deg, min(lats) - pad_deg, max(lons) + pad_deg, max(lats) + pad_deg)


def load_net(spec: str | None, *, modes: Sequence[str] = ("road", "rail"), waypoints: Sequence[Any] = ()) -> Any:
    """``reference`` (default), ``none``, ``osm``/``geofabrik``/``overpass`` or a file path → Network/None.

    ``overpass`` queries the box around ``waypoints`` (:func:`waypoint_bbox`).
    """
    s = (spec or "reference").strip()
    if s.lower() == "none":
        return None
    from .network import load_network

    if s.lower() == "reference":
        return load_network("reference")
    if s.lower() in ("osm", "geofabrik"):
        return load_network("geofabrik", modes=tuple(modes))
    if s.lower() == "overpass":
        if not waypoints:
            raise InvalidInputError("--network overpass needs waypoints to bound the query area")
        return load_network("overpass", modes=tuple(modes), bbox=waypoint_bbox(waypoints))
    p = Path(s)
    if not p.is_file():
        raise DataFileError(f"network file {s!r} not found; use --network reference, osm, none or the path "
                            "of an .osm.pbf/.osm/.osm.bz2 file")
    return load_network(p, modes=tuple(modes))


def load_dem(spec: str | None) -> Any:
    """``None`` → the embedded GLOBE DEM; a path → that DEM (checked to exist)."""
    from .terrain import DEM

    if spec is None:
        return DEM.open(None)
    p = Path(spec)
    if not p.exists():
        raise DataFileError(f"DEM file {spec!r} not found; give a GeoTIFF/VRT/.hgt path or omit --dem "
                            "to use the embedded GLOBE 30\" DEM")
    return DEM.open(p)


def provenance(network: Any, dem: Any) -> dict[str, Any]:
    """What data produced the figures (shown by the CLI and written in the report)."""
    if network is None:
        net = {"source": "none (new alignments over the DEM only, modelled)", "modelled": True}
    else:
        meta = dict(getattr(network, "meta", {}) or {})
        src = str(meta.get("source", "unknown"))
        net = {k: (str(v) if v is not None else None) for k, v in meta.items()
               if k in ("source", "path", "checksum", "extract_date", "filter", "bbox")}
        net["modelled"] = "modelled" in src
        net["edges"] = len(network) if hasattr(network, "__len__") else None
    return {"network": net, "dem": {"source": str(getattr(dem, "source", "unknown"))},
            "costs": "corridor.costs defaults (order-of-magnitude unit costs; see `corridor list params`)"}


def flat_provenance(prov: dict[str, Any]) -> dict[str, str]:
    """Provenance as readable ``label -> text`` pairs (for the HTML report).

    >>> flat_provenance({"network": {"source": "reference (modelled)", "modelled": True},
    ...                  "dem": {"source": "GLOBE"}, "costs": "defaults"})["network"]
    'reference (modelled) — MODELLED, not OpenStreetMap'
    """
    from ._version import __version__

    net = prov.get("network", {})
    out = {"network": str(net.get("source", "unknown")) + (" — MODELLED, not OpenStreetMap" if net.get("modelled")
                                                           else "")}
    for key, label in (("path", "network file"), ("extract_date", "network extract date"),
                       ("checksum", "network checksum"), ("filter", "network filter"), ("bbox", "network bbox")):
        if net.get(key):
            out[label] = str(net[key])
    out["DEM"] = str(prov.get("dem", {}).get("source", "unknown"))
    out["unit costs"] = str(prov.get("costs", ""))
    out["software"] = f"corridor {__version__}"
    return out


@dataclass
class CompareResult:
    """Everything ``corridor compare`` produced."""

    routes: list[Any]
    metrics: list[Any]
    table: Any
    provenance: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    sensitivity: Any = None


def _json_safe(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        return _json_safe(v.item())
    return v


def table_records(table: Any) -> list[dict[str, Any]]:
    """Table rows as JSON-safe dicts (NaN → None)."""
    return [{str(k): _json_safe(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def _write_csv(path: Path, table: Any) -> None:
    from ._text import write_csv

    write_csv(table, path)


def write_outputs(folder: Path, routes: Sequence[Any], metrics: Sequence[Any], table: Any,
                  prov: dict[str, Any], *, which: Sequence[str] = OUTPUT_FILES,
                  progress: Progress | None = None) -> list[Path]:
    """Write the comparison files into ``folder`` (a staging folder)."""
    steps: dict[str, Callable[[Path], Any]] = {
        "summary.csv": lambda p: _write_csv(p, table),
        "routes.gpkg": lambda p: _mod("export").write_layers(p, list(routes), list(metrics)),
        "profiles.png": lambda p: _mod("charts").profiles_png(p, list(routes), list(metrics)),
        "comparison.png": lambda p: _mod("charts").comparison_png(p, table),
        "map.html": lambda p: _mod("maps").save_map(
            _mod("maps").route_map(list(routes), metrics=list(metrics)), p, offline=True),
        "report.html": lambda p: _mod("report").write_report(p, list(routes), list(metrics), table,
                                                             provenance=flat_provenance(prov)),
    }
    written: list[Path] = []
    for i, name in enumerate(which):
        if progress is not None:
            progress("write", i, len(which), name)
        steps[name](folder / name)
        written.append(folder / name)
    if progress is not None:
        progress("write", len(which), len(which), "")
    return written


def _mod(name: str) -> Any:
    import importlib

    return importlib.import_module(f"corridor.{name}")


def run_compare(scenario_args: Sequence[str] = (), *, network: str | None = "reference", dem: str | None = None,
                out: str | Path | None = "corridor-output", params: Any = None, weights: Any = None,
                progress: Progress | None = None, with_sensitivity: bool = False) -> CompareResult:
    """Compare scenarios end to end; with ``out``, write the files atomically.

    ``out`` is validated before any work, so a bad folder fails fast. With
    ``with_sensitivity``, :func:`corridor.evaluate.sensitivity` runs too and is
    written as ``sensitivity.csv``.
    """
    from .evaluate import evaluate
    from .evaluate import table as make_table

    if out is not None:
        check_out_dir(out)
    scens = resolve_scenarios(scenario_args)
    modes = sorted({str(getattr(s, "mode", "rail")) for s in scens})
    net = load_net(network, modes=modes, waypoints=[w for sc in scens for w in getattr(sc, "waypoints", ())])
    dem_obj = load_dem(dem)
    routes: list[Any] = []
    for i, s in enumerate(scens):
        if progress is not None:
            progress("route", i, len(scens), str(getattr(s, "name", s)))
        routes.append(s.route(network=net, dem=dem_obj))
    metrics = []
    for i, r in enumerate(routes):
        if progress is not None:
            progress("evaluate", i, len(routes), str(r.name))
        metrics.append(evaluate(r, dem=dem_obj, params=params))
    if progress is not None:
        progress("evaluate", len(routes), len(routes), "")
    tbl = make_table(metrics, weights=weights)
    prov = provenance(net, dem_obj)
    result = CompareResult(routes, metrics, tbl, prov)
    if with_sensitivity:
        from .evaluate import sensitivity

        result.sensitivity = sensitivity(metrics, weights=weights, params=params)
    if out is not None:
        with staged_output(out) as tmp:
            names = [p.name for p in write_outputs(tmp, routes, metrics, tbl, prov, progress=progress)]
            if result.sensitivity is not None:
                _write_csv(tmp / "sensitivity.csv", result.sensitivity)
                names.append("sensitivity.csv")
        result.files = [Path(out) / n for n in names]
    return result
