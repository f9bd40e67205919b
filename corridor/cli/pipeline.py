"""The ``corridor compare`` job: scenarios → routes → metrics → files, atomically.

The files are written into a staging folder and committed as one output set
(:mod:`corridor.cli._outputset`: :func:`staged_output`, the manifest, the
roll-back); this module resolves the inputs, runs the comparison and writes
the files.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridor import scenarios
from corridor._errors import DEMError, InvalidInputError, NoFeasibleAlignment
from corridor._text import clean_terminal, write_csv
from corridor._types import BBox
from corridor._validate import check_input_path
from corridor._version import __version__
from corridor.cli._outputset import (
    MANIFEST,
    OUTPUT_FILES,
    SENSITIVITY_FILE,
    check_out_dir,
    read_manifest,
    sha256_file,
    staged_output,
)
from corridor.data.places import Waypoint, resolve
from corridor.evaluation.metrics import evaluate, sensitivity
from corridor.evaluation.metrics import table as make_table
from corridor.evaluation.published import published_table
from corridor.evaluation.ranking import in_rank_order
from corridor.evaluation.uncertainty_bands import check_samples
from corridor.network.core import NO_NETWORK_SOURCE, Network, load_network
from corridor.outputs import charts, export, maps, qgis, relief, report
from corridor.terrain.profiles import DEM

log = logging.getLogger(__name__)

__all__ = ["CompareResult", "check_out_dir", "load_dem", "load_net", "read_manifest", "resolve_scenarios",
           "run_compare", "staged_output", "write_outputs"]

Progress = Callable[[str, int, int, str], None]


def out_names(with_sensitivity: bool = False) -> tuple[str, ...]:
    """The files ``corridor compare`` writes into ``--out`` (without the manifest)."""
    return (*OUTPUT_FILES, SENSITIVITY_FILE) if with_sensitivity else OUTPUT_FILES


# ------------------------------------------------------------------ inputs
def resolve_scenarios(args: Sequence[str]) -> list[scenarios.Scenario]:
    """Scenario files (``.toml``) and built-in names → Scenarios; none → the whole catalogue.

    Duplicate names (across files and arguments) are rejected (:func:`corridor.scenarios.gather`).
    """

    if not args:
        return list(scenarios.builtin())
    return scenarios.gather(args)


#: Margin (degrees) around the waypoints of the Overpass area: alignments stray from the straight chain.
OVERPASS_PAD_DEG = 0.25


def waypoint_bbox(waypoints: Sequence[Waypoint], pad_deg: float = OVERPASS_PAD_DEG) -> BBox:
    """The box around resolved waypoints plus ``pad_deg`` (the area ``--network overpass`` queries).

    >>> tuple(round(v, 2) for v in waypoint_bbox(["Ordubad", "Meghri"]))
    (45.77, 38.65, 46.49, 39.16)
    """

    pts = [resolve(w) for w in waypoints]
    lons, lats = [p.lon for p in pts], [p.lat for p in pts]
    return BBox(min(lons) - pad_deg, min(lats) - pad_deg, max(lons) + pad_deg, max(lats) + pad_deg)


def load_net(spec: str | None, *, modes: Sequence[str] = ("road", "rail"),
             waypoints: Sequence[Waypoint] = ()) -> Network | None:
    """``reference`` (default), ``none``, ``osm``/``geofabrik``/``overpass`` or a file path → Network/None.

    ``overpass`` queries the box around ``waypoints`` (:func:`waypoint_bbox`).
    """
    s = (spec or "reference").strip()
    if s.lower() == "none":
        return None

    if s.lower() == "reference":
        return load_network("reference")
    if s.lower() in ("osm", "geofabrik"):
        return load_network("geofabrik", modes=tuple(modes))
    if s.lower() == "overpass":
        if not waypoints:
            raise InvalidInputError("--network overpass needs waypoints to bound the query area")
        return load_network("overpass", modes=tuple(modes), bbox=waypoint_bbox(waypoints))
    p = check_input_path(s, "network file", missing=f"network file {s!r} not found; use --network reference, "
                         "osm, none or the path of an .osm.pbf/.osm/.osm.bz2 file")
    return load_network(p, modes=tuple(modes))


def load_dem(spec: str | os.PathLike[str] | None) -> DEM:
    """``None`` → the embedded GLOBE DEM; a path → that DEM (checked to exist)."""

    if spec is None:
        return DEM.open(None)
    p = check_input_path(spec, "DEM file", folder_ok=True, error=DEMError,
                         missing=f"DEM file {os.fspath(spec)!r} not found; give a GeoTIFF/VRT/.hgt path or omit --dem "
                         "to use the embedded GLOBE 30\" DEM")
    return DEM.open(p)


#: Provenance of the unit costs when no ``--costs`` file is given.
DEFAULT_COSTS = "corridor.costs defaults (order-of-magnitude unit costs; see `corridor list params`)"


def costs_provenance(costs_file: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Where the unit costs came from: the defaults, or a TOML file (its path as given and SHA-256).

    The path is kept as the user gave it, with terminal control characters
    removed, so it is safe to print and to put in the report.

    >>> costs_provenance(None)["source"].startswith("corridor.costs defaults")
    True
    """
    if costs_file is None:
        return {"source": DEFAULT_COSTS}

    shown = clean_terminal(os.fspath(costs_file))
    p = check_input_path(costs_file, "cost parameter file")
    return {"source": f"file {shown!r} over the corridor.costs defaults", "path": shown, "sha256": sha256_file(p)}


def provenance(network: Any, dem: Any, costs_file: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """What data produced the figures (shown by the CLI and written in the report and manifest).

    The network's filter stays a mapping (a JSON object in ``--json`` and the
    manifest); its other entries are text.

    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(meta={"source": "x.osm.pbf", "filter": {"modes": ["rail"]}, "bbox": [1, 2, 3, 4]})
    >>> provenance(net, None)["network"]
    {'source': 'x.osm.pbf', 'filter': {'modes': ['rail']}, 'bbox': '[1, 2, 3, 4]', 'modelled': False, 'edges': None}
    """
    if network is None:
        net = {"source": NO_NETWORK_SOURCE, "modelled": True}
    else:
        meta = dict(getattr(network, "meta", {}) or {})
        src = str(meta.get("source", "unknown"))
        net = {k: (dict(v) if isinstance(v, Mapping) else str(v) if v is not None else None)
               for k, v in meta.items() if k in ("source", "path", "checksum", "extract_date", "filter", "bbox")}
        net["modelled"] = "modelled" in src
        net["edges"] = len(network) if hasattr(network, "__len__") else None
    return {"network": net, "dem": {"source": str(getattr(dem, "source", "unknown"))},
            "costs": costs_provenance(costs_file)}


def rests_on_network(route: Any) -> bool:
    """Whether ``route`` rests on the network it was traced with, as the route records it
    (``meta["network_source"]``, which its ``network_source`` row reads too). A route that could not
    join the network and follows new build alone (``meta["join_fallback"]``) rests on none.

    >>> from types import SimpleNamespace
    >>> rests_on_network(SimpleNamespace(meta={"network_source": None, "join_fallback": "new build alone: ..."}))
    False
    """
    return bool((getattr(route, "meta", None) or {}).get("network_source"))


def route_provenance(route: Any, network: Any, dem: Any, costs_file: str | os.PathLike[str] | None = None
                     ) -> dict[str, Any]:
    """:func:`provenance` of one traced route: its network is the one the route was traced over as the
    route records it (:func:`rests_on_network`), not merely the one loaded.

    >>> from types import SimpleNamespace
    >>> alone = SimpleNamespace(meta={"network_source": None, "join_fallback": "new build alone: ..."})
    >>> route_provenance(alone, SimpleNamespace(meta={"source": "reference (modelled)"}), None)["network"]
    {'source': 'none (new alignment only, modelled)', 'modelled': True}
    """
    return provenance(network if rests_on_network(route) else None, dem, costs_file)


def compare_provenance(routes: Sequence[Any], network: Any, dem: Any,
                       costs_file: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """:func:`provenance` of a comparison: the network loaded, and under ``network["routes_on_no_network"]``
    the names of the routes that rest on none of it (:func:`rests_on_network`: they follow new build
    alone, and their rows say :data:`corridor.network.NO_NETWORK_SOURCE`), so that what the footer,
    the report and the manifest say of the network agrees with every row.

    >>> from types import SimpleNamespace
    >>> on = SimpleNamespace(name="A", meta={"network_source": "reference (modelled)"})
    >>> alone = SimpleNamespace(name="B", meta={"network_source": None})
    >>> net = compare_provenance([on, alone], SimpleNamespace(meta={"source": "reference (modelled)"}), None)["network"]
    >>> net["source"], net["routes_on_no_network"]
    ('reference (modelled)', ['B'])
    """
    prov = provenance(network, dem, costs_file)
    alone = [str(r.name) for r in routes if not rests_on_network(r)]
    if network is not None and alone:
        prov["network"]["routes_on_no_network"] = alone
    return prov


def flat_provenance(prov: dict[str, Any]) -> dict[str, str]:
    """Provenance as readable ``label -> text`` pairs (for the HTML report).

    >>> flat = flat_provenance({"network": {"source": "reference (modelled)", "modelled": True},
    ...                         "dem": {"source": "GLOBE"},
    ...                         "costs": {"source": "file 'c.toml'", "path": "c.toml", "sha256": "ab12"}})
    >>> flat["network"], flat["unit costs"], flat["unit costs file SHA-256"]
    ('reference (modelled) — MODELLED, not OpenStreetMap', "file 'c.toml'", 'ab12')
    """

    net = prov.get("network", {})
    out = {"network": str(net.get("source", "unknown")) + (" — MODELLED, not OpenStreetMap" if net.get("modelled")
                                                           else "")}
    if net.get("routes_on_no_network"):
        out["routes on none of the network"] = (f"{'; '.join(map(str, net['routes_on_no_network']))} (new build "
                                                f"alone: {NO_NETWORK_SOURCE})")
    for key, label in (("path", "network file"), ("extract_date", "network extract date"),
                       ("checksum", "network checksum"), ("filter", "network filter"), ("bbox", "network bbox")):
        if net.get(key):
            out[label] = str(net[key])
    out["DEM"] = str(prov.get("dem", {}).get("source", "unknown"))
    costs = prov.get("costs", "")
    if isinstance(costs, dict):
        out["unit costs"] = str(costs.get("source", ""))
        if costs.get("sha256"):
            out["unit costs file SHA-256"] = str(costs["sha256"])
    else:
        out["unit costs"] = str(costs)
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
    #: ``(scenario name, reason)`` of every scenario the constraints cannot connect (left out of the table)
    infeasible: list[tuple[str, str]] = field(default_factory=list)
    published: Any = None


def table_records(table: Any) -> list[dict[str, Any]]:
    """Table rows as dicts, for ``--json`` (:func:`corridor.cli._json.echo_json` makes them strict JSON:
    NaN → None, numpy scalars unwrapped)."""
    return [{str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")]


def _write_csv(path: Path, table: Any) -> None:

    write_csv(table, path)


def sensitivity_csv(sens: Any) -> Any:
    """The rows of ``sensitivity.csv``: :func:`corridor.evaluation.sensitivity` with its ``rank_groups``
    written as JSON text (a list of names per rank, best first), as ``--json`` gives them.

    >>> import pandas as pd
    >>> sensitivity_csv(pd.DataFrame({"rank_groups": [(("a = b",), ("c", "d"))]}))["rank_groups"].tolist()
    ['[["a = b"], ["c", "d"]]']
    """
    return sens.assign(rank_groups=[json.dumps([list(g) for g in groups], ensure_ascii=False)
                                    for groups in sens["rank_groups"]])


def write_outputs(folder: Path, routes: Sequence[Any], metrics: Sequence[Any], table: Any,
                  prov: dict[str, Any], *, which: Sequence[str] = OUTPUT_FILES,
                  progress: Progress | None = None, published: Any = None,
                  unrouted: Sequence[tuple[str, str]] = ()) -> list[Path]:
    """Write the comparison files into ``folder`` (a staging folder).

    ``published`` is the modelled-vs-published table (default: made from ``metrics``); ``unrouted``
    the ``(scenario name, reason)`` of scenarios left out, named in the report. ``summary.csv`` and the
    report's tables list the routes best rank first, as the terminal table
    (:func:`corridor.evaluation.in_rank_order`); ``table`` itself stays in route order.
    """
    pub = published if published is not None else published_table(metrics)
    steps: dict[str, Callable[[Path], Any]] = {
        "summary.csv": lambda p: _write_csv(p, in_rank_order(table)),  # as the terminal table: best rank first
        "published.csv": lambda p: _write_csv(p, pub),
        "routes.gpkg": lambda p: export.write_layers(p, list(routes), list(metrics)),
        "routes-hillshade.tif": lambda p: relief.write_hillshade_tif(p, qgis.hillshade_extent(list(routes))),
        "routes.qgs": lambda p: qgis.write_qgis_project(p, folder / "routes.gpkg", list(routes),
                                                        hillshade=folder / "routes-hillshade.tif"),
        "profiles.png": lambda p: charts.profiles_png(p, list(routes), list(metrics)),
        "comparison.png": lambda p: charts.comparison_png(p, table),
        "map.html": lambda p: maps.save_map(p, maps.route_map(list(routes), metrics=list(metrics)), offline=True),
        "report.html": lambda p: report.write_report(p, list(routes), list(metrics), table,
                                                     provenance=flat_provenance(prov), published=pub,
                                                     unrouted=unrouted),
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


def run_compare(scenario_args: Sequence[str] = (), *, network: str | None = "reference",
                dem: str | os.PathLike[str] | None = None,
                out: str | Path | None = "corridor-output", params: Any = None, weights: Any = None,
                progress: Progress | None = None, with_sensitivity: bool = False,
                costs_file: str | os.PathLike[str] | None = None, dem_samples: int | None = None) -> CompareResult:
    """Compare scenarios end to end; with ``out``, write the files atomically.

    ``out`` is validated before any work, so a bad folder fails fast. With
    ``with_sensitivity``, :func:`corridor.evaluation.sensitivity` runs too and is
    written as ``sensitivity.csv``. ``costs_file`` names the TOML file
    ``params`` was read from, for the provenance (path and SHA-256).
    ``dem_samples`` is the number of DEM realisations of the DEM-uncertainty
    band (default :data:`corridor.settings.dem_samples`; 0 switches it off).
    """

    n_dem = check_samples(dem_samples)
    if out is not None:
        check_out_dir(out, out_names(with_sensitivity))
    scens = resolve_scenarios(scenario_args)
    modes = sorted({str(getattr(s, "mode", "rail")) for s in scens})
    net = load_net(network, modes=modes, waypoints=[w for sc in scens for w in getattr(sc, "waypoints", ())])
    dem_obj = load_dem(dem)
    routes: list[Any] = []
    infeasible: list[tuple[str, str]] = []
    unrouted: list[tuple[Any, str]] = []
    for i, s in enumerate(scens):
        if progress is not None:
            progress("route", i, len(scens), str(getattr(s, "name", s)))
        try:
            routes.append(s.route(network=net, dem=dem_obj, params=params))  # the design at these prices
        except NoFeasibleAlignment as exc:  # one scenario the constraints cannot connect: say so, go on
            log.info("%s: infeasible: %s", getattr(s, "name", s), exc)
            infeasible.append((str(getattr(s, "name", s)), str(exc)))
            unrouted.append((s, str(exc)))
    if not routes:
        raise NoFeasibleAlignment("; ".join(f"{n}: {why}" for n, why in infeasible))
    metrics = []
    for i, r in enumerate(routes):
        if progress is not None:
            progress("evaluate", i, len(routes), str(r.name))
        metrics.append(evaluate(r, dem=dem_obj, params=params, dem_samples=n_dem))
    if progress is not None:
        progress("evaluate", len(routes), len(routes), "")
    tbl = make_table(metrics, weights=weights)
    prov = compare_provenance(routes, net, dem_obj, costs_file)  # as every row says its network
    prov["dem"]["uncertainty_band_samples"] = n_dem
    if infeasible:
        prov["infeasible"] = {n: why for n, why in infeasible}
    result = CompareResult(routes, metrics, tbl, prov, infeasible=infeasible,
                           published=published_table(metrics, unrouted=unrouted))
    if with_sensitivity:

        result.sensitivity = sensitivity(metrics, weights=weights, params=params)
    if out is not None:
        with staged_output(out, provenance=prov) as tmp:
            names = [p.name for p in write_outputs(tmp, routes, metrics, tbl, prov, progress=progress,
                                                   published=result.published, unrouted=infeasible)]
            if result.sensitivity is not None:
                _write_csv(tmp / SENSITIVITY_FILE, sensitivity_csv(result.sensitivity))
                names.append(SENSITIVITY_FILE)
        result.files = [Path(out) / n for n in [*names, MANIFEST]]
    return result
