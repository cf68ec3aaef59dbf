"""Hostile and odd input is answered or declined cleanly, in bounded time (hypothesis fuzzing)."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.text import clean_user_text

NASTY = [
    "",
    " \t\n ",
    "x" * 100_000,
    "who is akazawa " * 10_000,
    "\x00\x01\x1b[31mwho\x7f is akazawa",
    "🚗🚗🚗 tariff?? 🇯🇵🇺🇸",
    "赤沢亮正とは誰ですか",
    "関税は？",
    "**bold** `code` ~~strike~~ ||spoiler|| # heading",
    "@everyone @here who is akazawa <@123456789012345678> <@&987654321098765432> <#1234>",
    "'; DROP TABLE declined_questions; --",
    "{0.__class__}",
    "%s%s%n",
    "\u202eevil\u202c",
    "\ufeff?",
]


def _check(engine: Engine, question: str) -> None:
    started = time.perf_counter()
    answer = engine.ask(question)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"{elapsed:.3f}s for {question[:40]!r}"
    assert 0.0 <= answer.confidence <= 1.0
    assert answer.answered == (answer.fact is not None)
    assert len(answer.suggestions) <= engine.settings.max_suggestions
    data = answer.to_json()
    assert data["question"] == question


def test_nasty_inputs(engine: Engine) -> None:
    for question in NASTY:
        _check(engine, question)


def test_mentions_and_markup_do_not_change_the_answer(engine: Engine) -> None:
    plain = engine.ask("who is akazawa")
    noisy = engine.ask("<@123> @everyone **who** is _akazawa_?? https://example.com/x")
    assert noisy.fact is not None and noisy.fact.id == plain.fact.id


def test_over_long_questions_are_cut_before_matching(engine: Engine) -> None:
    limit = engine.settings.max_question_chars
    assert len(clean_user_text("y" * 100_000, limit)) == limit


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=2000))
def test_any_text(engine: Engine, question: str) -> None:
    _check(engine, question)


WORDS = st.sampled_from(
    [
        "who",
        "what",
        "when",
        "tariff",
        "akazawa",
        "bessent",
        "japan",
        "cars",
        "rice",
        "the",
        "is",
        "24",
        "%",
        "?",
        "!",
        "🚗",
        "関税",
        "@everyone",
        "<@1>",
        "**",
        "reciprocl",
        "tarrif",
        "soybeans",
        "china",
        "how",
        "long",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(WORDS, max_size=60).map(" ".join))
def test_word_salad_from_the_domain(engine: Engine, question: str) -> None:
    _check(engine, question)
