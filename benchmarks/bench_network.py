"""Network benchmarks: loading a large PBF and routing 1,000 OD queries.

Data: a SYNTHETIC grid network from ``tests/_osmgen.big_network`` (full: 360x360
intersections, 8 nodes per block side = about 2.2 M nodes and 258 k ways; quick:
100x100), placed over Armenia/Nakhchivan/Türkiye so edges are cut at real borders.
The PBF and its XML twin (``osmium cat`` if installed, else pyosmium's writer) are
cached in ``$TMPDIR/corridor-bench-network``.

Load (each contender in a fresh process; wall time and peak RSS):

* ``corridor.load_network(pbf, cache=False)`` (edge table, topology, geodesic
  lengths, unit split) vs ``osmnx.graph_from_xml`` on the XML (target >= 10x
  faster, <= 1/2 memory), and vs a bare pyosmium pass that only reads the ways
  with node locations (target <= 2x its time);
* reload from the GeoParquet cache vs parsing (target >= 20x). The reload
  includes the integrity checks: a fast digest of the OSM file (for the
  checksum memo) and of every file of the cache entry (against meta.json).
  The digest is xxHash3-128 (``xxhash``, a dependency); with SHA-256 (the fallback
  when it is missing) it was ~50 ms of a ~0.27 s reload of the full grid;
* simplification (``corridor.network._simplify.simplify_edges``, part of every parse)
  as a share of the unsimplified parse (target <= 0.3).

The bare pass, the parse and the reload each run ``REPEATS`` (3) times in fresh
processes, alternating; the best time of each is compared (as ``timeit`` does).

Routing: 1,000 random OD pairs on the road layer with
``Network.shortest_lengths`` (scipy CSR Dijkstra) vs ``osmnx.shortest_path`` on
``Network.to_networkx(closed_roads=False)`` (the same graph); lengths must be identical. The
networkx baseline is timed on the first ``n_base`` pairs (200 full, 50 quick)
and compared per query. ``to_networkx(mode="road")`` itself is timed against
``osmnx.graph_from_gdfs`` on its own node/edge GeoDataFrames (target >= 1x).

Run: ``python -m benchmarks network [--quick]`` or ``python benchmarks/bench_network.py``.
While iterating on the loader, ``CORRIDOR_BENCH_LOAD_ONLY=1`` skips the osmnx load
baseline and the routing benchmark (the default runs everything).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(tempfile.gettempdir()) / "corridor-bench-network"


def _load_only() -> bool:
    return os.environ.get("CORRIDOR_BENCH_LOAD_ONLY", "") not in ("", "0")


def _data(quick: bool) -> tuple[Path, Path]:
    sys.path.insert(0, str(ROOT / "tests"))
    from _osmgen import big_network

    n = 100 if quick else 360
    DATA.mkdir(parents=True, exist_ok=True)
    pbf = DATA / f"grid{n}.osm.pbf"
    xml = DATA / f"grid{n}.osm"
    if not pbf.is_file() or not _current(pbf):
        tmp = pbf.with_suffix(".tmp.pbf")
        big_network(tmp, n=n, k=8)
        os.replace(tmp, pbf)
    if not xml.is_file() or xml.stat().st_mtime < pbf.stat().st_mtime:  # the XML twin of an older PBF
        tmp = DATA / f"grid{n}.tmp.osm"
        if shutil.which("osmium"):
            subprocess.run(["osmium", "cat", "-O", "-o", str(tmp), str(pbf)], check=True)
        else:
            import osmium

            with osmium.SimpleWriter(str(tmp), overwrite=True) as w:
                for o in osmium.FileProcessor(str(pbf)):
                    w.add(o)
        os.replace(tmp, xml)
    return pbf, xml


def _current(pbf: Path) -> bool:
    """True if the cached ``pbf`` was written by the current generator (it declares ``sorting=Type_then_ID``).

    Files cached before ``big_network`` wrote that header would make the loader run its
    duplicate-id pass, which a sorted extract skips: such a file is regenerated, not measured.
    """
    import osmium

    reader = osmium.io.Reader(str(pbf), osmium.osm.NOTHING)
    try:
        return str(reader.header().get("sorting") or "") == "Type_then_ID"
    finally:
        reader.close()


# --------------------------------------------------------------------------- contenders (child processes)
def _child(task: str, path: str, cache: str) -> dict[str, Any]:
    import resource

    os.environ["CORRIDOR_CACHE_FOLDER"] = cache
    # imports are not timed (the same for every call in a session); the work is
    import geopandas  # noqa: F401
    import osmium
    import osmnx as ox
    import scipy.sparse.csgraph  # noqa: F401 (the simplification's labelling)

    from corridor.network import load_network

    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    if task == "bare":
        n = 0
        fp = osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY).with_locations("flex_mem")
        fp.with_filter(osmium.filter.KeyFilter("highway", "railway"))
        for o in fp:
            if isinstance(o, osmium.osm.Way):
                for nd in o.nodes:
                    nd.ref, nd.lon, nd.lat  # noqa: B018 (read every node location)
                    n += 1
        out["way_nodes"] = n
    elif task in ("corridor", "reload"):
        net = load_network(path, road_classes="unclassified", cache=task == "reload")  # every way, as osmnx
        out["edges"] = len(net)
        out["from_cache"] = "cache" in net.meta
    elif task == "simplify":
        from corridor.network._simplify import simplify_edges

        net = load_network(path, road_classes="unclassified", cache=False, simplify=False)
        out["parse_seconds"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        out["edges"] = len(simplify_edges(net.edges, stations=net.stations))
        out["simplify_seconds"] = time.perf_counter() - t1
        out["raw_edges"] = len(net)
    elif task == "osmnx":
        G = ox.graph_from_xml(path, retain_all=True)  # noqa: N806
        out["edges"] = G.number_of_edges()
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _run_child(task: str, path: Path, cache: Path) -> dict[str, Any]:
    code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); from bench_network import _child; "
            f"print(json.dumps(_child({task!r}, {str(path)!r}, {str(cache)!r})))")
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


#: Fresh-process runs of the bare pass, the parse and the reload (the best of each is compared).
REPEATS = 3


def bench_load(pbf: Path, xml: Path) -> dict[str, float]:
    cache = Path(tempfile.mkdtemp(prefix="corridor-bench-cache-"))
    try:
        # bare pass and parse alternate, REPEATS times each, each in a fresh process; the best
        # (minimum) time of each side is compared, as timeit does, so one noisy run cannot decide
        runs: dict[str, list[dict[str, Any]]] = {"bare": [], "corridor": []}
        for _ in range(REPEATS):
            for task in runs:
                runs[task].append(_run_child(task, pbf, cache))
        bare = min(runs["bare"], key=lambda r: r["seconds"])
        ours = min(runs["corridor"], key=lambda r: r["seconds"])
        _run_child("reload", pbf, cache)  # writes the cache entry
        reload = min((_run_child("reload", pbf, cache) for _ in range(REPEATS)), key=lambda r: r["seconds"])
        assert reload["from_cache"] and reload["edges"] == ours["edges"]
        for task, rs in runs.items():
            print(f"  {task} runs: " + ", ".join(f"{r['seconds']:.2f}" for r in rs) + " s")
        simp = _run_child("simplify", pbf, cache)
        onx = None if _load_only() else _run_child("osmnx", xml, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"load: {bare['way_nodes']} way nodes -> {ours['edges']} edges"
          + (f" (osmnx: {onx['edges']} directed edges)" if onx else ""))
    rows = [("bare pyosmium pass (ways + locations)", bare), ("corridor.load_network (parse)", ours),
            ("corridor.load_network (GeoParquet cache)", reload)] + ([("osmnx.graph_from_xml", onx)] if onx else [])
    for name, r in rows:
        print(f"  {name:42s} {r['seconds']:8.2f} s  peak {r['peak_rss_mb']:8.0f} MB")
    out = {"load_vs_bare_pyosmium": ours["seconds"] / bare["seconds"],
           "reload_speedup": ours["seconds"] / reload["seconds"]}
    if onx:
        out = {"load_vs_osmnx": onx["seconds"] / ours["seconds"],
               "memory_vs_osmnx": ours["peak_rss_mb"] / onx["peak_rss_mb"], **out}
        print(f"  faster than osmnx {out['load_vs_osmnx']:.1f}x (target >= 10); memory "
              f"{out['memory_vs_osmnx']:.2f} of osmnx (target <= 0.5)")
    out["simplify_share_of_parse"] = simp["simplify_seconds"] / simp["parse_seconds"]
    print(f"  simplification {simp['raw_edges']} -> {simp['edges']} edges in {simp['simplify_seconds']:.2f} s: "
          f"{out['simplify_share_of_parse']:.2f} of the unsimplified parse ({simp['parse_seconds']:.2f} s; "
          "target <= 0.3)")
    print(f"  {out['load_vs_bare_pyosmium']:.2f}x the bare pass (target <= 2); "
          f"cache reload {out['reload_speedup']:.1f}x faster (target >= 20)")
    return out


def bench_routing(pbf: Path, quick: bool) -> dict[str, float]:
    import networkx as nx
    import osmnx as ox

    from corridor.network import load_network

    net = load_network(pbf, modes=("road",), cache=False)
    net.graph  # noqa: B018 (built once, as by the first route; not part of the conversion)
    t0 = time.perf_counter()
    G = net.to_networkx(mode="road", weight_attrs=False, closed_roads=False)  # noqa: N806  (the routing graph)
    t_nx = time.perf_counter() - t0
    nodes_gdf, edges_gdf = ox.graph_to_gdfs(G)
    t0 = time.perf_counter()
    G2 = ox.graph_from_gdfs(nodes_gdf, edges_gdf, graph_attrs=G.graph)  # noqa: N806
    t_gdfs = time.perf_counter() - t0
    assert G2.number_of_edges() == G.number_of_edges()
    del G2, nodes_gdf, edges_gdf
    print(f"to_networkx: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges in {t_nx:.2f} s; "
          f"osmnx.graph_from_gdfs on the same edges {t_gdfs:.2f} s: {t_gdfs / t_nx:.2f}x (target >= 1)")
    big = max(nx.weakly_connected_components(G), key=len)
    verts = np.array(sorted(big))  # road nodes are keyed by OSM node id
    rng = np.random.default_rng(42)
    n_q, n_base = 1000, (50 if quick else 200)
    o = rng.choice(verts, n_q)
    d = rng.choice(verts, n_q)
    t0 = time.perf_counter()
    ours = net.shortest_lengths(cast("Sequence[int]", o), cast("Sequence[int]", d), mode="road")  # arrays work
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    paths = [ox.shortest_path(G, int(a), int(b), weight="length") for a, b in zip(o[:n_base], d[:n_base], strict=True)]
    t_base = time.perf_counter() - t0
    base = np.array([sum(min(e["length"] for e in G[p][q].values()) for p, q in itertools.pairwise(pa or []))
                     for pa in paths])
    same = bool(np.allclose(ours[:n_base], base, rtol=1e-9, atol=1e-6))
    per_ours, per_base = t_ours / n_q, t_base / n_base
    print(f"routing: {G.number_of_nodes()} vertices, {n_q} OD pairs (networkx baseline on {n_base})")
    print(f"  corridor (scipy CSR)       {per_ours * 1000:8.2f} ms/query  ({t_ours:.1f} s for {n_q})")
    print(f"  osmnx.shortest_path        {per_base * 1000:8.2f} ms/query")
    print(f"  ratio {per_base / per_ours:.1f}x (target >= 30); identical lengths: {same}")
    if not same:
        raise AssertionError("route lengths differ from networkx")
    return {"routing_vs_osmnx": per_base / per_ours, "routing_identical": float(same),
            "routing_ms_per_query": per_ours * 1000, "to_networkx_vs_graph_from_gdfs": t_gdfs / t_nx}


def run(quick: bool = False) -> dict[str, float]:
    """Run the load and routing benchmarks; return the ratios."""
    pbf, xml = _data(quick)
    out = bench_load(pbf, xml)
    if not _load_only():
        out.update(bench_routing(pbf, quick))
    return out


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
