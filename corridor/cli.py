"""The ``corridor`` command line (typer + rich).

Every :class:`~corridor.CorridorError` becomes one line on stderr and exit code 2;
nothing prints a traceback for bad input. Commands live in small modules
(``_cli_*.py``) registered here; each imports the heavy libraries lazily.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Any

import typer

from . import _cli_fetch, _cli_map
from ._errors import CorridorError
from ._version import __version__

log = logging.getLogger(__name__)

app = typer.Typer(
    name="corridor",
    help="Compare candidate road and rail corridors in the South Caucasus.\n\n"
    "Run `corridor compare` with no arguments to compare the built-in corridors offline.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(_cli_fetch.app, name="fetch")
_cli_map.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"corridor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def console(stderr: bool = False) -> Any:
    """A rich Console (imported lazily)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


@app.command()
def info(
    json_out: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Show what the embedded region pack contains: units, places and the DEM.

    [bold]Examples[/bold]

      corridor info
      corridor info --json
    """
    from ._info import pack_summary, print_summary

    summary = pack_summary()
    if json_out:
        import json

        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print_summary(summary, console())


def _one_line(exc: BaseException) -> str:
    from ._text import clean_terminal

    return clean_terminal(" ".join(str(exc).split()))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning library errors into one line and exit code 2."""
    try:
        app(args=argv, prog_name="corridor", standalone_mode=False)
    except CorridorError as exc:
        sys.stderr.write(f"corridor: error: {_one_line(exc)}\n")
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        sys.stderr.write("corridor: aborted\n")
        return 130
    except KeyboardInterrupt:
        sys.stderr.write("corridor: interrupted\n")
        return 130
    except Exception as exc:
        # click-style usage errors (typer may vendor click): one line, exit 2
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            msg = _one_line(exc.format_message())
            sys.stderr.write(f"corridor: error: {msg} (see `corridor --help`)\n")
            return 2
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
