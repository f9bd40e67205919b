import json
import subprocess
import sys

from corridor.cli import main


def test_info_prints_pack(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "NAX" in out and "Nakhchivan" in out and "DEM" in out and "EPSG:4326" in out


def test_info_json(capsys):
    assert main(["info", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert 5200 < data["units"]["NAX"]["area_km2"] < 5500
    assert data["dem"]["resolution_arcsec"] == 30.0
    assert data["places"]["total"] > 1000


def test_usage_error_is_one_line_exit_2(capsys):
    assert main(["info", "--bogus"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--bogus" in err[0]


def test_version():
    out = subprocess.run([sys.executable, "-m", "corridor.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("corridor ")


def test_import_does_no_io():
    code = ("import sys, corridor; heavy = [m for m in ('geopandas','rasterio','osmnx','requests') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
