"""One log line per distinct error per interval: a failure that repeats every tick is not a flood."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
MAX_KEYS = 1000


class ErrorLog:
    """Logs an error the first time, then at most once per `interval` seconds, counting the repeats."""

    def __init__(self, logger: logging.Logger, interval: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self._last: dict[str, float] = {}
        self._repeats: dict[str, int] = {}

    def report(self, level: int, message: str, *, exc: BaseException | None = None) -> bool:
        """Log `message` (one line) unless the same one was logged within the interval; True if logged.

        The traceback, when there is one, goes to DEBUG only.
        """
        now = self.clock()
        last = self._last.get(message)
        if last is not None and now - last < self.interval:
            self._repeats[message] = self._repeats.get(message, 0) + 1
            return False
        if len(self._last) > MAX_KEYS:
            self._last = {k: v for k, v in self._last.items() if now - v < self.interval}
            self._repeats = {k: v for k, v in self._repeats.items() if k in self._last}
        repeats = self._repeats.pop(message, 0)
        suffix = f" (repeated {repeats} time(s) in the last {self.interval:g} s)" if repeats else ""
        self.logger.log(level, "%s%s", message, suffix)
        if exc is not None:
            self.logger.debug("details of: %s", message, exc_info=exc)
        self._last[message] = now
        return True

    def resolved(self, message_prefix: str = "") -> None:
        """Forget errors (starting with the prefix), so the next occurrence is logged at once."""
        for key in [k for k in self._last if k.startswith(message_prefix)]:
            self._last.pop(key, None)
            self._repeats.pop(key, None)
