"""Output sets (corridor.cli._outputset): an earlier set's manifest, and what stays in the folder, are untrusted.

The command-level tests of output sets (compare, route --out, sweep into one folder, signals) are in
tests/test_cli.py; these exercise staged_output itself against what a folder may hold.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import corridor.cli._outputset as outputset
from corridor.cli._outputset import MANIFEST, read_manifest, staged_output

ZEROS = "0" * 64


def _write_set(out: Path, **files: str) -> None:
    with staged_output(out) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text)


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("manifest", [
    {"format": "corridor-output-set", "files": [{"name": ["map.html"], "sha256": ZEROS}]},
    {"format": "corridor-output-set", "files": [{"name": {"map.html": 1}, "sha256": ZEROS}]},
    {"format": "corridor-output-set", "files": [{"name": "map.html", "sha256": ["x"]}]},
    "deep",
], ids=["name-list", "name-dict", "sha-list", "deeply-nested"])
def test_a_manifest_of_any_shape_is_ignored_not_a_crash(tmp_path, manifest):
    """A hand-made manifest whose entries are not strings, or whose JSON nests deeper than Python's
    recursion limit, is no manifest: the new set is written and nothing else is removed."""
    out = tmp_path / "o"
    out.mkdir()
    (out / "map.html").write_text("mine")
    text = ('{"format": "corridor-output-set", "files": [' + "[" * 100_000 + "]" * 100_000 + "]}"
            if manifest == "deep" else json.dumps(manifest))
    (out / MANIFEST).write_text(text)
    assert read_manifest(out) is None or read_manifest(out)["files"] == []
    _write_set(out, **{"summary.csv": "new"})
    assert _names(out) == {"summary.csv", "map.html", MANIFEST}
    assert (out / "map.html").read_text() == "mine"


@pytest.mark.skipif(not hasattr(os, "mkfifo") or sys.platform == "win32", reason="needs os.mkfifo and resource")
@pytest.mark.parametrize("kind", ["fifo", "device", "link", "huge"])
def test_a_manifest_that_is_no_small_regular_file_is_not_read(tmp_path, kind):
    """A FIFO named as the manifest would block the run for ever at its commit, /dev/zero would fill
    the memory: only a small regular file (not a link) is read as a manifest."""
    out = tmp_path / "o"
    out.mkdir()
    (out / "map.html").write_text("mine")
    listing = json.dumps({"format": "corridor-output-set", "version": 1,
                          "files": [{"name": "map.html", "sha256": outputset.sha256_file(out / "map.html")}]})
    if kind == "fifo":
        os.mkfifo(out / MANIFEST)
    elif kind == "device":
        (out / MANIFEST).symlink_to(os.devnull if not Path("/dev/zero").exists() else "/dev/zero")
    elif kind == "link":  # a link to another folder's manifest never lists this folder's files
        (tmp_path / "elsewhere.json").write_text(listing)
        (out / MANIFEST).symlink_to(tmp_path / "elsewhere.json")
    else:
        (out / MANIFEST).write_text(listing[:-1] + ", \"pad\": \"" + "x" * (2 * outputset.MANIFEST_MAX_BYTES) + "\"}")
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
            "from pathlib import Path; from corridor.cli._outputset import read_manifest; "
            "print(read_manifest(Path(sys.argv[1])))")  # in a process of its own, capped: /dev/zero fills memory
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        done = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, env=env,
                              timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading a {kind} as the manifest never ended")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "None"
    if kind != "device":
        _write_set(out, **{"summary.csv": "new"})
        assert (out / "map.html").read_text() == "mine"  # listed by no manifest corridor can trust
        assert (tmp_path / "elsewhere.json").exists() or kind != "link"


def test_what_stays_of_a_set_name_is_named_whatever_it_is(tmp_path, caplog):
    """A link, a folder or a FIFO of one of corridor's names that the new set does not replace stays, and is
    named in a warning like a regular file that stays: nothing of an earlier run's names is left unsaid."""
    out, outside = tmp_path / "o", tmp_path / "outside.csv"
    _write_set(out, **{"summary.csv": "first", "report.html": "first"})
    outside.write_text("first")
    (out / "summary.csv").unlink()
    (out / "summary.csv").symlink_to(outside)  # same content as listed, but a link
    (out / "sensitivity.csv").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(out / "published.csv")
    with caplog.at_level(logging.WARNING, logger="corridor.cli._outputset"):
        _write_set(out, **{"sweep.parquet": "new"})
    assert outside.read_text() == "first" and (out / "summary.csv").is_symlink()
    assert not (out / "report.html").exists()  # listed and unchanged: removed
    said = " ".join(r.getMessage() for r in caplog.records)
    stays = ["summary.csv", "sensitivity.csv"] + (["published.csv"] if hasattr(os, "mkfifo") else [])
    for name in stays:
        assert str(out / name) in said, name


def test_runs_racing_into_one_folder_leave_one_output_set(tmp_path, monkeypatch):
    """Two runs committing into one folder at once: the folder ends with one output set, every file in
    it listed by its manifest, not the files of both runs under one run's manifest."""
    out = tmp_path / "o"
    _write_set(out, **{"summary.csv": "first", "map.html": "first"})
    real = outputset.read_manifest
    other: list[threading.Thread] = []

    def commit_other() -> None:
        _write_set(out, **{"sweep.parquet": "other run", "sweep_summary.csv": "other run"})

    def racing(folder):
        seen = real(folder)
        if not other:  # the other run commits right after this one has read the earlier manifest
            other.append(threading.Thread(target=commit_other))
            other[0].start()
            other[0].join(timeout=1.5)
        return seen

    monkeypatch.setattr(outputset, "read_manifest", racing)
    _write_set(out, **{"report.html": "this run"})
    other[0].join(timeout=60)
    assert not other[0].is_alive()
    monkeypatch.undo()
    listed = {f["name"] for f in real(out)["files"]}
    assert _names(out) == listed | {MANIFEST}
