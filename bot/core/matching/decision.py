"""The answer / decline decision: two small logistic models over match features, fitted offline.

Stage 1 (`ranking`) gives each candidate fact P(it answers the question) and orders them. Stage 2
(`answer`) decides about the best one: P(its answer is right), from the same features plus stage 1's
probability and its lead over the runner-up. `scripts/fit_decision.py` fits both on the question sets in
`tests/data/` and writes them to `knowledge/decision.yaml`; the engine only evaluates them.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# The features, in the order the fit script and decision.yaml list them.
FEATURES = (
    "example",  # similarity to the fact's closest example question
    "coverage",  # share of the question's weight the fact's body holds
    "margin",  # example similarity minus the best example similarity of any other fact
    "unknown",  # share of the question's weight in words nothing in the fact base holds
    "intent",  # 1 when the fact can answer the kind of question (who, when, how long...), else 0
    "entity",  # 1 unless the question names a person or third country the fact never mentions
    "example_coverage",  # example x coverage: both ways of matching agree
    "recall",  # share of the question's weight the closest example holds
    "precision",  # share of the closest example's weight the question holds
    "subject",  # a fact about a person: 1 if the question names them, 0 if it names someone else; else 0.5
    "negative_lead",  # how much closer a gap or decline question is than the closest example (kNN vote)
    "off_topic",  # share of the question's weight in words no fact holds (only decline questions, or none)
    "holds",  # share of the question's weight the fact holds anywhere (its body or any example)
    "bayes",  # naive Bayes P(this fact | the question's words) over all examples, gaps and declines
    "exact",  # 1 when the question insists on a detail ('exactly', 'which exact day', 'specifically')
    "perfect",  # 1 when an example of the fact reads exactly as the question (all its concepts, no others)
)


# A runner-up is a real alternative (worth asking about) from this share of the best stage-1 probability.
AMBIGUITY_FLOOR = 0.5
# Rules over the model, as in k-nearest-neighbours: a gap or decline question this much closer than the
# fact's closest example means the question is one the articles do not answer; and a fact that cannot
# answer the kind of question asked (who, when, how long, how much...) is never stated.
NEGATIVE_LEAD_LIMIT = 0.1


class Verdict(StrEnum):
    """What to do with the best candidate."""

    ANSWER = "answer"
    DECLINE = "decline"
    AMBIGUOUS = "ambiguous"


# Stage 2 also weighs stage 1's verdict on the best candidate.
ANSWER_FEATURES = (*FEATURES, "rank_probability", "rank_lead")


@dataclass(frozen=True, slots=True)
class Logistic:
    """P = logistic(bias + sum of weight x feature)."""

    weights: Mapping[str, float]
    bias: float
    # The weights in order, and what picks the features in that order in one call (see __post_init__).
    _terms: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _pick: Callable[[Mapping[str, float]], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Fix the order of the sum: that of `weights`."""
        names = tuple(self.weights)
        object.__setattr__(self, "_terms", tuple(self.weights.values()))
        # One name more than needed, so that itemgetter returns a tuple even for one name (map stops at the
        # last weight); with no weights nothing is picked.
        object.__setattr__(self, "_pick", operator.itemgetter(*names, names[0]) if names else tuple)

    def __call__(self, features: Mapping[str, float]) -> float:
        z = self.bias + sum(map(operator.mul, self._terms, self._pick(features)))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


@dataclass(frozen=True, slots=True)
class DecisionModel:
    """Both stages, the answer threshold, and how close two facts must be to ask which."""

    ranking: Logistic
    answer: Logistic
    threshold: float
    ambiguity_margin: float

    def probability(self, features: Mapping[str, float]) -> float:
        """Stage 1: P(this candidate fact answers the question)."""
        return self.ranking(features)

    def answer_probability(self, features: Mapping[str, float], best: float, runner_up: float) -> float:
        """Stage 2: P(the best candidate's answer is right)."""
        return self.answer({**features, "rank_probability": best, "rank_lead": best - runner_up})

    def verdict(
        self,
        confidence: float,
        best: float,
        runner_up: float,
        features: Mapping[str, float],
        threshold: float,
    ) -> Verdict:
        """Answer when the best fact is likely right and clearly ahead; ask which one was meant when another
        fact is about as likely and its closest example about as close, or when neither is sure enough
        alone but the two together are."""
        if features["negative_lead"] >= NEGATIVE_LEAD_LIMIT or not features["intent"]:
            return Verdict.DECLINE
        two = runner_up >= AMBIGUITY_FLOOR * best
        if confidence >= threshold:
            close = best - runner_up < self.ambiguity_margin and features["margin"] < self.ambiguity_margin
            return Verdict.AMBIGUOUS if two and close else Verdict.ANSWER
        return Verdict.AMBIGUOUS if two and best + runner_up >= threshold else Verdict.DECLINE
