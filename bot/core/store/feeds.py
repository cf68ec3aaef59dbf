"""Poll state of the news feeds; a successful poll and the updates it found are stored together."""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

from bot.core.store.outbox import OutboxQueries
from bot.core.updates.records import FeedState, QueueResult, UpdateItem


def _feed(row: aiosqlite.Row) -> FeedState:
    return FeedState(**{key: row[key] for key in row.keys()})  # noqa: SIM118 (sqlite Row)


class FeedQueries(OutboxQueries):
    """Conditional-GET validators, schedule and failures of each feed."""

    async def feed_states(self) -> list[FeedState]:
        """The stored poll state of every feed ever polled."""
        return [_feed(row) for row in await self.read("SELECT * FROM feeds ORDER BY name")]

    async def feed_state(self, name: str, url: str) -> FeedState:
        """One feed's state; a fresh one when it was never polled or its URL changed."""
        found = await self.read("SELECT * FROM feeds WHERE name = ?", (name,))
        if not found:
            return FeedState(name, url)
        state = _feed(found[0])
        if state.url != url:
            return FeedState(name, url, consecutive_failures=state.consecutive_failures,
                             total_failures=state.total_failures)
        return state

    async def record_feed_success(self, state: FeedState, items: Sequence[UpdateItem]) -> QueueResult:
        """Store a successful poll (validators, next poll) and queue its new items: one transaction."""
        now = self.now()

        async def work(db: aiosqlite.Connection) -> QueueResult:
            await db.execute(
                "INSERT INTO feeds (name, url, etag, last_modified, next_poll_at_ts, consecutive_failures,"
                " total_failures, last_success_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET url = excluded.url, etag = excluded.etag,"
                " last_modified = excluded.last_modified, next_poll_at_ts = excluded.next_poll_at_ts,"
                " consecutive_failures = 0, last_success_at = excluded.last_success_at",
                (state.name, state.url, state.etag, state.last_modified, state.next_poll_at_ts,
                 state.total_failures, now),
            )
            return await self._queue(db, items)

        return await self.run(work)

    async def record_feed_failure(self, name: str, url: str, error: str, next_ts: float) -> FeedState:
        """Count a failed poll and schedule the next one; returns the new state."""
        now = self.now()

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO feeds (name, url, next_poll_at_ts, consecutive_failures, total_failures,"
                " last_error, last_error_at) VALUES (?, ?, ?, 1, 1, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET url = excluded.url,"
                " next_poll_at_ts = excluded.next_poll_at_ts,"
                " consecutive_failures = consecutive_failures + 1, total_failures = total_failures + 1,"
                " last_error = excluded.last_error, last_error_at = excluded.last_error_at",
                (name, url, next_ts, error, now),
            )

        await self.run(work)
        return await self.feed_state(name, url)
