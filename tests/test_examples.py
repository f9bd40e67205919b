"""Smoke tests for the runnable examples in examples/ (each run in a subprocess, offline)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def _nonempty(path: Path, min_bytes: int = 100) -> None:
    assert path.is_file(), f"{path} was not written"
    assert path.stat().st_size >= min_bytes, f"{path} is only {path.stat().st_size} bytes"


def test_compare_corridors(tmp_path: Path) -> None:
    proc = _run([sys.executable, str(EXAMPLES / "compare_corridors.py"), str(tmp_path)], ROOT)
    for name in ("summary.csv", "routes.gpkg", "profiles.png", "map.html", "report.html"):
        _nonempty(tmp_path / name)
    import pandas as pd

    df = pd.read_csv(tmp_path / "summary.csv")
    assert len(df) == 3
    assert sorted(df["rank"]) == [1, 2, 3]
    assert (df["length_km"] > 50).all()
    assert "Meghri / TRIPP rail" in proc.stdout
    assert (tmp_path / "profiles.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "leaflet" in (tmp_path / "map.html").read_text(encoding="utf-8").lower()


def test_route_on_pbf(tmp_path: Path) -> None:
    proc = _run([sys.executable, str(EXAMPLES / "route_on_pbf.py"), str(tmp_path)], ROOT)
    _nonempty(tmp_path / "demo_route.gpkg")
    gj = json.loads((tmp_path / "demo_route.geojson").read_text(encoding="utf-8"))
    assert gj["features"], "no features in demo_route.geojson"
    assert "1 gauge break(s)" in proc.stdout
    assert "synthetic" in proc.stdout


def test_export_layers(tmp_path: Path) -> None:
    _run([sys.executable, str(EXAMPLES / "export_layers.py"), str(tmp_path)], ROOT)
    import geopandas as gpd
    import pyogrio

    for name in ("routes.gpkg", "routes.geojson", "routes.fgb", "routes.parquet", "routes.csv"):
        _nonempty(tmp_path / name)
    layers = [str(n) for n, _ in pyogrio.list_layers(tmp_path / "routes.gpkg")]
    assert "routes" in layers and "segments" in layers
    gdf = gpd.read_file(tmp_path / "routes.fgb")
    assert len(gdf) == 2 and gdf.crs.to_epsg() == 4326
    assert gdf["source"].astype(str).str.contains("modelled").all()


def test_default_output_folder_is_temporary() -> None:
    proc = _run([sys.executable, str(EXAMPLES / "route_on_pbf.py")], ROOT)
    out = Path(proc.stdout.strip().splitlines()[-1].rsplit(" to ", 1)[1])
    try:
        _nonempty(out / "demo_route.gpkg")
        assert not out.is_relative_to(ROOT)
    finally:
        import shutil

        shutil.rmtree(out, ignore_errors=True)


def test_example_tomls_load_via_api() -> None:
    from corridor import scenarios
    from corridor.costs import CostParams

    scens = scenarios.load(EXAMPLES / "custom_scenario.toml")
    assert [s.mode for s in scens] == ["rail", "road"]
    assert scens[0].stay_in == ("ARM", "NAX")
    params = CostParams.from_toml(EXAMPLES / "unit_costs.toml")
    assert params.rail_new_musd_per_km == (5.0, 8.0, 12.0)
    assert params.rail_new_musd_per_km != CostParams().rail_new_musd_per_km


def test_example_tomls_via_cli(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("corridor")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "corridor.cli"]
    out = tmp_path / "tmp"
    _run([*cmd, "compare", str(EXAMPLES / "custom_scenario.toml"), "--costs", str(EXAMPLES / "unit_costs.toml"),
          "--out", str(out)], ROOT)
    for name in ("summary.csv", "routes.gpkg", "map.html", "report.html"):
        _nonempty(out / name)
    import pandas as pd

    df = pd.read_csv(out / "summary.csv")
    assert len(df) == 2
    assert any("Yeraskh - Julfa" in n for n in df["name"])


def test_readme_links_and_screenshots() -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for png in ("docs/map.png", "docs/report.png"):
        assert f"({png})" in readme
        data = (ROOT / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and 10_000 < len(data) < 400_000, (png, len(data))
    for link in re.findall(r"\]\(((?:examples|notebooks|data|docs)/[^)#]*)\)", readme):
        assert (ROOT / link).exists(), f"README links to missing {link}"
    assert (ROOT / "scripts" / "make_screenshots.py").is_file()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
