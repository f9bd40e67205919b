"""corridor.charts: profile and comparison PNGs from real metrics."""

from __future__ import annotations

import numpy as np
import pytest
from _maproutes import CONTROL, PAYLOADS, hostile, sample
from matplotlib.image import imread

from corridor._errors import InvalidInputError
from corridor.outputs import charts


@pytest.fixture(scope="module")
def data():
    return sample()


def _img(path):
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    return img


def test_profiles_png_one_panel_per_route(tmp_path, data):
    routes, metrics = data
    one = _img(charts.profiles_png(tmp_path / "one.png", routes[:1], metrics[:1]))
    two = _img(charts.profiles_png(tmp_path / "two.png", routes, metrics))
    assert two.shape[0] > one.shape[0]  # taller: one panel per route
    # the first route's colour is drawn (its profile line)
    rgb = (two[..., :3] * 255).round().astype(int)
    c0 = np.array([int(charts.route_colour(0)[i:i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(rgb - c0).sum(axis=2) < 30).sum() > 200


def test_comparison_png_from_compare_table(tmp_path, data):
    from corridor.evaluation import compare

    routes, _ = data
    table = compare(routes)
    img = _img(charts.comparison_png(tmp_path / "c.png", table))
    assert img[..., :3].std() > 0.05  # not blank
    # a table with the name only in the index also works
    charts.comparison_png(tmp_path / "c2.png", table.set_index("name"))


def test_comparison_png_handles_missing_values(tmp_path):
    import pandas as pd

    t = pd.DataFrame({"name": ["A", "B"], "length_km": [10.0, float("nan")],
                      "cost_central_musd": [None, 5.0]})
    assert charts.comparison_png(tmp_path / "c.png", t).stat().st_size > 1000


def test_bad_inputs(tmp_path, data):
    import pandas as pd

    routes, metrics = data
    with pytest.raises(InvalidInputError, match="length_km"):
        charts.comparison_png(tmp_path / "c.png", pd.DataFrame({"name": ["a"], "x": [1]}))
    with pytest.raises(InvalidInputError):
        charts.comparison_png(tmp_path / "c.png", pd.DataFrame())
    with pytest.raises(InvalidInputError, match="metrics"):
        charts.profiles_png(tmp_path / "p.png", routes, metrics[:1])
    assert not (tmp_path / "p.png").exists()


def test_writes_are_atomic(tmp_path, data, monkeypatch):
    routes, metrics = data
    path = tmp_path / "p.png"
    path.write_bytes(b"old")
    from matplotlib.figure import Figure

    def boom(self, *a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", boom)
    with pytest.raises(RuntimeError):
        charts.profiles_png(path, routes, metrics)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]


def test_profile_png_bytes_for_popups(data):
    _, metrics = data
    png = charts.profile_png_bytes(metrics[0].profile, title="x")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts.png_data_uri(png).startswith("data:image/png;base64,iVBOR")


# ------------------------------------------------------------------ hostile text (issue 15)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_labels_are_plain_text(payload, tmp_path, monkeypatch, capfd):
    """Names reach the figures as typed (minus control characters), with mathtext and TeX off: the
    malformed ``$\\frac{$`` would raise if parsed; no control character reaches stderr or warnings."""
    import warnings

    from matplotlib.text import Text

    from corridor.evaluation import table

    figures = []
    real = charts._figure

    def spy(w, h):
        fig = real(w, h)
        figures.append(fig)
        return fig

    monkeypatch.setattr(charts, "_figure", spy)
    routes, metrics = hostile(payload, tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts.profiles_png(tmp_path / "p.png", routes, metrics)
        charts.comparison_png(tmp_path / "c.png", table(metrics))
        png = charts.profile_png_bytes(metrics[0].profile, title=routes[0].name)
    assert png[:4] == b"\x89PNG"
    err = capfd.readouterr().err
    assert not CONTROL.search(err)
    assert not any(CONTROL.search(str(w.message)) for w in caught)
    want = charts.plain_label(f"R {payload}")
    assert not CONTROL.search(want) and "\n" not in want
    for fig in figures:
        texts = [t for t in fig.findobj(Text) if "R " in t.get_text() and payload[:1] != "R"]
        hits = [t for t in texts if want in t.get_text()]
        assert hits, [t.get_text() for t in texts]
        assert all(not t.get_parse_math() and not t.get_usetex() for t in hits), [(t.get_text(), type(t).__name__, t.get_parse_math(), t.get_usetex()) for t in hits]


# ------------------------------------------------------------------ design line and structures (issue 14)
def _constructed_profile():
    """A 10 km profile: existing line on 0-5 km (with a tunnel of its data), new build designed on 5-10 km
    (a bridge of the design, cut where the ground is above the design line, fill where below)."""
    from types import SimpleNamespace

    d = np.arange(0.0, 10_001.0, 100.0)
    ground = 500.0 + 40.0 * np.sin(d / 500.0)
    design = np.where(d >= 5000.0, 500.0 + (d - 5000.0) * 0.004, np.nan)
    elev = np.where(np.isfinite(design), design, ground)
    return SimpleNamespace(distance_m=d, elevation_m=elev, ground_m=ground, design_m=design,
                           grade=np.gradient(elev, d), mode="rail",
                           structures=[(1000.0, 2000.0, "tunnel"), (7000.0, 8000.0, "bridge")])


def _axes():
    from matplotlib.figure import Figure

    return Figure().add_subplot()


def test_profile_draws_ground_design_line_earthworks_and_structures():
    from matplotlib.collections import PolyCollection

    prof = _constructed_profile()
    ax = _axes()
    charts.draw_profile(ax, prof, colour="#1f77b4", title="t")
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert {"design", "ground", "line (existing)"} <= set(lines)
    y = np.asarray(lines["design"].get_ydata(), dtype=float)
    new = prof.distance_m >= 5000.0
    assert np.allclose(y[new], prof.design_m[new]) and np.isnan(y[~new]).all()
    assert np.allclose(lines["ground"].get_ydata(), prof.ground_m)
    existing = np.asarray(lines["line (existing)"].get_ydata(), dtype=float)
    assert np.isfinite(existing[prof.distance_m < 5000.0]).all() and np.isnan(existing[prof.distance_m > 5200.0]).all()
    fills = {c.get_label(): c for c in ax.collections if isinstance(c, PolyCollection)}
    assert {"cut", "fill"} <= set(fills)
    for label in ("cut", "fill"):  # shaded only on the designed stretch, outside the bridge (to a station)
        xs = np.concatenate([p.vertices[:, 0] for p in fills[label].get_paths()])
        assert xs.min() >= 5.0 - 1e-9 and not ((xs > 7.1 + 1e-6) & (xs < 7.9 - 1e-6)).any()
    spans = {p.get_label() for p in ax.patches}
    assert {"tunnel (network data)", "bridge"} <= spans
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"design", "cut", "fill", "ground"} <= legend


def test_profile_without_design_draws_the_alignment():
    prof = _constructed_profile()
    prof.design_m = None
    ax = _axes()
    charts.draw_profile(ax, prof, colour="#1f77b4", title="t")
    labels = {ln.get_label() for ln in ax.get_lines()}
    assert "alignment" in labels and "design" not in labels
    assert {p.get_label() for p in ax.patches} >= {"tunnel", "bridge"}
    assert not [c for c in ax.collections if c.get_label() in ("cut", "fill")]


def test_traced_route_profile_chart_shows_its_design(tmp_path):
    from corridor.align import trace
    from corridor.evaluation import evaluate

    r = trace(["Meghri", "Agarak"], mode="road", network=None)
    m = evaluate(r)
    assert m.profile.design_m is not None and np.isfinite(m.profile.design_m).all()
    ax = _axes()
    charts.draw_profile(ax, m.profile, colour="#d62728", title=r.name)
    assert "design" in {ln.get_label() for ln in ax.get_lines()}
    assert charts.profiles_png(tmp_path / "p.png", [r], [m]).stat().st_size > 1000


@pytest.fixture(scope="module")
def reference_routes():
    """Scenario routes over the modelled reference network: rehabilitation (Gyumri - Kars), an existing road
    (Margara - Kornidzor) and a line mostly priced as new (Meghri rail: razed and under construction)."""
    from corridor import scenarios
    from corridor.evaluation import evaluate
    from corridor.network import load_network

    ref = load_network("reference")
    out = {}
    for slug in ("gyumri-kars", "margara-kornidzor-road", "meghri-rail"):
        r = scenarios.get(slug).route(network=ref)
        out[slug] = (r, evaluate(r, dem_samples=0))
    return out


def _earth_pixels(png) -> int:
    """Pixels of a profiles PNG in the cut or fill shading (its colour at its alpha over white)."""
    img = _img(png)[..., :3]
    n = 0
    for c in charts._EARTH_COLOURS.values():
        blend = 0.55 * np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) / 255 + 0.45
        n += int((np.abs(img - blend).sum(axis=2) < 0.06).sum())
    return n


def _earth_and_design(ax) -> set[str]:
    return ({ln.get_label() for ln in ax.get_lines()} | {c.get_label() for c in ax.collections}) & {
        "design", "cut", "fill"}


@pytest.mark.parametrize("slug", ["gyumri-kars", "margara-kornidzor-road"])
def test_existing_reference_lines_draw_no_design_or_earthworks(reference_routes, slug, tmp_path):
    """The reference network's grade line runs over these routes (``design_m`` is finite), but they are
    rehabilitated or existing: no cut or fill in the figures, so none in the chart either."""
    r, m = reference_routes[slug]
    assert m.profile.design_m is not None and np.isfinite(m.profile.design_m).all()
    assert m.cut_m3 == 0.0 and m.fill_m3 == 0.0
    ax = _axes()
    charts.draw_profile(ax, m.profile, colour="#1f77b4", title=r.name, route=r)
    assert _earth_and_design(ax) == set()
    labels = {ln.get_label() for ln in ax.get_lines()}
    assert "ground" in labels and "alignment" in labels
    assert _earth_pixels(charts.profiles_png(tmp_path / "p.png", [r], [m])) == 0


def test_reference_line_priced_as_new_keeps_its_design(reference_routes, tmp_path):
    r, m = reference_routes["meghri-rail"]
    assert m.cut_m3 > 0 and m.fill_m3 > 0
    ax = _axes()
    charts.draw_profile(ax, m.profile, colour="#1f77b4", title=r.name, route=r)
    assert _earth_and_design(ax) == {"design", "cut", "fill"}
    assert _earth_pixels(charts.profiles_png(tmp_path / "p.png", [r], [m])) > 100


def test_design_is_drawn_only_on_segments_priced_as_new(reference_routes):
    """Half a rehabilitated route relabelled razed (priced as new build): the design line and the
    shading cover that half, to its end, and nothing of the other."""
    import dataclasses

    from matplotlib.collections import PolyCollection

    r, m = reference_routes["gyumri-kars"]
    seg = r.segments.copy()
    off = r.offsets()
    mid = int(np.searchsorted(off, off[-1] / 2))
    seg.loc[seg.index[mid:], "status"] = "razed"
    half = dataclasses.replace(r, segments=seg)
    ax = _axes()
    charts.draw_profile(ax, m.profile, colour="#1f77b4", title=r.name, route=half)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    y = np.asarray(lines["design"].get_ydata(), dtype=float)
    s = m.profile.distance_m
    assert np.isnan(y[s < off[mid] - 1.0]).all() and np.isfinite(y[s >= off[mid]]).all()
    xs = np.concatenate([p.vertices[:, 0] for c in ax.collections if isinstance(c, PolyCollection)
                         and c.get_label() in ("cut", "fill") for p in c.get_paths()])
    assert xs.size and xs.min() >= off[mid] / 1000.0 - 1e-3
