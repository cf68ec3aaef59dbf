"""Score a news item against the fact base's names and vocabulary, and say why it matched."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.model import KnowledgeBase
from bot.core.updates.dedupe import normalise_title

# How much one matched concept adds; concepts combine as 1 - prod(1 - weight). Names of people in the
# talks weigh most; synonym groups that describe the tariff records themselves (tariff, Japan, autos,
# reciprocal, paused...) weigh more than the rest of the vocabulary, which is mostly question phrasing.
PARTICIPANT_WEIGHT = 0.4
TARIFF_TERM_WEIGHT = 0.3
VOCABULARY_WEIGHT = 0.15


@dataclass(frozen=True, slots=True)
class Relevance:
    """A score in 0..1 and the terms that produced it."""

    score: float
    matched: tuple[str, ...]

    def why(self) -> str:
        """'matched: Akazawa, tariff'."""
        return "matched: " + ", ".join(self.matched) if self.matched else "no match"


@dataclass(frozen=True, slots=True)
class _Concept:
    label: str
    weight: float
    patterns: tuple[str, ...]


class RelevanceIndex:
    """The fact base's participants, synonym groups and tariff countries, as whole-word phrases."""

    def __init__(self, kb: KnowledgeBase) -> None:
        noise = kb.vocabulary.stopwords | kb.vocabulary.generic
        concepts: list[_Concept] = []
        for person in kb.participants.values():
            names = _phrases((person.name, *person.aliases), noise)
            concepts.append(_Concept(person.name, PARTICIPANT_WEIGHT, names))
        records = " " + " ".join(normalise_title(t.summary()) for t in kb.tariffs) + " "
        covered: set[str] = set()
        for name, words in kb.vocabulary.synonyms.items():
            phrases = _phrases((name, *words), noise)
            core = any(f" {p} " in records for p in phrases)
            concepts.append(_Concept(name, TARIFF_TERM_WEIGHT if core else VOCABULARY_WEIGHT, phrases))
            covered.update(phrases)
        for place in sorted({t.country for t in kb.tariffs}):
            phrases = tuple(p for p in _phrases((place,), noise) if p not in covered)
            concepts.append(_Concept(place, TARIFF_TERM_WEIGHT, phrases))
        self.concepts = [c for c in concepts if c.patterns]
        self._regex = [
            (c, re.compile(r"\b(?:" + "|".join(map(re.escape, c.patterns)) + r")\b")) for c in self.concepts
        ]

    def score(self, title: str, summary: str = "") -> Relevance:
        """Score title + summary; each concept counts once."""
        text = f" {normalise_title(title)} {normalise_title(summary)} "
        matched: list[str] = []
        remaining = 1.0
        for concept, regex in self._regex:
            if regex.search(text):
                matched.append(concept.label)
                remaining *= 1 - concept.weight
        return Relevance(round(1 - remaining, 4), tuple(matched))


def _phrases(words: tuple[str, ...], noise: frozenset[str]) -> tuple[str, ...]:
    out = []
    for word in words:
        phrase = normalise_title(word)
        if phrase and phrase not in noise and len(phrase) >= 3:
            out.append(phrase)
    return tuple(sorted(set(out), key=len, reverse=True))
