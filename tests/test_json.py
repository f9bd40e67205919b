"""corridor.cli._json: the JSON the command line writes (--json output and the output-set manifest).

Run through ``corridor compare``; ``SMALL`` comes from tests/_cli.py.
"""

import json
import os

from _cli import SMALL

import corridor.cli.pipeline as pipeline
from corridor.cli import main


def test_costs_file_whose_name_is_not_utf8(tmp_path, capsys):
    """A file name may hold bytes that are not UTF-8 (Python reads them as lone surrogates): the manifest and
    --json are still written, as strict UTF-8 JSON with such a byte as U+FFFD, instead of a traceback after
    all the work."""
    costs = tmp_path / os.fsdecode(b"costs-\xff.toml")
    costs.write_text("[costs]\nrail_border_dwell_h = 1.5\n", encoding="utf-8")
    out = tmp_path / "o"
    assert main([*SMALL, "--dem-samples", "0", "--costs", str(costs), "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out.encode("utf-8"))
    shown = str(tmp_path / "costs-\ufffd.toml")
    assert data["provenance"]["costs"]["path"] == shown
    assert pipeline.read_manifest(out)["provenance"]["costs"]["path"] == shown
