"""Question sets written like ../shared/eval/dev-questions.yaml, and how answers to them are scored."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class Item:
    """One question: in scope with the groups its answer must contain, or one to decline."""

    question: str
    expect: tuple[tuple[str, ...], ...] = ()

    @property
    def in_scope(self) -> bool:
        """True when the question should be answered."""
        return bool(self.expect)


def load_set(path: Path) -> list[Item]:
    """The items of a question-set file, in-scope ones first."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [Item(str(i["q"]), tuple(tuple(str(a) for a in g) for g in i["expect"])) for i in data["inscope"]]
    return items + [Item(str(i["q"])) for i in data["outscope"]]


def alternative_matches(alternative: str, text: str) -> bool:
    """Numbers match as whole numbers, words at a word start, case-insensitive (as score.py does)."""
    escaped = re.escape(alternative)
    if re.fullmatch(r"[\d.]+", alternative):
        pattern = rf"(?<![\d.]){escaped}(?![\d])"
    elif not alternative.isascii():
        pattern = escaped
    else:
        pattern = rf"(?<!\w){escaped}"
    return re.search(pattern, text, re.I) is not None


def answer_is_right(item: Item, answer_text: str) -> bool:
    """True when an answer's text holds every group an in-scope item expects."""
    return item.in_scope and all(any(alternative_matches(a, answer_text) for a in g) for g in item.expect)


@dataclass(slots=True)
class Score:
    """Counts over one question set: right, wrong answers, false declines."""

    total: int = 0
    right: int = 0
    answered: int = 0
    wrong: int = 0
    false_declines: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, item: Item, answer_text: str | None) -> None:
        """Count one outcome: `answer_text` is the stated answer, None for any kind of decline."""
        self.total += 1
        if answer_text is None:
            ok = not item.in_scope
            self.false_declines += item.in_scope
        else:
            self.answered += 1
            ok = answer_is_right(item, answer_text)
            self.wrong += not ok
        self.right += ok
        if not ok:
            shown = (answer_text or "(declined)")[:80].replace("\n", " ")
            self.misses.append(f"{'in ' if item.in_scope else 'out'} | {item.question} | {shown}")

    @property
    def accuracy(self) -> float:
        """Share of items handled right."""
        return self.right / self.total if self.total else 0.0

    @property
    def precision(self) -> float:
        """Share of answers that were right."""
        return (self.answered - self.wrong) / self.answered if self.answered else 1.0

    def line(self, name: str) -> str:
        """'name  accuracy  precision  wrong  false declines' for reports."""
        return (
            f"{name:<16} {self.total:>4}  accuracy {self.accuracy:6.1%}  precision {self.precision:6.1%}  "
            f"wrong {self.wrong:>3}  false declines {self.false_declines:>3}"
        )


def score_answers(items: Iterable[Item], answers: Iterable[str | None]) -> Score:
    """Score stated answers (None: declined) against their items."""
    score = Score()
    for item, text in zip(items, answers, strict=True):
        score.add(item, text)
    return score
