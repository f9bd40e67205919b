"""``corridor map SCENARIO… --out map.html``: write only the interactive map of scenarios.

The map is one HTML file (not an output set: nothing else is written).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from corridor import scenarios
from corridor._errors import CorridorError, InvalidInputError, OutputError
from corridor.cli._app import network_option, path_option
from corridor.cli._json import JsonFlag, echo_json
from corridor.cli._outputset import check_out_file, os_error_text
from corridor.cli.pipeline import load_net
from corridor.evaluation.metrics import evaluate
from corridor.outputs.maps import BASEMAPS, route_map, save_map

log = logging.getLogger(__name__)


@dataclass
class MapResult:
    """What ``corridor map`` did: the file written and the routes on the map."""

    path: Path
    routes: list[Any]
    #: the metrics of each route (empty with ``--no-metrics``)
    metrics: list[Any] = field(default_factory=list)

    def as_json(self, *, basemap: str, network: str) -> dict[str, Any]:
        """The ``--json`` output: the file, the options and one record per route (its metrics if evaluated)."""
        if self.metrics:
            routes = [m.as_row() for m in self.metrics]
        else:
            routes = [{"name": r.name, "scenario": r.meta.get("scenario"), "mode": r.mode, "source": r.source}
                      for r in self.routes]
        return {"files": [str(self.path)], "basemap": basemap, "network": network, "routes": routes}


def map_command(names: list[str], out: Path, *, basemap: str = "auto", network: str = "reference",
                metrics: bool = True) -> MapResult:
    """Build the routes of scenarios (names, slugs or TOML files) and save their offline map.

    Returns the written path, the routes and their metrics. Raises the library's
    errors for unknown scenarios, bad basemaps or unwritable outputs; ``out`` is
    checked before any work (:func:`corridor.cli._outputset.check_out_file`), so
    a folder or an unwritable place fails at once, not after routing. An
    :class:`OSError` while the map is written (a full disk) is an :class:`OutputError`.
    """

    if basemap not in BASEMAPS:
        raise InvalidInputError(f"unknown basemap {basemap!r}; choose one of {', '.join(BASEMAPS)}")
    if not names:
        raise InvalidInputError("give at least one scenario name, slug or TOML file")
    check_out_file(out)
    scs = scenarios.gather(names)  # names, slugs, scenario files and folders, as compare reads them
    net = load_net(network, modes=sorted({sc.mode for sc in scs}), waypoints=[w for sc in scs for w in sc.waypoints])
    routes = [sc.route(network=net) for sc in scs]
    mets = [evaluate(r) for r in routes] if metrics else []
    m = route_map(routes, metrics=mets or None, basemap=basemap)
    try:
        path = save_map(out, m)
    except OSError as exc:  # writing the file (disk full, quota, I/O error)
        if isinstance(exc, CorridorError):  # OutputError: said already
            raise
        raise OutputError(f"cannot write the map to --out {str(out)!r}: {os_error_text(exc)}; "
                          "the file there was left as it was") from exc
    return MapResult(path, routes, mets)


def register(app: Any) -> None:
    """Attach the ``map`` command to the root app."""

    @app.command("map")
    def map_(
        scenarios: Annotated[list[str], typer.Argument(
            help="Scenario names or slugs (see `corridor list`), or scenario TOML files.")],
        out: Annotated[Path, path_option("--out", "-o", what="file", help="Output HTML file.")] = Path("map.html"),
        basemap: Annotated[str, typer.Option(
            help="auto (hillshade + OSM tiles when online), osm, offline (hillshade only) or none.")]
        = "auto",
        network: Annotated[str, network_option(
            help="reference (embedded, modelled), osm (Geofabrik extracts, needs the cache or internet), "
                 "none (new alignment throughout) or the path of an .osm.pbf/.osm/.osm.bz2 file.")] = "reference",
        no_metrics: Annotated[bool, typer.Option(
            "--no-metrics", help="Skip evaluation (no profiles or metric tables in popups).")] = False,
        json_out: JsonFlag = False,
    ) -> None:
        """Write an interactive map (offline HTML) of one or more scenarios.

        [bold]Examples[/bold]

          corridor map meghri-rail --out map.html
          corridor map meghri-rail aras-iran --basemap offline -o corridors.html
          corridor map my_scenarios.toml -o mine.html
          corridor map meghri-road --no-metrics --json
        """
        result = map_command(scenarios, out, basemap=basemap, network=network, metrics=not no_metrics)
        if json_out:
            echo_json(result.as_json(basemap=basemap, network=network))
            return
        typer.echo(f"wrote {result.path}")
