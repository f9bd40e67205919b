"""``corridor fetch osm`` and ``corridor fetch dem``: download real data to the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from corridor._types import BBox
from corridor.cli._app import new_app
from corridor.network.osm import fetch_geofabrik, region_extracts
from corridor.terrain.copernicus import PRODUCTS, fetch_copernicus

app = new_app(help="Download OSM extracts or DEM tiles into the cache (needs internet).", no_args_is_help=True)

# `fetch osm` is added by the network module's CLI hook, `fetch dem` by terrain's.


# --- fetch dem (terrain, issue 4) -----------------------------------------------------------
@app.command("dem")
def fetch_dem(
    bbox: Annotated[str, typer.Option("--bbox", help="Area as left,bottom,right,top in degrees.")],
    source: Annotated[str, typer.Option(
        "--source", help="copernicus-90 (GLO-90, ~90 m) or copernicus-30 (GLO-30, ~30 m).")] = "copernicus-90",
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the tiles (default: the cache); tiles already there are reused.",
        show_default=False)] = None,
    max_tiles: Annotated[int, typer.Option("--max-tiles", help="Refuse areas needing more tiles.")] = 64,
    no_fallback: Annotated[bool, typer.Option(
        "--no-fallback", help="copernicus-30 only: do not use GLO-90 where GLO-30 has no tile.")] = False,
) -> None:
    """Download Copernicus DEM tiles covering BBOX (cached, resumed, verified).

    GLO-30 Public leaves out some countries (Armenia and Azerbaijan among
    them); with --source copernicus-30 the GLO-90 tile is used, tile by tile,
    where GLO-30 has none. Tiles missing from both (sea) are listed as missing;
    they are never filled with zeros. The product, URL and MD5 of every tile
    are written to copernicus-provenance.json in the tile folder.

    [bold]Examples[/bold]

      corridor fetch dem --bbox 45.5,38.8,46.7,39.3
      corridor fetch dem --source copernicus-30 --bbox 45.5,38.8,46.7,39.3
    """

    box = BBox.parse(bbox)

    def tell(name: str, i: int, n: int) -> None:
        typer.echo(f"[{i + 1}/{n}] {name}", err=True)

    res = fetch_copernicus(box, source=source, folder=out, max_tiles=max_tiles, progress=tell,
                           fallback=not no_fallback)
    for p in res.paths:
        typer.echo(str(p))
    typer.echo(f"{len(res.paths)} tile(s) ready ({len(res.downloaded)} downloaded), "
               f"{len(res.missing)} missing", err=True)
    for t in res.fallback:
        typer.echo(f"fallback: {t.fallback_for} is not public in {PRODUCTS[source]}; "
                   f"using {t.product} tile {t.id}", err=True)
    for name in res.missing:
        typer.echo(f"missing (no such tile on the server: sea or not released): {name}", err=True)
    if res.provenance is not None:
        typer.echo(f"tile provenance (product, URL, MD5): {res.provenance}", err=True)
    if res.paths:
        folder = res.paths[0].parent
        typer.echo(f"use them with corridor.terrain.DEM.open({str(folder)!r})", err=True)


# --- fetch osm (network, issue 3) ------------------------------------------------------------
@app.command("osm")
def fetch_osm(
    region: Annotated[str, typer.Option(
        "--region", help="caucasus (all five), armenia, azerbaijan, georgia, turkey, iran, or unit codes "
        "(ARM,NAX,...), comma-separated.")] = "caucasus",
    no_update: Annotated[bool, typer.Option(
        "--no-update", help="Reuse cached extracts without checking for updates.")] = False,
) -> None:
    """Download Geofabrik OSM extracts into the cache (MD5-verified, resumed, update-checked).

    Load them afterwards with corridor.load_network("geofabrik", region=..., bbox=...).

    [bold]Examples[/bold]

      corridor fetch osm --region caucasus
      corridor fetch osm --region armenia,NAX
    """
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn


    names = region_extracts([r for r in region.split(",") if r.strip()])
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=err, transient=True, disable=not sys.stderr.isatty()) as bar:
        tasks: dict[str, Any] = {}

        def tell(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        paths = fetch_geofabrik(names, progress=tell, check_updates=not no_update)
    for p in paths:
        typer.echo(str(p))
    typer.echo(f"{len(paths)} extract(s) ready; load with corridor.load_network('geofabrik', "
               f"region={region!r})", err=True)
