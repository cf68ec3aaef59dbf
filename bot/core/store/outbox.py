"""Updates and their outbox: queueing, the digest planner (one SQL for delivery and its preview), marks."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import aiosqlite

from bot.core.store.database import Database
from bot.core.store.subscriptions import subscription
from bot.core.updates.cards import card_from_json, card_to_json
from bot.core.updates.records import (
    Attempt,
    Batch,
    ChannelType,
    Claim,
    Deferral,
    DeliveryPlan,
    Held,
    Mark,
    OutboxStatus,
    PlannedDigest,
    QueueResult,
    SubscriptionKind,
    UpdateItem,
)

NONCE_BYTES = 10  # 20 hex characters: Discord takes nonces of up to 25
_SEEN = "INSERT INTO news_seen (key, update_id, feed) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING"
# A destination has at most one open digest: its first `limit` unbundled rows, once the previous one is done.
_FORM_DIGESTS = """
    WITH ranked AS (
        SELECT o.id, MIN(o.id) OVER w AS first, ROW_NUMBER() OVER w AS rn
        FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id
        WHERE o.status = 'pending' AND o.batch IS NULL AND s.paused_reason IS NULL
          AND o.subscription_id NOT IN (
              SELECT subscription_id FROM outbox WHERE status = 'pending' AND batch IS NOT NULL)
        WINDOW w AS (PARTITION BY o.subscription_id ORDER BY o.id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
    UPDATE outbox SET batch = ranked.first FROM ranked
    WHERE outbox.id = ranked.id AND ranked.rn <= ?"""
# The open digests of destinations that are not paused.
_OPEN = """
    SELECT DISTINCT o.batch FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id
    WHERE o.status = 'pending' AND o.batch IS NOT NULL AND s.paused_reason IS NULL"""
_DIGEST_ROWS = """
    WITH chosen AS ({chosen})
    SELECT o.id, o.batch, o.nonce, o.subscription_id, s.kind, s.target_id, o.attempts, o.maybe_sent_since_ts,
           o.last_error, u.text, u.card, s.channel_type, s.role_id
    FROM chosen JOIN outbox o ON o.batch = chosen.batch AND o.status = 'pending'
    JOIN subscriptions s ON s.id = o.subscription_id JOIN updates u ON u.id = o.update_id
    ORDER BY o.batch, o.id"""
_MARK_SENT = ("UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?"
              " WHERE batch = ? AND status = 'pending'")


class OutboxQueries(Database):
    """Queue updates for their subscribers; bundle, claim, preview and mark digests."""

    async def _queue(self, db: aiosqlite.Connection, items: Sequence[UpdateItem]) -> QueueResult:
        """Store new updates (skipping any already known by a dedupe key) and fan them out to the outbox."""
        now = self.now()
        updates = duplicates = deliveries = silent = 0
        for item in items:
            if item.aliases:
                marks = ",".join("?" * len(item.aliases))
                async with db.execute(
                    f"SELECT update_id FROM news_seen WHERE key IN ({marks}) LIMIT 1", item.aliases
                ) as cursor:
                    seen = await cursor.fetchone()
                if seen is not None:
                    await db.executemany(_SEEN, [(key, seen[0], item.feed) for key in item.aliases])
                    duplicates += 1
                    continue
            cursor = await db.execute(
                "INSERT INTO updates (source, dedupe_key, topics, text, created_at, card, guild_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
                (item.source, item.dedupe_key, ",".join(item.topics), item.text, now, card_to_json(item.card),
                 item.guild_id),
            )
            if cursor.rowcount == 0:
                duplicates += 1
                continue
            update_id = cursor.lastrowid
            await db.executemany(_SEEN, [(key, update_id, item.feed) for key in item.aliases])
            if item.silent:  # recorded as seen, posted to nobody
                silent += 1
                continue
            updates += 1
            if not item.topics:
                continue
            marks = ",".join("?" * len(item.topics))
            # a server's feed posts to that server's channel subscriptions only
            scope = "" if item.guild_id is None else " AND s.kind = 'channel' AND s.guild_id = ?"
            cursor = await db.execute(
                "INSERT INTO outbox (update_id, subscription_id)"
                " SELECT DISTINCT ?, s.id FROM subscriptions s"
                " JOIN subscription_topics t ON t.subscription_id = s.id"
                f" WHERE s.paused_reason IS NULL AND t.topic IN ({marks}){scope}"
                " ON CONFLICT (update_id, subscription_id) DO NOTHING",
                (update_id, *item.topics, *(() if item.guild_id is None else (item.guild_id,))),
            )
            deliveries += cursor.rowcount
        return QueueResult(updates, duplicates, deliveries, silent)

    async def queue_updates(self, items: Sequence[UpdateItem]) -> QueueResult:
        """Queue updates for every matching subscriber, all in one transaction."""
        return await self.run(lambda db: self._queue(db, items))

    async def preview_updates(self, items: Sequence[UpdateItem]) -> QueueResult:
        """What queueing these updates would do, by the same SQL, rolled back."""
        return await self.run(lambda db: self._queue(db, items), dry_run=True)

    @staticmethod
    async def _form_digests(db: aiosqlite.Connection, limit: int) -> None:
        """Bundle pending rows into digests, each fixed with a random nonce before it is ever sent."""
        await db.execute(_FORM_DIGESTS, (max(1, limit),))
        async with db.execute(
            "SELECT DISTINCT batch FROM outbox"
            " WHERE status = 'pending' AND batch IS NOT NULL AND nonce IS NULL"
        ) as cursor:
            unnamed = [row[0] for row in await cursor.fetchall()]
        await db.executemany(
            "UPDATE outbox SET nonce = ? WHERE batch = ? AND status = 'pending'",
            [(secrets.token_hex(NONCE_BYTES), batch) for batch in unnamed],
        )

    @staticmethod
    async def _digests(db: aiosqlite.Connection, chosen: str, params: tuple[object, ...] = ()) -> list[Batch]:
        """The digests whose ids the `chosen` query selects, with their texts, in order."""
        batches: dict[int, Batch] = {}
        async with db.execute(_DIGEST_ROWS.format(chosen=chosen), params) as cursor:
            for row in await cursor.fetchall():
                batch = batches.get(row["batch"])
                if batch is None:
                    batch = batches[row["batch"]] = Batch(
                        id=row["batch"], nonce=row["nonce"], subscription_id=row["subscription_id"],
                        kind=SubscriptionKind(row["kind"]), target_id=row["target_id"],
                        attempts=row["attempts"], maybe_sent_since=row["maybe_sent_since_ts"],
                        last_error=row["last_error"], channel_type=ChannelType(row["channel_type"]),
                        role_id=row["role_id"])
                batch.texts.append(row["text"])
                batch.cards.append(card_from_json(row["card"]))
                batch.row_ids.append(row["id"])
        return list(batches.values())

    async def claim_batches(
        self, limit: int, now_ts: float, max_batches: int = 1000, exclude: tuple[int, ...] = ()
    ) -> Claim:
        """Bundle pending rows into digests (fixed, with a random nonce, before sending); return due ones.

        A destination has at most one open digest, so its updates go out in order and never two at once.
        `exclude` lists digests this process is sending right now.
        """

        async def work(db: aiosqlite.Connection) -> Claim:
            await self._form_digests(db, limit)
            marks = ",".join("?" * len(exclude))
            due = f"{_OPEN} AND o.next_attempt_at_ts <= ? AND o.batch NOT IN ({marks})" \
                " ORDER BY o.batch LIMIT ?"
            batches = await self._digests(db, due, (now_ts, *exclude, max_batches))
            async with db.execute(
                "SELECT value FROM update_state WHERE key = 'knowledge_fingerprint'"
            ) as cursor:
                found = await cursor.fetchone()
            return Claim(batches, found[0] if found else None)

        return await self.run(work)

    async def plan_delivery(self, limit: int) -> DeliveryPlan:
        """Every digest delivery would send, due or not, planned by delivery's own SQL and rolled back.

        Digests are formed and marked sent one round after another, as delivery would, inside a transaction
        that is never committed: nothing is fixed, named or marked.
        """

        async def work(db: aiosqlite.Connection) -> DeliveryPlan:
            await db.execute("BEGIN IMMEDIATE")
            async with db.execute(
                "SELECT DISTINCT batch FROM outbox WHERE status = 'pending' AND batch IS NOT NULL"
            ) as cursor:
                fixed = {row[0] for row in await cursor.fetchall()}
            digests: list[PlannedDigest] = []
            while True:
                await self._form_digests(db, limit)
                formed = await self._digests(db, _OPEN)
                if not formed:
                    break
                digests += [PlannedDigest(batch, batch.id in fixed) for batch in formed]
                await db.executemany(_MARK_SENT, [(None, None, batch.id) for batch in formed])
            async with db.execute(
                "SELECT s.id, s.kind, s.target_id, s.guild_id, s.paused_reason, s.paused_at, s.channel_type,"
                " s.role_id, NULL AS topics,"
                " COUNT(*) AS updates FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id"
                " WHERE o.status = 'pending' AND s.paused_reason IS NOT NULL GROUP BY s.id ORDER BY s.id"
            ) as cursor:
                held = [Held(subscription(row), row["updates"]) for row in await cursor.fetchall()]
            digests.sort(key=lambda d: (d.batch.subscription_id, d.batch.id))
            return DeliveryPlan(digests, held)

        return await self.run(work, dry_run=True)

    async def begin_attempts(self, attempts: Sequence[Attempt]) -> None:
        """Record, before sending, that attempts may reach Discord; each digest is held until its lease ends.

        A `fresh` attempt restarts the maybe-sent time: earlier attempts are known not to have posted.
        """

        async def work(db: aiosqlite.Connection) -> None:
            await db.executemany(
                "UPDATE outbox SET maybe_sent_since_ts = CASE WHEN ? THEN ?"
                " ELSE COALESCE(maybe_sent_since_ts, ?) END, next_attempt_at_ts = ?"
                " WHERE batch = ? AND status = 'pending'",
                [(a.fresh, a.started_at, a.started_at, a.lease_until, a.batch) for a in attempts],
            )

        await self.run(work)

    async def mark_sent(self, marks: Sequence[Mark]) -> None:
        """Mark digests delivered, with their Discord message ids, in one transaction."""
        now = self.now()

        async def work(db: aiosqlite.Connection) -> None:
            await db.executemany(_MARK_SENT, [(now, m.message_id, m.batch) for m in marks])

        await self.run(work)

    async def defer_batches(self, deferrals: Sequence[Deferral]) -> None:
        """Record failed attempts: the next attempt's time, the error, and whether to give up."""

        async def work(db: aiosqlite.Connection) -> None:
            await db.executemany(
                "UPDATE outbox SET attempts = ?, next_attempt_at_ts = ?, last_error = ?,"
                " status = CASE WHEN ? THEN 'failed' ELSE status END,"
                " maybe_sent_since_ts = CASE WHEN ? THEN NULL ELSE maybe_sent_since_ts END"
                " WHERE batch = ? AND status = 'pending'",
                [(d.attempts, d.next_attempt_at, d.error, d.give_up, d.not_sent, d.batch) for d in deferrals],
            )

        await self.run(work)

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        """Number of outbox rows by status."""
        found = await self.read("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {OutboxStatus(row[0]): row[1] for row in found}
