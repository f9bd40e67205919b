"""Small real routes (gazetteer places, embedded DEM) shared by the export/charts/maps/report tests.

Built with :meth:`corridor.route.Route.from_lines` over real places; metrics come from the real
:func:`corridor.evaluation.evaluate` on the embedded GLOBE DEM. One OSM-like segment carries the
hostile name ``<script>alert(1)</script>`` and list/dict attributes, as OSM data can.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

XSS = "<script>alert(1)</script>"


@lru_cache(maxsize=1)
def sample() -> tuple[list[Any], list[Any]]:
    """Two routes (rail, all modelled; road, existing OSM + new build) and their metrics."""
    from shapely.geometry import LineString

    from corridor.data import places
    from corridor.evaluation import evaluate
    from corridor.route import Route

    rail_pl = [places.lookup(n) for n in ("Ordubad", "Meghri", "Aghband")]
    rail = Route.from_lines([LineString([p.xy for p in rail_pl])], mode="rail",
                            name="Meghri section (test)", waypoints=rail_pl, source="modelled",
                            meta={"published": [{"figure": "length", "value": 42, "unit": "km",
                                                 "source": "1news.az 2026-02-18"}],
                                  "description": "Ordubad – Meghri – Aghband"})
    road_pl = [places.lookup("Julfa, AZ"), places.lookup("Jolfa, IR"), places.lookup("Aghband")]
    attrs = [
        {"build": "existing", "status": "active", "source": "osm", "class": "primary",
         "name": XSS, "osm_way_id": 123, "tags": ["a", "b"], "extra": {"k": 1}},
        {"build": "new", "status": "new", "source": "modelled", "class": "new_road",
         "name": "", "osm_way_id": -1, "tags": [], "extra": {}},
    ]
    road = Route.from_lines([LineString([road_pl[0].xy, road_pl[1].xy]),
                             LineString([road_pl[1].xy, (46.0, 38.75), road_pl[2].xy])],
                            mode="road", name="Aras road " + XSS, waypoints=road_pl, source="osm",
                            attrs=attrs)
    routes = [rail, road]
    return routes, [evaluate(r) for r in routes]


# ------------------------------------------------------------------ hostile text (issue 15)
#: Text that must come out literal and inert in every output: Jinja template syntax (incl. a
#: payload that would create a folder PWNED in the cwd if evaluated), HTML/JS injection, a
#: javascript: URL, rich console markup, matplotlib mathtext (one malformed: it raises if
#: parsed), spreadsheet formulas, terminal escapes and bidi overrides. Hand-written.
PWNED = "x {{ cycler.__init__.__globals__.os.makedirs(dict(PWNED=1)|first, exist_ok=True) }}"
PAYLOADS = (
    "{{7*7}}",
    "{% raw %}",
    "Meghri option {#2}",
    PWNED,
    "{{ '<b>bold</b>' }} {%- if 1 %}yes{% endif %}",
    XSS,
    "<img src=x onerror=\"window.__xss=(window.__xss||0)+1\">",
    "</script><script>window.__xss=(window.__xss||0)+1</script>",
    "javascript:window.__xss=1",
    "\"><svg onload=alert(1)>",
    "`${window.__xss=1}` \\u{61}",
    "[bold red]x[/]",
    "$x^2$ and $\\frac{$",
    "=HYPERLINK(\"http://x\",\"y\")",
    "red\x1b[31m bell\x07 \u202eevil",
)
#: Control characters and escapes that must reach no output (stderr included).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def expected_text(payload: str) -> str:
    """How a payload must read in an output: as typed, minus escapes/controls (corridor._text.clean_text)."""
    from corridor._text import clean_text

    return clean_text(payload)


def hostile_dem(folder: Path, payload: str) -> Path:
    """A small GeoTIFF cut from the embedded GLOBE DEM whose file name and SOURCE tag carry ``payload``."""
    import rasterio
    from rasterio.windows import from_bounds

    from corridor.data import datasets

    stem = "dem " + payload.replace("/", "∕").replace("\x00", "")
    path = Path(folder) / f"{stem}.tif"
    with rasterio.open(datasets.dem_path()) as src:
        win = from_bounds(44.0, 38.4, 47.0, 40.5, transform=src.transform).round_offsets().round_lengths()
        data = src.read(1, window=win)
        profile = dict(src.profile, width=data.shape[1], height=data.shape[0],
                       transform=src.window_transform(win), driver="GTiff")
    for key in ("blockxsize", "blockysize", "tiled", "compress"):
        profile.pop(key, None)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        # GDAL drops ESC/BEL from tags itself (the file name carries them), so store the clean form
        dst.update_tags(SOURCE=expected_text(payload))
    return path


def hostile(payload: str, folder: Path) -> tuple[list[Any], list[Any]]:
    """One road route whose every text field holds ``payload``, and its metrics over :func:`hostile_dem`.

    Fields: route name, status, description, published figure/value/unit/source, OSM way name and
    ref of its segment, DEM file name and SOURCE tag (through the metrics' ``dem_source``).
    """
    from shapely.geometry import LineString

    from corridor.data import places
    from corridor.evaluation import evaluate
    from corridor.route import Route
    from corridor.terrain import DEM

    pl = [places.lookup("Julfa, AZ"), places.lookup("Jolfa, IR"), places.lookup("Aghband")]
    attrs = [{"build": "existing", "status": "active", "source": "osm", "class": "primary",
              "name": payload, "ref": payload, "osm_way_id": 7},
             {"build": "new", "status": "new", "source": "modelled", "class": "new_road",
              "name": payload, "ref": payload, "osm_way_id": -1}]
    route = Route.from_lines([LineString([pl[0].xy, pl[1].xy]), LineString([pl[1].xy, (46.0, 38.75), pl[2].xy])],
                             mode="road", name=f"R {payload}", waypoints=pl, source="osm", attrs=attrs,
                             meta={"status": payload, "description": payload,
                                   "published": [{"figure": payload, "value": payload, "unit": payload,
                                                  "source": payload}]})
    dem = DEM.open(hostile_dem(folder, payload))
    return [route], [evaluate(route, dem=dem)]


#: The benign text the hostile outputs are compared with (same fields, same code path).
PLAIN = "QqPlainQq"


def tags(doc: str) -> dict[str, int]:
    """How many times each real tag (``<name`` / ``</name``) occurs: escaped text adds none."""
    from collections import Counter

    return dict(Counter(re.findall(r"<\s*(/?[a-zA-Z][\w-]*)", doc)))


def assert_inert(doc: str, base: str, payload: str) -> None:
    """``doc`` (made with ``payload``) has the tags of ``base`` (made with :data:`PLAIN`) and shows the
    payload as typed wherever ``base`` shows PLAIN."""
    import html

    def shown(text: str) -> str:  # as a reader sees it: JSON \\uXXXX escapes, then HTML entities decoded
        return html.unescape(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text))

    assert tags(doc) == tags(base)
    want = expected_text(payload)
    n = shown(base).count(PLAIN)
    got = shown(doc).count(want) + (shown(doc).count(want.replace("/", "∕")) if "/" in want else 0)
    assert n > 0 and got >= n, (payload, got, n)  # (a DEM file name has ∕ for /: see hostile_dem)
    assert not CONTROL.search(doc)
