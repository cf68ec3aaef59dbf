"""The engine's result for one question, and its JSON form (the `ask --json` contract)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from bot.core.model import Fact


@lru_cache(maxsize=1024)
def human_date(day: date) -> str:
    """'2 May 2025'."""
    return f"{day.day} {day:%B %Y}"


class Kind(StrEnum):
    """What the bot does with a message."""

    ANSWER = "answer"  # states a fact
    DECLINE = "decline"  # does not know (with "did you mean" when something is close)
    AMBIGUOUS = "ambiguous"  # two facts fit: asks which
    SMALLTALK = "smalltalk"  # greeting, thanks, help...: a friendly reply, never a fact
    HORIZON = "horizon"  # asks about events after the newest source


@dataclass(frozen=True, slots=True)
class Answer:
    """What the bot says to one message: its kind, the exact reply, and the fact(s) behind it."""

    question: str
    kind: Kind
    reply: str  # exactly what the bot says (the console prints it; `ask --json` returns it)
    lead: str = ""  # the reply without its list of choices (Discord shows those as buttons)
    fact: Fact | None = None
    confidence: float = 0.0
    suggested: tuple[Fact, ...] = ()  # "did you mean" (decline, horizon) or the choices (ambiguous)
    nearest: Fact | None = None  # the best candidate, kept for curators even when declined
    as_of: str | None = None  # 'as of 1 May 2025', or the caveat for questions about 'now'
    now: bool = False  # the question asked about the present: the reply carries the caveat
    smalltalk: str | None = None  # the small-talk kind ('greeting', 'thanks'...)
    noise: bool = False  # no question at all (arithmetic, a bare link, emoji): declined at once

    @property
    def answered(self) -> bool:
        """True only when the bot states a fact."""
        return self.kind is Kind.ANSWER

    @property
    def suggestions(self) -> tuple[str, ...]:
        """The canonical questions of the suggested facts."""
        return tuple(f.question for f in self.suggested)

    @property
    def unanswered(self) -> bool:
        """True for a real question the bot could not answer (curators see these)."""
        return self.kind in (Kind.DECLINE, Kind.AMBIGUOUS, Kind.HORIZON) and not self.noise

    def to_json(self) -> dict[str, Any]:
        """The JSON object `tariffbot ask --json` prints (an exact contract)."""
        fact = self.fact if self.answered else None
        return {
            "question": self.question,
            "kind": str(self.kind),
            "answered": self.answered,
            "answer": fact.answer if fact else None,
            "reply": self.reply,
            "fact_id": fact.id if fact else None,
            "confidence": round(self.confidence, 4),
            "as_of": fact.as_of.isoformat() if fact else None,
            "sources": [
                {"title": c.source.title, "date": c.source.date.isoformat(), "quote": c.quote}
                for c in fact.citations
            ]
            if fact
            else [],
            "suggestions": list(self.suggestions),
        }
