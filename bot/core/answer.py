"""The engine's result for one question, and its JSON form (the `ask --json` contract)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.model import Fact


def human_date(day: date) -> str:
    """'2 May 2025'."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True, slots=True)
class Answer:
    """The best fact for a question with its confidence, or a decline with suggestions."""

    question: str
    fact: Fact | None
    confidence: float
    suggested: tuple[Fact, ...] = ()
    nearest: Fact | None = None

    @property
    def suggestions(self) -> tuple[str, ...]:
        """'Did you mean' questions: the canonical questions of the suggested facts."""
        return tuple(f.question for f in self.suggested)

    @property
    def answered(self) -> bool:
        """True when the engine is sure enough to state a fact."""
        return self.fact is not None

    @property
    def as_of_text(self) -> str | None:
        """'as of 2 May 2025', or None for a decline."""
        return f"as of {human_date(self.fact.as_of)}" if self.fact else None

    def to_json(self) -> dict[str, Any]:
        """The JSON object `tariffbot ask --json` prints (an exact contract)."""
        fact = self.fact
        return {
            "question": self.question,
            "answered": fact is not None,
            "answer": fact.answer if fact else None,
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


def render_text(answer: Answer) -> str:
    """Plain-text rendering for the console: answer, as-of date, quotes and sources."""
    if answer.fact is None:
        lines = ["I don't know that from the articles I have."]
        if answer.suggestions:
            lines.append("Did you mean:")
            lines += [f"  - {s}" for s in answer.suggestions]
        return "\n".join(lines)
    lines = [answer.fact.answer, f"({answer.as_of_text})"]
    for citation in answer.fact.citations:
        source = citation.source
        lines.append(f'  "{citation.quote}"')
        lines.append(f"    - {source.title}, {human_date(source.date)}")
    return "\n".join(lines)
