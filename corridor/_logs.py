"""Logging helpers shared by the stages: a warning given once per process for the same text.

A warning that the same call would repeat (alternatives tracing one problem again and again, every
route of a comparison evaluated with the same cost overrides) is worth reading once.

Examples
--------
>>> import logging
>>> log = logging.getLogger("corridor.example")
>>> warn_once(log, "%s is said once", "this")
>>> warn_once(log, "%s is said once", "this")  # silent: the same logger, message and arguments
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Hashable

__all__ = ["reset_once", "warn_once"]


def warn_once(log: logging.Logger, msg: str, *args: Hashable) -> None:
    """``log.warning(msg, *args)`` the first time this logger is given this message and these
    arguments in the process; later calls are silent."""
    _once(log.name, msg, args)


def reset_once() -> None:
    """Forget the warnings given, so each is given again (tests)."""
    _once.cache_clear()


@functools.lru_cache(maxsize=256)
def _once(name: str, msg: str, args: tuple[Hashable, ...]) -> None:
    logging.getLogger(name).warning(msg, *args)
