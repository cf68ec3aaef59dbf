"""A multinomial logistic regression from a question's terms to the fact it asks for, or to 'decline'.

It is fitted offline by `scripts/fit_decision.py` on every example, gap and decline question in the fact
base and on the labelled question sets in `tests/data/`, and stored in `knowledge/classifier.txt`. Where
the nearest-neighbour features see one example at a time, it weighs every word against every fact at once,
so it learns which words make a question one the articles do not answer ('before', 'cook', 'India').
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DECLINE = "decline"  # the class of questions the articles do not answer
BIAS = "<bias>"  # the row of per-class constants in classifier.txt


@dataclass(frozen=True, slots=True)
class TermClassifier:
    """P(class | terms) = softmax(bias + the sum of each known term's weights), over facts and DECLINE."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]]

    def probabilities(self, terms: Iterable[str]) -> list[float]:
        """One probability per class, in the order of `classes`; terms it never saw count for nothing."""
        scores = list(self.bias)
        weights = self.weights
        for term in terms:
            row = weights.get(term)
            if row is not None:
                scores = [s + w for s, w in zip(scores, row, strict=True)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]


@dataclass(frozen=True, slots=True)
class Votes:
    """The classifier's verdict on one question: P(fact) by fact number, and P(the articles do not say)."""

    facts: Mapping[int, float]
    decline: float


class Voter:
    """Applies a classifier to the facts of one fact base (a fact it was not fitted with has no vote)."""

    def __init__(self, classifier: TermClassifier | None, fact_ids: Sequence[str]) -> None:
        self.classifier = classifier
        classes = {c: k for k, c in enumerate(classifier.classes)} if classifier else {}
        self._known = [(i, classes[f]) for i, f in enumerate(fact_ids) if f in classes]
        self.unfitted = tuple(f for f in fact_ids if f not in classes)  # facts added since the fit
        self.stale = tuple(sorted(set(classes) - set(fact_ids) - {DECLINE}))  # facts removed since
        self._decline = classes.get(DECLINE)
        # Facts fitted since removed take their share with them: probabilities are renormalised over the rest.
        self._kept = [k for _, k in self._known] + ([self._decline] if self._decline is not None else [])

    def votes(self, terms: Iterable[str]) -> Votes:
        """The classifier's probabilities for the facts it knows, and for DECLINE (0 without a classifier)."""
        if self.classifier is None:
            return Votes({}, 0.0)
        p = self.classifier.probabilities(terms)
        total = sum(p[k] for k in self._kept) or 1.0
        decline = p[self._decline] / total if self._decline is not None else 0.0
        return Votes({i: p[k] / total for i, k in self._known}, decline)
