"""One pace for everything the bot sends: at most `rate` requests a second, evenly spaced, urgent first.

Discord allows a bot 50 requests a second in all (its global limit); a burst above it draws 429s, and
invalid requests count towards a temporary ban. Requests wait their turn here before they leave: replies
(urgent) go before update deliveries (bulk), which mark themselves with `BULK`. A global 429 that gets
through anyway pushes every later request back by its retry-after, with jitter.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import time
from collections.abc import Callable
from contextvars import ContextVar

log = logging.getLogger(__name__)
URGENT, BULK_PRIORITY = 0, 1
BULK: ContextVar[bool] = ContextVar("tariffbot_bulk_send", default=False)  # set by the delivery tasks
# A turn taken ahead (`prepay`): the task's next request uses it instead of waiting again.
PREPAID: ContextVar[bool] = ContextVar("tariffbot_prepaid_turn", default=False)
ROUND_TRIP_SECONDS = 1.0  # concurrent sends are sized so that round trips up to this long keep the pace


def concurrency_for(rate: float) -> int:
    """How many sends may be under way at once to keep `rate` a second with slow round trips."""
    return max(1, round(rate * ROUND_TRIP_SECONDS))


class Pacer:
    """Hands out at most `rate` turns a second, one every 1/rate s; the most urgent waiter goes first."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 jitter: Callable[[], float] = random.random) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.jitter = jitter
        self.granted = 0  # turns handed out
        self.penalties = 0  # global 429s reported
        self._next = float("-inf")  # the earliest time of the next turn
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # (priority, order, future)
        self._order = itertools.count()
        self._dispatcher: asyncio.Task[None] | None = None

    def _take(self, now: float) -> None:
        """Hand out the turn due at `now`; a turn missed by less than one interval keeps the schedule."""
        base = self._next if now - self._next < self.interval else now
        self._next = base + self.interval
        self.granted += 1

    async def acquire(self, priority: int = URGENT) -> None:
        """Wait for a turn (at once when one is free and nobody waits)."""
        now = self.clock()
        if not self._waiters and now >= self._next:
            self._take(now)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="tariffbot:pacer")
        await future  # cancelled: the future is cancelled too and its turn goes to the next waiter

    async def prepay(self, priority: int = BULK_PRIORITY) -> None:
        """Take a turn now for this task's next request: a sender waits here, before its request timeout
        starts, not inside it."""
        await self.acquire(priority)
        PREPAID.set(True)

    async def take(self) -> None:
        """The turn of a request about to leave: the prepaid one if this task has it, else wait for one."""
        if PREPAID.get():
            PREPAID.set(False)
            return
        await self.acquire(BULK_PRIORITY if BULK.get() else URGENT)

    async def _dispatch(self) -> None:
        while self._waiters:
            delay = self._next - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
                continue  # a penalty may have moved the next turn meanwhile
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                self._take(self.clock())
                future.set_result(None)

    def penalise(self, retry_after: float) -> float:
        """Discord answered a global 429: nobody sends for `retry_after` s plus jitter; returns the pause."""
        pause = retry_after + self.jitter() * max(0.05, 0.1 * retry_after)
        self._next = max(self._next, self.clock() + pause)
        self.penalties += 1
        log.warning("Discord's global rate limit was hit: every request waits %.2f s", pause)
        return pause

    @property
    def waiting(self) -> int:
        """Requests waiting for their turn now."""
        return sum(1 for _, _, future in self._waiters if not future.done())

    async def close(self) -> None:
        """Stop the dispatcher (waiters are cancelled)."""
        for _, _, future in self._waiters:
            future.cancel()
        self._waiters.clear()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
