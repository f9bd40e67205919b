"""``corridor fetch osm`` and ``corridor fetch dem``: download real data to the cache."""

from __future__ import annotations

import typer

app = typer.Typer(help="Download OSM extracts or DEM tiles into the cache (needs internet).",
                  no_args_is_help=True)

# `fetch osm` is added by the network module's CLI hook, `fetch dem` by terrain's.
