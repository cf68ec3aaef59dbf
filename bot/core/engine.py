"""Question -> best fact with a confidence, or a decline with 'did you mean' suggestions."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.config import EngineSettings
from bot.core.answer import Answer
from bot.core.model import KnowledgeBase
from bot.core.text import clean_user_text


class Engine:
    """Matches questions against a KnowledgeBase (placeholder matcher; replaced by the real one)."""

    def __init__(self, kb: KnowledgeBase, settings: EngineSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or EngineSettings()
        self._facts = list(kb.facts.values())
        self._texts = [f.question for f in self._facts]

    def ask(self, question: str) -> Answer:
        """Answer one question."""
        text = clean_user_text(question, self.settings.max_question_chars)
        hit = process.extractOne(text, self._texts, scorer=fuzz.WRatio) if text else None
        if hit is None:
            return Answer(question, None, 0.0)
        confidence = hit[1] / 100
        fact = self._facts[hit[2]]
        if confidence >= 0.85:
            return Answer(question, fact, confidence, nearest=fact)
        return Answer(question, None, confidence, (fact.question,), nearest=fact)
