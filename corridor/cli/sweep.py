"""``corridor sweep``: evaluate a grid of variants in batch (see :mod:`corridor.batch`).

Variant keys
------------
``max_grade``
    Ruling grade in per mille; each distinct value re-traces the scenario route
    (once per scenario and value, on a worker). Over the modelled reference network
    (the default ``--network``) the stored lines are reused as drawn at the default
    ruling grade and repriced (a warning says so); ``--network none`` designs new
    alignments at every value.
``unit_cost.<key>``
    A unit-cost band, given as its central value in MUSD/km (the band is scaled
    to keep its shape). ``<key>`` is a short name (``tunnel``, ``bridge``,
    ``new``, ``rehab``, ``existing``; prefixed with the scenario mode) or a full
    :class:`~corridor.costs.CostParams` field such as ``rail_tunnel_musd_per_km``.
any other CostParams number
    e.g. ``rail_border_dwell_h=1:3:1``, set as given.

Output
------
``sweep.parquet`` (GeoParquet, one row per scenario and variant) and, for two
scenarios or more, ``sweep_summary.csv`` (rank stability), written into
``--out`` as one output set with its manifest (:mod:`corridor.cli._outputset`):
the files of an earlier run there (a sweep's, or a comparison's) are replaced,
so a single-scenario sweep leaves no summary of an earlier one behind.

Where it runs
-------------
``--workers N`` uses N local processes; ``--scheduler tcp://HOST:8786`` (or
``CORRIDOR_DASK_SCHEDULER``) connects to a running Dask cluster. Either way the
scenarios are traced on the workers (see :func:`corridor.batch.route_and_evaluate_many`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from corridor import scenarios as sc
from corridor import settings
from corridor._errors import ParameterError
from corridor._text import write_csv
from corridor.batch import Failure, connect, route_and_evaluate_many, variant_grid
from corridor.cli._app import network_option, path_option
from corridor.cli._json import JsonFlag, echo_json
from corridor.cli._outputset import MANIFEST, SWEEP_FILES, check_out_dir, staged_output
from corridor.cli.pipeline import load_net, table_records
from corridor.costs import CostParams
from corridor.evaluation import RouteMetrics

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

log = logging.getLogger(__name__)


def cost_field(key: str, mode: str) -> str:
    """The CostParams field a ``unit_cost.<key>`` variant sets for ``mode``.

    >>> cost_field("tunnel", "rail")
    'rail_tunnel_musd_per_km'
    >>> cost_field("road_bridge_musd_per_km", "rail")
    'road_bridge_musd_per_km'
    """

    keys = CostParams.cost_keys()
    for name in (key, f"{mode}_{key}_musd_per_km", f"{mode}_{key}"):
        if name in keys:
            return name
    raise ParameterError(
        f"unknown unit cost {key!r}; use one of tunnel, bridge, new, rehab, existing or {', '.join(keys)}")


def parse_vary(specs: Sequence[str]) -> dict[str, str]:
    """Parse ``NAME=RANGE`` options into ``{name: range}``.

    >>> parse_vary(["max_grade=10:25:5", "unit_cost.tunnel=40,60"])
    {'max_grade': '10:25:5', 'unit_cost.tunnel': '40,60'}
    """

    out: dict[str, str] = {}
    for spec in specs:
        name, sep, rng = str(spec).partition("=")
        name = name.strip()
        if not sep or not name or not rng.strip():
            raise ParameterError(f"--vary {spec!r}: write NAME=start:stop:step or NAME=a,b,c")
        if name in out:
            raise ParameterError(f"--vary {name!r} is given twice; give each parameter once")
        if name != "max_grade" and not name.startswith("unit_cost.") and name not in set(CostParams.keys()):
            raise ParameterError(
                f"--vary {name!r} is not a sweep parameter; use max_grade, unit_cost.<key> or a CostParams name")
        out[name] = rng.strip()
    return out


def params_for(variant: Mapping[str, float], mode: str, base: CostParams | None = None) -> CostParams:
    """CostParams for one variant (``max_grade`` is ignored here: it changes the route).

    >>> p = params_for({"unit_cost.tunnel": 50.0}, "rail")
    >>> p.rail_tunnel_musd_per_km
    (31.25, 50.0, 75.0)
    """

    p = base if base is not None else CostParams()
    for name, value in variant.items():
        if name == "max_grade":
            continue
        if name.startswith("unit_cost."):
            field = cost_field(name.removeprefix("unit_cost."), mode)
            if value < 0:
                raise ParameterError(f"--vary {name}: unit costs must be >= 0, got {value}")
            band = getattr(p, field)
            p = p.scaled(field, value / band[1]) if band[1] > 0 else p.replace(**{field: (value,) * 3})
        else:
            current = getattr(p, name)
            if isinstance(current, int) and not isinstance(current, bool) and float(value).is_integer():
                value = int(value)  # a count (e.g. vertical_refine_rounds): ranges are read as numbers
            p = p.replace(**{name: value})
    return p


def rank_summary(frame: pd.DataFrame, *, by: str = "cost_central_musd") -> pd.DataFrame:
    """Rank stability of each scenario across variants (rank 1 = lowest ``by``).

    Returns a DataFrame with ``scenario, n_variants, n_failed, min_rank, max_rank,
    mode_rank, share_first``. A row with no ``by`` value (a variant that failed,
    with its ``error``) takes no rank: within its variant the other scenarios
    are ranked among themselves, and it does not count in ``n_variants``;
    ``n_failed`` counts the rows with an ``error`` (without that column, the
    rows with no ``by`` value). The rank columns of a scenario that failed in every variant
    are empty.
    """
    import pandas as pd

    ranked = frame[by].notna()
    failed = frame["error"].notna() if "error" in frame.columns else ~ranked
    ranks = frame[ranked].groupby("variant")[by].rank(method="min").astype(int)
    rows = []
    for scen, rows_of in frame.groupby("scenario", sort=True):
        r = ranks.reindex(rows_of.index).dropna().astype(int)
        counts = Counter(r.tolist())
        rows.append({"scenario": scen, "n_variants": len(r), "n_failed": int(failed[rows_of.index].sum()),
                     "min_rank": int(r.min()) if len(r) else None, "max_rank": int(r.max()) if len(r) else None,
                     "mode_rank": min(k for k, c in counts.items() if c == max(counts.values())) if len(r) else None,
                     "share_first": float((r == 1).mean()) if len(r) else None})
    out = pd.DataFrame(rows).sort_values(["mode_rank", "scenario"], na_position="last").reset_index(drop=True)
    return out.astype({c: "Int64" for c in ("min_rank", "max_rank", "mode_rank")})


def _check_rank_by(rank_by: str, scens: Sequence[Any], keys: Sequence[str]) -> None:
    """``rank_by`` must name a metric column of the sweep's table: a column of
    :meth:`~corridor.evaluation.RouteMetrics.as_row` (``route_<name>`` where a variant key takes its name) or
    a published figure of one of the scenarios; not a variant column, nor ``error``. The message of
    any other name lists the columns that hold figures (:meth:`~corridor.evaluation.RouteMetrics.figure_columns`)."""
    def named(columns: Callable[[Any], Sequence[str]]) -> set[str]:
        return {f"route_{c}" if c in keys else c for s in scens for c in columns(s.published)}

    if rank_by not in named(RouteMetrics.row_columns):
        figures = ", ".join(sorted(named(RouteMetrics.figure_columns)))
        raise ParameterError(f"--rank-by {rank_by!r} is not a metric column; rank by one of: {figures}")


def _warn_failures(failed: Sequence[tuple[Any, Mapping[str, Any], Failure]]) -> None:
    """One warning per scenario and error (a failed trace fails all the cost variants traced with it)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for scen, var, f in failed:
        groups.setdefault((scen.slug, str(f)), []).append(int(var["variant"]))
    for (name, text), variants in groups.items():
        which = ", ".join(map(str, variants[:8])) + (", ..." if len(variants) > 8 else "")
        one = len(variants) == 1
        log.warning("%s could not be built in %d variant%s (%s); sweep.parquet keeps %s with the error: %s",
                    name, len(variants), "" if one else "s", which, "its row" if one else "their rows", text)


@dataclass
class SweepResult:
    """What ``corridor sweep`` produced."""

    #: one row per (scenario, variant): the variant's values, then the route's metrics; geometry the route
    table: gpd.GeoDataFrame
    #: rank stability per scenario (:func:`rank_summary`); None for a single scenario
    summary: pd.DataFrame | None
    #: the sweep's parameters (scenarios, variants, network, ranked metric), also in the manifest
    provenance: dict[str, Any]
    #: files written into ``--out``, the manifest last
    files: list[Path] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` output: provenance, files, the table's rows (without geometry) and the summary."""
        return {"provenance": self.provenance, "files": [str(f) for f in self.files],
                "rows": table_records(self.table.drop(columns=self.table.geometry.name)),
                "summary": None if self.summary is None else table_records(self.summary)}


def sweep_files(n_scenarios: int) -> tuple[str, ...]:
    """The files a sweep of ``n_scenarios`` writes into ``--out`` (without the manifest): the rank summary
    only for two scenarios or more.

    >>> sweep_files(1), sweep_files(2)
    (('sweep.parquet',), ('sweep.parquet', 'sweep_summary.csv'))
    """
    return SWEEP_FILES if n_scenarios > 1 else SWEEP_FILES[:1]


def run_sweep(names: Sequence[str], vary: Mapping[str, str], out: Path, *, workers: int | None = None,
              client: Any = None, rank_by: str = "cost_central_musd",
              network: str = "reference") -> SweepResult:
    """Build the grid, evaluate it in batch and write ``sweep.parquet`` (and ``sweep_summary.csv``).

    Every (scenario, max_grade) pair is traced once, on a worker (a local
    process, or a Dask worker of ``client``), together with all its cost
    variants; the traced routes come back with the metrics and give the
    geometry of ``sweep.parquet``. ``network`` is what ``corridor compare --network``
    takes: over the modelled ``reference`` network a ``max_grade`` variant reuses
    its stored lines as drawn (a warning says so); ``none`` designs new alignments
    at every ruling grade.

    The files are written into ``out`` as one output set
    (:func:`corridor.cli._outputset.staged_output`): they replace the files of an
    earlier run there, a ``sweep_summary.csv`` of an earlier sweep included.
    ``out`` is checked before any work, for the files this sweep writes (:func:`sweep_files`): an entry
    named ``sweep_summary.csv`` (a folder, a link) does not stop a one-scenario sweep, which writes none.
    """
    import dataclasses

    import geopandas as gpd

    scens = sc.gather(names)  # names and .toml files; a duplicate name is a ScenarioError
    if not scens:
        raise ParameterError("no scenario given; name a built-in scenario or a scenario .toml file")
    names_written = sweep_files(len(scens))
    check_out_dir(out, names_written)
    spec = (network or "reference").strip()
    # the reference network goes to the workers by name (each opens it once); anything else is loaded
    # here once and shipped to each worker once
    net: Any = "reference" if spec.lower() == "reference" else load_net(
        spec, modes=sorted({s.mode for s in scens}), waypoints=[w for s in scens for w in getattr(s, "waypoints", ())])
    grid = variant_grid(vary)
    _check_rank_by(rank_by, scens, list(grid[0]))  # before any work: a typo would otherwise end a long sweep
    variants: dict[tuple[int, float | None], Any] = {}
    items, params, meta = [], [], []
    for si, s in enumerate(scens):
        for vi, var in enumerate(grid):
            mg = var.get("max_grade")
            if mg is not None and not 0 < mg < 1000:
                raise ParameterError(f"--vary max_grade={mg}: give the grade in per mille (e.g. 10:25:2.5)")
            if mg is not None and mg < 1:  # below 1 per mille no line is built: a ratio given by mistake
                raise ParameterError(f"--vary max_grade={mg:g} looks like a ratio; --vary max_grade takes per mille "
                                     f"(for {mg:g} give {mg * 1000:g}; `route --max-grade` takes the ratio)")
            key = (si, mg)
            if key not in variants:  # traced on a worker, once per (scenario, max_grade)
                variants[key] = s if mg is None else dataclasses.replace(s, max_grade=mg / 1000.0)
            items.append(variants[key])
            params.append(params_for(var, s.mode))
            meta.append({"variant": vi, **var})
    log.info("sweep: %d evaluations (%d routes to trace)", len(items), len(variants))
    # a variant that cannot be built (a ruling grade too low for the waypoints) is a row with its error,
    # not the end of the sweep
    done = route_and_evaluate_many(items, params=params, client=client, max_workers=workers, network=net,
                                   errors="keep")
    failed = [(it, m, met) for it, m, (_, met) in zip(items, meta, done, strict=True) if isinstance(met, Failure)]
    if len(failed) == len(done):
        raise failed[0][2].error
    _warn_failures(failed)
    # a variant column wins over a metric of the same name (max_grade), kept as route_<name>
    rows = [{**m, **({"name": it.name, "mode": it.mode, "scenario": it.slug, "error": str(met)}
                     if isinstance(met, Failure) else
                     {"error": None, **{(f"route_{k}" if k in m else k): v for k, v in met.as_row().items()}})}
            for it, m, (_, met) in zip(items, meta, done, strict=True)]
    gdf = gpd.GeoDataFrame(rows, geometry=[None if r is None else r.geometry for r, _ in done], crs="EPSG:4326")
    summary = rank_summary(gdf, by=rank_by) if len(scens) > 1 else None
    prov = {"command": "sweep", "scenarios": [s.name for s in scens], "vary": dict(vary), "network": spec,
            "rank_by": rank_by, "variants": len(grid), "evaluations": len(items), "failed": len(failed)}
    with staged_output(out, provenance=prov) as tmp:  # a failed write is an OutputError, nothing replaced
        gdf.to_parquet(tmp / SWEEP_FILES[0])
        if summary is not None:
            write_csv(summary, tmp / SWEEP_FILES[1])
    return SweepResult(gdf, summary, prov, [out / n for n in [*names_written, MANIFEST]])


def register(app: Any) -> None:
    """Attach the ``sweep`` command to the root app."""

    @app.command("sweep")
    def sweep(
        scenarios: Annotated[list[str], typer.Argument(help="Scenario .toml files or built-in names.")],
        vary: Annotated[list[str], typer.Option("--vary", help="NAME=start:stop:step or NAME=a,b,c.")],
        out: Annotated[Path, path_option("--out", "-o", what="folder", help="Output folder (created if missing); the files of "
                                          "an earlier corridor run there are replaced.")] = Path("sweep"),
        workers: Annotated[int | None, typer.Option("--workers", min=1, help="Local worker processes.")] = None,
        network: Annotated[str, network_option(
            "--network", help="reference (embedded, modelled: a max_grade variant reuses its lines as drawn), "
            "none (new alignments, designed at every ruling grade), osm or an OSM file path.")] = "reference",
        scheduler: Annotated[str | None, typer.Option(
            "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                                "(default: env CORRIDOR_DASK_SCHEDULER).")] = None,
        rank_by: Annotated[str, typer.Option("--rank-by", help="Metric ranked (lower is better).")]
        = "cost_central_musd",
        json_out: JsonFlag = False,
    ) -> None:
        """Evaluate a grid of variants in batch; write a GeoParquet and a rank-stability summary.

        Each scenario is traced once per max_grade value, on the workers: local
        processes (--workers N) or a running Dask cluster (--scheduler ADDRESS).

        [bold]Examples[/bold]

          corridor sweep gyumri-kars meghri-rail --vary max_grade=10:25:2.5 --vary unit_cost.tunnel=30:60:10 --network none

          corridor sweep gyumri-kars --vary max_grade=10:25:2.5 --scheduler tcp://10.0.0.5:8786

          corridor sweep meghri-rail aras-iran --vary unit_cost.tunnel=30,60 --json
        """

        vary_map = parse_vary(vary)
        if scheduler is not None and workers is not None:
            raise ParameterError("give --workers (local processes) or --scheduler (a Dask cluster), not both")
        address = scheduler if scheduler is not None else (None if workers is not None else settings.dask_scheduler)
        client = None
        if address is not None:

            client = connect(address)
        try:
            result = run_sweep(scenarios, vary_map, out, workers=workers, client=client, rank_by=rank_by,
                               network=network)
        finally:
            if client is not None:
                client.close()
        if json_out:
            echo_json(result.as_json())
            return
        failed = result.provenance["failed"]
        typer.echo(f"wrote {result.files[0]}" + (f" ({failed} of {len(result.table)} rows could not be built: "
                                                 "see their error column)" if failed else ""))
        if result.summary is not None:
            typer.echo(result.summary.to_string(index=False))
            typer.echo(f"wrote {result.files[1]}")
