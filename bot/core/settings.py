"""Settings the core needs (the engine's), with their defaults; `bot.config` reads them from config.yaml."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineSettings:
    """How sure the matcher must be, and how much it reads."""

    # P(right) an answer needs; None: the threshold fitted with the decision model (knowledge/decision.yaml).
    answer_threshold: float | None = None
    # How close (0..1) a near miss must be to be offered as "did you mean".
    suggestion_threshold: float = 0.35
    max_suggestions: int = 3
    max_question_chars: int = 500
