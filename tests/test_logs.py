"""corridor._logs: a warning given once per process for the same logger, message and arguments."""

from __future__ import annotations

import logging

from corridor._logs import reset_once, warn_once


def test_a_warning_is_given_once_per_message_and_arguments(caplog):
    log = logging.getLogger("corridor.test_logs")
    reset_once()
    with caplog.at_level(logging.WARNING, logger="corridor.test_logs"):
        for _ in range(3):
            warn_once(log, "%s: %d", "a", 1)
        warn_once(log, "%s: %d", "a", 2)  # other arguments: said too
        warn_once(logging.getLogger("corridor.test_logs.other"), "%s: %d", "a", 1)  # another logger: said too
    assert [r.getMessage() for r in caplog.records] == ["a: 1", "a: 2", "a: 1"]
    assert [r.name for r in caplog.records][-1] == "corridor.test_logs.other"
    caplog.clear()
    reset_once()
    with caplog.at_level(logging.WARNING, logger="corridor.test_logs"):
        warn_once(log, "%s: %d", "a", 1)
    assert [r.getMessage() for r in caplog.records] == ["a: 1"]
