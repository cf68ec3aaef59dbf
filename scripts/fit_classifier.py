"""Fit the term classifier (bot/core/matching/classifier.py) and write knowledge/classifier.txt.

Used by scripts/fit_decision.py, which fits it once per question set (for features the decision model
can be fitted on honestly) and once on everything (the one the bot ships with). Multinomial logistic
regression over a question's terms, one class per fact plus DECLINE, trained by AdaGrad with a little L2:
plain Python, deterministic (a seeded shuffle), about ten seconds on this fact base.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.core.engine import Engine, Reading
from bot.core.evaluation import Item, answer_is_right
from bot.core.matching.classifier import BIAS, DECLINE, TermClassifier
from bot.core.matching.index import DocKind

EPOCHS = 12
RATE = 0.5
L2 = 1e-4
SEED = 0
DIGITS = 4  # weights are written rounded to this many decimals; smaller ones are left out

Row = tuple[tuple[str, ...], int]


def classes_of(engine: Engine) -> tuple[str, ...]:
    """The classes: every fact id, then DECLINE."""
    return (*(f.id for f in engine.index.facts), DECLINE)


def index_rows(engine: Engine) -> list[Row]:
    """Every example question labelled with its fact; every gap and decline question with DECLINE."""
    decline = len(engine.index.facts)
    return [
        (tuple(sorted(doc.terms)), doc.owner if doc.kind is DocKind.EXAMPLE else decline)
        for doc in engine.index.docs
    ]


def labelled_rows(engine: Engine, pairs: Iterable[tuple[Item, Reading]]) -> list[Row]:
    """A set's questions: in scope, labelled with each fact whose answer is right; else with DECLINE."""
    facts = engine.index.facts
    rows: list[Row] = []
    for item, reading in pairs:
        if reading.neighbours is None:
            continue  # answered by a rule (small talk, not a question...): the classifier never sees it
        terms = tuple(sorted(reading.neighbours.weights))
        if item.in_scope:
            rows += [(terms, i) for i, fact in enumerate(facts) if answer_is_right(item, fact.answer)]
        else:
            rows.append((terms, len(facts)))
    return rows


def train(rows: Sequence[Row], classes: tuple[str, ...]) -> TermClassifier:
    """Softmax regression by AdaGrad over the rows (terms, class number)."""
    n = len(classes)
    weights: dict[str, list[float]] = {}
    squares: dict[str, list[float]] = {}
    order = list(rows)
    rng = random.Random(SEED)
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for terms, label in order:
            features = (BIAS, *terms)
            scores = [0.0] * n
            for term in features:
                if term not in weights:
                    weights[term], squares[term] = [0.0] * n, [1e-8] * n
                scores = [s + w for s, w in zip(scores, weights[term], strict=True)]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            error = [e / total for e in exps]
            error[label] -= 1.0
            for term in features:
                w, g = weights[term], squares[term]
                for c in range(n):
                    step = error[c] + L2 * w[c]
                    g[c] += step * step
                    w[c] -= RATE * step / math.sqrt(g[c])
    bias = tuple(weights.pop(BIAS))
    return TermClassifier(classes, bias, {t: tuple(w) for t, w in weights.items()})


def write(classifier: TermClassifier, path: Path) -> None:
    """classifier.txt: a comment header, the classes, the bias, then one line per term that matters."""
    limit = 0.5 * 10**-DIGITS
    lines = [
        "# The term classifier (bot/core/matching/classifier.py): one line per question term, one weight per",
        "# class, tab-separated. Written by scripts/fit_decision.py --write; do not edit by hand.",
        "\t".join(("classes", *classifier.classes)),
    ]
    for term, row in (BIAS, classifier.bias), *sorted(classifier.weights.items()):
        if term == BIAS or any(abs(w) >= limit for w in row):
            lines.append("\t".join((term, *(f"{w:.{DIGITS}f}" for w in row))))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
