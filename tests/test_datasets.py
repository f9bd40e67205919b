import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio

from corridor import DataPackError, settings
from corridor.data import datasets

ROOT = Path(__file__).resolve().parents[1]


def test_region_pack_contents():
    pack = datasets.region_pack()
    assert sorted(pack.boundaries["unit"]) == ["ARM", "AZE", "GEO", "IRN", "NAX", "RUS", "TUR"]
    assert pack.boundaries.crs.to_epsg() == 4326
    nax = pack.boundaries.set_index("unit").loc["NAX"]
    assert nax["sovereign"] == "AZE"
    assert {"name", "alt_names", "kind", "country", "source"} <= set(pack.places.columns)
    assert (pack.places["source"].str.len() > 0).all()
    for name in ["Aghband", "Nrnadzor", "Kornidzor", "Kalaleh (approx.)", "Dilucu", "Sadarak",
                 "Sharur", "Salammelik (approx.)", "Akhurik", "Doğukapı", "Margara", "Alican",
                 "Kayan (approx.)", "Minjivan"]:
        hit = pack.places[pack.places["name"] == name]
        assert len(hit) >= 1, name
    # derived places are labelled as approximate, never as published coordinates
    approx = pack.places[pack.places["name"].str.contains("approx", regex=False)]
    assert len(approx) == 3 and approx["note"].str.startswith("APPROXIMATE").all()


def test_nakhchivan_area_in_range():
    from corridor._geo import geod

    b = datasets.units().set_index("unit")
    area = abs(geod().geometry_area_perimeter(b.loc["NAX", "geometry"])[0]) / 1e6
    assert 5200 <= area <= 5500


def test_dem_georeferencing_half_pixel():
    with rasterio.open(datasets.dem_path()) as src:
        assert src.crs.to_epsg() == 4326
        assert src.nodata == -500
        assert src.res == pytest.approx((1 / 120, 1 / 120))
        # pixel edges sit on the clip box; the first pixel centre is half a cell in
        assert src.bounds.left == pytest.approx(42.5) and src.bounds.top == pytest.approx(42.5)
        assert src.xy(0, 0) == pytest.approx((42.5 + 1 / 240, 42.5 - 1 / 240))
        assert src.profile["tiled"] and src.profile["compress"] == "deflate"


@pytest.mark.parametrize(
    "name, lon, lat, expected",
    [
        ("Yerevan", 44.5126, 40.1777, 1000),
        ("Gyumri", 43.8464, 40.7931, 1550),
        ("Lake Sevan", 45.30, 40.35, 1900),
        ("Jolfa", 45.6333, 38.9379, 710),
    ],
)
def test_globe_elevations(name, lon, lat, expected):
    with rasterio.open(datasets.dem_path()) as src:
        value = next(src.sample([(lon, lat)]))[0]
    assert abs(int(value) - expected) <= 60, (name, value)


def _readme_sums():
    text = (ROOT / "data" / "README.md").read_text()
    return dict(re.findall(r"`(region/[\w.]+)`[^\n]*?`([0-9a-f]{64})`", text))


def test_checksums_match_readme_and_files():
    sums = _readme_sums()
    assert set(sums) == {"region/units.geojson", "region/dem_globe30.tif", "region/places.csv"}
    listed = dict(reversed(line.split("  ")) for line in
                  (datasets.region_dir() / "SHA256SUMS").read_text().splitlines())
    for rel, digest in sums.items():
        path = datasets.data_dir() / rel
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, rel
        assert listed[Path(rel).name] == digest


def test_pack_size_under_15mb():
    total = sum(p.stat().st_size for p in (ROOT / "data" / "region").rglob("*") if p.is_file())
    assert total < 15 * 1024 * 1024


@pytest.fixture()
def copied_pack(tmp_path, monkeypatch):
    shutil.copytree(datasets.data_dir() / "region", tmp_path / "region")
    monkeypatch.setattr(settings, "data_folder", tmp_path)
    return tmp_path / "region"


def test_missing_pack_file_is_clear(copied_pack):
    (copied_pack / "dem_globe30.tif").unlink()
    with pytest.raises(DataPackError, match=r"dem_globe30.tif is missing.*build_region_pack") as ei:
        datasets.region_pack()
    assert isinstance(ei.value, OSError)


def test_corrupted_pack_file_is_clear(copied_pack):
    p = copied_pack / "units.geojson"
    data = bytearray(p.read_bytes())
    data[100:110] = b"XXXXXXXXXX"
    p.write_bytes(bytes(data))
    with pytest.raises(DataPackError, match=r"units\.geojson is corrupted"):
        datasets.units()


def test_missing_data_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "data_folder", tmp_path / "nowhere")
    with pytest.raises(DataPackError, match=r"missing"):
        datasets.region_pack()


def test_units_do_not_overlap():
    b = datasets.units().to_crs("EPSG:3857")
    geoms = list(b.geometry)
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            # the source has border slivers of a fraction of a km²; no real overlap
            assert geoms[i].intersection(geoms[j]).area < 5e5


def test_dem_has_no_sea_zero_on_land():
    with rasterio.open(datasets.dem_path()) as src:
        arr = src.read(1, masked=True)
    assert arr.min() >= 0 and arr.max() > 4000
    assert np.ma.count_masked(arr) > 0  # the Caspian is nodata, not elevation 0
