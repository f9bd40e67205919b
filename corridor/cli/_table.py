"""The ``corridor compare`` table sized to the terminal, and the numbered notes under it.

The table chooses its columns for the console width: the compact set first
(rank, name, km, km by country, border stops, max grade, time, central cost),
then more figures as the width allows (:data:`COLUMNS`, in priority order).
No cell wraps to more than three lines: a column that does not fit is left out
of the table and its figures move to the notes. ``wide=True`` shows every
column whatever the width.

Long text never goes into cells: border crossings, published figures (with
their own labels, as the scenario file gives them) and every figure of
``summary.csv`` that the table does not show are printed as a numbered list
under the table, one item per route, numbered by rank. Figures that are zero
are left out of the notes (the notes say so), so every non-zero figure of
``summary.csv`` appears in the output. The DEM band is the exception: a route
that has one shows each figure's P10–P90 as one pair, zeros included
(``Tunnels, DEM P10–P90: 0.0–3.6 km``).

Every untrusted string goes through :func:`corridor._text.clean_terminal` and
rich markup escaping.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from corridor._labels import (
    band_label,
    band_of,
    display_band,
    display_value,
    label,
    published_unit,
    published_value,
)
from corridor._text import clean_terminal, plain_label
from corridor._types import OUTSIDE, UNITS
from corridor.evaluation.metrics import TEXT_COLUMNS

__all__ = ["COLUMNS", "Column", "choose_columns", "print_route_notes", "print_table", "print_uncropped"]

#: Most lines a table cell may take.
MAX_CELL_LINES = 3
_UNIT_KEYS = tuple(f"length_km_{u}" for u in [*UNITS, OUTSIDE])


def safe(value: Any) -> str:
    """Clean untrusted text for the terminal and escape rich markup."""
    from rich.markup import escape

    return str(escape(clean_terminal(value)))


def _f(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x


def num(v: Any, fmt: str = "{:,.1f}") -> str:
    """A number for a cell, ``–`` when missing."""
    x = _f(v)
    return fmt.format(x) if math.isfinite(x) else "–"


def grade(g: Any, mode: str) -> str:
    """Grade as ‰ for rail, % for road."""
    x = _f(g)
    if not math.isfinite(x):
        return "–"
    return f"{x * 1000:.1f}‰" if mode == "rail" else f"{x * 100:.1f}%"


def _km_short(km: float) -> str:
    return f"{km:,.0f}" if km >= 9.95 else f"{km:.1f}"


def units_cell(r: Mapping[str, Any]) -> str:
    """Km per country unit, longest first, on at most three lines: ``ARM 43`` over ``NAX 2.1``."""
    parts = [(u.removeprefix("length_km_"), _f(r.get(u))) for u in _UNIT_KEYS]
    parts = sorted([p for p in parts if math.isfinite(p[1]) and p[1] >= 0.05], key=lambda p: -p[1])
    if not parts:
        return "–"
    per_line = math.ceil(len(parts) / MAX_CELL_LINES)
    items = [f"{u} {_km_short(km)}" for u, km in parts]
    return "\n".join(" · ".join(items[i:i + per_line]) for i in range(0, len(items), per_line))


@dataclass(frozen=True)
class Column:
    """One terminal column: header, the summary columns it shows, and how a cell reads."""

    header: str
    keys: tuple[str, ...]
    cell: Callable[[Mapping[str, Any], str], str]
    justify: Literal["left", "right"] = "right"


def _name_cell(r: Mapping[str, Any], mode: str) -> str:
    name = safe(r["name"])
    tag = "" if mode in name else f" ({mode})"
    return f"{name}{tag}" + (" *" if bool(r.get("modelled", False)) else "")


def _stops_cell(r: Mapping[str, Any], mode: str) -> str:
    return num(r.get("n_border_stops", r.get("n_crossings")), "{:,.0f}")


#: Every column, in the order they are added as width allows (rank and name always come first).
COLUMNS: tuple[Column, ...] = (
    Column("#", ("rank",), lambda r, m: num(r["rank"], "{:.0f}")),
    Column("route", ("name",), _name_cell, "left"),
    Column("km", ("length_km",), lambda r, m: num(r["length_km"])),
    Column("cost M USD", ("cost_central_musd",), lambda r, m: num(r["cost_central_musd"], "{:,.0f}")),
    Column("time h", ("time_h",), lambda r, m: num(r["time_h"])),
    Column("border stops", ("n_border_stops",), _stops_cell),
    Column("max grade", ("max_grade",), lambda r, m: grade(r["max_grade"], m)),
    Column("km by country", _UNIT_KEYS, lambda r, m: units_cell(r), "left"),
    Column("cost low–high", ("cost_low_musd", "cost_high_musd"),
           lambda r, m: f"{num(r['cost_low_musd'], '{:,.0f}')}–{num(r['cost_high_musd'], '{:,.0f}')}"),
    Column("km new", ("length_km_new",), lambda r, m: num(r.get("length_km_new"))),
    Column("km over ruling", ("over_ruling_km",), lambda r, m: num(r.get("over_ruling_km"))),
    Column("tunnels km", ("tunnel_km",), lambda r, m: num(r.get("tunnel_km"))),
    Column("bridges km", ("bridge_km",), lambda r, m: num(r.get("bridge_km"))),
    Column("crossings", ("n_crossings",), lambda r, m: num(r.get("n_crossings"), "{:,.0f}")),
    Column("gauge breaks", ("n_gauge_breaks",), lambda r, m: num(r.get("n_gauge_breaks"), "{:,.0f}")),
    Column("ascent m", ("ascent_m",), lambda r, m: num(r.get("ascent_m"), "{:,.0f}")),
    Column("top m", ("max_elevation_m",), lambda r, m: num(r.get("max_elevation_m"), "{:,.0f}")),
    Column("km existing", ("length_km_existing_active",),
           lambda r, m: num(r.get("length_km_existing_active"))),
    Column("terrain", ("terrain_class",), lambda r, m: safe(r.get("terrain_class", "")), "left"),
    Column("score", ("score",), lambda r, m: num(r.get("score"), "{:.2f}")),
)


def _width(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.split("\n")), default=0)


def _header_width(header: str) -> int:
    return max(len(w) for w in header.split())


def choose_columns(cells: Sequence[Sequence[str]], width: int, *, wide: bool = False) -> list[int]:
    """Indexes of :data:`COLUMNS` that fit ``width`` terminal cells (all with ``wide``).

    ``cells[i][j]`` is the rendered text of row ``i``, column ``j``. The name
    column must fit its longest name in :data:`MAX_CELL_LINES` lines; every
    other column gets its widest cell on one line.
    """
    n = len(COLUMNS)
    if wide:
        return list(range(n))
    natural = [max([_width(row[j]) for row in cells] + [_header_width(COLUMNS[j].header)]) for j in range(n)]
    name_words = max([_header_width(row[1]) for row in cells] + [5])
    name_min = max(name_words, math.ceil(natural[1] / MAX_CELL_LINES) + 1, 5)
    chosen = [0, 1]
    used = natural[0] + name_min + 3 * 2 + 1
    for j in range(2, n):
        if used + natural[j] + 3 <= width:
            chosen.append(j)
            used += natural[j] + 3
    return chosen


def print_uncropped(t: Any, console: Any, width: int) -> None:
    """Print ``t`` at ``width`` cells: wider than the console, it is written uncropped (rich caps print's width)."""
    if width > int(console.width):
        from rich.segment import Segments

        for line in console.render_lines(t, console.options.update(width=width), pad=False, new_lines=True):
            console.print(Segments(line), soft_wrap=True, end="")
    else:
        console.print(t)


def print_table(rows: Sequence[Mapping[str, Any]], console: Any, *, wide: bool = False) -> list[int]:
    """Print the comparison table for the console width; returns the :data:`COLUMNS` shown."""
    from rich import box
    from rich.table import Table

    cells = [[c.cell(r, str(r.get("mode", ""))) for c in COLUMNS] for r in rows]
    chosen = choose_columns(cells, int(console.width), wide=wide)
    natural = {j: max([_width(row[j]) for row in cells] + [_header_width(COLUMNS[j].header)]) for j in chosen}
    others = sum(natural[k] + 3 for k in chosen if k != 1) + 4
    # --wide: every column at its natural width, the table wider than the terminal if it must be (the
    # terminal wraps its lines; a file or `less -S` keeps them whole) instead of squeezed letter by letter
    width = max(int(console.width), others + natural[1]) if wide else int(console.width)
    t = Table(title="Corridor comparison (modelled figures; km, hours, million USD)", show_lines=True,
              box=box.SQUARE, title_justify="left")
    for j in chosen:
        col = COLUMNS[j]
        if j == 1:
            t.add_column(col.header, justify="left", overflow="fold", width=min(natural[1], max(5, width - others)))
        else:
            t.add_column(col.header, justify=col.justify, overflow="fold", width=natural[j], min_width=natural[j])
    for row in cells:
        t.add_row(*(row[j] for j in chosen))
    print_uncropped(t, console, width)
    if any(bool(r.get("modelled", False)) for r in rows):
        console.print("* modelled alignment or network (not surveyed track or road)")
    return chosen


def _published_items(r: Mapping[str, Any], published: Sequence[Mapping[str, Any]] | None) -> list[str]:
    if published:
        out = []
        for p in published:
            # one line each: a newline or tab in a figure given through the API reads as a space
            unit = plain_label(published_unit(p.get("unit", "")))
            src = f" ({safe(plain_label(p['source']))})" if p.get("source") else ""
            value = plain_label(published_value(p.get("value", "")))
            out.append(f"{safe(plain_label(p.get('figure', 'figure')))}: {safe(value)} {safe(unit)}".rstrip() + src)
        return out
    out = []
    for k, v in r.items():
        if not str(k).startswith("published_") or k == "published_sources":
            continue
        if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == "":
            continue
        out.append(f"{safe(label(str(k)).removeprefix('Published: '))}: {safe(published_value(v))}")
    if out and r.get("published_sources"):
        out.append(f"sources: {safe(r['published_sources'])}")
    return out


def _is_zero(v: Any) -> bool:
    x = _f(v)
    return math.isfinite(x) and x == 0.0


#: How the notes group the figures the table does not show: (group, ((column, short label), ...)).
_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Length", (*((k, "in " + k.removeprefix("length_km_")) for k in _UNIT_KEYS),
                ("length_km_existing_active", "on existing active line"),
                ("length_km_existing_disused", "on disused or dismantled line (dismantled priced as new)"),
                ("length_km_new", "new build"))),
    ("Elevation", (("min_elevation_m", "lowest"), ("max_elevation_m", "highest"), ("mean_elevation_m", "mean"),
                   ("ascent_m", "ascent"), ("descent_m", "descent"))),
    ("Grade", (("max_grade", "max"), ("mean_grade", "mean"), ("ruling_grade", "ruling"),
               ("over_ruling_km", "steeper than ruling"))),
    ("Structures", (("tunnel_km", "tunnels"), ("n_tunnels", "number of tunnels"),
                    ("longest_tunnel_m", "longest tunnel"), ("bridge_km", "bridges"),
                    ("n_bridges", "number of bridges"), ("longest_bridge_m", "longest bridge"),
                    ("cut_m3", "cut"), ("fill_m3", "fill"))),
    ("Time", (("time_h", "total"), ("time_running_h", "running"), ("time_dwell_h", "dwell and border"))),
    ("Cost", (("cost_central_musd", "central"), ("cost_low_musd", "low"), ("cost_high_musd", "high"))),
    ("Terrain", (("flat_km", "flat"), ("rolling_km", "rolling"), ("mountainous_km", "mountainous"))),
    ("Border", (("n_border_stops", "stops"), ("n_known_crossings", "at known crossing points"),
                ("n_transfers", "transfers"))),
)


def _short_cost_part(key: str) -> str:
    return label(key).removeprefix("Cost of ").removesuffix(", central") + " (central)"


def _band_figures(r: Mapping[str, Any], mode: str) -> tuple[str, set[str]]:
    """The row's DEM band as one line of P10–P90 pairs (zeros kept), and the columns it covers.

    The line is empty when the route has no band (both ends missing, ``--dem-samples 0``).
    """
    pairs: dict[str, dict[str, str]] = {}
    for k in r:
        band = band_of(str(k))
        if band is not None:
            pairs.setdefault(band[0], {})[band[1]] = str(k)
    covered: set[str] = set()
    items = []
    for figure, cols in pairs.items():
        if set(cols) != {"p10", "p90"}:
            continue
        covered |= set(cols.values())
        lo, hi = _f(r[cols["p10"]]), _f(r[cols["p90"]])
        if math.isfinite(lo) or math.isfinite(hi):
            items.append(f"{band_label(figure)}: {display_band(figure, lo, hi, mode)}")
    if items and math.isfinite(_f(r.get("dem_samples"))):
        covered.add("dem_samples")
        items.append(f"{label('dem_samples')}: {num(r['dem_samples'], '{:,.0f}')}")
    return "; ".join(items), covered


def _more_figures(r: Mapping[str, Any], shown: set[str], mode: str) -> list[str]:
    """Grouped, labelled figures of a row that the table does not show; zeros are left out (not in the band)."""

    def keep(k: str) -> bool:
        v = r.get(k)
        return (k in r and k not in shown and v is not None and not isinstance(v, bool)
                and math.isfinite(_f(v)) and not _is_zero(v))

    done: set[str] = set(shown)
    out = []
    groups = [(g, list(items)) for g, items in _GROUPS]
    cost_parts = [(str(k), _short_cost_part(str(k))) for k in r
                  if str(k).startswith("cost_") and str(k).endswith("_musd")
                  and str(k) not in ("cost_low_musd", "cost_central_musd", "cost_high_musd")]
    groups[5][1].extend(cost_parts)
    for group, items in groups:
        done |= {k for k, _ in items}
        parts = [f"{short} {display_value(k, _f(r[k]), mode)}" for k, short in items if keep(k)]
        if parts:
            out.append(f"{group}: " + ", ".join(parts))
    band, covered = _band_figures(r, mode)
    done |= covered
    if band:
        out.append(band)
    # the text columns are shown elsewhere (provenance lines, the row's name)
    rest = [f"{label(str(k))} {display_value(str(k), _f(r[k]), mode)}" for k in r
            if str(k) not in done and str(k) not in TEXT_COLUMNS and str(k) not in ("rank",)
            and not str(k).startswith("published_") and keep(str(k))]
    if rest:
        out.append(", ".join(rest))
    return out


def print_route_notes(rows: Sequence[Mapping[str, Any]], console: Any, shown: Sequence[int], *,
                      published: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> None:
    """Numbered notes under the table: crossings, published figures and the figures not in the table."""
    from rich.table import Table

    keys = {k for j in shown for k in COLUMNS[j].keys}
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for r in rows:
        mode = str(r.get("mode", ""))
        lines = [f"[bold]{safe(r['name'])}[/bold] ({safe(mode)}"
                 + (f", {safe(r['status'])}" if r.get("status") else "") + ")"]
        n_cross = int(_f(r.get("n_crossings")) or 0) if math.isfinite(_f(r.get("n_crossings"))) else 0
        cross = f"Border crossings: {n_cross}"
        if r.get("crossings"):
            cross += f" — {safe(r['crossings'])}"
        if math.isfinite(_f(r.get("n_gauge_breaks"))) and _f(r.get("n_gauge_breaks")) > 0:
            cross += f"; gauge breaks: {int(_f(r['n_gauge_breaks']))}"
        lines.append(cross)
        pub = _published_items(r, (published or {}).get(str(r["name"])))
        if pub:
            lines.append("Published (as reported, not modelled): " + "; ".join(pub))
        lines.extend(_more_figures(r, keys | {"n_crossings", "n_gauge_breaks"}, mode))
        grid.add_row(f"{num(r['rank'], '{:.0f}')}.", "\n".join(lines))
    console.print("Notes per route (by rank; figures not listed are zero):")
    console.print(grid)
