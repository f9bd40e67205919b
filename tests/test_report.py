"""corridor.report: one self-contained, escaped HTML report."""

from __future__ import annotations

import html as _html
import re

import pytest
from _maproutes import PAYLOADS, PLAIN, XSS, assert_inert, hostile, sample
from shapely.geometry import LineString

from corridor._errors import InvalidInputError
from corridor.outputs import report
from corridor.outputs._assets import external_refs
from corridor.route import Route


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from corridor.evaluation import compare

    routes, metrics = sample()
    table = compare(routes)
    path = tmp_path_factory.mktemp("rep") / "report.html"
    prov = {"network": f"osm extract {XSS}", "dem": {"source": "GLOBE", "cells": [1020, 564]}}
    out = report.write_report(path, routes, metrics, table, provenance=prov)
    return routes, metrics, out.read_text(encoding="utf-8")


def test_self_contained(written):
    _, _, text = written
    assert external_refs(text) == []
    m = re.search(r'<iframe[^>]*srcdoc="([^"]*)"', text)
    assert m, "map is embedded"
    inner = _html.unescape(m.group(1))
    assert external_refs(inner) == []
    assert "corridor-route corridor-route-1" in inner


def test_sections_and_attributions(written):
    routes, metrics, text = written
    for needle in ("Comparison", "Map", "Routes", "Data provenance", "Attributions",
                   "ODbL", "GeoNames", "CC BY 4.0", "GLOBE", "1news.az 2026-02-18"):
        assert needle in text, needle
    # comparison chart + one profile per route (the map's popups are inside the escaped srcdoc)
    outside = re.sub(r'srcdoc="[^"]*"', "", text)
    assert outside.count("data:image/png;base64,") == 1 + len(routes)
    assert outside.count('class="badge">modelled') >= len(routes)
    assert "cost_central_musd" in outside
    for c in metrics[1].crossings:
        assert f"{c['from_unit']} → {c['to_unit']}" in outside


def test_modelled_vs_published_and_dem_band(tmp_path):
    """The report sets each published figure beside the model (% difference, source; none listed as such)
    and shows the DEM band of a traced route beside the unit-cost band, saying what it means."""
    from corridor.align import trace
    from corridor.evaluation import evaluate, table

    r = trace(["Meghri", "Agarak"], mode="road", network=None, name="Meghri - Agarak")
    pub = [{"figure": "road length", "value": 8, "unit": "km", "source": "src-a", "measure": "length"},
           {"figure": "lanes", "value": 2, "unit": "", "source": "src-b"}]
    r = r.with_meta(published=pub)
    plain = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="Existing only")
    ms = [evaluate(r, dem_samples=6), evaluate(plain, dem_samples=6)]
    out = report.write_report(tmp_path / "r.html", [r, plain], ms, table(ms), provenance={}, basemap="none")
    text = re.sub(r'srcdoc="[^"]*"', "", out.read_text(encoding="utf-8"))
    assert "<h2>Modelled vs published</h2>" in text and "<h2>DEM uncertainty</h2>" in text
    pct = (r.length_m / 1000.0 - 8.0) / 8.0 * 100.0
    assert f"{pct:+.1f} %" in text and "src-a" in text and "src-b" in text
    assert "no modelled counterpart" in text
    assert "DEM vertical error only" in text and "horizontal line is held fixed" in text
    assert "unit costs are held at their central values" in text
    assert "σ 18.2 m" in text  # GLOBE LE90 30 m
    lo, hi = ms[0].as_row()["bridge_km_dem_p10"], ms[0].as_row()["bridge_km_dem_p90"]
    assert f"{lo:,.1f}–{hi:,.1f}" in text
    assert "no line designed by corridor to build" in text  # the existing-only route says it has no band


def test_scenarios_not_routed_are_named_with_their_reason(tmp_path):
    from types import SimpleNamespace

    from corridor.evaluation import evaluate, table
    from corridor.evaluation.published import published_table

    r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="Existing only")
    ms = [evaluate(r, dem_samples=0)]
    bad = ("<b>Hrazdan</b>", "the ruling grade <script>x</script> cannot join")
    scen = SimpleNamespace(name=bad[0], slug="h",
                           published=[{"figure": "cost", "value": 318, "unit": "MUSD", "source": "s", "measure": "cost"}])
    for pub, listed in ((published_table(ms, unrouted=[(scen, bad[1])]), True), (None, False)):
        out = report.write_report(tmp_path / "r.html", [r], ms, table(ms), provenance={}, basemap="none",
                                  published=pub, unrouted=[bad])
        text = re.sub(r'srcdoc="[^"]*"', "", out.read_text(encoding="utf-8"))
        assert "<b>Not routed</b>" in text and "&lt;script&gt;x&lt;/script&gt;" in text and "<script>x" not in text
        assert "&lt;b&gt;Hrazdan&lt;/b&gt;" in text
        # only where the table holds their figures does the report say so
        assert ("their published figures are listed below" in text) is listed


def test_tables_list_routes_best_rank_first_as_the_terminal_does(tmp_path):
    """The comparison tables (headline, all columns, DEM band) read best rank first, like the terminal
    table (one ordering, corridor.evaluation.in_rank_order), whatever order the routes were given in; each
    row still links to its own route on the map."""
    from corridor.evaluation import evaluate, in_rank_order, table

    routes = [Route.from_lines([LineString([(46.0, 38.92), (x, 38.92)])], mode="rail", name=name)
              for name, x in (("long", 46.6), ("short", 46.2), ("middle", 46.4))]
    ms = [evaluate(r, dem_samples=0) for r in routes]
    t = table(ms, weights={"length_km": 1})
    assert t["rank"].tolist() == [3, 1, 2]  # given out of rank order
    out = report.write_report(tmp_path / "r.html", routes, ms, t, provenance={}, basemap="none")
    text = re.sub(r'srcdoc="[^"]*"', "", out.read_text(encoding="utf-8"))
    tables = re.findall(r"<tbody>(.*?)</tbody>", text)
    headline, every_column = tables[0], tables[1]
    rows = re.findall(r'<tr data-route="(\d+)"[^>]*><td[^>]*>(\d+)</td><td[^>]*>([a-z]+)', headline)
    assert [(int(i), int(rk), n) for i, rk, n in rows] == [(1, 1, "short"), (2, 2, "middle"), (0, 3, "long")]
    assert re.findall(r'<tr data-route="(\d+)"', every_column) == ["1", "2", "0"]  # rank is its last column
    band = next(b for b in tables[2:] if "long" in b)
    assert re.findall(r"<tr><td class='t'>([a-z]+)</td>", band) == ["short", "middle", "long"]
    assert in_rank_order(t)["name"].tolist() == ["short", "middle", "long"]


def test_untrusted_text_escaped(written):
    _, _, text = written
    assert XSS not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    inner = _html.unescape(re.search(r'srcdoc="([^"]*)"', text).group(1))
    assert XSS not in inner


def test_bad_inputs(tmp_path):
    import pandas as pd

    routes, metrics = sample()
    t = pd.DataFrame({"name": ["a"], "length_km": [1.0]})
    with pytest.raises(InvalidInputError, match="metrics"):
        report.write_report(tmp_path / "r.html", routes, metrics[:1], t, provenance={})
    with pytest.raises(InvalidInputError, match="provenance"):
        report.write_report(tmp_path / "r.html", routes, metrics, t, provenance=["x"])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="DataFrame"):
        report.write_report(tmp_path / "r.html", routes, metrics, [1, 2], provenance={})
    assert not (tmp_path / "r.html").exists()


# ------------------------------------------------------------------ hostile text (issue 15)
def _hostile_report(payload, folder):
    from corridor.evaluation import table

    routes, metrics = hostile(payload, folder)
    # flat, as the pipeline passes it (nested values are shown as JSON text)
    prov = {"network": payload, "network path": payload, "dem": metrics[0].dem_source}
    out = report.write_report(folder / "report.html", routes, metrics, table(metrics), provenance=prov,
                              basemap="none", title=f"T {payload}")
    return out.read_text(encoding="utf-8")


def _attrs(doc):
    """(tag, attribute) pairs of the page as a browser's parser sees them, and every URL-like value."""
    from html.parser import HTMLParser

    pairs, urls = set(), []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for k, v in attrs:
                pairs.add((tag, k))
                if k in ("href", "src", "action", "formaction"):
                    urls.append(v or "")

    P().feed(doc)
    return pairs, urls


@pytest.fixture(scope="module")
def plain_report(tmp_path_factory):
    return _hostile_report(PLAIN, tmp_path_factory.mktemp("plain"))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_untrusted_text_literal_and_inert(payload, plain_report, tmp_path, monkeypatch):
    """Every text field (names, status, published figures, DEM name and tag, provenance, title) reads as
    typed in the report and in its embedded map; no tag, attribute or URL is added; no template runs."""
    monkeypatch.chdir(tmp_path)
    doc = _hostile_report(payload, tmp_path)
    outside = re.sub(r'srcdoc="[^"]*"', "", doc)
    assert_inert(outside, re.sub(r'srcdoc="[^"]*"', "", plain_report), payload)
    inner = _html.unescape(re.search(r'srcdoc="([^"]*)"', doc).group(1))
    plain_inner = _html.unescape(re.search(r'srcdoc="([^"]*)"', plain_report).group(1))
    assert_inert(inner, plain_inner, payload)
    pairs, urls = _attrs(doc)
    assert pairs == _attrs(plain_report)[0]
    assert all(u.startswith("data:image/png;base64,") for u in urls)
    assert not (tmp_path / "PWNED").exists()


def test_route_section_writes_published_figures_as_the_notes_do():
    r = Route.from_lines([LineString([(46.0, 38.92), (46.3, 38.92)])], mode="rail", name="A").with_meta(
        published=[{"figure": "cost", "value": 2400, "unit": "MEUR", "source": "s"},
                   {"figure": "offer", "value": "<b>offered</b> 2025", "unit": "", "source": "t"}])
    text = report._route_section(0, r, None)
    assert "cost: 2,400 million EUR" in text and "MEUR" not in text
    assert "offer: &lt;b&gt;offered&lt;/b&gt; 2025" in text


def _published_cells(**row):
    """The cells of the report's modelled-vs-published table for one row of ``published_table``."""
    import pandas as pd

    from corridor.evaluation.published import COLUMNS

    base = {"route": "R", "scenario": "r", "figure": "cost", "measure": "cost", "metric": "cost_central_musd",
            "unit": "MEUR", "modelled": 1617.64, "published": 2400, "diff_pct": -32.6, "source": "s", "note": "n"}
    pub = pd.DataFrame([{**base, **row}], columns=list(COLUMNS))
    return re.findall(r"<td[^>]*>(.*?)</td>", report._published_html(pub))


def test_published_table_spells_units_as_the_notes_do():
    """The published figure as reported (2,400), the unit spelled out (million EUR) as the notes write them."""
    assert _published_cells()[2:5] == ["1,617.6", "2,400", "million EUR"]
    assert _published_cells(unit="MUSD", published=32.4, modelled=109.96)[2:5] == ["110.0", "32.4", "million USD"]
    assert _published_cells(unit="km", published=1071.5)[3:5] == ["1,071.5", "km"]


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_published_table_writes_a_missing_value_as_a_dash(missing):
    cells = _published_cells(unit="km", modelled=float("nan"), published=missing, diff_pct=float("nan"))
    assert cells[3] == "–" and "nan" not in " ".join(cells).lower() and "None" not in cells


def test_published_table_writes_large_percentages_with_separators():
    assert _published_cells(diff_pct=1234567789.0)[5] == "+1,234,567,789.0 %"
    assert _published_cells(diff_pct=-32.64)[5] == "-32.6 %"
