# mypy: disable-error-code="arg-type, list-item"
"""The inventory of bad inputs (issue 8): one table, every case checked the same way.

Each :class:`Case` names one distinct bad input. For every case the suite checks:

* the exact exception class, that it is a :class:`~corridor.CorridorError` and that
  it also is the matching built-in (``ValueError``, ``LookupError``, ``OSError`` ...);
* that the message names the offending value (``fragments``) and says what to do
  (:data:`ADVICE`);
* for cases with ``argv``: ``corridor.cli.main(argv)`` prints exactly one line on
  stderr and returns 2;
* that no file in the cache, the output folder or the data copy is created,
  changed or removed (snapshot before/after), for the API call and the CLI run.

Adding a case: append ``Case(...)`` to :data:`CASES` (or a list that is added to it).
``call`` receives an :class:`Env` with private ``cache``/``out`` folders; ``setup``
may prepare files (e.g. :meth:`Env.pack` copies the region pack for corruption)
and patch settings through ``env.mp`` (a ``pytest.MonkeyPatch``) before the
snapshot is taken. :class:`Case`, :class:`Env` and the setup helpers (``_rm``,
``_file``, ``_valid_osm`` ...) are in ``tests/_badinputs.py``; the table, the
checks and the ``env`` fixture are here.

The inventory is cross-cutting by design and stays one module: one table whose
ids are checked to be distinct across every stage, and the later sections reuse
``test_api``/``test_cli`` as their checks.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _badinputs import (
    DEAD_URL,
    Case,
    Env,
    _download,
    _file,
    _flip_bytes,
    _half,
    _line,
    _nowhere,
    _replace_with_matching_sum,
    _rm,
    _setting,
    _valid_osm,
    _write,
)

from corridor import (
    BBox,
    CorridorError,
    CRSMismatchError,
    DataPackError,
    InvalidBBoxError,
    InvalidInputError,
    OutputError,
    ParameterError,
    UnknownPlaceError,
    UnknownUnitError,
    _http,
    _validate,
    settings,
)
from corridor import align as _align
from corridor.align import vertical as _vertical
from corridor.cli import main
from corridor.data import datasets, places, regions
from corridor.route import Route

#: A message "says what to do" when it contains one of these words.
ADVICE = re.compile(
    r"\b(use|give|check|choose|pass|set|add|try|delete|wait|see|run|reproject|reinstall|rebuild|"
    r"install|must|remove|rename|fix|write)\b",
    re.IGNORECASE,
)


CASES: list[Case] = [
    # ---- bounding boxes
    Case("bbox-left-gt-right", lambda e: BBox(46, 39, 44, 41), InvalidBBoxError, ValueError,
         ("46.0", "44.0")),
    Case("bbox-bottom-gt-top", lambda e: BBox(44, 41, 46, 39), InvalidBBoxError, ValueError,
         ("41.0", "39.0")),
    Case("bbox-nan", lambda e: BBox(math.nan, 39, 46, 41), InvalidBBoxError, ValueError, ("nan",)),
    Case("bbox-inf", lambda e: BBox(44, 39, math.inf, 41), InvalidBBoxError, ValueError, ("inf",)),
    Case("bbox-text-value", lambda e: BBox("west", 39, 46, 41), InvalidBBoxError, ValueError,
         ("'west'",)),
    Case("bbox-none-value", lambda e: BBox(None, 39, 46, 41), InvalidBBoxError, ValueError, ("None",)),
    Case("bbox-projected-metres", lambda e: BBox(500000, 4300000, 600000, 4400000), InvalidBBoxError,
         ValueError, ("500000", "EPSG:4326")),
    Case("bbox-latitude-over-90", lambda e: BBox(44, -95, 46, 41), InvalidBBoxError, ValueError,
         ("-95",)),
    Case("bbox-parse-three-numbers", lambda e: BBox.parse("44,39,46"), InvalidBBoxError, ValueError,
         ("'44,39,46'",)),
    Case("bbox-parse-not-a-number", lambda e: BBox.parse("44,39,46,top"), InvalidBBoxError, ValueError,
         ("'44,39,46,top'",)),
    Case("bbox-parse-empty", lambda e: BBox.parse(""), InvalidBBoxError, ValueError, ("''",)),
    Case("bbox-parse-semicolons", lambda e: BBox.parse("44;39;46;41"), InvalidBBoxError, ValueError,
         ("'44;39;46;41'",)),
    # ---- coordinates
    Case("coord-projected", lambda e: regions.unit_at(4500000, 4400000), InvalidInputError, ValueError,
         ("4500000", "EPSG:4326")),
    Case("coord-nan", lambda e: regions.unit_at(math.nan, 40), InvalidInputError, ValueError, ("nan",)),
    Case("coord-text", lambda e: regions.unit_at("east", 40), InvalidInputError, ValueError, ("'east'",)),
    Case("coord-none", lambda e: regions.unit_at(None, None), InvalidInputError, ValueError, ("None",)),
    Case("coord-lat-95", lambda e: places.resolve((45.0, 95.0)), InvalidInputError, ValueError, ("95.0",)),
    Case("coord-string-lon-200", lambda e: places.resolve("200,40"), InvalidInputError, ValueError,
         ("200.0",)),
    Case("coord-three-values", lambda e: places.resolve((45.0, 40.0, 1000.0)), InvalidInputError,
         ValueError, ("(45.0, 40.0, 1000.0)",)),
    Case("coord-lat-lon-swapped-projected", lambda e: places.resolve((4400000.0, 45.0)),
         InvalidInputError, ValueError, ("4400000.0",)),
    # ---- places
    Case("place-unknown", lambda e: places.lookup("Atlantis"), UnknownPlaceError, LookupError,
         ("'Atlantis'",)),
    Case("place-misspelt-suggests", lambda e: places.lookup("Mehgri"), UnknownPlaceError, LookupError,
         ("'Mehgri'", "Meghri")),
    Case("place-wrong-country", lambda e: places.lookup("Julfa", country="FR"), UnknownPlaceError,
         LookupError, ("'Julfa'", "FR")),
    Case("place-unknown-country-suffix", lambda e: places.lookup("Meghri, XX"), UnknownPlaceError,
         LookupError, ("'Meghri, XX'",)),
    Case("place-empty", lambda e: places.lookup(""), InvalidInputError, ValueError, ("''",)),
    Case("place-blank", lambda e: places.lookup("   "), InvalidInputError, ValueError, ("'   '",)),
    Case("place-none", lambda e: places.lookup(None), InvalidInputError, ValueError, ("None",)),
    Case("place-control-chars", lambda e: places.lookup("Meg\x1b[31mhri\x00"), UnknownPlaceError,
         LookupError, ("Meg",)),
    Case("waypoints-only-one", lambda e: places.resolve_all(["Meghri"]), InvalidInputError, ValueError,
         ("['Meghri']",)),
    Case("waypoints-a-string", lambda e: places.resolve_all("Meghri"), InvalidInputError, ValueError,
         ("'Meghri'",)),
    Case("waypoint-wrong-type", lambda e: places.resolve({"lon": 45}), InvalidInputError, ValueError,
         ("{'lon': 45}",)),
    Case("waypoints-start-is-end", lambda e: places.resolve_all(["Meghri", "Meghri"]), InvalidInputError,
         ValueError, ("start and end are the same place (Meghri at ",), argv=("route", "Meghri", "Meghri")),
    Case("waypoints-via-repeats-start", lambda e: _align.trace(["Meghri", "Meghri", "Ordubad"], mode="rail"),
         InvalidInputError, ValueError, ("waypoints 1 and 2 of 3 are the same place (Meghri at ",),
         argv=("route", "Meghri", "Ordubad", "--via", "Meghri")),
    Case("waypoints-same-point-two-ways",
         lambda e: places.resolve_all(["Agarak", "Meghri", "46.24308,38.90123"]), InvalidInputError, ValueError,
         ("waypoints 2 and 3 of 3", "'Meghri' and '46.24308,38.90123'")),
    # ---- units, modes, parameters
    Case("unit-unknown-code", lambda e: _validate.check_units(["XYZ"]), UnknownUnitError, ValueError,
         ("'XYZ'", "NAX")),
    Case("unit-country-name", lambda e: _validate.check_units("ARM,Armenia"), UnknownUnitError,
         ValueError, ("'Armenia'",)),
    Case("unit-not-text", lambda e: _validate.check_units([42]), UnknownUnitError, ValueError, ("42",)),
    Case("mode-unknown", lambda e: _validate.check_mode("ship"), InvalidInputError, ValueError,
         ("'ship'", "rail")),
    Case("param-negative", lambda e: _validate.check_positive(-1, "step_m"), ParameterError, ValueError,
         ("step_m", "-1")),
    Case("param-nan", lambda e: _validate.check_positive(math.nan, "step_m"), ParameterError, ValueError,
         ("step_m", "nan")),
    Case("param-text", lambda e: _validate.check_positive("ten", "step_m"), ParameterError, ValueError,
         ("step_m", "'ten'")),
    Case("param-bool", lambda e: _validate.check_positive(True, "weight"), ParameterError, ValueError,
         ("weight", "True")),
    Case("param-numeric-text", lambda e: _validate.check_positive("0.01", "max_grade"), ParameterError,
         ValueError, ("max_grade", "'0.01'", "without quotes")),
    Case("grade-line-max-grade-text",
         lambda e: _vertical.design_grade_line([0.0, 100.0, 200.0], [10.0, 12.0, 11.0], mode="rail",
                                               max_grade="0.01"),
         ParameterError, ValueError, ("max_grade", "'0.01'")),
    # ---- regions and routes
    Case("split-not-a-line", lambda e: regions.split_by_unit("45,40,46,41"), InvalidInputError,
         ValueError, ("'45,40,46,41'",)),
    Case("route-mode-unknown",
         lambda e: Route.from_lines([_line((46.0, 38.92), (46.3, 38.92))], mode="ship"),
         InvalidInputError, ValueError, ("'ship'",)),
    Case("route-no-lines", lambda e: Route.from_lines([], mode="rail", name="empty"), InvalidInputError,
         ValueError, ("'empty'",)),
    Case("route-projected-lines",
         lambda e: Route.from_lines([_line((500000, 4300000), (510000, 4310000))], mode="rail", name="utm"),
         CRSMismatchError, ValueError, ("'utm'", "500000", "EPSG:4326")),
    # ---- the region pack (on a private copy)
    Case("pack-missing-dem", lambda e: datasets.region_pack(), DataPackError, OSError,
         ("dem_globe30.tif", "missing"), argv=("info",), setup=_rm("dem_globe30.tif")),
    Case("pack-missing-units", lambda e: regions.unit_at(45.0, 40.0), DataPackError, OSError,
         ("units.geojson", "missing"), argv=("info",), setup=_rm("units.geojson")),
    Case("pack-missing-sums", lambda e: datasets.units(), DataPackError, OSError,
         ("SHA256SUMS", "missing"), argv=("info",), setup=_rm("SHA256SUMS")),
    Case("pack-corrupted-units", lambda e: datasets.units(), DataPackError, OSError,
         ("units.geojson", "corrupted"), argv=("info",), setup=_flip_bytes("units.geojson")),
    Case("pack-empty-places", lambda e: places.lookup("Meghri"), DataPackError, OSError,
         ("places.csv", "corrupted"), argv=("info",), setup=_write("places.csv", b"")),
    Case("pack-truncated-dem", lambda e: datasets.dem_path(), DataPackError, OSError,
         ("dem_globe30.tif", "corrupted"), argv=("info",),
         setup=lambda e: (e.pack() / "dem_globe30.tif").write_bytes(
             (e.tmp / "data" / "region" / "dem_globe30.tif").read_bytes()[:5000])),
    Case("pack-malformed-sums", lambda e: datasets.units(), DataPackError, OSError,
         ("SHA256SUMS", "'not-a-checksum-line'"), argv=("info",),
         setup=_write("SHA256SUMS", b"not-a-checksum-line\n")),
    Case("pack-units-not-geojson", lambda e: datasets.units(), DataPackError, OSError,
         ("units.geojson",), argv=("info",),
         setup=_replace_with_matching_sum("units.geojson", b"this is not json")),
    Case("pack-places-wrong-columns", lambda e: datasets.places(), DataPackError, OSError,
         ("places.csv", "lon"), argv=("info",),
         setup=_replace_with_matching_sum("places.csv", b"a,b\n1,2\n")),
    Case("pack-folder-missing", lambda e: datasets.region_pack(), DataPackError, OSError,
         ("no-such-folder",), argv=("info",), setup=_nowhere),
    # ---- downloads: rejected before any file or connection is made
    Case("http-ftp-url", lambda e: _download(e, "ftp://download.geofabrik.de/a.pbf"), InvalidInputError,
         ValueError, ("'ftp://download.geofabrik.de/a.pbf'",)),
    Case("http-not-a-url", lambda e: _download(e, "armenia-latest.osm.pbf"), InvalidInputError,
         ValueError, ("'armenia-latest.osm.pbf'",)),
    Case("http-url-with-newline", lambda e: _download(e, "http://127.0.0.1:9/a\r\nX-Evil: 1"),
         InvalidInputError, ValueError, ("X-Evil",)),
    Case("http-url-none", lambda e: _http.request_bytes(None), InvalidInputError, ValueError, ("None",)),
    Case("http-md5-not-hex", lambda e: _download(e, md5="d41d8cd98f00b204e9800998ecf8427z"),
         InvalidInputError, ValueError, ("'d41d8cd98f00b204e9800998ecf8427z'",)),
    Case("http-md5-sha256-given", lambda e: _download(e, md5="ab" * 32), InvalidInputError, ValueError,
         ("ab" * 32,)),
    Case("http-dest-is-folder", lambda e: _download(e, dest=e.out / "sub"), OutputError, OSError,
         (os.sep + "sub", "folder")),
    Case("http-dest-under-a-file", lambda e: _download(e, dest=e.out / "keep.txt" / "a.pbf"), OutputError,
         OSError, ("keep.txt", "is a file")),
    Case("http-dest-nul", lambda e: _download(e, dest=str(e.out / "a\x00.pbf")), InvalidInputError,
         ValueError, ("a\\x00.pbf",)),
    Case("http-method-delete", lambda e: _http.request_bytes(DEAD_URL, method="DELETE"),
         InvalidInputError, ValueError, ("'DELETE'",)),
    # ---- settings misuse (checked before any I/O)
    Case("settings-timeout-zero", _download, ParameterError, ValueError, ("settings.timeout", "0"),
         setup=_setting("timeout", 0)),
    Case("settings-timeout-text", _download, ParameterError, ValueError, ("settings.timeout", "'30s'"),
         setup=_setting("timeout", "30s")),
    Case("settings-retries-negative", _download, ParameterError, ValueError,
         ("settings.max_retries", "-1"), setup=_setting("max_retries", -1)),
    Case("settings-retries-fraction", _download, ParameterError, ValueError,
         ("settings.max_retries", "2.5"), setup=_setting("max_retries", 2.5)),
    Case("settings-backoff-nan", lambda e: _http.request_bytes(DEAD_URL), ParameterError, ValueError,
         ("settings.backoff_max", "nan"), setup=_setting("backoff_max", math.nan)),
    Case("settings-backoff-negative", _download, ParameterError, ValueError,
         ("settings.backoff_base", "-0.5"), setup=_setting("backoff_base", -0.5)),
    Case("settings-chunk-zero", _download, ParameterError, ValueError, ("settings.chunk_size", "0"),
         setup=_setting("chunk_size", 0)),
    Case("settings-user-agent-empty", _download, ParameterError, ValueError,
         ("settings.user_agent", "''"), setup=_setting("user_agent", "")),
    # ---- command line (usage errors: no library exception)
    Case("cli-info-unknown-option", None, None, None, ("--bogus",), argv=("info", "--bogus")),
    Case("cli-info-extra-argument", None, None, None, ("Meghri",), argv=("info", "Meghri")),
    Case("cli-unknown-command", None, None, None, ("nosuchcommand",), argv=("nosuchcommand",)),
    Case("cli-flag-with-value", None, None, None, ("--json",), argv=("info", "--json=yes")),
    Case("cli-verbose-with-value", None, None, None, ("--verbose",), argv=("--verbose=2", "info")),
]


# --- machinery ---------------------------------------------------------------------
def _snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    state: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = Path(dirpath, d)
            state[str(p.relative_to(root))] = ("dir",)
        for f in filenames:
            p = Path(dirpath, f)
            st = p.stat()
            state[str(p.relative_to(root))] = ("file", st.st_size, st.st_mtime_ns,
                                               hashlib.sha256(p.read_bytes()).hexdigest())
    return state


@pytest.fixture()
def env(tmp_path, monkeypatch) -> Env:
    cache, out = tmp_path / "cache", tmp_path / "out"
    cache.mkdir()
    (out / "sub").mkdir(parents=True)
    (out / "keep.txt").write_text("an earlier result\n")
    (cache / "earlier.osm.pbf").write_bytes(b"\x00\x00\x00\x0dOSMHeader")
    monkeypatch.setattr(settings, "cache_folder", cache)
    return Env(tmp_path, cache, out, monkeypatch)


def _check_message(case: Case, msg: str) -> None:
    for frag in case.fragments:
        assert frag in msg, f"{case.id}: message does not name {frag!r}: {msg}"
    assert ADVICE.search(msg), f"{case.id}: message does not say what to do: {msg}"


API_CASES = [c for c in CASES if c.call is not None]
CLI_CASES = [c for c in CASES if c.argv is not None]


def test_inventory_is_large_and_distinct():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 40
    for c in API_CASES:
        assert c.exc is not None and issubclass(c.exc, CorridorError) and c.builtin is not None
        assert issubclass(c.exc, c.builtin), c.id


@pytest.mark.parametrize("case", API_CASES, ids=[c.id for c in API_CASES])
def test_api(case: Case, env: Env):
    if case.setup:
        case.setup(env)
    before = _snapshot(env.tmp)
    with pytest.raises(BaseException) as ei:
        case.call(env)  # type: ignore[misc]
    err = ei.value
    assert type(err) is case.exc, f"{case.id}: got {type(err).__name__}: {err}"
    assert isinstance(err, CorridorError) and isinstance(err, case.builtin)  # type: ignore[arg-type]
    _check_message(case, str(err))
    assert _snapshot(env.tmp) == before, f"{case.id}: files were created or changed"


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_cli(case: Case, env: Env, capsys):
    if case.setup:
        case.setup(env)
    before = _snapshot(env.tmp)
    capsys.readouterr()
    rc = main(list(case.argv or ()))
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert rc == 2, f"{case.id}: exit code {rc}; stderr: {captured.err}"
    assert len(lines) == 1, f"{case.id}: expected one line on stderr, got {captured.err!r}"
    assert lines[0].startswith("corridor: error: ")
    assert "Traceback" not in captured.err and "\x1b" not in captured.err
    _check_message(case, lines[0])
    assert _snapshot(env.tmp) == before, f"{case.id}: files were created or changed"


def test_bad_environment_variables_do_not_break_import(tmp_path):
    """CORRIDOR_TIMEOUT=abc must not crash ``import corridor``; the first download names it."""
    code = (
        "import corridor, corridor.settings as s, corridor._http as h\n"
        "try:\n"
        "    h.download('http://127.0.0.1:9/x', s.cache_folder / 'x')\n"
        "except corridor.ParameterError as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    envv = {**os.environ, "CORRIDOR_TIMEOUT": "abc", "CORRIDOR_MAX_RETRIES": "many",
            "CORRIDOR_CACHE_FOLDER": str(tmp_path / "cache")}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=envv,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("ParameterError corridor.settings.timeout")
    assert "'abc'" in res.stdout and "CORRIDOR_TIMEOUT" in res.stdout
    assert not (tmp_path / "cache").exists()


# --- files: OSM, DEM, scenario TOML, unit costs, output paths (issue 8, part 2) -----------
from corridor import costs as _costs  # noqa: E402
from corridor import scenarios as _scenarios  # noqa: E402
from corridor._errors import (  # noqa: E402
    DEMCoverageError,
    DEMError,
    EmptyNetworkError,
    OSMParseError,
    ScenarioError,
)
from corridor.network import osm as _osm  # noqa: E402
from corridor.terrain import profiles as _terrain  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import _osmgen  # noqa: E402

ADVICE = re.compile(ADVICE.pattern[:-3] + r"|download|open|widen|shorten|put)\b", re.IGNORECASE)
_SCEN_OK = 'name = "x"\nmode = "rail"\nwaypoints = ["Meghri", "Agarak"]\n'


_EAST = _line((46.0, 38.9), (46.2, 38.9))

CASES += [
    # ---- OSM files
    Case("osm-empty-pbf", lambda e: _osm.read_osm(e.tmp / "a.osm.pbf"), OSMParseError, OSError,
         ("a.osm.pbf", "empty"), setup=_file("a.osm.pbf", b"")),
    Case("osm-truncated-pbf", lambda e: _osm.read_osm(e.tmp / "a.osm.pbf"),
         OSMParseError, OSError, ("a.osm.pbf", "truncated"), setup=_file("a.osm.pbf", _half(_valid_osm("osm.pbf")))),
    Case("osm-xml-truncated-tail", lambda e: _osm.read_osm(e.tmp / "a.osm"), OSMParseError, OSError,
         ("a.osm", "XML"), setup=_file("a.osm", _half(_valid_osm("osm")))),
    Case("osm-png-renamed-pbf", lambda e: _osm.read_osm(e.tmp / "a.osm.pbf"), OSMParseError, OSError,
         ("a.osm.pbf", "PBF"), setup=_file("a.osm.pbf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)),
    Case("osm-bbox-left-gt-right", lambda e: _osm.read_osm(e.tmp / "small.osm.pbf", bbox=(46, 39, 44, 41)),
         InvalidBBoxError, ValueError, ("46.0", "44.0"), setup=_file("small.osm.pbf", _valid_osm("osm.pbf"))),
    Case("osm-mode-unknown", lambda e: _osm.read_osm(e.tmp / "small.osm.pbf", modes=("ship",)), InvalidInputError,
         ValueError, ("'ship'", "rail"), setup=_file("small.osm.pbf", _valid_osm("osm.pbf"))),
    Case("osm-no-edges-in-bbox", lambda e: _osm.read_osm(e.tmp / "small.osm.pbf", bbox=(10, 10, 11, 11)),
         EmptyNetworkError, ValueError, ("small.osm.pbf", "(10.0, 10.0, 11.0, 11.0)"),
         setup=_file("small.osm.pbf", _valid_osm("osm.pbf"))),
    # ---- DEM files
    Case("dem-missing-path", lambda e: _terrain.DEM.open(e.tmp / "nope.tif"), DEMError, OSError,
         ("nope.tif", "does not exist")),
    Case("dem-empty-tif", lambda e: _terrain.DEM.open(e.tmp / "a.tif"), DEMError, OSError, ("a.tif",),
         setup=_file("a.tif", b"")),
    Case("dem-corrupt-tif", lambda e: _terrain.DEM.open(e.tmp / "a.tif"), DEMError, OSError, ("a.tif",),
         setup=_file("a.tif", b"II*\x00garbage" * 10)),
    Case("dem-corrupt-hgt", lambda e: _terrain.DEM.open(e.tmp / "N40E045.hgt"), DEMError, OSError,
         ("N40E045.hgt",), setup=_file("N40E045.hgt", b"\x00" * 1000)),
    Case("dem-corrupt-hgt-zip", lambda e: _terrain.DEM.open(e.tmp / "N40E045.hgt.zip"), DEMError, OSError,
         ("N40E045.hgt.zip", "zip"), setup=_file("N40E045.hgt.zip", b"PK\x03\x04junk")),
    Case("profile-projected-line",
         lambda e: _terrain.profile(_line((500000, 4300000), (510000, 4310000))), CRSMismatchError,
         ValueError, ("500000", "EPSG:4326")),
    Case("profile-step-zero", lambda e: _terrain.profile(_EAST, step_m=0), ParameterError, ValueError,
         ("step_m", "0")),
    Case("profile-step-negative", lambda e: _terrain.profile(_EAST, step_m=-5), ParameterError, ValueError,
         ("step_m", "-5")),
    Case("profile-line-outside-dem", lambda e: _terrain.profile(_line((2.0, 48.0), (2.2, 48.0))),
         DEMCoverageError, ValueError, ("leaves the DEM",)),
    # ---- scenario TOML (API and `corridor compare FILE`)
    Case("scenario-missing-waypoints", lambda e: _scenarios.load(e.tmp / "s.toml"), ScenarioError,
         ValueError, ("s.toml", "'waypoints'", "missing"), argv=("compare", "s.toml"),
         setup=_file("s.toml", '[scenario]\nname = "x"\nmode = "rail"\n')),
    Case("scenario-missing-table", lambda e: _scenarios.load(e.tmp / "s.toml"), ScenarioError,
         ValueError, ("s.toml", "'scenario'"), argv=("compare", "s.toml"), setup=_file("s.toml", 'x = 1\n')),
    Case("scenario-mode-wrong-type", lambda e: _scenarios.load(e.tmp / "s.toml"), ScenarioError,
         ValueError, ("s.toml", "'mode'", "3"), argv=("compare", "s.toml"),
         setup=_file("s.toml", '[scenario]\nname = "x"\nmode = 3\nwaypoints = ["Meghri", "Agarak"]\n')),
    Case("scenario-name-wrong-type", lambda e: _scenarios.load(e.tmp / "s.toml"), ScenarioError,
         ValueError, ("s.toml", "'name'", "5"), argv=("compare", "s.toml"),
         setup=_file("s.toml", '[scenario]\nname = 5\nmode = "rail"\nwaypoints = ["Meghri", "Agarak"]\n')),
    Case("scenario-waypoints-a-string", lambda e: _scenarios.load(e.tmp / "s.toml"), ScenarioError,
         ValueError, ("s.toml", "'waypoints'", "'Meghri'"), argv=("compare", "s.toml"),
         setup=_file("s.toml", '[scenario]\nname = "x"\nmode = "rail"\nwaypoints = "Meghri"\n')),
    Case("scenario-unknown-unit", lambda e: _scenarios.load(e.tmp / "s.toml"), ScenarioError,
         ValueError, ("s.toml", "'stay_in'", "'XYZ'"), argv=("compare", "s.toml"),
         setup=_file("s.toml", "[scenario]\n" + _SCEN_OK + 'stay_in = ["XYZ"]\n')),
    Case("scenario-duplicate-names", lambda e: _scenarios.load(e.tmp / "s.toml"), ScenarioError,
         ValueError, ("s.toml", "'x'", "more than one"), argv=("compare", "s.toml"),
         setup=_file("s.toml", "[[scenario]]\n" + _SCEN_OK + "[[scenario]]\n" + _SCEN_OK)),
    Case("scenario-one-waypoint", lambda e: _scenarios.load(e.tmp / "s.toml"), ScenarioError,
         ValueError, ("s.toml", "['Meghri']"), argv=("compare", "s.toml"),
         setup=_file("s.toml", '[scenario]\nname = "x"\nmode = "rail"\nwaypoints = ["Meghri"]\n')),
    Case("scenario-not-toml", lambda e: _scenarios.load(e.tmp / "s.toml"), ScenarioError,
         ValueError, ("s.toml", "not valid TOML"), argv=("compare", "s.toml"),
         setup=_file("s.toml", "[scenario\nname =\n")),
    Case("scenario-file-missing", lambda e: _scenarios.load(e.tmp / "nope.toml"), ScenarioError,
         ValueError, ("nope.toml", "not found"), argv=("compare", "nope.toml"), setup=_file("x", b"")),
    # ---- unit costs (API and `corridor compare --costs FILE`)
    Case("costs-negative", lambda e: _costs.CostParams.from_toml(e.tmp / "c.toml"), ParameterError,
         ValueError, ("'rail_speed_new_kmh'", "-5", "c.toml"), argv=("compare", "--costs", "c.toml"),
         setup=_file("c.toml", "rail_speed_new_kmh = -5\n")),
    Case("costs-nan", lambda e: _costs.CostParams.from_toml(e.tmp / "c.toml"), ParameterError,
         ValueError, ("'rail_speed_new_kmh'", "nan", "c.toml"), argv=("compare", "--costs", "c.toml"),
         setup=_file("c.toml", "rail_speed_new_kmh = nan\n")),
    Case("costs-wrong-type", lambda e: _costs.CostParams.from_toml(e.tmp / "c.toml"), ParameterError,
         ValueError, ("'rail_speed_new_kmh'", "'fast'"), argv=("compare", "--costs", "c.toml"),
         setup=_file("c.toml", 'rail_speed_new_kmh = "fast"\n')),
    Case("costs-unknown-key", lambda e: _costs.CostParams.from_toml(e.tmp / "c.toml"), ParameterError,
         ValueError, ("'bogus'",), argv=("compare", "--costs", "c.toml"), setup=_file("c.toml", "bogus = 1\n")),
    Case("costs-replace-negative", lambda e: _costs.CostParams().replace(rail_speed_new_kmh=-1),
         ParameterError, ValueError, ("'rail_speed_new_kmh'", "-1")),
    Case("costs-replace-nan", lambda e: _costs.CostParams().replace(rail_speed_new_kmh=math.nan),
         ParameterError, ValueError, ("'rail_speed_new_kmh'", "nan")),
    # ---- output paths (CLI only)
    Case("cli-compare-out-is-a-file", None, None, None, ("'keep.txt'", "is a file"),
         argv=("compare", "--out", "keep.txt"), setup=lambda e: e.mp.chdir(e.out)),
]
API_CASES = [c for c in CASES if c.call is not None]
CLI_CASES = [c for c in CASES if c.argv is not None]


@pytest.mark.parametrize("case", [c for c in API_CASES if c.id.startswith(("osm-", "dem-", "profile-",
                                                                          "scenario-", "costs-"))],
                         ids=lambda c: c.id)
def test_api_files(case: Case, env: Env):
    test_api(case, env)


@pytest.mark.parametrize("case", [c for c in CLI_CASES if c.id.startswith(("scenario-", "costs-", "cli-compare"))],
                         ids=lambda c: c.id)
def test_cli_files(case: Case, env: Env, capsys):
    test_cli(case, env, capsys)


def test_scenario_name_traversal_stays_inside_out(tmp_path, monkeypatch, capsys):
    """A scenario called ``../../etc/passwd`` writes only inside ``--out``."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (work / "s.toml").write_text('[scenario]\nname = "../../etc/passwd"\nmode = "rail"\n'
                                 'waypoints = ["Meghri", "Agarak"]\n')
    monkeypatch.chdir(work)
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    before = set(tmp_path.rglob("*"))
    assert main(["compare", "s.toml", "--out", "o"]) == 0
    new = set(tmp_path.rglob("*")) - before
    out = (work / "o").resolve()
    written = [p for p in new if not p.resolve().is_relative_to(tmp_path / "cache")]
    assert written and (work / "o") in written
    for p in written:
        assert p.resolve() == out or p.resolve().is_relative_to(out), p
    assert not (tmp_path / "etc").exists() and not (work.parent / "etc").exists()


# ---- load_network on bad OSM files: nothing may be left in the cache (no network entry, no checksum memo)
from corridor.network import core as _network  # noqa: E402

NETWORK_CASES = [
    Case("network-truncated-pbf", lambda e: _network.load_network(e.tmp / "a.osm.pbf"), OSMParseError, OSError,
         ("a.osm.pbf", "truncated"), setup=_file("a.osm.pbf", _half(_valid_osm("osm.pbf")))),
    Case("network-empty-pbf", lambda e: _network.load_network(e.tmp / "a.osm.pbf"), OSMParseError, OSError,
         ("a.osm.pbf", "empty"), setup=_file("a.osm.pbf", b"")),
    Case("network-xml-truncated-tail", lambda e: _network.load_network(e.tmp / "a.osm"), OSMParseError, OSError,
         ("a.osm", "XML"), setup=_file("a.osm", _half(_valid_osm("osm")))),
    Case("network-no-edges-in-bbox", lambda e: _network.load_network(e.tmp / "small.osm.pbf", bbox=(10, 10, 11, 11)),
         EmptyNetworkError, ValueError, ("small.osm.pbf", "(10.0, 10.0, 11.0, 11.0)"),
         setup=_file("small.osm.pbf", _valid_osm("osm.pbf"))),
]
CASES += NETWORK_CASES


@pytest.mark.parametrize("case", NETWORK_CASES, ids=lambda c: c.id)
def test_api_network_files(case: Case, env: Env):
    test_api(case, env)  # includes: no file created or changed anywhere under tmp (cache included)


def test_truncated_pbf_leaves_cache_folder_empty(tmp_path, monkeypatch):
    """The checksum memo of a file is written only once the file has parsed."""
    cache = tmp_path / "cache"
    monkeypatch.setattr(settings, "cache_folder", cache)
    (tmp_path / "gen").mkdir()
    good = _osmgen.small(tmp_path / "gen", "osm.pbf")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(OSMParseError):
        _network.load_network(bad)
    assert not cache.exists() or sorted(p.relative_to(cache) for p in cache.rglob("*")) == []
    _network.load_network(good, cache=False)  # a good parse remembers the checksum, nothing else
    assert [p.parent.name for p in cache.rglob("*") if p.is_file()] == ["checksums"]


def test_check_positive_takes_every_kind_of_real_number():
    """Numbers in any numeric type pass (NumPy scalars and 0-d arrays, as reductions give them, and
    Decimal); only text, booleans and arrays of several values are refused."""
    import decimal

    import numpy as np

    for v in (0.02, 2, np.float32(0.5), np.int64(3), np.array(0.02), decimal.Decimal("0.01")):
        assert _validate.check_positive(v, "g") == pytest.approx(float(v))
    for bad in (np.array([1.0, 2.0]), np.array(True), np.bool_(False)):
        with pytest.raises(ParameterError, match="g must be a number"):
            _validate.check_positive(bad, "g")
