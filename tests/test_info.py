"""corridor.cli.info: ``corridor info`` shows the embedded region pack (table and --json).

No fixtures: the command reads the embedded data.
"""

import json

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
