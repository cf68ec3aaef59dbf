"""The answer / decline decision, on small hand-made models, and the trees its fit grows."""

from __future__ import annotations

import math
import random

import pytest
import yaml

from bot.core.evaluation import Score
from bot.core.loader import _tree
from bot.core.matching.decision import FEATURES, BoostedTrees, DecisionModel, Logistic, Tree, Verdict
from scripts.boosting import Settings, fit_trees
from scripts.fit_decision import _flow, pick

NEUTRAL = {name: 0.0 for name in FEATURES} | {"intent": 1.0, "entity": 1.0, "negative_lead": -0.2}


def _model(margin: float) -> DecisionModel:
    flat = Logistic({}, 0.0)
    return DecisionModel(flat, flat, threshold=0.8, ambiguity_margin=margin)


@pytest.mark.parametrize(
    ("confidence", "best", "runner_up", "example_margin", "margin", "verdict"),
    [
        (0.95, 0.9, 0.1, 0.5, 0.1, Verdict.ANSWER),  # sure, and far ahead
        (0.85, 0.9, 0.85, 0.02, 0.1, Verdict.AMBIGUOUS),  # likely, but another fact is as likely and as close
        (0.85, 0.9, 0.85, 0.02, 0.0, Verdict.ANSWER),  # ...unless the fitted margin is 0
        (0.85, 0.9, 0.85, 0.3, 0.1, Verdict.ANSWER),  # its closest example is much closer than the other's
        (0.95, 0.9, 0.85, 0.02, 0.1, Verdict.ANSWER),  # stage 2 is SURE: stated, however close the other
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
    one = BoostedTrees(0.0, (("margin", 0.0, -1.0, 1.0),))  # a single feature read
    assert one({"margin": -0.1}) == pytest.approx(1 / (1 + math.e))
    assert one({"margin": 0.1}) == pytest.approx(1 / (1 + math.exp(-1)))
    assert BoostedTrees(0.0, ())({}) == 0.5


def _thresholds(tree: Tree) -> list[float]:
    """Every threshold of a tree."""
    return [tree[1], *_thresholds(tree[2]), *_thresholds(tree[3])] if isinstance(tree, tuple) else []


def _fit_and_reload(rows: list[tuple[float, float]], labels: list[int], settings: Settings) -> BoostedTrees:
    """Fit trees on (coverage, margin) rows; check they load back from their YAML to the same predictions."""
    fitted = fit_trees(["coverage", "margin"], rows, labels, settings)
    loaded = BoostedTrees(fitted.base, tuple(_tree(yaml.safe_load(_flow(tree))) for tree in fitted.trees))
    for a, b in rows:
        features = {"coverage": a, "margin": b}
        assert loaded(features) == pytest.approx(fitted(features), abs=1e-4)
    return fitted


def test_the_fitted_trees_learn_an_interaction() -> None:
    """Either feature alone says nothing (a logistic regression stays at 50%); the two together decide."""
    grid = [(a / 20, b / 20) for a in range(20) for b in range(20)]
    labels = [int((a > 0.5) != (b > 0.5)) for a, b in grid]
    fitted = _fit_and_reload(grid, labels, Settings(trees=40, depth=2, rate=0.3, min_leaf=5))
    said = [fitted({"coverage": a, "margin": b}) >= 0.5 for a, b in grid]
    assert sum(yes == bool(y) for yes, y in zip(said, labels, strict=True)) / len(grid) >= 0.95


def test_rounding_noise_and_many_values_survive_decision_yaml() -> None:
    """Shares computed as 0.9999999999999998 are 1 to the fit, and no threshold sits on a row's value, so
    the written model routes every row as the fitted one did."""
    rng = random.Random(7)
    rows = [(rng.choice([rng.random(), 1.0, 1 - 2**-52]), rng.random()) for _ in range(600)]
    labels = [int(a > 0.99 or (b > 0.3 and rng.random() < 0.8)) for a, b in rows]
    fitted = _fit_and_reload(rows, labels, Settings(trees=30, depth=3, rate=0.2, min_leaf=10))
    thresholds = {t for tree in fitted.trees for t in _thresholds(tree)}
    assert thresholds and not thresholds & ({a for a, _ in rows} | {b for _, b in rows})
    assert all(not 0.999999 < t < 1.0 for t in thresholds)  # nothing splits 1 from 1 - 2**-52


def _score(right: int, wrong: int, total: int = 1000) -> Score:
    """A pooled held-out score: `right` of `total`, `wrong` of the answers wrong."""
    return Score(total=total, right=right, answered=right + wrong, wrong=wrong)


def test_the_fit_picks_the_most_right_answers_at_the_precision_target() -> None:
    grid = {(0.6, 0.0): _score(950, 30), (0.7, 0.0): _score(930, 15), (0.8, 0.0): _score(900, 10)}
    assert pick(grid) == (0.7, 0.0)  # 0.6 answers more but below 98% precision


def test_the_fit_asks_back_least_among_settings_as_good_within_noise() -> None:
    grid = {(0.7, 0.1): _score(930, 15), (0.75, 0.06): _score(929, 15), (0.8, 0.0): _score(900, 10)}
    assert pick(grid) == (0.75, 0.06)  # one right answer fewer in 1,000 is noise; it asks back less
    grid[0.75, 0.06] = _score(920, 15)
    assert pick(grid) == (0.7, 0.1)  # ten fewer is not
