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

Paths are declared as :class:`pathlib.Path`, so they read ``<path>``. A
variadic argument keeps typer's rendering (``scenarios...  <list[str]>``).

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

import re
from collections.abc import Callable, Iterable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

__all__ = ["Command", "Group", "new_app", "show_values"]

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
