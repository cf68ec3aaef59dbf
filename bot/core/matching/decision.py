"""The answer / decline decision: two small models over match features, fitted offline.

Stage 1 (`ranking`, a logistic regression) gives each candidate fact P(it answers the question) and orders
them. Stage 2 (`answer`, boosted decision trees) decides about the best one: P(its answer is right), from
the same features plus stage 1's probability and its lead over the runner-up. `scripts/fit_decision.py`
fits both on the question sets in `tests/data/` and writes them to `knowledge/decision.yaml`; the engine
only evaluates them.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

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
# Stage 2 this sure of the best fact: it is stated, however close the runner-up (asking back costs a click).
SURE = 0.9


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
    _pick: Callable[[Mapping[str, float]], tuple[float, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Fix the order of the sum: that of `weights`."""
        object.__setattr__(self, "_terms", tuple(self.weights.values()))
        object.__setattr__(self, "_pick", _picker(tuple(self.weights)))

    def __call__(self, features: Mapping[str, float]) -> float:
        return logistic(self.bias + sum(map(operator.mul, self._terms, self._pick(features))))


def logistic(z: float) -> float:
    """1 / (1 + e^-z), with z clipped so that it never overflows."""
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def _picker(names: tuple[str, ...]) -> Callable[[Mapping[str, float]], tuple[float, ...]]:
    """What reads the values of `names` from a features mapping in one call, as a tuple (one value more at
    the end, so that itemgetter returns a tuple even for one name; nothing for no names)."""
    return operator.itemgetter(*names, names[0]) if names else lambda _: ()


# A decision tree: a leaf value, or (feature, threshold, tree when feature <= threshold, tree above it).
Tree: TypeAlias = "float | tuple[str, float, Tree, Tree]"


@dataclass(frozen=True, slots=True)
class BoostedTrees:
    """P = logistic(base + the sum of each tree's leaf for the features): gradient-boosted trees."""

    base: float
    trees: tuple[Tree, ...]
    # The trees with each feature name replaced by its position in `_pick`'s tuple (see __post_init__).
    _walk: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    _pick: Callable[[Mapping[str, float]], tuple[float, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Read the features the trees split on into one tuple per call, and index into it."""
        names = sorted({name for tree in self.trees for name in _features_of(tree)})
        slot = {name: k for k, name in enumerate(names)}

        def indexed(tree: Tree) -> Any:
            if isinstance(tree, tuple):
                name, threshold, low, high = tree
                return (slot[name], threshold, indexed(low), indexed(high))
            return tree

        object.__setattr__(self, "_walk", tuple(indexed(tree) for tree in self.trees))
        object.__setattr__(self, "_pick", _picker(tuple(names)))

    def __call__(self, features: Mapping[str, float]) -> float:
        values = self._pick(features)
        z = self.base
        for node in self._walk:
            while node.__class__ is tuple:
                slot, threshold, low, high = node
                node = low if values[slot] <= threshold else high
            z += node
        return logistic(z)


def _features_of(tree: Tree) -> set[str]:
    """The feature names a tree splits on."""
    if isinstance(tree, tuple):
        return {tree[0]} | _features_of(tree[2]) | _features_of(tree[3])
    return set()


@dataclass(frozen=True, slots=True)
class DecisionModel:
    """Both stages, the answer threshold, and how close two facts must be to ask which."""

    ranking: Logistic
    answer: Logistic | BoostedTrees
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
        """Answer when the best fact is likely right and clearly ahead, or when stage 2 is SURE of it; ask
        which one was meant when another fact is about as likely and its closest example about as close, or
        when neither is sure enough alone but the two together are."""
        if features["negative_lead"] >= NEGATIVE_LEAD_LIMIT or not features["intent"]:
            return Verdict.DECLINE
        two = runner_up >= AMBIGUITY_FLOOR * best
        if confidence >= threshold:
            close = best - runner_up < self.ambiguity_margin and features["margin"] < self.ambiguity_margin
            return Verdict.AMBIGUOUS if two and close and confidence < SURE else Verdict.ANSWER
        return Verdict.AMBIGUOUS if two and best + runner_up >= threshold else Verdict.DECLINE
