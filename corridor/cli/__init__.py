"""Stage 10, cli: the ``corridor`` command (typer + rich).

:mod:`corridor.cli.commands` holds the typer app and the ``info``, ``compare``
and ``route`` commands; ``map``, ``fetch``, ``sweep`` and ``list`` have their own
modules; :mod:`corridor.cli.pipeline` is the compare job, :mod:`corridor.cli._outputset`
the output sets every command writing into a folder uses.
"""

from __future__ import annotations

from corridor.cli.commands import app, main

__all__ = ["app", "main"]
