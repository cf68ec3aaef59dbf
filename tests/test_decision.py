"""The answer / decline decision, on small hand-made models."""

from __future__ import annotations

import pytest

from bot.core.matching.decision import FEATURES, DecisionModel, Logistic, Verdict

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
