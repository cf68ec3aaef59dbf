"""Typo repair: one- and two-edit misspellings of known words (swaps, doubled and dropped letters)."""

from __future__ import annotations

import random

import pytest

from bot.core.engine import Engine
from bot.core.model import KnowledgeBase

# Hand-written misspellings people make, and the word they meant.
MISSPELLINGS = [
    ("tarrif", "tariff"),
    ("tarifs", "tariffs"),
    ("tarriffs", "tariffs"),
    ("agred", "agreed"),
    ("meating", "meeting"),
    ("contries", "countries"),
    ("betwen", "between"),
    ("akazwa", "akazawa"),
    ("bessant", "bessent"),
    ("lutnik", "lutnick"),
    ("jamison", "jamieson"),
    ("recipricol", "reciprocal"),
    ("reciprical", "reciprocal"),
    ("soybens", "soybeans"),
    ("shipbulding", "shipbuilding"),
    ("exchnage", "exchange"),
    ("minsterial", "ministerial"),
    ("negociations", "negotiations"),
    ("japanease", "japanese"),
    ("vehicels", "vehicles"),
    ("currancy", "currency"),
    ("agricultre", "agriculture"),
    ("treasurey", "treasury"),
    ("comerce", "commerce"),
    ("secretery", "secretary"),
    ("presidnet", "president"),
    ("reimbursment", "reimbursement"),
    ("goverment", "government"),
    ("recieved", "received"),
    ("ricee", "rice"),  # a doubled letter in a short word
    ("cornn", "corn"),
    ("carz", "cars"),  # the chat plural
    ("dealz", "deals"),
]
# Real words that look like misspellings of fact-base words: they must stay what they are.
REAL_WORDS = ["tall", "party", "price", "wife", "care", "often", "meting", "dead", "rate"]


@pytest.mark.parametrize(("typo", "meant"), MISSPELLINGS)
def test_misspellings_are_repaired(engine: Engine, typo: str, meant: str) -> None:
    assert engine.analyse(f"what about {typo}").terms == engine.analyse(f"what about {meant}").terms


@pytest.mark.parametrize("word", REAL_WORDS)
def test_real_words_are_not_repaired_into_other_words(engine: Engine, word: str) -> None:
    assert not engine.analyse(f"what about {word}").corrections


def _misspell(word: str, kind: str, rng: random.Random) -> str:
    """One edit of a kind people make: two neighbours swapped, a letter doubled or dropped (not the first)."""
    i = rng.randrange(1, len(word) - 1)
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[: i + 1] + word[i] + word[i + 1 :]
    return word[:i] + word[i + 1 :]


def test_one_edit_in_any_long_word_of_a_canonical_question_keeps_the_answer(
    kb: KnowledgeBase, engine: Engine
) -> None:
    """Every fact's question with its longest word misspelt three ways: at least 95% keep their answer."""
    rng = random.Random(7)
    kept, total, lost = 0, 0, []
    for fact in kb.facts.values():
        words = fact.question.rstrip("?").split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        if len(words[longest]) < 6:
            continue
        for kind in ("swap", "double", "drop"):
            typo = _misspell(words[longest].lower(), kind, rng)
            question = " ".join([*words[:longest], typo, *words[longest + 1:]])
            total += 1
            answer = engine.ask(question)
            if answer.fact is fact:
                kept += 1
            else:
                lost.append(f"{question!r} -> {answer.kind}")
    assert total >= 60 and kept >= 0.95 * total, "\n".join(lost)


def test_two_edits_are_repaired_in_long_words(engine: Engine) -> None:
    assert "reciprocal" in engine.analyse("recipracol tarif").terms
    assert "shipbuilding" in engine.analyse("shpibuidling").terms
