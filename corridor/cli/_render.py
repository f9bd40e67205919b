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

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from corridor._labels import published_unit, published_value
from corridor._text import clean_terminal, plain_label
from corridor._types import OUTSIDE, UNITS
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


_TITLE = "Modelled vs published (published.csv; % = (modelled - published) / published)"
_TEXTS, _FIGURES = ("route", "figure", "source"), ("modelled", "published", "diff")


class _Published(NamedTuple):
    """One published figure as printed: its route, name and source, and its figures as atoms (:func:`_cell_lines`)."""

    route: str
    figure: str
    source: str
    modelled: tuple[str, ...]
    published: tuple[str, ...]
    diff: tuple[str, ...]
    counterpart: bool

    @classmethod
    def of(cls, r: Mapping[str, Any]) -> _Published:
        """From a row of :func:`corridor.evaluation.published.published_table`; its text cleaned for the terminal,
        each on one line (:func:`corridor._text.plain_label`: a newline or tab in a name or unit is a space). The
        published value reads as reported and the unit spelled out, as in the notes (``2,400 million EUR``)."""
        unit = published_unit(plain_label(r["unit"]))

        def amount(value: str) -> tuple[str, ...]:  # the value's words, the unit kept with the last one
            atoms = value.split() or ["–"]
            return (*atoms[:-1], f"{atoms[-1]} {unit}".strip())

        modelled = _num(r["modelled"])
        published = plain_label(published_value(r["published"]))
        return cls(plain_label(r["route"]), plain_label(r["figure"]), plain_label(r["source"]),
                   amount(modelled) if modelled != "–" else ("no", "modelled", "counterpart"),
                   amount(published) if published != "–" else ("–",),
                   (_num(r["diff_pct"], "{:+,.1f} %"),), modelled != "–")


def print_published(pub: Any, console: Any) -> None:
    """Modelled vs published: one row per published figure (figure, modelled, published, % difference, source).

    ``pub`` is :func:`corridor.evaluation.published.published_table`; figures with no modelled
    counterpart are listed too. Nothing is printed for an empty table. A number keeps its unit on its line
    whatever the width: the columns are sized by :func:`_fit_columns`, the route, figure and source never
    narrower than their longest word (they wrap at their spaces); a console too narrow for that gets each
    route as a heading over one block per figure (:func:`_print_published_blocks`), with the same text.
    """
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    if pub is None or len(pub) == 0:
        return
    rows = [_Published.of(r) for _, r in pub.iterrows()]
    texts = [[getattr(r, k) for r in rows] for k in _TEXTS]
    words = [max([cell_len(w) for c in col for w in c.split()] + [len(h)]) for col, h in zip(texts, _TEXTS, strict=True)]
    fit = _fit_columns(texts, [[getattr(r, k) for r in rows] for k in _FIGURES], [*_TEXTS, *_FIGURES], console,
                       floor=words, least=words)
    if not fit.fits:
        _print_published_blocks(rows, console)
    else:
        (route_w, figure_w, source_w), widths = fit.texts, fit.figures
        t = Table(title=_TITLE, show_lines=True)
        t.add_column("route", overflow="fold", width=route_w)
        t.add_column("figure", overflow="fold", width=figure_w)
        for h, w in zip(_FIGURES, widths, strict=True):  # never narrower than a number with its unit
            t.add_column(h, justify="right", overflow="fold", width=w, min_width=w)
        t.add_column("source", overflow="fold", width=source_w)
        for r in rows:
            cells = [Text("\n".join(_cell_lines(getattr(r, k), w))) for k, w in zip(_FIGURES, widths, strict=True)]
            if not r.counterpart:
                cells[0].stylize("dim")
            t.add_row(Text(r.route), Text(r.figure), *cells, Text(r.source))
        console.print(t)
    rates = euro_rates(pub)
    if rates:
        console.print(f"Costs in euros converted at {safe('; '.join(rates))}.")


def _print_published_blocks(rows: Sequence[_Published], console: Any) -> None:
    """The modelled-vs-published table for a narrow console: each route a heading, each figure a block.

    A block is the figure's name, then ``modelled …, published …, diff …`` broken between the values
    only, then its source; the names and sources wrap at their spaces.
    """
    from rich.table import Table
    from rich.text import Text

    width = int(console.width)
    console.print(Text(_TITLE, style="italic"))
    for route, group in itertools.groupby(rows, key=lambda r: r.route):
        grid = Table.grid()
        grid.add_column(width=2, no_wrap=True)
        grid.add_column(overflow="fold")
        for r in group:
            atoms = [*_labelled("modelled" if r.counterpart else "", r.modelled, ","),
                     *_labelled("published", r.published, ","), *_labelled("diff", r.diff, "")]
            values = Text("\n".join(_cell_lines(atoms, width - 2)))
            if not r.counterpart:
                values.highlight_regex(r"^no\s+modelled\s+counterpart", "dim")
            grid.add_row("• ", Text(r.figure))
            grid.add_row("", values)
            grid.add_row("", Text.assemble(("source: ", "dim"), r.source))
        console.print(Text(route, style="bold"))
        console.print(grid)


def _labelled(label: str, atoms: Sequence[str], end: str) -> list[str]:
    """``atoms`` with ``label`` glued before the first and ``end`` after the last."""
    out = list(atoms)
    out[0] = f"{label} {out[0]}".strip()
    out[-1] += end
    return out


#: A P10–P90 range may break after its en dash (``1,030–`` over ``1,203``), never inside a number.
_RANGE_DASH = re.compile(r"(?<=\d)–(?=[\d(])")
#: The route column of the DEM-band table is this wide at least where the terminal allows (its names wrap at
#: their spaces), and never narrower than the second figure; a terminal too narrow for both gets a table wider
#: than itself, written whole, with the first.
_NAME_MIN, _NAME_FLOOR = 12, 6


class _Fit(NamedTuple):
    """Column widths chosen by :func:`_fit_columns`."""

    texts: list[int]  #: width of each text column
    figures: list[int]  #: width of each figure column
    dash: list[bool]  #: whether a figure column breaks its ranges after the en dash
    fits: bool  #: False: nothing fits the console; the narrowest layout, wider than it


def _cell_lines(atoms: Sequence[str], width: int, dash: bool = False) -> list[str]:
    """A figure cell's ``atoms`` joined by spaces in lines of ``width`` cells, broken only between two atoms.

    An atom (a number with its unit, a word) is never broken: one wider than ``width`` keeps a line of its
    own. With ``dash`` a line also ends after each range's en dash (:data:`_RANGE_DASH`).

    >>> _cell_lines(["1,071.0 m", "(1,030–1,203)"], 10, dash=True)
    ['1,071.0 m', '(1,030–', '1,203)']
    """
    from rich.cells import cell_len

    lines: list[str] = []
    for atom in atoms:
        for k, piece in enumerate(_RANGE_DASH.sub("–\n", atom).split("\n") if dash else [atom]):
            if lines and not k and cell_len(lines[-1]) + 1 + cell_len(piece) <= width:
                lines[-1] += f" {piece}"
            else:
                lines.append(piece)
    return lines or [""]


def _fit_columns(texts: Sequence[Sequence[str]], figures: Sequence[Sequence[Sequence[str]]], headers: Sequence[str],
                 console: Any, *, floor: Sequence[int], least: Sequence[int]) -> _Fit:
    """Widths of a table's text columns and figure columns for the console's width.

    ``texts`` are the text columns' cells (rich wraps them at their spaces), ``figures`` the figure columns'
    cells as atoms (:func:`_cell_lines` joins them) and ``headers`` the text columns' headers, then the
    figure columns'. A text column is never narrower than its ``floor`` and preferably ``least`` cells (both
    at most its widest line). A figure column is never narrower than its widest atom, so no number is ever
    broken: a cell keeps one line, or breaks between atoms, or also after a range's en dash. Of these, the
    layout that leaves the text columns closest to ``least`` wins, then the one with the fewest columns
    broken at the en dash, then the one that takes the fewest lines in all (headers and rows), then the one
    with the widest text columns. The text columns share the rest of the width, the widest cut down first.
    """
    import functools
    import itertools

    from rich.cells import cell_len
    from rich.text import Text

    width = int(console.width)

    @functools.cache
    def wrapped_lines(text: str, w: int) -> int:  # lines ``text`` takes in a ``w``-cell column, as rich wraps it
        return len(Text(text).wrap(console, w, overflow="fold"))

    @functools.cache
    def cell_lines(atoms: tuple[str, ...], w: int, dash: bool) -> int:
        return len(_cell_lines(atoms, w, dash))

    def widest(items: Iterable[str]) -> int:
        return max((cell_len(t) for t in items), default=0)

    n_text = len(texts)
    heads = [widest(h.split()) for h in headers]
    options = []  # per figure column: (width, en-dash breaks), from header and cells on one line to every break
    for header, h, col in zip(headers[n_text:], heads[n_text:], figures, strict=True):
        one = max(h, widest(" ".join(c) for c in col))
        word = max(h, widest(a for c in col for a in c))
        piece = max(h, widest(p for c in col for a in c for p in _RANGE_DASH.sub("–\n", a).split("\n")))
        full = max(one, cell_len(header))
        options.append(sorted({(full, False), (one, False), (word, False), (piece, piece < word)}, reverse=True))
    natural = [max(h, widest(ln for c in col for ln in c.split("\n"))) for h, col in zip(heads, texts, strict=False)]
    bounds = [(min(n, f), n) for f, n in zip(floor, natural, strict=True)]  # (narrowest, widest) text column
    least = [min(n, m) for n, m in zip(natural, least, strict=True)]
    avail = width - 3 * (n_text + len(figures)) - 1  # a border and two padding cells per column, one last border

    def share(rest: int) -> list[int] | None:  # the text columns' widths in ``rest`` cells, the widest cut first
        if sum(f for f, _ in bounds) > rest:
            return None
        cap = max(c for c in range(max(natural) + 1) if sum(max(f, min(n, c)) for f, n in bounds) <= rest)
        widths = [max(f, min(n, cap)) for f, n in bounds]
        spare = rest - sum(widths)
        for i, (_, n) in enumerate(bounds):  # fewer cells left than columns cut at ``cap``: one more to the first
            if widths[i] < n and spare > 0:
                widths[i], spare = widths[i] + 1, spare - 1
        return widths

    best: tuple[tuple[int, int, int, int], _Fit] | None = None
    for choice in itertools.product(*options):
        text_w = share(avail - sum(w for w, _ in choice))
        if text_w is None:
            continue
        widths = [*text_w, *(w for w, _ in choice)]
        lines = max(wrapped_lines(h, w) for h, w in zip(headers, widths, strict=True))
        for i in range(len(texts[0])):
            lines += max([wrapped_lines(col[i], w) for col, w in zip(texts, text_w, strict=True)]
                         + [cell_lines(tuple(col[i]), w, brk) for col, (w, brk) in zip(figures, choice, strict=True)])
        score = (sum(max(0, m - w) for m, w in zip(least, text_w, strict=True)), sum(brk for _, brk in choice), lines,
                 -sum(text_w))
        if best is None or score < best[0]:
            best = (score, _Fit(text_w, [w for w, _ in choice], [brk for _, brk in choice], True))
    if best is None:  # too narrow for any: every break, and the table wider than the terminal
        return _Fit(least, [opts[-1][0] for opts in options], [opts[-1][1] for opts in options], False)
    return best[1]


def print_dem_bands(table: Any, console: Any, meaning: str | None = None) -> None:
    """DEM-uncertainty band (P10–P90) of tunnel km, bridge km and central cost beside the unit-cost band.

    ``meaning`` is the sentence saying what the band is (default: the generic
    :data:`corridor.evaluation.uncertainty_bands.MEANING`). Nothing is printed when the table
    has no band columns or no route was given a band (``--dem-samples 0``). The columns are sized to the
    console (:func:`_fit_columns`): no number is ever broken across lines; the route names wrap.
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
    headers = ["route", "tunnels km", "bridges km", "central cost M USD (DEM P10–P90)", "unit-cost low–high"]
    columns = [[tuple(row[j].split(" ")) for row in rows] for j in range(len(headers) - 1)]
    fit = _fit_columns([[Text.from_markup(n).plain for n in names]], columns, headers, console,
                       floor=[_NAME_FLOOR], least=[_NAME_MIN])
    (name_w,), widths = fit.texts, fit.figures
    t = Table(title="DEM uncertainty: P10–P90 over re-designs on perturbed ground", show_lines=True,
              box=box.HEAVY_HEAD)
    t.add_column("route", overflow="fold", width=name_w)
    for h, w in zip(headers[1:], widths, strict=True):  # never narrower than a number: they break between them
        t.add_column(h, justify="right", overflow="fold", width=w, min_width=w)
    for name, *cells in zip(names, *columns, strict=True):
        t.add_row(name, *("\n".join(_cell_lines(c, w, s)) for c, w, s in zip(cells, widths, fit.dash, strict=True)))
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
    for u in [*UNITS, OUTSIDE]:
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
