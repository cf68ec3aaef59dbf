"""The features of one candidate fact for one question (what the decision model weighs)."""

from __future__ import annotations

from bot.core.matching.index import STRONG_INTENTS, FactIndex, Neighbours
from bot.core.matching.lexicon import Analysis

PERFECT = 0.999  # an example similarity this high means the same concepts, word for word


def candidate_features(index: FactIndex, analysis: Analysis, near: Neighbours, i: int) -> dict[str, float]:
    """Feature values of fact number `i` as the answer to the question (decision.FEATURES, and the raw gap
    and decline similarities, which only count through their lead over the closest example)."""
    example = near.examples.get(i, 0.0)
    coverage = min(near.coverage.get(i, 0.0), 1.0)
    first, second = near.top_examples
    others = second[1] if first[0] == i else first[1]
    asked = analysis.intents & STRONG_INTENTS
    intents = index.facts[i].intents
    return {
        "example": example,
        "coverage": coverage,
        "gap": near.gaps.get(i, 0.0),  # not a model input (only its lead is): used for "did you mean"
        "decline": near.decline,
        "margin": example - others,
        "unknown": near.unknown / near.total if near.total else 1.0,
        "intent": 0.0 if asked and intents and not asked & set(intents) else 1.0,
        "entity": 0.0 if index.names_missing(i, analysis) else 1.0,
        "example_coverage": example * coverage,
        "recall": near.recall.get(i, 0.0),
        "precision": near.precision.get(i, 0.0),
        "subject": index.subject_named(i, analysis),
        "negative_lead": max(near.gaps.get(i, 0.0), near.decline) - example,
        "off_topic": near.off_topic,
        "holds": index.holds(i, near.weights, near.total),
        "bayes": near.bayes.get(i, 0.0),
        "exact": 1.0 if "details" in near.weights else 0.0,
        "perfect": 1.0 if example >= PERFECT else 0.0,
    }
