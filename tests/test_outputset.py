"""Output sets (corridor.cli._outputset): an earlier set's manifest, and what stays in the folder, are untrusted.

The first tests exercise staged_output itself against what a folder may hold; the later ones run output
sets through the commands (compare, route --out, sweep into one folder; --out checked before any work; a
failed write or move leaves the earlier set; signals held during the commit). ``OUTPUTS``, ``SMALL``,
``one_error_line`` and the SHA-256 helper come from tests/_cli.py.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _cli import OUTPUTS, SMALL, one_error_line
from _cli import file_sha256 as _sha

import corridor.cli._outputset as outputset
import corridor.cli.pipeline as pipeline
from corridor._errors import OutputError
from corridor.cli import main
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


# ------------------------------------------------------------------ output sets through the commands
def test_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "out.txt"
    f.write_text("keep me")
    assert main(["compare", "yeraskh-sadarak", "--out", str(f)]) == 2
    assert "is a file" in one_error_line(capsys)
    assert f.read_text() == "keep me"


def test_out_not_writable(tmp_path, capsys, monkeypatch):
    import corridor.cli._outputset as outputset

    out = tmp_path / "locked"
    out.mkdir()
    real = os.access
    # the folder can be read (listed), not written
    monkeypatch.setattr(outputset.os, "access",
                        lambda p, mode: False if Path(p) == out and mode & os.W_OK else real(p, mode))
    assert main(["compare", "yeraskh-sadarak", "--out", str(out)]) == 2
    assert "not writable" in one_error_line(capsys)
    assert list(out.iterdir()) == []
    # a folder still to be created under an unwritable parent
    assert main(["compare", "yeraskh-sadarak", "--out", str(out / "sub")]) == 2
    assert "not writable" in one_error_line(capsys)
    assert not (out / "sub").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_out_not_writable_real(tmp_path, capsys):  # pragma: no cover - runs only as non-root
    out = tmp_path / "ro"
    out.mkdir(mode=0o555)
    assert main(["compare", "yeraskh-sadarak", "--out", str(out)]) == 2
    assert "not writable" in one_error_line(capsys)


def test_failure_while_writing_leaves_nothing(tmp_path, capsys, monkeypatch):
    from corridor._errors import OutputError
    from corridor.outputs import charts

    def boom(*a, **k):
        raise OutputError("disk full while drawing profiles.png; free some space")

    monkeypatch.setattr(charts, "profiles_png", boom)
    fresh = tmp_path / "fresh"
    assert main(["compare", "yeraskh-sadarak", "--network", "none", "--out", str(fresh / "a" / "b")]) == 2
    assert "disk full" in one_error_line(capsys)
    assert not fresh.exists()  # created by the run (with its parents), removed again
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "summary.csv").write_text("old")
    assert main(["compare", "yeraskh-sadarak", "--network", "none", "--out", str(existing)]) == 2
    one_error_line(capsys)
    assert [p.name for p in existing.iterdir()] == ["summary.csv"]
    assert (existing / "summary.csv").read_text() == "old"  # not replaced by a half-finished run


@pytest.mark.parametrize("command", [[*SMALL, "--dem-samples", "0"],
                                     ["route", "Yeraskh", "Sadarak", "--network", "none", "--dem-samples", "0"]],
                         ids=["compare", "route"])
def test_disk_full_while_writing_is_one_line(command, tmp_path, capsys, monkeypatch):
    """A plain OSError of a writer (the disk fills up while profiles.png is drawn) is one line and exit 2, not
    a traceback; the earlier set stays as it was, a folder the run created goes again."""
    from corridor.outputs import charts

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "o"
    assert main([*command, "--out", str(out)]) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(charts, "profiles_png", full)
    assert main([*command, "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "No space left on device" in line and str(out) in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no staging folder left either
    fresh = tmp_path / "fresh"
    assert main([*command, "--out", str(fresh / "o")]) == 2
    assert "No space left on device" in one_error_line(capsys)
    assert not fresh.exists()


def test_folder_creation_failing_at_the_commit_is_one_line(tmp_path, capsys, monkeypatch):
    """The folder the earlier set is moved aside into cannot be made (a full disk, too many links): one line,
    exit 2, the earlier set left as it was."""
    out = tmp_path / "o"
    with staged_output(out) as tmp:
        (tmp / "summary.csv").write_text("first")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = outputset.tempfile.mkdtemp

    def no_aside(suffix=None, prefix=None, dir=None):
        if prefix is not None and prefix.endswith("old-"):
            raise OSError(errno.EMLINK, "Too many links", str(out))
        return real(suffix, prefix, dir)

    monkeypatch.setattr(outputset.tempfile, "mkdtemp", no_aside)
    assert main([*SMALL, "--dem-samples", "0", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "Too many links" in line and "left as they were" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_bug_while_writing_keeps_its_traceback(tmp_path, capsys, monkeypatch):
    """Only failures of the file system become one line: a bug in a writer (a TypeError) reaches the user
    with its traceback, and still leaves nothing half-written."""
    from corridor.outputs import charts

    def bug(*a, **k):
        raise TypeError("profiles_png() got an unexpected keyword argument 'dpi'")

    monkeypatch.setattr(charts, "profiles_png", bug)
    out = tmp_path / "o"
    with pytest.raises(TypeError, match="unexpected keyword"):
        main([*SMALL, "--dem-samples", "0", "--out", str(out)])
    assert not out.exists()


def test_output_set_is_replaced_as_a_whole(tmp_path, capsys):
    out = tmp_path / "o"
    assert main([*SMALL, "--sensitivity", "--out", str(out)]) == 0
    capsys.readouterr()
    first = pipeline.read_manifest(out)
    assert {f["name"] for f in first["files"]} == (OUTPUTS | {"sensitivity.csv"}) - {"corridor-manifest.json"}
    for f in first["files"]:
        assert _sha(out / f["name"]) == f["sha256"] and (out / f["name"]).stat().st_size == f["bytes"]
    assert first["provenance"]["network"]["modelled"] is True
    (out / "notes.txt").write_text("mine")
    (out / "extra.csv").write_text("not corridor's")
    # the next run has no sensitivity.csv: the earlier one goes, the user's files stay
    assert main([*SMALL, "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {Path(f).name for f in data["files"]} == OUTPUTS
    assert {p.name for p in out.iterdir()} == OUTPUTS | {"notes.txt", "extra.csv"}
    assert {f["name"] for f in pipeline.read_manifest(out)["files"]} == OUTPUTS - {"corridor-manifest.json"}


def test_one_output_set_per_folder_whichever_command_wrote_it(tmp_path, capsys):
    """compare --sensitivity, route --out, sweep and compare again into one folder: each run leaves exactly its
    own files (and the user's), never files of the earlier run that could be taken for this run's results."""
    out = tmp_path / "o"
    assert main([*SMALL, "--sensitivity", "--dem-samples", "0", "--out", str(out)]) == 0
    capsys.readouterr()
    (out / "notes.txt").write_text("mine")
    assert main(["route", "Yeraskh", "Sadarak", "--network", "none", "--dem-samples", "0", "--out", str(out),
                 "--json"]) == 0
    files = {Path(f).name for f in json.loads(capsys.readouterr().out)["files"]}
    assert files == OUTPUTS and {p.name for p in out.iterdir()} == OUTPUTS | {"notes.txt"}  # no sensitivity.csv
    sweep = {"sweep.parquet", "corridor-manifest.json"}
    assert main(["sweep", "yeraskh-sadarak", "--vary", "rail_border_dwell_h=1,3", "--workers", "1",
                 "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == sweep | {"notes.txt"}  # the route's files are gone
    assert {f["name"] for f in pipeline.read_manifest(out)["files"]} == {"sweep.parquet"}
    assert main([*SMALL, "--dem-samples", "0", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == OUTPUTS | {"notes.txt"}  # the sweep's files are gone
    assert (out / "notes.txt").read_text() == "mine"


def test_manifest_names_are_untrusted(tmp_path, caplog):
    """A manifest is data in the folder, not trusted: a name with a separator or '..', an absolute path, a
    link or a name corridor never writes is never removed, however the manifest lists it. Files of corridor's
    names that no manifest lists stay, with a warning that they are not part of the new set."""
    import logging

    out, outside = tmp_path / "o", tmp_path / "outside"
    out.mkdir()
    (out / "sub").mkdir()
    outside.mkdir()
    for f in (out / "sub" / "summary.csv", outside / "summary.csv", outside / "map.html", out / "notes.txt",
              out / "report.html"):
        f.write_text(f"not to be removed: {f.name}")
    (out / "map.html").symlink_to(outside / "map.html")
    listed = {"sub/summary.csv": out / "sub" / "summary.csv", "../outside/summary.csv": outside / "summary.csv",
              str(outside / "summary.csv"): outside / "summary.csv", "map.html": outside / "map.html",
              "notes.txt": out / "notes.txt", "..": out / "notes.txt", "": out / "notes.txt"}
    manifest = {"format": "corridor-output-set", "version": 1,
                "files": [{"name": n, "sha256": _sha(f)} for n, f in listed.items()]}
    (out / "corridor-manifest.json").write_text(json.dumps(manifest))
    before = {p: p.read_text() for p in [*out.rglob("*"), *outside.rglob("*")] if p.is_file()}
    with caplog.at_level(logging.WARNING, logger="corridor.cli._outputset"), \
            pipeline.staged_output(out) as tmp:
        (tmp / "summary.csv").write_text("new")
    assert all(p.read_text() == text for p, text in before.items() if p.name != "corridor-manifest.json")
    assert (out / "map.html").is_symlink()
    assert any("report.html" in r.getMessage() and "not part of this output set" in r.getMessage()
               for r in caplog.records)
    # a file of a name no output set holds is refused before anything is replaced: a later set could not remove it
    with pytest.raises(OutputError, match=r"notes\.md"), pipeline.staged_output(out) as tmp:
        (tmp / "notes.md").write_text("x")
    assert (out / "summary.csv").read_text() == "new" and not (out / "notes.md").exists()


def test_stale_members_only_when_listed_and_unchanged(tmp_path):
    """Only files an earlier manifest lists, of corridor's own names and unchanged, are ever removed."""
    out = tmp_path / "o"
    out.mkdir()
    for name in ("sensitivity.csv", "report.html", "notes.txt", "map.html"):
        (out / name).write_text(f"earlier {name}")
    (tmp_path / "outside.txt").write_text("outside")
    listed = ["sensitivity.csv", "report.html", "notes.txt", "../outside.txt", "map.html"]
    manifest = {"format": "corridor-output-set", "version": 1,
                "files": [{"name": n, "sha256": _sha(out / n)} for n in listed]}
    (out / "report.html").write_text("edited by hand after the run")  # changed: kept
    (out / "corridor-manifest.json").write_text(json.dumps(manifest))
    with pipeline.staged_output(out) as tmp:
        (tmp / "summary.csv").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["corridor-manifest.json", "notes.txt", "report.html",
                                                     "summary.csv"]
    assert (tmp_path / "outside.txt").read_text() == "outside"
    # a manifest of the wrong shape is ignored, never trusted
    for bad in ("[]", "{", '{"format": "corridor-output-set", "files": {"summary.csv": 1}}'):
        (out / "corridor-manifest.json").write_text(bad)
        with pipeline.staged_output(out) as tmp:
            (tmp / "map.html").write_text("new")
        assert {p.name for p in out.iterdir()} >= {"summary.csv", "notes.txt", "report.html", "map.html"}


def test_folder_in_the_way_fails_before_anything_is_replaced(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    out.mkdir()
    (out / "comparison.png").write_text("old")
    (out / "map.html").mkdir()
    assert main([*SMALL, "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "map.html" in line and "folder" in line
    assert (out / "comparison.png").read_text() == "old" and (out / "map.html").is_dir()
    # a folder that appears while the files are being written: refused at the move, still nothing replaced
    (out / "map.html").rmdir()
    from corridor.outputs import charts

    real = charts.comparison_png

    def and_block(path, *a, **k):
        (out / "report.html").mkdir()
        return real(path, *a, **k)

    monkeypatch.setattr(charts, "comparison_png", and_block)
    assert main([*SMALL, "--out", str(out)]) == 2
    assert "report.html" in one_error_line(capsys)
    assert sorted(p.name for p in out.iterdir()) == ["comparison.png", "report.html"]
    assert (out / "comparison.png").read_text() == "old"


def test_failed_move_rolls_back_the_earlier_set(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    with pipeline.staged_output(out, provenance={"run": 1}) as tmp:
        for name in ("summary.csv", "map.html", "sensitivity.csv"):
            (tmp / name).write_text(f"first {name}")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = os.replace
    calls = []

    def flaky(src, dst):
        if Path(dst).parent == out:
            calls.append(Path(dst).name)
            if len(calls) == 2:  # the earlier set is aside, one new file is in, then the disk fails
                raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(outputset.os, "replace", flaky)
    with pytest.raises(OutputError, match="No space left"), pipeline.staged_output(out) as tmp:
        for name in ("summary.csv", "map.html"):
            (tmp / name).write_text(f"second {name}")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the earlier set, exactly, and nothing else


def test_dead_staging_folders_are_removed(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(done.stdout)
    host = outputset._HOST
    dead = out / f".corridor-tmp-{dead_pid}.{host}.abc"  # its process has ended (SIGKILL, power cut)
    live = out / f".corridor-tmp-{os.getppid()}.{host}.abc"  # a run still going (its process is alive)
    old = out / ".corridor-tmp-x1y2z3"  # an older corridor's name: removed once it is an hour old
    young = out / ".corridor-tmp-q9w8e7"
    other_host = out / f".corridor-tmp-{dead_pid}.000000.abc"  # cannot check another host's process
    for d in (dead, live, old, young, other_host):
        d.mkdir()
        (d / "summary.csv").write_text("partial")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    (out / ".corridor-tmp-file").write_text("a file, not ours to remove")
    with pipeline.staged_output(out) as tmp:
        (tmp / "summary.csv").write_text("new")
    names = {p.name for p in out.iterdir()}
    assert names == {live.name, young.name, other_host.name, ".corridor-tmp-file", "summary.csv",
                     "corridor-manifest.json"}


@pytest.mark.parametrize("finished", [False, True])
def test_a_commit_killed_midway_gets_the_earlier_set_back(tmp_path, finished):
    """``kill -9`` while a set replaces another: the earlier manifest and files sit in the dead run's
    ``old-`` staging folder. If no manifest is in the folder the commit did not finish, and the next run
    puts the earlier set back (and then replaces it as a whole) instead of deleting it; if the new
    manifest is in, the new set is whole and the earlier files are only leftovers."""
    out = tmp_path / "o"
    with pipeline.staged_output(out) as tmp:
        for name in ("summary.csv", "map.html"):
            (tmp / name).write_text(f"first {name}")
    earlier = {p.name: p.read_bytes() for p in out.iterdir()}
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    aside = out / f".corridor-tmp-{int(done.stdout)}.{outputset._HOST}.old-abc"
    aside.mkdir()
    for name in ("corridor-manifest.json", "summary.csv"):  # moved aside, then the process was killed
        os.replace(out / name, aside / name)
    (out / "summary.csv").write_text("second summary.csv")  # one new file was already in
    (aside / "notes.txt").write_text("not a name of corridor's: never moved")
    if finished:
        (out / "corridor-manifest.json").write_text("{}")
    outputset.clean_stale_staging(out)
    assert not aside.exists()
    now = {p.name: p.read_bytes() for p in out.iterdir()}
    if finished:
        assert now["summary.csv"] == b"second summary.csv" and now["corridor-manifest.json"] == b"{}"
    else:
        assert now == earlier


def test_signal_during_the_commit_waits_for_it(tmp_path, monkeypatch):
    """A signal arriving while the set is being moved in is held until the set is complete."""
    from corridor.cli import commands as cli

    out = tmp_path / "o"
    with pipeline.staged_output(out) as tmp:
        (tmp / "sensitivity.csv").write_text("first")
    real = os.replace
    sent = []

    def signalling(src, dst):
        if Path(dst).parent == out and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)  # in the middle of the moves
        return real(src, dst)

    monkeypatch.setattr(outputset.os, "replace", signalling)
    with pytest.raises(cli.Stopped), cli._stop_on_signals(), pipeline.staged_output(out) as tmp:
        for name in ("summary.csv", "map.html"):
            (tmp / name).write_text(f"second {name}")
    assert sent
    assert sorted(p.name for p in out.iterdir()) == ["corridor-manifest.json", "map.html", "summary.csv"]
    assert {f["name"] for f in pipeline.read_manifest(out)["files"]} == {"map.html", "summary.csv"}
