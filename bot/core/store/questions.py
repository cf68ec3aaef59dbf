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
class VoteSummary:
    """The votes on one fact's answers: how many found it unhelpful, and the latest such question."""

    fact_id: str
    not_helpful: int
    helpful: int
    last_at: str
    example: str  # the latest question whose answer was voted unhelpful


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
        self, question: str, normalised: str, best_fact_id: str | None, best_confidence: float,
        guild_id: int | None = None, notice_after: int | None = None,
    ) -> int | None:
        """Store one declined question (never a user id), with the server it was asked in.

        With `notice_after`, returns how often the question was declined in that server when this decline
        is the first to reach that count (a curator notice is due: once per question per threshold).
        """
        asked_at = self.now()

        async def work(db: aiosqlite.Connection) -> int | None:
            await db.execute(
                "INSERT INTO declined_questions (question, normalised, asked_at, best_fact_id,"
                " best_confidence, guild_id) VALUES (?, ?, ?, ?, ?, ?)",
                (question, normalised, asked_at, best_fact_id, best_confidence, guild_id),
            )
            if guild_id is None or not notice_after:
                return None
            async with db.execute(
                "SELECT COUNT(*) FROM declined_questions WHERE guild_id = ? AND normalised = ?",
                (guild_id, normalised),
            ) as cursor:
                times = int((await cursor.fetchone() or (0,))[0])
            if times < notice_after:
                return None
            cursor = await db.execute(
                "INSERT INTO decline_notices (guild_id, normalised, threshold, noticed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", (guild_id, normalised, notice_after, asked_at))
            return times if cursor.rowcount else None

        return await self.run(work)

    async def record_feedback(self, fact_id: str, question: str, helpful: bool,
                              guild_id: int | None = None) -> None:
        """Store one helpful / not helpful vote on an answer (never a user id)."""
        created_at = self.now()

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO answer_feedback (fact_id, question, helpful, created_at, guild_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (fact_id, question, int(helpful), created_at, guild_id),
            )

        await self.run(work)

    async def feedback_summary(self, guild_id: int | None = None, limit: int = 1000) -> list[VoteSummary]:
        """Facts whose answers were voted unhelpful (in one server, or anywhere), most votes first."""
        where = "" if guild_id is None else "WHERE guild_id = ?"
        sql = f"""
            SELECT fact_id, SUM(helpful = 0) AS bad, SUM(helpful = 1) AS good, MAX(created_at) AS last_at,
                   (SELECT f2.question FROM answer_feedback f2 WHERE f2.fact_id = f.fact_id AND f2.helpful = 0
                    {'' if guild_id is None else 'AND f2.guild_id = f.guild_id'}
                    ORDER BY f2.id DESC LIMIT 1) AS example
            FROM answer_feedback f {where}
            GROUP BY fact_id HAVING bad > 0
            ORDER BY bad DESC, last_at DESC, fact_id
            LIMIT ?"""
        params: tuple[object, ...] = (limit,) if guild_id is None else (guild_id, limit)
        return [VoteSummary(r["fact_id"], r["bad"], r["good"], r["last_at"], r["example"] or "")
                for r in await self.read(sql, params)]

    async def declined_summary(self, limit: int = 1000,
                               guild_id: int | None = None) -> list[DeclinedQuestion]:
        """Declined questions (in one server, or anywhere) grouped by normalised text, most frequent first."""
        where = "" if guild_id is None else "WHERE d.guild_id = ?"
        same = "" if guild_id is None else " AND d{n}.guild_id IS d.guild_id"
        sql = f"""
            SELECT normalised, COUNT(*) AS times, MAX(asked_at) AS last_asked,
                   (SELECT d2.question FROM declined_questions d2
                    WHERE d2.normalised = d.normalised{same.format(n=2)}
                    ORDER BY d2.asked_at DESC, d2.id DESC LIMIT 1) AS example,
                   (SELECT d3.best_fact_id FROM declined_questions d3
                    WHERE d3.normalised = d.normalised{same.format(n=3)}
                    ORDER BY d3.best_confidence DESC, d3.id DESC LIMIT 1) AS best_fact_id,
                   MAX(best_confidence) AS best_confidence
            FROM declined_questions d {where}
            GROUP BY normalised
            ORDER BY times DESC, last_asked DESC, normalised
            LIMIT ?"""
        params: tuple[object, ...] = (limit,) if guild_id is None else (guild_id, limit)
        return [
            DeclinedQuestion(r["normalised"], r["times"], r["last_asked"], r["example"], r["best_fact_id"],
                             float(r["best_confidence"] or 0))
            for r in await self.read(sql, params)
        ]

    async def votes(self) -> list[Vote]:
        """Every feedback vote, oldest first."""
        sql = "SELECT fact_id, question, helpful, created_at FROM answer_feedback ORDER BY id"
        return [Vote(r["fact_id"], r["question"], bool(r["helpful"]), r["created_at"])
                for r in await self.read(sql)]
