"""corridor.cli._app: the ``--help`` of every command: examples, option values, examples that parse.

The help is rendered through ``main`` (and once through ``python -m corridor.cli``); no fixtures beyond
pytest's own.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from corridor import scenarios
from corridor.cli import main


@pytest.mark.parametrize("cmd", ["compare", "route", "list", "info"])
def test_help_shows_examples(cmd):
    out = subprocess.run([sys.executable, "-m", "corridor.cli", cmd, "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "120"})
    assert out.returncode == 0 and "Examples" in out.stdout and f"corridor {cmd}" in out.stdout


def _command_paths():
    """The command path of every command and group of the app: [], ["map"], ..., ["fetch", "dem"]."""
    import typer.main

    from corridor.cli.commands import app

    def walk(cmd, path):
        yield path
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(app), []))


def test_help_shows_no_value_for_a_flag_and_one_value_for_a_repeatable_option(capsys, monkeypatch):
    """Every command's --help: a flag (--json, --help, --no-metrics ...) shows no value, a repeatable option
    the type of one value (--via <str>, not <list[str]>), a path <path>."""
    import re

    monkeypatch.setenv("COLUMNS", "160")
    paths = _command_paths()
    assert {"map", "sweep", "compare", "route", "list", "info", "fetch"} <= {p[0] for p in paths if p}
    assert ["fetch", "dem"] in paths and ["fetch", "osm"] in paths
    for path in paths:
        assert main([*path, "--help"]) == 0
        out = capsys.readouterr().out
        assert "<bool>" not in out, path
        assert re.search(r"│ +--help +Show this message and exit", out), path
        option_rows = [ln for ln in out.splitlines() if re.match(r"│ +(\* +)?--", ln)]
        assert option_rows and not [ln for ln in option_rows if "<list[" in ln], path
        if path and path != ["fetch"]:
            assert re.search(r"│ +--json +Print machine-readable JSON", out), path
    assert main(["route", "--help"]) == 0
    out = capsys.readouterr().out
    for option, value in (("--via", "<str>"), ("--stay-in", "<str>"), ("--dem", "<path>"), ("--out", "<path>"),
                          ("--costs", "<path>"), ("--max-grade", "<float>")):
        assert re.search(rf"{option} +(-o +)?{re.escape(value)} ", out), option
    assert main(["compare", "--help"]) == 0
    assert re.search(r"--out +-o +<path> ", capsys.readouterr().out)


def test_help_examples_name_real_scenarios():
    """Every ``corridor ...`` example in the help of every command parses, and each argument that names
    a scenario is a built-in slug or name (as ``corridor list`` shows them) or a scenario TOML file.

    The examples are not run: each line is parsed by the command it names, nothing more.
    """
    import shlex

    import typer.main

    from corridor.cli.commands import app

    root = typer.main.get_command(app)

    def helps(cmd):
        yield cmd.help or ""
        for sub in getattr(cmd, "commands", {}).values():
            yield from helps(sub)

    known = {s.slug for s in scenarios.builtin()} | {s.name for s in scenarios.builtin()}
    bad, with_scenarios = [], set()
    lines = [ln.strip() for text in helps(root) for ln in text.splitlines() if ln.strip().startswith("corridor ")]
    for line in lines:
        args, cmd, path = shlex.split(line)[1:], root, ["corridor"]
        while args and args[0] in getattr(cmd, "commands", {}):
            path.append(args[0])
            cmd = cmd.commands[args.pop(0)]
        assert not hasattr(cmd, "commands"), f"{line!r} names no command"
        ctx = cmd.make_context(" ".join(path), args)  # an unknown option or a bad value raises here
        for param in cmd.params:
            if "scenario" not in (param.name or ""):
                continue
            value = ctx.params.get(param.name)
            for v in [value] if isinstance(value, str) else value or []:
                with_scenarios.add(path[-1])
                if v not in known and Path(v).suffix.lower() != ".toml":
                    bad.append(f"{line!r}: {v!r}")
    assert not bad, f"help examples name scenarios that are not built in: {bad}"
    assert {"compare", "map", "sweep"} <= with_scenarios, with_scenarios


#: Every option that takes a path or a network, and the arguments its command needs besides.
PATH_OPTIONS = {
    ("compare",): ([], ["--out", "--dem", "--costs", "--network"]),
    ("route",): (["Yeraskh", "Sadarak"], ["--out", "--dem", "--costs", "--network"]),
    ("map",): (["meghri-rail"], ["--out", "--network"]),
    ("sweep",): (["meghri-rail", "--vary", "max_grade=10,15"], ["--out", "--network"]),
    ("fetch", "dem"): (["--bbox", "45,39,45.5,39.5"], ["--out"]),
}


def test_every_path_option_is_listed():
    """PATH_OPTIONS holds every option of the CLI whose value is a path (<path> in --help) or a network."""
    import typer.main

    from corridor.cli.commands import app

    found = {}
    for path in _command_paths():
        cmd = typer.main.get_command(app)
        for name in path:
            cmd = cmd.commands[name]
        ctx = cmd.make_context(" ".join(["corridor", *path]), ["--help"], resilient_parsing=True)
        opts = sorted(p.opts[0] for p in cmd.get_params(ctx) if getattr(p, "opts", None)
                      and (p.metavar == "<path>" or p.display_type_rich(ctx) == "<path>" or p.name == "network"))
        if opts:
            found[tuple(path)] = opts
    assert found == {k: sorted(v[1]) for k, v in PATH_OPTIONS.items()}


@pytest.mark.parametrize("case", [(cmd, opt) for cmd, (_, opts) in PATH_OPTIONS.items() for opt in opts],
                         ids=lambda c: " ".join((*c[0], c[1])))
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_path_is_a_usage_error(case, value, tmp_path, monkeypatch, capsys):
    """``--out ""`` (an unset variable in a script) never means the current folder (``Path("")`` is ``.``),
    nor an empty --network the reference network: one usage line, exit 2, nothing written."""
    cmd, opt = case
    monkeypatch.chdir(tmp_path)
    assert main([*cmd, *PATH_OPTIONS[cmd][0], opt, value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("corridor: error: Invalid value for ")
    assert f"'{opt}'" in err and ("an empty path names no " in err or "an empty value names no network" in err)
    assert f"(see `corridor {' '.join(cmd)} --help`)" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", [k for k, v in PATH_OPTIONS.items() if "--network" in v[1]])
def test_every_network_option_names_each_keyword_it_takes(path):
    """Each --network reads its value with the one reader (reference, osm, none or a file); its help
    names them all."""
    import re

    import typer.main

    from corridor.cli.commands import app

    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]
    ctx = cmd.make_context(" ".join(["corridor", *path]), ["--help"], resilient_parsing=True)
    text = next(p.help for p in cmd.get_params(ctx) if p.name == "network")
    assert all(re.search(rf"(?<![.\w]){k}\b", text) for k in ("reference", "osm", "none", "file")), (path, text)
