"""Per-server settings and the feeds servers added from Discord (tables from 0005_servers.sql)."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.core.store.database import Database
from bot.core.updates.records import ServerFeed

_SETTINGS = ("questions_only", "cooldown_rate", "cooldown_seconds", "curator_channel_id", "curator_role_id",
             "notice_after")


class FeedLimit(Exception):
    """The server has as many feeds as it may have, or already has this one."""


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """One server's settings; None means config.yaml's default."""

    guild_id: int
    questions_only: bool | None = None
    cooldown_rate: int | None = None
    cooldown_seconds: float | None = None
    curator_channel_id: int | None = None
    curator_role_id: int | None = None
    notice_after: int | None = None  # post a curator notice when a question was declined this many times
    watched: tuple[int, ...] | None = None  # None: config.yaml's watched_channels


def _server_feed(row: aiosqlite.Row) -> ServerFeed:
    return ServerFeed(row["id"], row["guild_id"], row["name"], row["url"], row["backfill"], row["created_by"],
                      row["created_at"])


class ServerQueries(Database):
    """Read and change per-server settings and feeds."""

    async def all_server_settings(self) -> dict[int, ServerSettings]:
        """Every server's stored settings, by guild id."""
        watched: dict[int, list[int]] = {}
        for row in await self.read("SELECT guild_id, channel_id FROM server_watched_channels"
                                   " ORDER BY guild_id, channel_id"):
            watched.setdefault(row[0], []).append(row[1])
        found = {}
        for row in await self.read("SELECT * FROM server_settings"):
            values = {key: row[key] for key in _SETTINGS}
            if values["questions_only"] is not None:
                values["questions_only"] = bool(values["questions_only"])
            custom = tuple(watched.get(row["guild_id"], ())) if row["watched_custom"] else None
            found[row["guild_id"]] = ServerSettings(row["guild_id"], **values, watched=custom)
        return found

    async def save_server_settings(self, settings: ServerSettings, updated_by: int) -> None:
        """Store one server's settings (its watched channels too), replacing what was there."""
        now = self.now()
        values = [getattr(settings, key) for key in _SETTINGS]

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                f"INSERT OR REPLACE INTO server_settings (guild_id, {', '.join(_SETTINGS)}, watched_custom,"
                " updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (settings.guild_id, *values, settings.watched is not None, updated_by, now),
            )
            await db.execute("DELETE FROM server_watched_channels WHERE guild_id = ?", (settings.guild_id,))
            await db.executemany(
                "INSERT INTO server_watched_channels (guild_id, channel_id) VALUES (?, ?)",
                [(settings.guild_id, channel) for channel in settings.watched or ()],
            )

        await self.run(work)

    async def server_feeds(self, guild_id: int | None = None) -> list[ServerFeed]:
        """The feeds added from Discord (of one server, or all), oldest first."""
        if guild_id is None:
            rows = await self.read("SELECT * FROM server_feeds ORDER BY id")
        else:
            rows = await self.read("SELECT * FROM server_feeds WHERE guild_id = ? ORDER BY id", (guild_id,))
        return [_server_feed(row) for row in rows]

    async def add_server_feed(self, guild_id: int, name: str, url: str, backfill: int, created_by: int,
                              limit: int) -> ServerFeed:
        """Add a server's feed; FeedLimit when it has `limit` feeds already or one with that URL or name."""
        now = self.now()

        async def work(db: aiosqlite.Connection) -> int:
            await db.execute("BEGIN IMMEDIATE")
            sql = "SELECT name, url FROM server_feeds WHERE guild_id = ?"
            async with db.execute(sql, (guild_id,)) as cursor:
                existing = list(await cursor.fetchall())
            for row in existing:
                if row["url"] == url:
                    raise FeedLimit(f"this server already has that feed, as “{row['name']}”")
                if row["name"].casefold() == name.casefold():
                    raise FeedLimit(f"this server already has a feed named “{row['name']}”")
            if len(existing) >= limit:
                raise FeedLimit(f"this server has {len(existing)} feeds, its limit: remove one first")
            cursor = await db.execute(
                "INSERT INTO server_feeds (guild_id, name, url, backfill, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (guild_id, name, url, backfill, created_by, now))
            return int(cursor.lastrowid or 0)

        feed_id = await self.run(work)
        (row,) = await self.read("SELECT * FROM server_feeds WHERE id = ?", (feed_id,))
        return _server_feed(row)

    async def remove_server_feed(self, feed: ServerFeed) -> bool:
        """Remove a server's feed and its poll state; False when it was gone already."""

        async def work(db: aiosqlite.Connection) -> bool:
            cursor = await db.execute("DELETE FROM server_feeds WHERE id = ? AND guild_id = ?",
                                      (feed.id, feed.guild_id))
            await db.execute("DELETE FROM feeds WHERE name = ?", (feed.key,))
            return cursor.rowcount > 0

        return await self.run(work)

    async def seen_news(self, keys: tuple[str, ...]) -> bool:
        """True when a news item known by any of these keys was recorded already."""
        if not keys:
            return False
        marks = ",".join("?" * len(keys))
        return bool(await self.read(f"SELECT 1 FROM news_seen WHERE key IN ({marks}) LIMIT 1", keys))
