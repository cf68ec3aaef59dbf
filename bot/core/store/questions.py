"""Declined questions and answer feedback, for curators (tables from 0001_questions.sql; no user ids)."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.core.store.database import Database


@dataclass(frozen=True, slots=True)
class DeclinedQuestion:
    """Declined questions that read the same, grouped: how often, when last, the best candidate."""

    normalised: str
    times: int
    last_asked: str
    example: str  # the most recent wording
    best_fact_id: str | None
    best_confidence: float


@dataclass(frozen=True, slots=True)
class Vote:
    """One helpful / not helpful vote on an answer."""

    fact_id: str
    question: str
    helpful: bool
    created_at: str


class QuestionQueries(Database):
    """What the bot could not answer, and what people thought of its answers."""

    async def record_declined(
        self, question: str, normalised: str, best_fact_id: str | None, best_confidence: float
    ) -> None:
        """Store one declined question (never a user id)."""
        asked_at = self.now()

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO declined_questions"
                " (question, normalised, asked_at, best_fact_id, best_confidence) VALUES (?, ?, ?, ?, ?)",
                (question, normalised, asked_at, best_fact_id, best_confidence),
            )

        await self.run(work)

    async def record_feedback(self, fact_id: str, question: str, helpful: bool) -> None:
        """Store one helpful / not helpful vote on an answer (never a user id)."""
        created_at = self.now()

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO answer_feedback (fact_id, question, helpful, created_at) VALUES (?, ?, ?, ?)",
                (fact_id, question, int(helpful), created_at),
            )

        await self.run(work)

    async def declined_summary(self, limit: int = 1000) -> list[DeclinedQuestion]:
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
        return [
            DeclinedQuestion(r["normalised"], r["times"], r["last_asked"], r["example"], r["best_fact_id"],
                             float(r["best_confidence"] or 0))
            for r in await self.read(sql, (limit,))
        ]

    async def votes(self) -> list[Vote]:
        """Every feedback vote, oldest first."""
        sql = "SELECT fact_id, question, helpful, created_at FROM answer_feedback ORDER BY id"
        return [Vote(r["fact_id"], r["question"], bool(r["helpful"]), r["created_at"])
                for r in await self.read(sql)]
