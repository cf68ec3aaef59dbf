"""Writes done after the bot has answered (declines, votes): the database never delays a reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.core.logonce import ErrorLog
from bot.core.store import StoreError

log = logging.getLogger(__name__)
RETRY_DELAYS = (1.0, 4.0, 15.0, 60.0)  # seconds between attempts at a write the database refused


class Background:
    """Tasks started after a reply; each write is retried while the database is locked or failing."""

    def __init__(self, delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        self.delays = delays
        self.errors = ErrorLog(log)
        self._tasks: set[asyncio.Task[None]] = set()

    def write(self, what: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` soon, retrying on StoreError; after the last delay, give up (logged once)."""
        task = asyncio.create_task(self._retry(what, work), name=f"tariffbot:background:{what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _retry(self, what: str, work: Callable[[], Awaitable[None]]) -> None:
        for attempt, delay in enumerate((*self.delays, None), start=1):
            try:
                await work()
                return
            except StoreError as exc:
                if delay is None:
                    self.errors.report(logging.ERROR,
                                       f"could not store {what} after {attempt} attempts: {exc}")
                    return
                log.debug("storing %s failed (attempt %d), retrying in %g s: %s", what, attempt, delay, exc)
                await asyncio.sleep(delay)
            except Exception as exc:
                self.errors.report(logging.ERROR, f"could not store {what}: {type(exc).__name__}: {exc}",
                                   exc=exc)
                return

    async def wait(self, timeout: float | None = None) -> None:  # noqa: ASYNC109 (a deadline for many tasks)
        """Wait for the pending writes (at shutdown, or in tests); cancel what is left after `timeout`."""
        pending = set(self._tasks)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
