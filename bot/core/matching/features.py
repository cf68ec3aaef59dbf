"""The features of one candidate fact for one question (what the decision model weighs)."""

from __future__ import annotations

from bot.core.matching.index import STRONG_INTENTS, FactIndex, Neighbours
from bot.core.matching.lexicon import Analysis

PERFECT = 0.999  # an example similarity this high means the same concepts, word for word


class FeatureReader:
    """The features of candidate facts for one question; what depends only on the question is read once."""

    def __init__(self, index: FactIndex, analysis: Analysis, near: Neighbours) -> None:
        self.index = index
        self.near = near
        self.asked = analysis.intents & STRONG_INTENTS
        self.named = index.named_subjects(analysis)
        self.entities = [t for t in analysis.terms if t in index.entities]
        self.unknown = near.unknown / near.total if near.total else 1.0
        self.exact = 1.0 if "details" in near.weights else 0.0

    def __call__(self, i: int) -> dict[str, float]:
        """Feature values of fact number `i` as the answer to the question (decision.FEATURES, and the raw
        gap and decline similarities, which only count through their lead over the closest example)."""
        index, near = self.index, self.near
        example = near.examples.get(i, 0.0)
        coverage = min(near.coverage.get(i, 0.0), 1.0)
        gap = near.gaps.get(i, 0.0)
        first, second = near.top_examples
        others = second[1] if first[0] == i else first[1]
        asked, intents = self.asked, index.facts[i].intents
        return {
            "example": example,
            "coverage": coverage,
            "gap": gap,  # not a model input (only its lead is): used for "did you mean"
            "decline": near.decline,
            "margin": example - others,
            "unknown": self.unknown,
            "intent": 0.0 if asked and intents and asked.isdisjoint(intents) else 1.0,
            "entity": 0.0 if self.entities and index.names_missing(i, self.entities) else 1.0,
            "example_coverage": example * coverage,
            "recall": near.recall.get(i, 0.0),
            "precision": near.precision.get(i, 0.0),
            "subject": index.subject_named(i, self.named),
            "negative_lead": max(gap, near.decline) - example,
            "off_topic": near.off_topic,
            "holds": index.holds(i, near.weights, near.total),
            "bayes": near.bayes.get(i, 0.0),
            "exact": self.exact,
            "perfect": 1.0 if example >= PERFECT else 0.0,
        }
