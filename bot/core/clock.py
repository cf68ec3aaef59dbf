"""The one clock: Unix seconds from an injectable function, and the text form every stored time takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]


def stamp(seconds: float) -> str:
    """Unix seconds as ISO 8601 UTC text ('2025-05-02T09:00:00+00:00')."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
