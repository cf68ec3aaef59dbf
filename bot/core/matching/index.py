"""An inverted index from concepts to facts, scored by weighted coverage of the question."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.matching.lexicon import Analysis, Lexicon
from bot.core.model import Fact

# How strongly a fact holds a concept, by where the concept appears in the fact.
KEYWORD, TITLE, SUBJECT, ABOUT, ANSWER, QUOTE = 1.0, 1.0, 1.0, 0.8, 0.7, 0.4
STRONG_INTENTS = frozenset({"who", "when", "duration", "amount", "why", "where"})
INTENT_MISMATCH = 0.6
# Each word of the question that no fact contains (up to two) makes any answer less likely.
UNKNOWN_PENALTY = 0.8
# A fact that never mentions a country or person the question names is unlikely to answer it.
ENTITY_MISMATCH = 0.6
# A word in more facts than this adds no new candidates once rarer words have found some.
SCAN_LIMIT = 5_000
TITLE_BONUS = 0.1
# A fact holding only the broader concept ('usa' for 'washington') matches at this fraction.
BROADER = 0.9


@dataclass(frozen=True, slots=True)
class Hit:
    """One candidate fact: its confidence (0..1) and the score used to rank it."""

    fact: Fact
    confidence: float
    score: float


class FactIndex:
    """Concept postings with idf weights; ranks facts by how much of a question they cover."""

    def __init__(
        self,
        facts: Sequence[Fact],
        lexicon: Lexicon,
        subjects: dict[str, str],
        broader: dict[str, str],
        entities: frozenset[str],
    ) -> None:
        self.facts = list(facts)
        self.lexicon = lexicon
        self.broader = broader
        self.entities = entities
        self.strengths: list[dict[str, float]] = []
        self.titles: list[tuple[str, ...]] = []
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, fact in enumerate(self.facts):
            strengths = self._strengths(fact, subjects.get(fact.id))
            self.strengths.append(strengths)
            self.titles.append(lexicon.analyse(fact.question, repair=False).terms)
            for concept, strength in strengths.items():
                postings[concept].append((i, strength))
        self.postings = dict(postings)
        n = max(len(self.facts), 1)
        # Document frequency counts where a fact really states a concept, not words inside its quotes.
        self.idf = {
            c: math.log(1 + n / max(sum(1 for _, s in p if s >= ANSWER), 1)) for c, p in self.postings.items()
        }
        # A word no fact contains weighs as much as a concept found in a single fact.
        self.unknown_weight = math.log(1 + n)
        self.title_weights = [sum(self.idf.get(t, 0.0) for t in title) or 1.0 for title in self.titles]

    def _strengths(self, fact: Fact, subject: str | None) -> dict[str, float]:
        strengths: dict[str, float] = {}

        def add(texts: Iterable[str], strength: float) -> None:
            for text in texts:
                for term in self.lexicon.analyse(text, repair=False).terms:
                    if strengths.get(term, 0.0) < strength:
                        strengths[term] = strength

        add([c.quote for c in fact.citations], QUOTE)
        add([fact.answer], ANSWER)
        for entity in fact.about:
            strengths[entity] = max(strengths.get(entity, 0.0), ABOUT)
        add(fact.keywords, KEYWORD)
        add([fact.question], TITLE)
        if subject:
            strengths[subject] = SUBJECT
        return strengths

    def _postings(self, term: str) -> dict[int, float]:
        """Facts holding a term, or (a little weaker) its broader concept."""
        found = dict(self.postings[term])
        wide = self.broader.get(term)
        for i, strength in self.postings.get(wide, ()) if wide else ():
            found[i] = max(found.get(i, 0.0), BROADER * strength)
        return found

    def _strength(self, i: int, term: str) -> float:
        """How strongly fact i holds a term, or (a little weaker) its broader concept."""
        strength = self.strengths[i].get(term, 0.0)
        wide = self.broader.get(term)
        return max(strength, BROADER * self.strengths[i].get(wide, 0.0)) if wide else strength

    def _confidences(
        self, analysis: Analysis, matched: dict[int, float], total: float, unknown: int, known: list[str]
    ) -> dict[int, float]:
        """Coverage of the question per candidate, lowered for a wrong intent, entity or unknown words."""
        strong = analysis.intents & STRONG_INTENTS
        unknown_factor = UNKNOWN_PENALTY ** min(unknown, 2)
        named = [t for t in known if t in self.entities]
        confidences = {}
        for i, value in matched.items():
            confidence = value / total * unknown_factor
            intents = self.facts[i].intents
            if strong and intents and not strong.intersection(intents):
                confidence *= INTENT_MISMATCH
            if any(self._strength(i, entity) == 0.0 for entity in named):
                confidence *= ENTITY_MISMATCH
            confidences[i] = confidence
        return confidences

    def weights(self, analysis: Analysis) -> dict[str, float]:
        """Each question term's weight: its idf, or the unknown-word weight."""
        return {t: self.idf.get(t, self.unknown_weight) for t in analysis.terms}

    def search(self, analysis: Analysis, floor: float, limit: int) -> list[Hit]:
        """The best `limit` facts whose confidence reaches `floor`, best first."""
        weights = self.weights(analysis)
        total = sum(weights.values())
        if not total:
            return []
        known = sorted((t for t in weights if t in self.postings), key=weights.__getitem__, reverse=True)
        matched: dict[int, float] = {}
        remaining = sum(weights[t] for t in known)
        for term in known:
            weight = weights[term]
            huge = matched and len(self.postings[term]) > SCAN_LIMIT
            if remaining >= floor * total and not huge:
                for i, strength in self._postings(term).items():
                    matched[i] = matched.get(i, 0.0) + weight * strength
            else:  # max-score pruning (a fact not seen yet can no longer reach the floor), or a very
                # common word once rarer words found candidates: it re-scores them, it adds none
                for i in matched:
                    matched[i] += weight * self._strength(i, term)
            remaining -= weight
        confidences = self._confidences(analysis, matched, total, len(weights) - len(known), known)
        # The title bonus is at most TITLE_BONUS: only facts that close can still make the top `limit`.
        best = heapq.nlargest(limit, confidences.values())
        cutoff = max(floor, best[-1] - TITLE_BONUS) if best else floor
        hits = []
        for i, confidence in confidences.items():
            if confidence < cutoff:
                continue
            title = self.titles[i]
            overlap = sum(self.idf.get(t, 0.0) for t in title if t in weights) / self.title_weights[i]
            hits.append(Hit(self.facts[i], min(confidence, 1.0), confidence + TITLE_BONUS * overlap))
        hits.sort(key=lambda h: (-h.score, h.fact.id))
        return hits[:limit]
