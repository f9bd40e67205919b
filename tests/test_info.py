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


def test_info_places_of_the_units_add_up_to_the_total(capsys):
    assert main(["info", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    in_units = sum(u["places"] for u in s["units"].values())
    assert in_units + s["places"]["no_unit"] == s["places"]["total"]
    assert main(["info"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "no unit (offshore)" in line)
    assert row.split()[-2] == str(s["places"]["no_unit"])
