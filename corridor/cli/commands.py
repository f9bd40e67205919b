"""The ``corridor`` command line (typer + rich).

Every :class:`~corridor.CorridorError` becomes one line on stderr and exit code 2;
nothing prints a traceback for bad input. ``info``, ``compare`` and ``route`` are
here; ``map``, ``sweep``, ``list`` and ``fetch`` live in their own modules
(:mod:`corridor.cli.maps`, ...) and are registered here; each imports the heavy
libraries lazily. Every app is built by :func:`corridor.cli._app.new_app` (how
``--help`` shows option values), every ``--json`` prints through
:func:`corridor.cli._json.echo_json`.

Signals: Ctrl-C (SIGINT) ends a command with one line ``corridor: interrupted``
and exit code 130, SIGTERM with ``corridor: terminated`` and exit code 143
(128 + the signal number, as shells report them). Either one unwinds the
command normally, so staged output folders are removed and an earlier output
set is left as it was; a second signal while that clean-up runs is ignored.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from corridor._errors import CorridorError, ParameterError
from corridor._text import clean_terminal
from corridor._validate import check_mode, check_positive, check_units
from corridor._version import __version__
from corridor.align import tracing as align
from corridor.cli import fetch as _cli_fetch
from corridor.cli import lists as _cli_list
from corridor.cli import maps as _cli_map
from corridor.cli import sweep as _cli_sweep
from corridor.cli._app import network_option, new_app, path_option
from corridor.cli._json import JsonFlag, echo_json
from corridor.cli._render import (
    print_compare,
    print_dem_bands,
    print_metrics,
    print_provenance,
    print_published,
    print_sensitivity,
    safe,
)
from corridor.cli.info import pack_summary, print_summary
from corridor.cli.pipeline import (
    MANIFEST,
    check_out_dir,
    load_dem,
    load_net,
    out_names,
    route_provenance,
    run_compare,
    staged_output,
    table_records,
    write_outputs,
)
from corridor.costs import CostParams
from corridor.data.places import resolve_all
from corridor.evaluation.metrics import evaluate, table

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger(__name__)

app = new_app(
    name="corridor",
    help="Compare candidate road and rail corridors in the South Caucasus.\n\n"
    "Run `corridor compare` with no arguments to compare the built-in corridors offline.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(_cli_fetch.app, name="fetch")
_cli_map.register(app)
_cli_sweep.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"corridor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def console(stderr: bool = False) -> Console:
    """A rich Console (imported lazily).

    Examples
    --------
    >>> c = console(stderr=True)
    >>> type(c).__name__, c.stderr
    ('Console', True)
    """
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


@app.command()
def info(json_out: JsonFlag = False) -> None:
    """Show what the embedded region pack contains: units, places and the DEM.

    [bold]Examples[/bold]

      corridor info
      corridor info --json
    """

    summary = pack_summary()
    if json_out:
        echo_json(summary)
    else:
        print_summary(summary, console())


def _progress(console_err: Any) -> Any:
    """A rich Progress on stderr (silent when stderr is not a terminal)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=console_err, transient=True,
                    disable=not console_err.is_terminal)


def _parse_weights(text: str | None) -> dict[str, float] | None:

    if not text:
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(val)
        except ValueError:
            raise ParameterError(f"cannot read weight {part.strip()!r}; write --weights "
                                 "length_km=1,cost_central_musd=2") from None
    return out


def _params(costs: Path | None) -> Any:
    if costs is None:
        return None

    return CostParams.from_toml(costs)


@app.command()
def compare(
    scenarios: Annotated[list[str] | None, typer.Argument(
        help="Scenario TOML files or built-in scenario names (default: the whole built-in catalogue).",
        show_default=False)] = None,
    network: Annotated[str, network_option(
        "--network", help="reference (embedded, modelled), osm (Geofabrik extracts, needs the cache or "
        "internet), none (new alignments only) or the path of an .osm.pbf/.osm/.osm.bz2 file.")] = "reference",
    dem: Annotated[Path | None, path_option("--dem", help="DEM file (GeoTIFF/VRT/.hgt) or folder of tiles; "
                                             "default: embedded GLOBE 30\".", show_default=False)] = None,
    out: Annotated[Path, path_option("--out", "-o", what="folder", help="Output folder (created if missing); the files of an "
                                      "earlier corridor run there are replaced.")] = Path("corridor-output"),
    costs: Annotated[Path | None, path_option("--costs", what="file", help="TOML file overriding unit costs and speeds.",
                                               show_default=False)] = None,
    weights: Annotated[str | None, typer.Option(
        "--weights", help="Ranking weights, e.g. length_km=1,cost_central_musd=2 (lower is better for "
        "each criterion).", show_default=False)] = None,
    sens: Annotated[bool, typer.Option("--sensitivity", help="Also vary each weight and unit cost by ±50 % "
                                       "and report rank changes (sensitivity.csv).")] = False,
    json_out: JsonFlag = False,
    dem_samples: Annotated[int | None, typer.Option(
        "--dem-samples", min=0, help="DEM realisations for the P10-P90 DEM-uncertainty band of tunnels, bridges "
        "and cost of corridor-designed new build; 0 switches the band off (default: CORRIDOR_DEM_SAMPLES or "
        "20).", show_default=False)] = None,
    wide: Annotated[bool, typer.Option("--wide", help="Show every column of the table whatever the "
                                       "terminal width.")] = False,
) -> None:
    """Compare corridors: length by country, border crossings, grades, time and cost band.

    Writes summary.csv, published.csv (modelled vs published figures),
    routes.gpkg (styled for QGIS), routes.qgs with routes-hillshade.tif,
    profiles.png, comparison.png, map.html and report.html to --out. Files
    appear only when all of them are complete.
    With no arguments the whole built-in catalogue is compared offline on the
    embedded data; the embedded network is MODELLED, not OpenStreetMap.

    [bold]Examples[/bold]

      corridor compare
      corridor compare meghri-rail aras-iran --out results/
      corridor compare my_corridor.toml --dem dem/copernicus.vrt
      corridor compare --network data/armenia.osm.pbf --weights length_km=1,cost_central_musd=3
      corridor compare --costs my_costs.toml --json
      corridor compare --sensitivity
    """

    check_out_dir(out, out_names(sens))
    params = _params(costs)
    w = _parse_weights(weights)
    err = console(stderr=True)
    with _progress(err) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int, name: str) -> None:
            label = {"route": "routing", "evaluate": "evaluating", "write": "writing"}.get(stage, stage)
            if stage not in tasks:
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, description=f"{label} {_safe(name)}".strip())

        result = run_compare(scenarios or [], network=network, dem=dem, out=out, params=params, weights=w,
                             progress=progress, with_sensitivity=sens, costs_file=costs,
                             dem_samples=dem_samples)
    for name, why in result.infeasible:  # one line each; the other scenarios are compared
        err.print(f"[bold]{_safe(name)}[/bold]: infeasible, left out of the comparison: {_safe(why)}",
                  soft_wrap=True)
    if json_out:
        data = {"provenance": result.provenance, "files": [str(f) for f in result.files],
                "routes": table_records(result.table), "published": table_records(result.published),
                "infeasible": [{"scenario": n, "reason": why} for n, why in result.infeasible]}
        if result.sensitivity is not None:
            data["sensitivity"] = table_records(result.sensitivity)
        echo_json(data)
        return
    con = console()
    print_compare(result.table, con, wide=wide, metrics=result.metrics)
    print_published(result.published, con)
    band = next((m.dem_band for m in result.metrics if m.dem_band is not None and m.dem_band.n_ok > 0), None)
    print_dem_bands(result.table, con, band.meaning() if band is not None else None)
    if result.sensitivity is not None:

        print_sensitivity(result.sensitivity, con)
    print_provenance(result.provenance, con)
    con.print(f"Wrote {len(result.files)} files to {_safe(out)}: " + ", ".join(f.name for f in result.files))


@app.command()
def route(
    origin: Annotated[str, typer.Argument(help="Start: place name (\"Julfa, AZ\") or lon,lat.")],
    destination: Annotated[str, typer.Argument(help="End: place name or lon,lat.")],
    mode: Annotated[str, typer.Option("--mode", "-m", help="rail or road.")] = "rail",
    via: Annotated[list[str] | None, typer.Option("--via", help="Intermediate waypoint (repeat for more).",
                                                  show_default=False)] = None,
    stay_in: Annotated[list[str] | None, typer.Option(
        "--stay-in", help="Country units to stay in (ARM, AZE, NAX, GEO, TUR, IRN, RUS; repeat or comma-list).",
        show_default=False)] = None,
    avoid: Annotated[list[str] | None, typer.Option("--avoid", help="Country units to avoid (repeat or "
                                                    "comma-list).", show_default=False)] = None,
    max_grade: Annotated[float | None, typer.Option(
        "--max-grade", help="Ruling grade as a ratio (0.0125 = 12.5‰); steeper ground gets tunnels/bridges.",
        show_default=False)] = None,
    network: Annotated[str, network_option("--network", help="reference, osm, none or an OSM file path.")
                       ] = "reference",
    dem: Annotated[Path | None, path_option("--dem", help="DEM file or folder of tiles; default: embedded "
                                             "GLOBE 30\".", show_default=False)] = None,
    costs: Annotated[Path | None, path_option("--costs", what="file", help="TOML file overriding unit costs and speeds.",
                                               show_default=False)] = None,
    search: Annotated[str, typer.Option(
        "--search", help="New-alignment search: grade (default), level (carries the formation level; new "
        "build with --network none only, slower) or slope.")] = "grade",
    out: Annotated[Path | None, path_option("--out", "-o", what="folder", help="Also write the comparison files into this "
                                             "folder; the files of an earlier corridor run there are replaced.",
                                             show_default=False)] = None,
    json_out: JsonFlag = False,
    dem_samples: Annotated[int | None, typer.Option(
        "--dem-samples", min=0, help="DEM realisations for the P10-P90 DEM-uncertainty band of the new "
        "alignment's tunnels, bridges and cost; 0 switches it off (default: CORRIDOR_DEM_SAMPLES or 20).",
        show_default=False)] = None,
) -> None:
    """Trace and evaluate one ad-hoc route, then print its metrics.

    The route reuses the network where it connects the waypoints and bridges
    gaps with a new (modelled) alignment over the DEM.

    [bold]Examples[/bold]

      corridor route "Julfa, AZ" Horadiz --via Meghri --mode rail
      corridor route Kars Nakhchivan --mode rail --avoid ARM
      corridor route Ordubad Aghband --mode road --stay-in ARM,NAX,AZE --json
      corridor route 45.41,39.21 46.57,38.90 --mode rail --max-grade 0.018 --out out/
      corridor route Meghri Ordubad --stay-in ARM,NAX --network none --search level
    """

    check_mode(mode)
    units_in = check_units([u for s in (stay_in or []) for u in s.split(",") if u.strip()], what="--stay-in unit")
    units_out = check_units([u for s in (avoid or []) for u in s.split(",") if u.strip()], what="--avoid unit")
    if max_grade is not None:
        check_positive(max_grade, "--max-grade")
    align.check_search(search, what="--search")
    if out is not None:
        check_out_dir(out, out_names())
    params = _params(costs)
    places = resolve_all([origin, *(via or []), destination])

    err = console(stderr=True)
    with err.status("loading data and tracing the route…"):
        net = load_net(network, modes=(mode,), waypoints=places)
        dem_obj = load_dem(dem)
        r = align.trace(places, mode=mode, network=net, dem=dem_obj, stay_in=units_in or None,
                        avoid=units_out or None, max_grade=max_grade, params=params, search=search)
        m = evaluate(r, dem=dem_obj, params=params, dem_samples=dem_samples)
    prov = route_provenance(r, net, dem_obj, costs)  # the network the route rests on, as its table row says
    tbl = table([m])  # the route's row: written, printed as JSON and for the DEM band
    files: list[str] = []
    if out is not None:
        with staged_output(out, provenance=prov) as tmp:
            names = [p.name for p in write_outputs(tmp, [r], [m], tbl, prov)]
        files = [str(Path(out) / n) for n in [*names, MANIFEST]]
    if json_out:
        rec = table_records(tbl)[0]
        rec["crossings_detail"] = m.crossings
        rec["gauge_breaks_detail"] = m.gauge_breaks
        echo_json({"provenance": prov, "route": rec, "files": files})
        return
    con = console()
    print_metrics(m, con)
    print_dem_bands(tbl, con, m.dem_band.meaning() if m.dem_band is not None and m.dem_band.n_ok else None)
    print_provenance(prov, con)
    if files:
        con.print(f"Wrote {len(files)} files to {_safe(out)}.")


_cli_list.register(app)  # after route: the order of `corridor --help`


def _safe(value: Any) -> str:

    return safe(value)


def _one_line(exc: BaseException) -> str:

    return clean_terminal(" ".join(str(exc).split()))


class Stopped(BaseException):
    """A stop signal (SIGINT, SIGTERM) arrived; raised where the program was, so clean-up code runs.

    A ``BaseException`` (as ``KeyboardInterrupt``) so that ``except Exception``
    blocks do not swallow it, and not a ``KeyboardInterrupt`` so that typer does
    not turn it into a bare exit code.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: Stop signals -> (stderr word, exit code 128 + signal number).
STOP_SIGNALS: dict[int, tuple[str, int]] = {int(signal.SIGINT): ("interrupted", 130),
                                            int(signal.SIGTERM): ("terminated", 143)}


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Raise :class:`Stopped` on SIGINT/SIGTERM while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def handler(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:  # the clean-up of the first signal runs to its end
            return
        stopping = True
        raise Stopped(signum)

    old = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            if h is not None:
                signal.signal(s, h)


def _stop_line(signum: int) -> int:
    word, code = STOP_SIGNALS.get(signum, ("interrupted", 128 + signum))
    sys.stderr.write(f"corridor: {word}\n")
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning library errors into one line and exit code 2.

    Exit codes: 0 success, 2 any :class:`~corridor.CorridorError` or usage
    error, 130 Ctrl-C (SIGINT), 143 SIGTERM (see the module docstring).

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    corridor ...
    0
    """
    try:
        with _stop_on_signals():
            rv = app(args=argv, prog_name="corridor", standalone_mode=False)
    except Stopped as exc:
        return _stop_line(exc.signum)
    except CorridorError as exc:
        sys.stderr.write(f"corridor: error: {_one_line(exc)}\n")
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        sys.stderr.write("corridor: aborted\n")
        return 130
    except KeyboardInterrupt:
        return _stop_line(int(signal.SIGINT))
    except Exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `corridor`, `corridor fetch`: the help was asked for
            return 0
        # click-style usage errors (typer may vendor click): one line, exit 2
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            msg = _one_line(exc.format_message())
            ctx = getattr(exc, "ctx", None)  # the (sub)command whose usage was wrong: point at its own help
            where = str(getattr(ctx, "command_path", "") or "corridor")
            sys.stderr.write(f"corridor: error: {msg} (see `{where} --help`)\n")
            return 2
        raise
    # without standalone mode typer *returns* exit codes: typer.Exit(n) from a command, and
    # 130 for a KeyboardInterrupt it caught itself (raised by code, not by our SIGINT handler)
    if isinstance(rv, int) and not isinstance(rv, bool) and rv:
        return _stop_line(int(signal.SIGINT)) if rv == 130 else rv
    return 0
