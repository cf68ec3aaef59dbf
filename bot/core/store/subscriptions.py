"""Who receives automatic updates, on which topics, and whether delivery to them is paused."""

from __future__ import annotations

import aiosqlite

from bot.core.model import TOPICS
from bot.core.store.database import Database
from bot.core.updates.records import ChannelType, Subscription, SubscriptionKind

_SELECT = """
    SELECT s.id, s.kind, s.target_id, s.guild_id, s.paused_reason, s.paused_at, s.channel_type, s.role_id,
           (SELECT group_concat(t.topic) FROM subscription_topics t WHERE t.subscription_id = s.id) AS topics
    FROM subscriptions s"""


def subscription(row: aiosqlite.Row) -> Subscription:
    """A subscription from a row of the subscription columns (topics comma-separated, in canonical order)."""
    topics = tuple(t for t in TOPICS if t in (row["topics"] or "").split(","))
    return Subscription(row["id"], SubscriptionKind(row["kind"]), row["target_id"], row["guild_id"], topics,
                        row["paused_reason"], row["paused_at"], ChannelType(row["channel_type"]),
                        row["role_id"])


class SubscriptionQueries(Database):
    """Subscribe, unsubscribe, find and pause subscriptions."""

    async def subscribe(self, kind: SubscriptionKind, target_id: int, guild_id: int | None, created_by: int,
                        topics: tuple[str, ...], *, channel_type: ChannelType = ChannelType.TEXT,
                        role_id: int | None = None) -> tuple[Subscription, bool]:
        """Create or replace a subscription (resuming it if paused); True when it is new."""
        now = self.now()

        async def work(db: aiosqlite.Connection) -> tuple[int, bool]:
            async with db.execute(
                "SELECT id FROM subscriptions WHERE kind = ? AND target_id = ?", (kind, target_id)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                cursor = await db.execute(
                    "INSERT INTO subscriptions (kind, target_id, guild_id, created_by, created_at,"
                    " channel_type, role_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (kind, target_id, guild_id, created_by, now, channel_type, role_id),
                )
                sub_id, created = int(cursor.lastrowid or 0), True
            else:
                sub_id, created = int(row[0]), False
                await db.execute(
                    "UPDATE subscriptions SET paused_reason = NULL, paused_at = NULL,"
                    " guild_id = COALESCE(?, guild_id), channel_type = ?, role_id = ? WHERE id = ?",
                    (guild_id, channel_type, role_id, sub_id),
                )
                await db.execute("DELETE FROM subscription_topics WHERE subscription_id = ?", (sub_id,))
            await db.executemany(
                "INSERT INTO subscription_topics (subscription_id, topic) VALUES (?, ?)",
                [(sub_id, topic) for topic in topics],
            )
            return sub_id, created

        sub_id, created = await self.run(work)
        (found,) = [subscription(r) for r in await self.read(f"{_SELECT} WHERE s.id = ?", (sub_id,))]
        return found, created

    async def unsubscribe(self, kind: SubscriptionKind, target_id: int) -> bool:
        """Delete a subscription and its undelivered rows; False when there was none."""

        async def work(db: aiosqlite.Connection) -> bool:
            cursor = await db.execute(
                "DELETE FROM subscriptions WHERE kind = ? AND target_id = ?", (kind, target_id)
            )
            return cursor.rowcount > 0

        return await self.run(work)

    async def subscription(self, kind: SubscriptionKind, target_id: int) -> Subscription | None:
        """The subscription of one channel (or one person's DMs), if any."""
        rows = await self.read(f"{_SELECT} WHERE s.kind = ? AND s.target_id = ?", (kind, target_id))
        return subscription(rows[0]) if rows else None

    async def subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        return [subscription(r) for r in await self.read(f"{_SELECT} ORDER BY s.id")]

    async def subscriptions_for(self, guild_id: int | None, user_id: int) -> list[Subscription]:
        """The guild's channel subscriptions and the user's own DM subscription."""
        sql = f"{_SELECT} WHERE (s.kind = ? AND s.guild_id IS ?) OR (s.kind = ? AND s.target_id = ?)" \
            " ORDER BY s.id"
        rows = await self.read(sql, (SubscriptionKind.CHANNEL, guild_id, SubscriptionKind.DM, user_id))
        return [subscription(r) for r in rows]

    async def pause_subscription(self, subscription_id: int, reason: str) -> bool:
        """Stop delivering to a destination Discord refused, recording why; False if already paused."""
        now = self.now()

        async def work(db: aiosqlite.Connection) -> bool:
            cursor = await db.execute(
                "UPDATE subscriptions SET paused_reason = ?, paused_at = ?"
                " WHERE id = ? AND paused_reason IS NULL",
                (reason, now, subscription_id),
            )
            return cursor.rowcount > 0

        return await self.run(work)
