"""The answer / decline decision, on small hand-made models, and the trees its fit grows."""

from __future__ import annotations

import math

import pytest
import yaml

from bot.core.loader import TREE_DEPTH, _tree
from bot.core.matching.decision import FEATURES, BoostedTrees, DecisionModel, Logistic, Verdict
from scripts.boosting import Settings, fit_trees
from scripts.fit_decision import _flow

NEUTRAL = {name: 0.0 for name in FEATURES} | {"intent": 1.0, "entity": 1.0, "negative_lead": -0.2}


def _model(margin: float) -> DecisionModel:
    flat = Logistic({}, 0.0)
    return DecisionModel(flat, flat, threshold=0.8, ambiguity_margin=margin)


@pytest.mark.parametrize(
    ("confidence", "best", "runner_up", "example_margin", "margin", "verdict"),
    [
        (0.95, 0.9, 0.1, 0.5, 0.1, Verdict.ANSWER),  # sure, and far ahead
        (0.95, 0.9, 0.85, 0.02, 0.1, Verdict.AMBIGUOUS),  # sure, but another fact is as likely and as close
        (0.95, 0.9, 0.85, 0.02, 0.0, Verdict.ANSWER),  # ...unless the fitted margin is 0
        (0.95, 0.9, 0.85, 0.3, 0.1, Verdict.ANSWER),  # its closest example is much closer than the other's
        (0.5, 0.5, 0.45, 0.0, 0.0, Verdict.AMBIGUOUS),  # neither sure alone, the two together are
        (0.5, 0.5, 0.1, 0.4, 0.0, Verdict.DECLINE),  # not sure, and no second candidate
        (0.3, 0.3, 0.2, 0.1, 0.1, Verdict.DECLINE),  # two candidates, but not likely even together
    ],
)
def test_the_verdict(
    confidence: float, best: float, runner_up: float, example_margin: float, margin: float, verdict: Verdict
) -> None:
    features = NEUTRAL | {"margin": example_margin}
    assert _model(margin).verdict(confidence, best, runner_up, features, 0.8) is verdict


@pytest.mark.parametrize("rule", [{"intent": 0.0}, {"negative_lead": 0.3}])
def test_a_fact_that_cannot_answer_or_a_closer_decline_question_wins(rule: dict[str, float]) -> None:
    assert _model(0.1).verdict(0.99, 0.99, 0.0, NEUTRAL | rule, 0.8) is Verdict.DECLINE


def test_boosted_trees_add_one_leaf_per_tree_to_the_base() -> None:
    trees = BoostedTrees(-0.5, (("coverage", 0.5, -1.0, ("margin", 0.0, 0.5, 2.0)), 0.25))
    # A value equal to the threshold goes to the low side.
    assert trees({"coverage": 0.5, "margin": 9.0}) == pytest.approx(1 / (1 + math.exp(0.5 + 1.0 - 0.25)))
    assert trees({"coverage": 0.9, "margin": 0.0}) == pytest.approx(1 / (1 + math.exp(0.5 - 0.5 - 0.25)))
    assert trees({"coverage": 0.9, "margin": 0.1}) == pytest.approx(1 / (1 + math.exp(0.5 - 2.0 - 0.25)))
    assert BoostedTrees(0.0, ())({}) == 0.5


def test_the_fitted_trees_learn_an_interaction_and_survive_decision_yaml() -> None:
    """Either feature alone says nothing (a logistic regression stays at 50%); the two together decide.
    The trees as fit_decision.py writes them load back (loader) to the same predictions."""
    grid = [(a / 20, b / 20) for a in range(20) for b in range(20)]
    labels = [int((a > 0.5) != (b > 0.5)) for a, b in grid]
    settings = Settings(trees=40, depth=2, rate=0.3, min_leaf=5)
    fitted = fit_trees(["coverage", "margin"], grid, labels, settings)
    said = [fitted({"coverage": a, "margin": b}) >= 0.5 for a, b in grid]
    right = sum(yes == bool(y) for yes, y in zip(said, labels, strict=True))
    assert right / len(grid) >= 0.95
    loaded = BoostedTrees(
        fitted.base, tuple(_tree(yaml.safe_load(_flow(tree)), TREE_DEPTH) for tree in fitted.trees)
    )
    for a, b in grid:
        features = {"coverage": a, "margin": b}
        assert loaded(features) == pytest.approx(fitted(features), abs=1e-3)
