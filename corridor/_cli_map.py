"""``corridor map``: write an interactive map of scenarios (registered by the maps module)."""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    """Attach the ``map`` command to the root app (filled in by the maps issue)."""
    return None
