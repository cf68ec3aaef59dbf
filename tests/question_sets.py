"""Scoring of question sets written like ../shared/eval/dev-questions.yaml (same matching rules)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.core.engine import Engine


def alternative_matches(alternative: object, text: str) -> bool:
    """Numbers match as whole numbers, words at a word start, case-insensitive."""
    alt = str(alternative)
    escaped = re.escape(alt)
    pattern = rf"(?<![\d.]){escaped}(?![\d])" if re.fullmatch(r"[\d.]+", alt) else rf"(?<!\w){escaped}"
    return re.search(pattern, text, re.I) is not None


def misses(engine: Engine, path: Path) -> tuple[list[str], int]:
    """The items the engine gets wrong, and how many items there are."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    wrong = []
    for item in data["inscope"]:
        answer = engine.ask(item["q"])
        text = answer.fact.answer if answer.fact else ""
        ok = answer.answered and all(any(alternative_matches(a, text) for a in g) for g in item["expect"])
        if not ok:
            wrong.append(f"in  | {item['q']} | {text[:80]}")
    for item in data["outscope"]:
        answer = engine.ask(item["q"])
        if answer.answered:
            wrong.append(f"out | {item['q']} | {answer.fact.id}")
    return wrong, len(data["inscope"]) + len(data["outscope"])
