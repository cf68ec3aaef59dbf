"""Question -> best fact with a confidence, or a decline with 'did you mean' suggestions."""

from __future__ import annotations

import logging

from bot.config import EngineSettings
from bot.core.answer import Answer
from bot.core.matching.index import FactIndex, Hit
from bot.core.matching.lexicon import Analysis, Lexicon
from bot.core.matching.tokens import tokenize
from bot.core.model import KnowledgeBase
from bot.core.text import clean_user_text

log = logging.getLogger(__name__)


class Engine:
    """Matches questions against a KnowledgeBase: vocabulary, aliases, typos and intent."""

    def __init__(self, kb: KnowledgeBase, settings: EngineSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or EngineSettings()
        aliases = {p.id: (p.name, *p.aliases) for p in kb.participants.values()}
        self.lexicon = Lexicon(kb.vocabulary, aliases)
        facts = list(kb.facts.values())
        for fact in facts:
            texts = (fact.question, fact.answer, *fact.keywords)
            self.lexicon.add_known(t for text in texts for t in tokenize(text))
        subjects = {p.fact.id: p.id for p in kb.participants.values()}
        entities = kb.vocabulary.entities | set(kb.participants)
        self.index = FactIndex(facts, self.lexicon, subjects, kb.vocabulary.broader, frozenset(entities))

    def analyse(self, question: str) -> Analysis:
        """The concepts and intents the engine reads in a question (for debugging and tests)."""
        return self.lexicon.analyse(clean_user_text(question, self.settings.max_question_chars))

    def rank(self, question: str, limit: int = 5) -> list[Hit]:
        """The best candidate facts for a question, best first, down to the suggestion threshold."""
        analysis = self.analyse(question)
        return self.index.search(analysis, self.settings.suggestion_threshold, limit)

    def ask(self, question: str) -> Answer:
        """Answer one question, or decline with up to `max_suggestions` near misses."""
        hits = self.rank(question, limit=max(self.settings.max_suggestions, 1))
        if not hits:
            return Answer(question, None, 0.0)
        best = hits[0]
        if best.confidence >= self.settings.answer_threshold:
            return Answer(question, best.fact, best.confidence, nearest=best.fact)
        suggested = tuple(h.fact for h in hits[: self.settings.max_suggestions])
        return Answer(question, None, best.confidence, suggested, nearest=best.fact)
