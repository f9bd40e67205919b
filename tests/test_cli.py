"""corridor.cli.main, the entry of the ``corridor`` command: --version, usage errors and signals.

Exit codes and the one line on stderr of a usage error, SIGINT/SIGTERM during a real run (a subprocess)
and a KeyboardInterrupt inside typer. Helpers (``SMALL``) come from tests/_cli.py. The tests of each
command are in the test module of its library module: test_commands (compare, route), test_pipeline (the
compare job), test_outputset (output sets), test_lists, test_info, test_app (help), test_json,
test_maps (map), test_cli_sweep (sweep), test_render (terminal tables).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _cli import SMALL

from corridor.cli import main


def test_usage_error_is_one_line_exit_2(capsys):
    assert main(["info", "--bogus"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--bogus" in err[0]


@pytest.mark.parametrize("module", ["corridor.cli", "corridor"])
def test_version(module):
    out = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("corridor ")


def _staging(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".corridor-tmp-")] if folder.is_dir() else []


@pytest.mark.parametrize(("sig", "code", "word", "fresh"), [
    (signal.SIGINT, 130, "interrupted", False),
    (signal.SIGTERM, 143, "terminated", True),
])
def test_signal_ends_compare_cleanly(tmp_path, sig, code, word, fresh):
    """A real ``python -m corridor.cli compare`` stopped while it writes: exit 128+n, one line, nothing left.

    The signal is sent once the run's staging folder holds its first file
    (summary.csv), i.e. in the middle of writing the six files.
    """
    if fresh:  # a folder (and parents) the run creates: all removed again
        base = tmp_path / "new"
        out = base / "deeper" / "out"
    else:  # an existing folder with an earlier file and a user's file: both left as they were
        base = out = tmp_path / "out"
        out.mkdir()
        (out / "summary.csv").write_text("old")
        (out / "notes.txt").write_text("mine")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "corridor.cli", *SMALL, "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any((d / "summary.csv").exists() for d in _staging(out)):
            assert proc.poll() is None, f"the run ended before it was signalled: {proc.communicate()}"
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.005)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, stderr
    assert stderr == f"corridor: {word}\n" and stdout == ""
    if fresh:
        assert not base.exists()
    else:
        assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "summary.csv"]
        assert (out / "summary.csv").read_text() == "old"


def test_keyboard_interrupt_inside_typer_is_exit_130(tmp_path, capsys, monkeypatch):
    """typer turns a KeyboardInterrupt into a *returned* 130; main must not drop it."""

    def stop(*a, **k):
        raise KeyboardInterrupt

    import corridor.cli.commands as commands

    monkeypatch.setattr(commands, "run_compare", stop)  # the name the compare command calls
    assert main([*SMALL, "--out", str(tmp_path / "o")]) == 130
    assert capsys.readouterr().err == "corridor: interrupted\n"


def test_stdout_closed_early_stops_quietly():
    """`corridor list places --json | head -c 0`: the reader closes the pipe before the command writes; the
    command stops with exit 1 and nothing on stderr, not a BrokenPipeError traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "corridor.cli", "list", "places", "--all-places", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `head` does once it has what it wants: every later write fails
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


@pytest.mark.parametrize("argv", [[], ["fetch"]])
def test_no_command_prints_the_help_and_no_empty_error(argv, capsys):
    """`corridor` or `corridor fetch` alone: the help, exit 0, not the help followed by an empty
    "corridor: error:" line and exit 2."""
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "Usage" in out and "error" not in err


@pytest.mark.parametrize(("argv", "where"), [(["compare", "--bogus"], "corridor compare --help"),
                                             (["map"], "corridor map --help"),
                                             (["--bogus"], "corridor --help")])
def test_a_usage_error_points_at_the_help_of_its_own_command(argv, where, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("corridor: error: ") and f"(see `{where}`)" in err[0], err
