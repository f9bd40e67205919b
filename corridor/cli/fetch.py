"""``corridor fetch osm`` and ``corridor fetch dem``: download real data to the cache.

Both print the paths they got to stdout, one a line (or, with ``--json``, what
they got and where it came from); progress and notes go to stderr. A tile
folder (``fetch dem --out``) is a store of tiles, not the output set of one run
(:mod:`corridor.cli._outputset`): tiles of earlier fetches stay and are reused
(a tile holds the same data whichever fetch got it), and its
``copernicus-provenance.json`` lists every tile in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from corridor._types import BBox
from corridor.cli._app import new_app, path_option
from corridor.cli._json import JsonFlag, echo_json
from corridor.network.osm import extract_md5, fetch_geofabrik, geofabrik_url, region_extracts
from corridor.terrain.copernicus import PRODUCTS, FetchResult, cache_dir, fetch_copernicus

app = new_app(help="Download OSM extracts or DEM tiles into the cache (needs internet).", no_args_is_help=True)


def dem_json(res: FetchResult, folder: Path) -> dict[str, Any]:
    """The ``--json`` output of ``fetch dem``: the area, every tile with its provenance, missing tiles.

    Each tile gives its id, product, source, URL, MD5, path, the tile of the
    requested product it stands in for (``fallback_for``) and whether it was
    downloaded now (else it came from the folder).
    """
    return {"source": res.source, "product": PRODUCTS[res.source], "bbox": list(res.bbox),
            "folder": str(folder),
            "tiles": [{**t.as_dict(), "path": str(t.path), "downloaded": t.downloaded} for t in res.tiles],
            "missing": list(res.missing), "provenance_file": None if res.provenance is None else str(res.provenance),
            "description": res.describe()}


def osm_json(region: str, names: tuple[str, ...], paths: list[Path]) -> dict[str, Any]:
    """The ``--json`` output of ``fetch osm``: each extract with its URL, path, size and verified MD5."""
    return {"region": region,
            "extracts": [{"name": n, "url": geofabrik_url(n), "path": str(p), "bytes": p.stat().st_size,
                          "md5": extract_md5(p)} for n, p in zip(names, paths, strict=True)]}

# `fetch osm` is added by the network module's CLI hook, `fetch dem` by terrain's.


# --- fetch dem (terrain, issue 4) -----------------------------------------------------------
@app.command("dem")
def fetch_dem(
    bbox: Annotated[str, typer.Option("--bbox", help="Area as left,bottom,right,top in degrees.")],
    source: Annotated[str, typer.Option(
        "--source", help="copernicus-90 (GLO-90, ~90 m) or copernicus-30 (GLO-30, ~30 m).")] = "copernicus-90",
    out: Annotated[Path | None, path_option(
        "--out", what="folder", help="Folder for the tiles (default: the cache; '.' for the current folder); tiles already there "
        "are reused.",
        show_default=False)] = None,
    max_tiles: Annotated[int, typer.Option("--max-tiles", help="Refuse areas needing more tiles.")] = 64,
    no_fallback: Annotated[bool, typer.Option(
        "--no-fallback", help="copernicus-30 only: do not use GLO-90 where GLO-30 has no tile.")] = False,
    json_out: JsonFlag = False,
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
      corridor fetch dem --bbox 45.5,38.8,46.7,39.3 --out tiles/ --json
    """

    box = BBox.parse(bbox)

    def tell(name: str, i: int, n: int) -> None:
        typer.echo(f"[{i + 1}/{n}] {name}", err=True)

    res = fetch_copernicus(box, source=source, folder=out, max_tiles=max_tiles, progress=tell,
                           fallback=not no_fallback)
    if json_out:
        echo_json(dem_json(res, out if out is not None else cache_dir(source)))
    else:
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
    json_out: JsonFlag = False,
) -> None:
    """Download Geofabrik OSM extracts into the cache (MD5-verified, resumed, update-checked).

    Load them afterwards with corridor.load_network("geofabrik", region=..., bbox=...).

    [bold]Examples[/bold]

      corridor fetch osm --region caucasus
      corridor fetch osm --region armenia,NAX
      corridor fetch osm --region armenia --no-update --json
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
    if json_out:
        echo_json(osm_json(region, names, paths))
    else:
        for p in paths:
            typer.echo(str(p))
    typer.echo(f"{len(paths)} extract(s) ready; load with corridor.load_network('geofabrik', "
               f"region={region!r})", err=True)
