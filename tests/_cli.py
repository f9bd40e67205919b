"""Helpers shared by the tests of the ``corridor`` command (test_cli, test_commands, test_pipeline,
test_outputset, test_lists, test_json).

- :data:`OUTPUTS`: the files of a ``corridor compare`` output set, manifest included;
- :data:`SMALL`: a quick comparison (one built-in scenario, no network);
- :func:`one_error_line`: the one line a failed command writes on stderr;
- :func:`file_sha256`: the SHA-256 of a file, as the manifest lists it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["OUTPUTS", "SMALL", "file_sha256", "one_error_line"]

OUTPUTS = {"summary.csv", "published.csv", "routes.gpkg", "routes-hillshade.tif", "routes.qgs", "profiles.png",
           "comparison.png", "map.html", "report.html", "corridor-manifest.json"}

SMALL = ["compare", "yeraskh-sadarak", "--network", "none"]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("corridor: error: ") and "Traceback" not in err[0]
    return err[0]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
