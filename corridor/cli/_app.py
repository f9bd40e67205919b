"""The typer apps of the ``corridor`` command, and how their ``--help`` shows option values.

typer shows the type of each option's value in ``--help`` as ``<type>``: ``<str>``,
``<int>``, ``<path>`` (a parameter declared as :class:`pathlib.Path`). It does so
for boolean flags too, which take no value (``--json <bool>``, ``--help <bool>``),
and shows a repeatable option as ``<list[str]>`` although each occurrence takes
one value (``--via A --via B``). Every app and command of the CLI is built by
:func:`new_app`, whose command classes (:class:`Command`, :class:`Group`) show,
for every option, what one occurrence on the command line takes
(:func:`show_values`):

- a flag (``--json``, ``--help``, ``--version``): nothing;
- a repeatable option: the type of one value (``--via <str>``);
- any other option: typer's own ``<type>``.

Paths are declared as :class:`pathlib.Path` with :func:`path_option`, so they
read ``<path>``; an empty path (``--out ""``, ``--out "$UNSET"``) is a usage
error there, never the current folder (``Path("")`` is ``.``). So is an empty
``--network`` (:func:`network_option`), never the default network. A variadic
argument keeps typer's rendering (``scenarios...  <list[str]>``).

Examples
--------
>>> app = new_app(add_completion=False)
>>> @app.command()
... def hello(json_out: bool = typer.Option(False, "--json"),
...           via: list[str] = typer.Option([], "--via")) -> None:
...     pass
>>> import typer.main
>>> cmd = typer.main.get_command(app)
>>> ctx = cmd.make_context("hello", [])
>>> show_values(cmd.get_params(ctx), ctx)
>>> [(p.opts[0], p.display_type_rich(ctx)) for p in cmd.get_params(ctx)]
[('--json', ''), ('--via', '<str>'), ('--help', '')]
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

__all__ = ["Command", "Group", "network_option", "new_app", "path_option", "show_values"]

_LIST = re.compile(r"<list\[(.+)\]>")


def show_values(params: Iterable[Any], ctx: Any) -> None:
    """Set the help text of each option's value (its metavar) to what one occurrence takes.

    Flags get none; a repeatable option (``multiple``) gets the type of one
    value. Options with a metavar of their own and arguments are left alone.

    Parameters
    ----------
    params : iterable of click parameters
        The parameters of a command, its help option included (``command.get_params(ctx)``).
    ctx : click context
        The context the help is shown in.
    """
    for p in params:
        if not isinstance(p, TyperOption) or p.metavar is not None:
            continue
        if p.is_flag or p.count:
            p.metavar = ""
        elif p.multiple:
            label = p.display_type(ctx)
            m = _LIST.fullmatch(label)
            p.metavar = f"<{m.group(1)}>" if m else label


#: What to give instead of an empty path, by what the path names.
_GIVE = {"folder": "a folder (. for the current one)", "file": "a file name"}


def _nonempty_path(what: str) -> Callable[[str | os.PathLike[str]], Path]:
    """The parser of a path option naming ``what``: an empty value is refused (``Path("")`` is ``.``)."""

    def parse(value: str | os.PathLike[str]) -> Path:
        if isinstance(value, str) and not value.strip():
            raise typer.BadParameter(f"an empty path names no {what}; give {_GIVE.get(what, 'a path')}, "
                                     "or leave the option out")
        return Path(value)

    return parse


def _nonempty_network(value: str) -> str:
    if not str(value).strip():
        raise typer.BadParameter("an empty value names no network; give reference, osm, none or the path of "
                                 "an OSM file, or leave the option out for the reference network")
    return str(value)


def path_option(*param_decls: str, what: str = "file or folder", **kwargs: Any) -> Any:
    """``typer.Option(*param_decls, **kwargs)`` for a :class:`~pathlib.Path`: an empty value is a usage error.

    An empty ``--out ""`` would otherwise be ``Path("")``, which is ``.``: the
    current folder, silently. ``what`` the path names ("folder", "file") words the
    error. The value reads ``<path>`` in ``--help``.
    """
    return typer.Option(*param_decls, parser=_nonempty_path(what), metavar="<path>", **kwargs)


def network_option(*param_decls: str, **kwargs: Any) -> Any:
    """``typer.Option`` for ``--network`` (a keyword or an OSM file path): an empty value is a usage error,
    not the default network."""
    return typer.Option(*param_decls, parser=_nonempty_network, metavar="<str>", **kwargs)


class Command(TyperCommand):
    """A typer command whose help shows option values as :func:`show_values` sets them."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        show_values(self.get_params(ctx), ctx)
        super().format_help(ctx, formatter)


class Group(TyperGroup):
    """A typer group (the root command, ``corridor fetch``) whose help shows option values as commands do."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        show_values(self.get_params(ctx), ctx)
        super().format_help(ctx, formatter)


class _App(typer.Typer):
    """A typer app whose commands are :class:`Command` unless another class is given."""

    def command(self, name: str | None = None, *, cls: type[TyperCommand] | None = None,
                **kwargs: Any) -> Callable[[Any], Any]:
        return super().command(name, cls=cls or Command, **kwargs)


def new_app(**kwargs: Any) -> typer.Typer:
    """A typer app for the ``corridor`` command: commands and groups built as :class:`Command` and :class:`Group`.

    Parameters
    ----------
    **kwargs
        Passed to :class:`typer.Typer` (``help``, ``no_args_is_help`` ...).

    Returns
    -------
    typer.Typer
        Register commands on it with ``@app.command()`` as on any typer app.
    """
    return _App(cls=Group, **kwargs)
