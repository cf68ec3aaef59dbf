"""Write knowledge/asked.yaml: the questions of the labelled sets in tests/data, as data the engine matches.

    python scripts/import_asked.py            # print what would be written
    python scripts/import_asked.py --write    # write knowledge/asked.yaml

Each set was written blind, by someone who saw only the articles: the way real people ask. Its in-scope
questions become more examples of the fact that answers them, its questions to decline more decline
questions, so that the next person who asks the same way is matched. A question's fact is the one the
curated data (without any asked questions) holds closest among those whose answer holds everything the
set expects (preferring those that hold more than a loose alternative: 'May' beside 'mid-May'), or else
the only fact that does. Questions to decline that the horizon rule catches, or whose
closest curated question is one about later events, go to `later`. Neither depends on the fitted
decision, so refitting does not change this file.

Skipped: questions the curated data already holds; questions a rule answers before any matching (small
talk, no question, opinions; in scope, a plan read as a later event), except later events to decline;
questions whose fact cannot be told; and any that would read (to the matcher) exactly like a question
owned otherwise.

Run it after adding a set to tests/data, then refit the decision (scripts/fit_decision.py --write): the
fit reads each set with an engine that leaves that set's asked questions out, so its figures stay held out.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answer import Kind  # noqa: E402
from bot.core.engine import Engine, Reading  # noqa: E402
from bot.core.evaluation import Item, alternative_matches, answer_is_right, load_set  # noqa: E402
from bot.core.loader import load_knowledge  # noqa: E402
from bot.core.model import Fact, KnowledgeBase  # noqa: E402
from bot.core.text import normalise_question  # noqa: E402

DATA = ROOT / "tests" / "data"
TARGET = ROOT / "knowledge" / "asked.yaml"
HEADER = """\
# Questions people asked: the labelled question sets of tests/data, each written blind from the two
# articles. An in-scope question is one more example of the fact that answers it; a question to decline is
# one more decline question ('later': about events after the newest source). Written by
# scripts/import_asked.py; do not edit by hand: change the set in tests/data and run it again.
"""


@dataclass
class Imported:
    """One set's questions, sorted out."""

    answers: dict[str, list[str]] = field(default_factory=dict)
    declines: list[str] = field(default_factory=list)
    later: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


class Importer:
    """Labels questions with the curated engine and keeps only those the matcher can tell apart."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.facts = list(kb.facts.values())
        self.engine = Engine(kb.leaving_out({a.id for a in kb.asked}))
        index = self.engine.index
        self.seen = set(index.exact)  # normalised already
        self.owner: dict[frozenset[str], str] = {}  # what an answered question reads as -> its fact
        self.negative: set[frozenset[str]] = set()  # what a question to decline reads as
        for fact in self.facts:
            for question in (fact.question, *fact.examples):
                self.owner.setdefault(index.question_terms(question), fact.id)
            self.negative.update(index.question_terms(q) for q in fact.gaps)
        self.negative.update(index.question_terms(q) for g in index.declines for q in g.examples)

    def label(self, item: Item, reading: Reading) -> Fact | None:
        """The fact that answers an in-scope question, or None when it cannot be told. A fact that holds
        only a loose alternative of what is expected ('May', written beside 'mid-May') is no label when
        another holds a strict one."""
        right = [f for f in self.facts if answer_is_right(item, f.answer)]
        groups = _strict_alternatives(item)
        strict = [f for f in right if all(any(alternative_matches(a, f.answer) for a in g) for g in groups)]
        strict = strict or right
        ranked = [fact for fact, _ in reading.features]  # by closeness alone, so that a refit changes nothing
        return next((f for f in ranked if f in strict), strict[0] if len(strict) == 1 else None)

    def add(self, item: Item, into: Imported) -> None:
        """Sort one question into the set's answers, declines or later questions, or skip it. The question
        is kept as the engine reads it (cleaned, without a leading 'Q4)')."""
        question = self.engine.prepare(item.question)
        key = normalise_question(question)
        terms = self.engine.index.question_terms(question)
        if not key or key in self.seen:
            into.skipped["already held"] += 1
            return
        if not terms:
            into.skipped["no word the matcher uses"] += 1
            return
        reading = self.engine.read(question)
        later = (
            reading.answer.kind is Kind.HORIZON
            if reading.answer is not None
            else reading.neighbours is not None and self.engine.later_neighbour(reading.neighbours)
        )
        if reading.answer is not None and (item.in_scope or not later):
            into.skipped["answered by a rule"] += 1
            return
        if item.in_scope:
            fact = self.label(item, reading)
            if fact is None:
                into.skipped["fact cannot be told"] += 1
                return
            if terms in self.negative or self.owner.setdefault(terms, fact.id) != fact.id:
                into.skipped["reads like another question"] += 1
                return
            into.answers.setdefault(fact.id, []).append(question)
        else:
            if terms in self.owner:
                into.skipped["reads like an example"] += 1
                return
            self.negative.add(terms)
            (into.later if later else into.declines).append(question)
        self.seen.add(key)


def _strict_alternatives(item: Item) -> list[list[str]]:
    """Per group expected, the alternatives that are no separate words of another one of the group (not
    'May' where the group also has 'mid-May'; 'intensive' beside 'intensively' stays)."""
    return [[a for a in group if not _loose(a, group)] for group in item.expect]


def _loose(alternative: str, group: tuple[str, ...]) -> bool:
    """True when the alternative is whole words of a longer one in its group ('May' of 'mid-May')."""
    word = re.compile(rf"(?<!\w){re.escape(alternative)}(?!\w)", re.I)
    return any(b.lower() != alternative.lower() and word.search(b) for b in group)


def render(imported: dict[str, Imported]) -> str:
    """The YAML text of knowledge/asked.yaml."""
    entries = []
    for name, sets in imported.items():
        entry: dict[str, object] = {"id": name}
        if sets.answers:
            entry["answers"] = dict(sorted(sets.answers.items()))
        if sets.declines:
            entry["declines"] = sets.declines
        if sets.later:
            entry["later"] = sets.later
        entries.append(entry)
    body = yaml.safe_dump({"asked": entries}, allow_unicode=True, sort_keys=False, width=110)
    return HEADER + body


def import_sets(kb: KnowledgeBase, paths: list[Path]) -> dict[str, Imported]:
    """Every set's questions, sorted out, in the order of `paths`."""
    importer = Importer(kb)
    imported = {}
    for path in paths:
        imported[path.stem] = sets = Imported()
        for item in load_set(path):
            importer.add(item, sets)
    return imported


def main() -> None:
    """Import the sets; print what each gave; optionally write the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {TARGET.relative_to(ROOT)}")
    args = parser.parse_args()
    imported = import_sets(load_knowledge(ROOT / "knowledge"), sorted(DATA.glob("*.yaml")))
    for name, sets in imported.items():
        answered = sum(len(q) for q in sets.answers.values())
        skipped = ", ".join(f"{n} {why}" for why, n in sets.skipped.most_common()) or "none"
        print(
            f"{name:<12} answered {answered:>4}  declines {len(sets.declines):>3}  "
            f"later {len(sets.later):>3}  skipped: {skipped}"
        )
    if args.write:
        TARGET.write_text(render(imported), encoding="utf-8")
        load_knowledge(ROOT / "knowledge")  # fails loudly if what was written does not load
        print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
