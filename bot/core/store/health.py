"""The heartbeat the running bot writes, and the outbox backlog `tariffbot health` reads."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.core.health import Backlog, Heartbeat
from bot.core.store.database import Database

_BACKLOG = """
    SELECT SUM(s.paused_reason IS NULL), SUM(s.paused_reason IS NOT NULL),
           MIN(CASE WHEN s.paused_reason IS NULL THEN u.created_at END)
    FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id JOIN updates u ON u.id = o.update_id
    WHERE o.status = 'pending'"""


class HealthQueries(Database):
    """One heartbeat row, and the outbox's backlog."""

    async def beat(self, beat: Heartbeat) -> None:
        """Record the bot's state (one row, replaced)."""

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT OR REPLACE INTO heartbeat (id, pid, started_at_ts, beat_at_ts, connected,"
                " connected_at_ts, guilds, latency_ms, questions, stopped_at_ts)"
                " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (beat.pid, beat.started_at, beat.beat_at, int(beat.connected), beat.connected_at, beat.guilds,
                 beat.latency_ms, beat.questions, beat.stopped_at),
            )

        await self.run(work)

    async def heartbeat(self) -> Heartbeat | None:
        """The last heartbeat, or None when no bot ever ran on this database."""
        rows = await self.read("SELECT * FROM heartbeat WHERE id = 1")
        if not rows:
            return None
        row = rows[0]
        return Heartbeat(row["pid"], row["started_at_ts"], row["beat_at_ts"], bool(row["connected"]),
                         row["connected_at_ts"], row["guilds"], row["latency_ms"], row["questions"],
                         row["stopped_at_ts"])

    async def backlog(self) -> Backlog:
        """Pending deliveries (active and held) and when the oldest active one was queued."""
        pending, held, oldest = (await self.read(_BACKLOG))[0]
        oldest_at = datetime.fromisoformat(oldest).timestamp() if oldest else None
        return Backlog(pending or 0, held or 0, oldest_at)
