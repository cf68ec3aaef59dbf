"""The SQLite store (through aiosqlite): the only module in the project that contains SQL.

Schema changes are numbered files in `bot/migrations/` (`0001_name.sql`, ...), applied in order
at open; the applied version is kept in `PRAGMA user_version`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.core.updates.records import (
    ALL_TOPICS,
    Batch,
    Claim,
    FeedState,
    QueueResult,
    Snapshot,
    Subscription,
    UpdateItem,
)
from bot.paths import MIGRATIONS_DIR

log = logging.getLogger(__name__)
T = TypeVar("T")
_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_SEEN_SQL = (
    "INSERT INTO news_seen (key, update_id, feed) VALUES (?, ?, ?)"  # automatic updates
    " ON CONFLICT (key) DO NOTHING"
)


NONCE_BYTES = 10  # 20 hex characters: Discord takes nonces of up to 25


def utc_now() -> str:
    """The current UTC time as ISO 8601 text: the form every stored timestamp takes."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class StoreError(Exception):
    """The database could not be opened, migrated or written, even after retries."""


def migrations(folder: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """The numbered migration files, in order; numbers must run 1, 2, 3... without gaps."""
    found = sorted(
        (int(m.group(1)), path) for path in folder.glob("*.sql") if (m := _MIGRATION.match(path.name))
    )
    for expected, (number, path) in enumerate(found, start=1):
        if number != expected:
            raise StoreError(f"{path.name}: migration {expected:04d} is missing")
    return found


class Store:
    """One aiosqlite connection in WAL mode, with retries for a busy or locked database."""

    def __init__(self, path: Path, *, retries: int = 5, retry_delay: float = 0.05) -> None:
        self.path = path
        self.retries = retries
        self.retry_delay = retry_delay
        self._db: aiosqlite.Connection | None = None
        # One connection: transactions of concurrent tasks must not interleave on it.
        self._tx_lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._db is None:
            raise StoreError("store is not open")
        return self._db

    async def open(self) -> Store:
        """Open (creating folders and file) and apply pending migrations."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = await aiosqlite.connect(self.path, timeout=5)
            self._db.row_factory = aiosqlite.Row
            await self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives the process being killed (only power loss can undo the last
            # ones); the outbox commits once per message, so a full fsync each time would cost too much.
            await self._db.execute("PRAGMA synchronous=NORMAL")
            await self._db.execute("PRAGMA foreign_keys=ON")
            await self._db.execute("PRAGMA busy_timeout=5000")
            await self._migrate()
        except (OSError, sqlite3.Error) as exc:
            await self.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        return self

    async def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self._db is not None:
            db, self._db = self._db, None
            try:
                await db.close()
            except sqlite3.Error as exc:
                log.warning("closing the database failed: %s", exc)

    async def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[aiosqlite.Row]:
        """Run one read query; a database error (corrupt page, I/O) becomes a StoreError."""
        try:
            async with self.db.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    async def __aenter__(self) -> Store:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        return int((await self.rows("PRAGMA user_version"))[0][0])

    async def _migrate(self) -> None:
        current = await self.schema_version()
        for number, path in migrations():
            if number <= current:
                continue
            log.info("applying migration %s", path.name)
            script = path.read_text(encoding="utf-8")
            await self.db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")

    async def run(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run `work` in one transaction, retrying when the database is busy; commit or roll back."""
        async with self._tx_lock:
            for attempt in range(self.retries + 1):
                try:
                    result = await work(self.db)
                    await self.db.commit()
                    return result
                except sqlite3.Error as exc:
                    await self._rollback()
                    busy = isinstance(exc, sqlite3.OperationalError) and (
                        "locked" in str(exc) or "busy" in str(exc))
                    if not busy or attempt == self.retries:
                        raise StoreError(f"database error: {exc}") from exc
                    log.warning("database busy (%s), retry %d/%d", exc, attempt + 1, self.retries)
                    await asyncio.sleep(self.retry_delay * 2**attempt)
                except BaseException:
                    await self._rollback()
                    raise
            raise AssertionError("unreachable")

    async def _rollback(self) -> None:
        try:
            await self.db.rollback()
        except sqlite3.Error as exc:  # a full disk or corrupt file can fail the rollback too
            log.debug("rollback failed: %s", exc)

    # --- Feature sections below: each feature adds its queries here, in its own section. ---

    # --- questions and feedback (the Discord bot; tables from 0001_questions.sql) ---

    async def record_declined(
        self, question: str, normalised: str, best_fact_id: str | None, best_confidence: float
    ) -> None:
        """Store one declined question (never a user id)."""
        asked_at = utc_now()

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO declined_questions"
                " (question, normalised, asked_at, best_fact_id, best_confidence) VALUES (?, ?, ?, ?, ?)",
                (question, normalised, asked_at, best_fact_id, best_confidence),
            )

        await self.run(work)

    async def record_feedback(self, fact_id: str, question: str, helpful: bool) -> None:
        """Store one helpful / not helpful vote on an answer (never a user id)."""
        created_at = utc_now()

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO answer_feedback (fact_id, question, helpful, created_at) VALUES (?, ?, ?, ?)",
                (fact_id, question, int(helpful), created_at),
            )

        await self.run(work)

    async def declined_summary(self, limit: int = 1000) -> list[dict[str, object]]:
        """Declined questions grouped by normalised text, most frequent first (then most recent)."""
        sql = """
            SELECT normalised, COUNT(*) AS times, MAX(asked_at) AS last_asked,
                   (SELECT d2.question FROM declined_questions d2 WHERE d2.normalised = d.normalised
                    ORDER BY d2.asked_at DESC, d2.id DESC LIMIT 1) AS example,
                   (SELECT d3.best_fact_id FROM declined_questions d3 WHERE d3.normalised = d.normalised
                    ORDER BY d3.best_confidence DESC, d3.id DESC LIMIT 1) AS best_fact_id,
                   MAX(best_confidence) AS best_confidence
            FROM declined_questions d
            GROUP BY normalised
            ORDER BY times DESC, last_asked DESC, normalised
            LIMIT ?"""
        return [dict(row) for row in await self.rows(sql, (limit,))]

    async def feedback_rows(self) -> list[dict[str, object]]:
        """Every feedback vote, oldest first."""
        sql = "SELECT fact_id, question, helpful, created_at FROM answer_feedback ORDER BY id"
        return [dict(row) for row in await self.rows(sql)]

    # --- subscriptions, snapshots, feeds and outbox (automatic updates; tables from 0002_updates.sql) ---

    _SUBSCRIPTION_SELECT = """
        SELECT s.id, s.kind, s.target_id, s.guild_id, s.paused_reason, s.paused_at,
               (SELECT group_concat(t.topic) FROM subscription_topics t
                WHERE t.subscription_id = s.id) AS topics
        FROM subscriptions s"""

    @staticmethod
    def _subscription(row: aiosqlite.Row) -> Subscription:
        topics = tuple(t for t in ALL_TOPICS if t in (row["topics"] or "").split(","))
        return Subscription(
            row["id"],
            row["kind"],
            row["target_id"],
            row["guild_id"],
            topics,
            row["paused_reason"],
            row["paused_at"],
        )

    async def subscribe(
        self,
        kind: str,
        target_id: int,
        guild_id: int | None,
        created_by: int,
        topics: tuple[str, ...],
        now: str,
    ) -> tuple[Subscription, bool]:
        """Create or replace a subscription (resuming it if paused); True when it is new."""

        async def work(db: aiosqlite.Connection) -> tuple[int, bool]:
            async with db.execute(
                "SELECT id FROM subscriptions WHERE kind = ? AND target_id = ?", (kind, target_id)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                cursor = await db.execute(
                    "INSERT INTO subscriptions (kind, target_id, guild_id, created_by, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (kind, target_id, guild_id, created_by, now),
                )
                sub_id, created = int(cursor.lastrowid or 0), True
            else:
                sub_id, created = int(row[0]), False
                await db.execute(
                    "UPDATE subscriptions SET paused_reason = NULL, paused_at = NULL,"
                    " guild_id = COALESCE(?, guild_id) WHERE id = ?",
                    (guild_id, sub_id),
                )
                await db.execute("DELETE FROM subscription_topics WHERE subscription_id = ?", (sub_id,))
            await db.executemany(
                "INSERT INTO subscription_topics (subscription_id, topic) VALUES (?, ?)",
                [(sub_id, topic) for topic in topics],
            )
            return sub_id, created

        sub_id, created = await self.run(work)
        found = await self.subscriptions_where("s.id = ?", (sub_id,))
        return found[0], created

    async def unsubscribe(self, kind: str, target_id: int) -> bool:
        """Delete a subscription and its undelivered rows; False when there was none."""

        async def work(db: aiosqlite.Connection) -> bool:
            cursor = await db.execute(
                "DELETE FROM subscriptions WHERE kind = ? AND target_id = ?", (kind, target_id)
            )
            return cursor.rowcount > 0

        return await self.run(work)

    async def subscriptions_where(
        self, where: str = "1", params: tuple[object, ...] = ()
    ) -> list[Subscription]:
        """Subscriptions matching a fixed condition of this module's callers (never user text)."""
        sql = f"{self._SUBSCRIPTION_SELECT} WHERE {where} ORDER BY s.id"
        return [self._subscription(row) for row in await self.rows(sql, params)]

    async def subscriptions_for(self, guild_id: int | None, user_id: int) -> list[Subscription]:
        """The guild's channel subscriptions and the user's own DM subscription."""
        return await self.subscriptions_where(
            "(s.kind = 'channel' AND s.guild_id IS ?) OR (s.kind = 'dm' AND s.target_id = ?)",
            (guild_id, user_id),
        )

    async def pause_subscription(self, subscription_id: int, reason: str, now: str) -> bool:
        """Stop delivering to a destination Discord refused, recording why; False if already paused."""

        async def work(db: aiosqlite.Connection) -> bool:
            cursor = await db.execute(
                "UPDATE subscriptions SET paused_reason = ?, paused_at = ?"
                " WHERE id = ? AND paused_reason IS NULL",
                (reason, now, subscription_id),
            )
            return cursor.rowcount > 0

        return await self.run(work)

    async def _queue(self, db: aiosqlite.Connection, items: list[UpdateItem], now: str) -> QueueResult:
        """Store new updates (skipping any already known by a dedupe key) and fan them out to the outbox."""
        updates = duplicates = deliveries = 0
        for item in items:
            if item.aliases:
                marks = ",".join("?" * len(item.aliases))
                async with db.execute(
                    f"SELECT update_id FROM news_seen WHERE key IN ({marks}) LIMIT 1", item.aliases
                ) as cursor:
                    seen = await cursor.fetchone()
                if seen is not None:
                    await db.executemany(_SEEN_SQL, [(key, seen[0], item.feed) for key in item.aliases])
                    duplicates += 1
                    continue
            cursor = await db.execute(
                "INSERT INTO updates (source, dedupe_key, topics, text, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
                (item.source, item.dedupe_key, ",".join(item.topics), item.text, now),
            )
            if cursor.rowcount == 0:
                duplicates += 1
                continue
            update_id = cursor.lastrowid
            updates += 1
            await db.executemany(_SEEN_SQL, [(key, update_id, item.feed) for key in item.aliases])
            if not item.topics:
                continue
            marks = ",".join("?" * len(item.topics))
            cursor = await db.execute(
                "INSERT INTO outbox (update_id, subscription_id)"
                " SELECT DISTINCT ?, s.id FROM subscriptions s"
                " JOIN subscription_topics t ON t.subscription_id = s.id"
                f" WHERE s.paused_reason IS NULL AND t.topic IN ({marks})"
                " ON CONFLICT (update_id, subscription_id) DO NOTHING",
                (update_id, *item.topics),
            )
            deliveries += cursor.rowcount
        return QueueResult(updates, duplicates, deliveries)

    async def queue_updates(self, items: list[UpdateItem], now: str) -> QueueResult:
        """Queue updates for every matching subscriber, all in one transaction."""
        return await self.run(lambda db: self._queue(db, items, now))

    async def _snapshot(self, db: aiosqlite.Connection) -> tuple[bool, dict[str, Snapshot]]:
        async with db.execute("SELECT 1 FROM update_state WHERE key = 'knowledge_baseline_at'") as cursor:
            baseline = await cursor.fetchone() is not None
        sql = "SELECT fact_id, content_hash, rendering, recorded_at FROM fact_snapshots"
        async with db.execute(sql) as cursor:
            rows = await cursor.fetchall()
        return baseline, {r[0]: Snapshot(r[1], json.loads(r[2]), r[3]) for r in rows}

    async def knowledge_snapshot(self) -> tuple[bool, dict[str, Snapshot]]:
        """Whether a baseline was recorded, and the last announced version of every fact."""
        try:
            return await self._snapshot(self.db)
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    async def announced_fingerprint(self) -> str | None:
        """The fingerprint of the fact base whose changes were last recorded (by any process)."""
        found = await self.rows("SELECT value FROM update_state WHERE key = 'knowledge_fingerprint'")
        return found[0][0] if found else None

    async def apply_knowledge_plan(
        self, plan_for: Callable[[bool, dict[str, Snapshot]], T], now: str, fingerprint: str = ""
    ) -> tuple[T, QueueResult]:
        """Read the snapshot, plan against it, move it forward and queue the changes: one transaction.

        `plan_for` may raise to refuse the plan (nothing is written). The fact base's fingerprint is
        recorded with it, so a running bot knows which fact base the queued announcements describe.
        """

        async def work(db: aiosqlite.Connection) -> tuple[T, QueueResult]:
            await db.execute("BEGIN IMMEDIATE")
            baseline, snapshot = await self._snapshot(db)
            plan = plan_for(baseline, snapshot)
            if fingerprint:
                await db.execute(
                    "INSERT INTO update_state (key, value) VALUES ('knowledge_fingerprint', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (fingerprint,),
                )
            await db.executemany(
                "INSERT INTO fact_snapshots (fact_id, content_hash, rendering, recorded_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (fact_id) DO UPDATE SET content_hash = excluded.content_hash,"
                " rendering = excluded.rendering, recorded_at = excluded.recorded_at",
                [(fact_id, digest, rendering, now) for fact_id, (digest, rendering) in plan.upserts.items()],
            )
            await db.executemany("DELETE FROM fact_snapshots WHERE fact_id = ?", [(i,) for i in plan.removed])
            await db.execute(
                "INSERT OR IGNORE INTO update_state (key, value) VALUES ('knowledge_baseline_at', ?)", (now,)
            )
            return plan, await self._queue(db, [change.item for change in plan.changes], now)

        return await self.run(work)

    async def claim_batches(
        self, limit: int, now_ts: float, max_batches: int = 1000, exclude: tuple[int, ...] = ()
    ) -> Claim:
        """Bundle pending rows into digests (fixed, with a random nonce, before sending); return due ones.

        A destination has at most one open digest, so its updates go out in order and never two at once.
        `exclude` lists digests this process is sending right now.
        """

        async def work(db: aiosqlite.Connection) -> Claim:
            await db.execute(
                """WITH ranked AS (
                       SELECT o.id, MIN(o.id) OVER w AS first, ROW_NUMBER() OVER w AS rn
                       FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id
                       WHERE o.status = 'pending' AND o.batch IS NULL AND s.paused_reason IS NULL
                         AND o.subscription_id NOT IN (
                             SELECT subscription_id FROM outbox
                             WHERE status = 'pending' AND batch IS NOT NULL)
                       WINDOW w AS (PARTITION BY o.subscription_id ORDER BY o.id
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
                   UPDATE outbox SET batch = ranked.first FROM ranked
                   WHERE outbox.id = ranked.id AND ranked.rn <= ?""",
                (max(1, limit),),
            )
            async with db.execute(
                "SELECT DISTINCT batch FROM outbox WHERE status = 'pending' AND batch IS NOT NULL"
                " AND nonce IS NULL"
            ) as cursor:
                unnamed = [row[0] for row in await cursor.fetchall()]
            await db.executemany(
                "UPDATE outbox SET nonce = ? WHERE batch = ? AND status = 'pending'",
                [(secrets.token_hex(NONCE_BYTES), batch) for batch in unnamed],
            )
            marks = ",".join("?" * len(exclude))
            sql = f"""
                WITH due AS (
                    SELECT DISTINCT o.batch FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id
                    WHERE o.status = 'pending' AND o.batch IS NOT NULL AND s.paused_reason IS NULL
                      AND o.next_attempt_at_ts <= ? AND o.batch NOT IN ({marks}) ORDER BY o.batch LIMIT ?)
                SELECT o.id, o.batch, o.nonce, o.subscription_id, s.kind, s.target_id, o.attempts,
                       o.maybe_sent_since_ts, u.text
                FROM due JOIN outbox o ON o.batch = due.batch AND o.status = 'pending'
                JOIN subscriptions s ON s.id = o.subscription_id JOIN updates u ON u.id = o.update_id
                ORDER BY o.batch, o.id"""
            batches: dict[int, Batch] = {}
            async with db.execute(sql, (now_ts, *exclude, max_batches)) as cursor:
                for row in await cursor.fetchall():
                    batch = batches.get(row[1])
                    if batch is None:
                        batch = batches[row[1]] = Batch(*row[1:8])
                    batch.texts.append(row[8])
                    batch.row_ids.append(row[0])
            async with db.execute(
                "SELECT value FROM update_state WHERE key = 'knowledge_fingerprint'"
            ) as cursor:
                found = await cursor.fetchone()
            return Claim(list(batches.values()), found[0] if found else None)

        return await self.run(work)

    async def begin_attempts(self, attempts: list[tuple[int, float, float, bool]]) -> None:
        """Record, before sending, that attempts may reach Discord: (batch, now, lease until, fresh) each.

        Each digest is held until its lease ends. `fresh`: earlier attempts are known not to have
        created a message (the channel was checked).
        """

        async def work(db: aiosqlite.Connection) -> None:
            await db.executemany(
                "UPDATE outbox SET maybe_sent_since_ts = CASE WHEN ? THEN ?"
                " ELSE COALESCE(maybe_sent_since_ts, ?) END, next_attempt_at_ts = ?"
                " WHERE batch = ? AND status = 'pending'",
                [(fresh, now_ts, now_ts, lease, batch) for batch, now_ts, lease, fresh in attempts],
            )

        await self.run(work)

    async def mark_sent(self, sent: list[tuple[int, int | None]], now: str) -> None:
        """Mark digests delivered: (batch id, Discord message id) pairs, in one transaction."""

        async def work(db: aiosqlite.Connection) -> None:
            await db.executemany(
                "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?"
                " WHERE batch = ? AND status = 'pending'",
                [(now, message_id, batch) for batch, message_id in sent],
            )

        await self.run(work)

    async def defer_batches(self, deferred: list[tuple[int, int, float, str, bool, bool]]) -> None:
        """Record failed attempts: (batch id, attempts, next attempt time, error, give up, not sent) each.

        `not sent`: no attempt so far can have created a message, so no check is needed before the next.
        """

        async def work(db: aiosqlite.Connection) -> None:
            await db.executemany(
                "UPDATE outbox SET attempts = ?, next_attempt_at_ts = ?, last_error = ?,"
                " status = CASE WHEN ? THEN 'failed' ELSE status END,"
                " maybe_sent_since_ts = CASE WHEN ? THEN NULL ELSE maybe_sent_since_ts END"
                " WHERE batch = ? AND status = 'pending'",
                [
                    (attempts, next_ts, error, give_up, not_sent, batch)
                    for batch, attempts, next_ts, error, give_up, not_sent in deferred
                ],
            )

        await self.run(work)

    async def pending_outbox(self) -> list[dict[str, object]]:
        """Every undelivered row with its destination and text, in delivery order."""
        sql = """
            SELECT o.id, o.batch, o.nonce, o.subscription_id, s.kind, s.target_id, s.paused_reason,
                   o.attempts, o.last_error, o.maybe_sent_since_ts, u.text
            FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id
            JOIN updates u ON u.id = o.update_id
            WHERE o.status = 'pending' ORDER BY o.subscription_id, o.id"""
        return [dict(row) for row in await self.rows(sql)]

    async def outbox_counts(self) -> dict[str, int]:
        """Number of outbox rows by status."""
        found = await self.rows("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {row[0]: row[1] for row in found}

    async def delivered(self) -> list[tuple[int, int, int]]:
        """(update id, subscription id, message id) of every delivered row."""
        sql = "SELECT update_id, subscription_id, message_id FROM outbox WHERE status = 'sent' ORDER BY id"
        return [(row[0], row[1], row[2]) for row in await self.rows(sql)]

    @staticmethod
    def _feed(row: aiosqlite.Row) -> FeedState:
        return FeedState(**{key: row[key] for key in row.keys()})  # noqa: SIM118 (sqlite Row)

    async def feed_states(self) -> list[FeedState]:
        """The stored poll state of every feed ever polled."""
        return [self._feed(row) for row in await self.rows("SELECT * FROM feeds ORDER BY name")]

    async def feed_state(self, name: str, url: str) -> FeedState:
        """One feed's state; a fresh one when it was never polled or its URL changed."""
        found = await self.rows("SELECT * FROM feeds WHERE name = ?", (name,))
        if not found:
            return FeedState(name, url)
        state = self._feed(found[0])
        if state.url != url:
            return FeedState(
                name,
                url,
                consecutive_failures=state.consecutive_failures,
                total_failures=state.total_failures,
            )
        return state

    async def record_feed_success(self, state: FeedState, items: list[UpdateItem], now: str) -> QueueResult:
        """Store a successful poll (validators, next poll) and queue its new items: one transaction."""

        async def work(db: aiosqlite.Connection) -> QueueResult:
            await db.execute(
                "INSERT INTO feeds (name, url, etag, last_modified, next_poll_at_ts, consecutive_failures,"
                " total_failures, last_success_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET url = excluded.url, etag = excluded.etag,"
                " last_modified = excluded.last_modified, next_poll_at_ts = excluded.next_poll_at_ts,"
                " consecutive_failures = 0, last_success_at = excluded.last_success_at",
                (
                    state.name,
                    state.url,
                    state.etag,
                    state.last_modified,
                    state.next_poll_at_ts,
                    state.total_failures,
                    now,
                ),
            )
            return await self._queue(db, items, now)

        return await self.run(work)

    async def record_feed_failure(
        self, name: str, url: str, error: str, next_ts: float, now: str
    ) -> FeedState:
        """Count a failed poll and schedule the next one; returns the new state."""

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
