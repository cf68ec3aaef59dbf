"""Scoring the engine on question sets written like ../shared/eval/dev-questions.yaml."""

from __future__ import annotations

from pathlib import Path

from bot.core.engine import Engine
from bot.core.evaluation import Score, load_set


def score_set(engine: Engine, path: Path) -> Score:
    """Ask every question of the set and score the answers as score.py does."""
    score = Score()
    for item in load_set(path):
        answer = engine.ask(item.question)
        score.add(item, answer.fact.answer if answer.answered and answer.fact else None)
    return score
