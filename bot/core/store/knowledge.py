"""The last announced version of every fact, moved forward together with the announcements it causes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import aiosqlite

from bot.core.store.database import StoreError
from bot.core.store.outbox import OutboxQueries
from bot.core.updates.records import KnowledgePlan, QueueResult, Snapshot


class KnowledgeQueries(OutboxQueries):
    """The fact snapshot, the baseline mark and the fingerprint of the announced fact base."""

    @staticmethod
    async def _snapshot(db: aiosqlite.Connection) -> tuple[bool, dict[str, Snapshot]]:
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

    async def apply_knowledge_plan(
        self, plan_for: Callable[[bool, dict[str, Snapshot]], KnowledgePlan], fingerprint: str = ""
    ) -> tuple[KnowledgePlan, QueueResult]:
        """Read the snapshot, plan against it, move it forward and queue the changes: one transaction.

        `plan_for` may raise to refuse the plan (nothing is written). The fact base's fingerprint is
        recorded with it, so a running bot knows which fact base the queued announcements describe.
        """
        now = self.now()

        async def work(db: aiosqlite.Connection) -> tuple[KnowledgePlan, QueueResult]:
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
            return plan, await self._queue(db, [change.item for change in plan.changes])

        return await self.run(work)
