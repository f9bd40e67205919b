"""Terminal rendering (rich) for ``corridor compare``, ``route`` and ``list``.

Every untrusted string (scenario and place names, OSM names) goes through
:func:`corridor._text.clean_terminal` and rich markup escaping before printing.

Examples
--------
>>> fmt_grade(0.0181, "rail"), fmt_grade(0.064, "road")
('18.1‰', '6.4%')
>>> fmt_band((190.0, 251.0, 612.4))
'190–251–612'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from corridor._text import clean_terminal
from corridor._types import UNITS
from corridor.cli._table import print_route_notes, print_table, print_uncropped
from corridor.evaluation.published import euro_rates
from corridor.evaluation.ranking import in_rank_order
from corridor.evaluation.uncertainty_bands import MEANING, NO_DESIGN
from corridor.network.core import NO_NETWORK_SOURCE

__all__ = ["fmt_band", "fmt_grade", "print_compare", "print_dem_bands", "print_metrics", "print_provenance",
           "print_published", "print_sensitivity"]


def safe(value: Any) -> str:
    """Clean untrusted text for the terminal and escape rich markup."""
    from rich.markup import escape

    return str(escape(clean_terminal(value)))


def fmt_grade(g: Any, mode: str) -> str:
    """Grade as ‰ for rail, % for road."""
    try:
        v = float(g)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    return f"{v * 1000:.1f}‰" if mode == "rail" else f"{v * 100:.1f}%"


def fmt_band(band: Sequence[float]) -> str:
    """``low–central–high`` rounded to whole millions."""
    return "–".join(f"{float(x):,.0f}" for x in band)


def _num(v: Any, fmt: str = "{:,.1f}") -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "–"
    return fmt.format(x) if math.isfinite(x) else "–"


def print_compare(table: Any, console: Any, *, wide: bool = False, metrics: Sequence[Any] | None = None) -> None:
    """The comparison table sized to the console, best rank first, then numbered notes per route.

    Parameters
    ----------
    table : pandas.DataFrame
        The comparison table (the rows of ``summary.csv``).
    console : rich.console.Console
        Where to print; its ``width`` chooses the columns (see :mod:`corridor.cli._table`).
    wide : bool
        Show every column whatever the width (``corridor compare --wide``).
    metrics : sequence of RouteMetrics, optional
        The evaluated routes; their published figures are printed with the labels
        of the scenario file instead of the column names.
    """
    rows = in_rank_order(table).to_dict(orient="records")
    shown = print_table(rows, console, wide=wide)
    published = {str(m.name): list(m.published) for m in metrics or () if getattr(m, "published", None)}
    print_route_notes(rows, console, shown, published=published)


def print_published(pub: Any, console: Any) -> None:
    """Modelled vs published: one row per published figure (figure, modelled, published, % difference, source).

    ``pub`` is :func:`corridor.evaluation.published.published_table`; figures with no modelled
    counterpart are listed too, with the reason. Nothing is printed for an empty table.
    """
    from rich.table import Table

    if pub is None or len(pub) == 0:
        return
    t = Table(title="Modelled vs published (published.csv; % = (modelled - published) / published)",
              show_lines=True)
    t.add_column("route", overflow="fold")
    t.add_column("figure", overflow="fold")
    t.add_column("modelled", justify="right", no_wrap=True)
    t.add_column("published", justify="right", overflow="fold")
    t.add_column("diff", justify="right", no_wrap=True)
    t.add_column("source", overflow="fold")
    for _, r in pub.iterrows():
        unit = safe(r["unit"])
        modelled = _num(r["modelled"])
        pub_val = _num(r["published"]) if _num(r["published"]) != "–" else safe(r["published"])
        counterpart = modelled != "–"
        t.add_row(safe(r["route"]), safe(r["figure"]),
                  f"{modelled} {unit}".strip() if counterpart else "[dim]no modelled counterpart[/]",
                  f"{pub_val} {unit}".strip(), _num(r["diff_pct"], "{:+.1f} %"), safe(r["source"]))
    console.print(t)
    rates = euro_rates(pub)
    if rates:
        console.print(f"Costs in euros converted at {safe('; '.join(rates))}.")


#: A P10–P90 range may break after its en dash (``1,030–`` over ``1,203``), never inside a number.
_RANGE_DASH = re.compile(r"(?<=\d)–(?=[\d(])")
#: The route column of the DEM-band table is this wide at least where the terminal allows (its names wrap at
#: their spaces), and never narrower than the second figure; a terminal too narrow for both gets a table wider
#: than itself, written whole, with the first.
_NAME_MIN, _NAME_FLOOR = 12, 6


def _band_layout(names: Sequence[str], columns: Sequence[Sequence[str]], headers: Sequence[str],
                 console: Any) -> tuple[int, list[int], list[bool]]:
    """Widths of the DEM-band table's route column and figure columns for a ``width``-cell terminal.

    Returns the route column's width, each figure column's width and whether that column breaks its
    ranges after the en dash. A figure column is never narrower than its widest number, so no number is
    ever broken: a cell keeps one line, or wraps at a space (the value over its ``(P10–P90)``), or also
    after a range's en dash. Of these, the layout with the fewest columns broken at the en dash wins, then
    the one that takes the fewest lines in all (header and rows), then the widest route column, among those
    that leave the route column :data:`_NAME_MIN` cells (or as close to it as the width allows); the route
    column takes the rest of the width, and its names wrap.
    """
    import functools
    import itertools

    from rich.cells import cell_len
    from rich.text import Text

    width = int(console.width)

    @functools.cache
    def wrapped_lines(text: str, w: int) -> int:  # lines ``text`` takes in a ``w``-cell column, as rich wraps it
        return len(Text(text).wrap(console, w, overflow="fold"))

    def widest(texts: Sequence[str]) -> int:
        return max((cell_len(t) for t in texts), default=0)

    def split(text: str) -> str:
        return _RANGE_DASH.sub("–\n", text)

    heads = [widest(h.split()) for h in headers]
    options = []  # per figure column: (width, en-dash breaks), from header and cells on one line to every break
    for header, h, col in zip(headers, heads, columns, strict=True):
        one = max(h, widest([ln for c in col for ln in c.split("\n")]))
        word = max(h, widest([w for c in col for w in c.split()]))
        piece = max(h, widest([p for c in col for p in split(c).split()]))
        full = max(one, cell_len(header))
        options.append(sorted({(full, False), (one, False), (word, False), (piece, piece < word)}, reverse=True))
    name_natural = max(widest([ln for n in names for ln in n.split("\n")]), len("route"))
    name_min, name_floor = min(name_natural, _NAME_MIN), min(name_natural, _NAME_FLOOR)
    avail = width - 3 * (len(columns) + 1) - 1  # a border and two padding cells per column, one last border
    best: tuple[tuple[int, int, int, int], int, list[int], list[bool]] | None = None
    for choice in itertools.product(*options):
        name_w = min(name_natural, avail - sum(w for w, _ in choice))
        if name_w < name_floor:
            continue
        lines = max([wrapped_lines("route", name_w)]
                    + [wrapped_lines(h, w) for h, (w, _) in zip(headers, choice, strict=True)])
        for i, name in enumerate(names):
            lines += max([wrapped_lines(name, name_w)]
                         + [wrapped_lines(split(col[i]) if brk else col[i], w)
                            for col, (w, brk) in zip(columns, choice, strict=True)])
        score = (max(0, name_min - name_w), sum(brk for _, brk in choice), lines, -name_w)
        if best is None or score < best[0]:
            best = (score, name_w, [w for w, _ in choice], [brk for _, brk in choice])
    if best is None:  # too narrow for any: every break, and the table wider than the terminal
        return name_min, [opts[-1][0] for opts in options], [opts[-1][1] for opts in options]
    return best[1], best[2], best[3]


def print_dem_bands(table: Any, console: Any, meaning: str | None = None) -> None:
    """DEM-uncertainty band (P10–P90) of tunnel km, bridge km and central cost beside the unit-cost band.

    ``meaning`` is the sentence saying what the band is (default: the generic
    :data:`corridor.evaluation.uncertainty_bands.MEANING`). Nothing is printed when the table
    has no band columns or no route was given a band (``--dem-samples 0``). The columns are sized to the
    console (:func:`_band_layout`): no number is ever broken across lines; the route names wrap.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if "dem_samples" not in table.columns or not (table["dem_samples"].fillna(0) > 0).any():
        return
    names, rows = [], []
    for r in in_rank_order(table).to_dict(orient="records"):
        banded = float(r.get("dem_samples", 0) or 0) > 0

        def cell(col: str, fmt: str, r: Mapping[str, Any] = r, banded: bool = banded) -> str:
            if not banded:
                return _num(r[col], fmt)
            return f"{_num(r[col], fmt)} ({_num(r[f'{col}_dem_p10'], fmt)}–{_num(r[f'{col}_dem_p90'], fmt)})"
        names.append(safe(r["name"]) + ("" if banded else "\n[dim](no band: no corridor-designed line to build)[/]"
                                        if str(r.get("dem_band", "")) == NO_DESIGN else
                                        f"\n[dim]{safe(r.get('dem_band', ''))}[/]"))
        rows.append([cell("tunnel_km", "{:,.1f}"), cell("bridge_km", "{:,.1f}"), cell("cost_central_musd", "{:,.0f}"),
                     f"{_num(r['cost_low_musd'], '{:,.0f}')}–{_num(r['cost_high_musd'], '{:,.0f}')}"])
    headers = ["tunnels km", "bridges km", "central cost M USD (DEM P10–P90)", "unit-cost low–high"]
    columns = [[row[j] for row in rows] for j in range(len(headers))]
    name_w, widths, split = _band_layout([Text.from_markup(n).plain for n in names], columns, headers, console)
    t = Table(title="DEM uncertainty: P10–P90 over re-designs on perturbed ground", show_lines=True,
              box=box.HEAVY_HEAD)
    t.add_column("route", overflow="fold", width=name_w)
    for h, w in zip(headers, widths, strict=True):  # never narrower than a number: they wrap at spaces only
        t.add_column(h, justify="right", overflow="fold", width=w, min_width=w)
    for name, row in zip(names, rows, strict=True):
        t.add_row(name, *(_RANGE_DASH.sub("–\n", c) if s else c for c, s in zip(row, split, strict=True)))
    print_uncropped(t, console, max(int(console.width), name_w + sum(widths) + 3 * (len(widths) + 1) + 1))
    text = meaning or MEANING.format(n="N", sigma="the DEM's documented error", corr="its correlation length")
    console.print(safe(text))


def print_sensitivity(sens: Any, console: Any) -> None:
    """Which weight or unit-cost changes (±50 %) alter the rank order."""
    from rich.table import Table

    base = sens.iloc[0]
    changed = sens[sens["changed"].astype(bool)]
    console.print(f"Sensitivity: base order {safe(base['order'])}; {len(changed)} of {len(sens) - 1} "
                  "variations (each weight and unit cost ×0.5 and ×1.5) change it.")
    if len(changed):
        t = Table(title="Variations that change the rank order")
        for col in ("parameter", "factor", "new order", "routes moved", "Kendall tau"):
            t.add_column(col, overflow="fold")
        for _, r in changed.iterrows():
            tied = any(len(g) > 1 for g in r["rank_groups"])  # the groups, never the text of the order
            tau = "– (a tie)" if tied and not math.isfinite(float(r["kendall_tau"])) else \
                _num(r["kendall_tau"], "{:.2f}")
            t.add_row(safe(r["parameter"]), f"×{r['factor']:g}", safe(r["order"]), str(int(r["n_changed"])), tau)
        console.print(t)


def print_provenance(prov: Mapping[str, Any], console: Any) -> None:
    """Say plainly which data produced the figures.

    Under the network loaded, the routes that use none of it (``network["routes_on_no_network"]``,
    :func:`corridor.cli.pipeline.compare_provenance`) are named, as their rows name no network.
    """
    net = prov.get("network", {})
    src = safe(net.get("source", "unknown"))
    if net.get("modelled"):
        how = ("The embedded reference network was traced over the DEM by corridor's alignment engine "
               "(see data/README.md)" if "reference" in str(net.get("source", "")) else
               "Every route is a new alignment traced over the DEM")
        console.print(f"[bold yellow]Network: {src} — MODELLED, not OpenStreetMap.[/] {how}; "
                      "use --network osm or a .osm.pbf file for real track and roads.")
    else:
        extra = f", extract {safe(net['extract_date'])}" if net.get("extract_date") else ""
        path = f" ({safe(net['path'])})" if net.get("path") else ""
        console.print(f"Network: {src}{path}{extra}.")
    alone = [safe(n) for n in net.get("routes_on_no_network", ())]
    if alone:  # the rows of these routes name no network: say so beside the network loaded
        one = len(alone) == 1
        console.print(f"{'; '.join(alone)} {'uses' if one else 'use'} none of this network: "
                      f"{'it follows' if one else 'they follow'} new build alone (network "
                      f"“{safe(NO_NETWORK_SOURCE)}” in summary.csv).")
    console.print(f"DEM: {safe(prov.get('dem', {}).get('source', 'unknown'))}.")
    costs = prov.get("costs")
    if isinstance(costs, Mapping) and costs.get("path"):
        console.print(f"Costs: {safe(costs.get('source', ''))} (SHA-256 {safe(costs.get('sha256', ''))}); "
                      "new alignments are modelled.")
    else:
        console.print("Costs: order-of-magnitude unit costs with sources (`corridor list params`); "
                      "new alignments are modelled.")


def print_metrics(m: Any, console: Any) -> None:
    """Key figures of one route (``corridor route``)."""
    from rich.table import Table

    row = m.as_row()
    mode = safe(m.mode)
    t = Table(title=f"{safe(m.name)} ({mode}, modelled)" if m.modelled else f"{safe(m.name)} ({mode})",
              show_header=False)
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_row("length", f"{m.length_km:,.1f} km")
    for u in [*UNITS, "outside"]:
        km = row.get(f"length_km_{u}", 0.0)
        if km > 0:
            t.add_row(f"  in {u}", f"{km:,.1f} km")
    for b in ("existing_active", "existing_disused", "new"):
        t.add_row(f"  {b.replace('_', ' ')}", f"{row[f'length_km_{b}']:,.1f} km")
    t.add_row("border crossings", safe(f"{m.n_crossings}" + (f": {m.crossings_text()}" if m.crossings else "")))
    t.add_row("gauge breaks / transfers", f"{m.n_gauge_breaks} / {m.n_transfers}")
    t.add_row("elevation min / max", f"{row['min_elevation_m']:,.0f} / {row['max_elevation_m']:,.0f} m")
    t.add_row("ascent / descent", f"{row['ascent_m']:,.0f} / {row['descent_m']:,.0f} m")
    t.add_row("max / mean grade", f"{fmt_grade(row['max_grade'], mode)} / {fmt_grade(row['mean_grade'], mode)}")
    t.add_row(f"km over ruling grade ({fmt_grade(m.ruling_grade, mode)})", f"{m.over_ruling_km:,.1f} km")
    t.add_row("tunnels / bridges", f"{m.tunnel_km:,.1f} / {m.bridge_km:,.1f} km")
    t.add_row("  longest tunnel / bridge", f"{row['longest_tunnel_m']:,.0f} / {row['longest_bridge_m']:,.0f} m "
              f"({row['n_tunnels']} / {row['n_bridges']} structures)")
    t.add_row("cut / fill", f"{m.cut_m3 / 1e6:,.2f} / {m.fill_m3 / 1e6:,.2f} million m³")
    t.add_row("terrain", f"{m.terrain_class} (flat {row['flat_km']:,.0f}, rolling {row['rolling_km']:,.0f}, "
                         f"mountainous {row['mountainous_km']:,.0f} km)")
    t.add_row("detour factor", _num(m.detour_factor, "{:.2f}"))
    t.add_row("travel time", f"{m.time_h:,.1f} h (dwell {row['time_dwell_h']:,.1f} h)")
    t.add_row("construction cost (low–central–high)", f"{fmt_band(m.cost_musd)} M USD")
    t.add_row("  open line / earthworks / tunnels / bridges / border+gauge (central)",
              " / ".join(f"{row[f'cost_{k}_musd']:,.0f}" for k in
                         ("open_line", "earthworks", "tunnels", "bridges", "border_gauge")) + " M USD")
    t.add_row("network", safe(m.network_source))
    t.add_row("DEM", safe(m.dem_source))
    console.print(t)
