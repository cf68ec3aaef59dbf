"""The answer engine: accuracy on question sets, intent, lists, declines, typos and suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import EngineSettings
from bot.core.engine import Engine
from bot.core.model import KnowledgeBase
from tests.conftest import SHARED_DIR
from tests.question_sets import misses

DATA = Path(__file__).parent / "data"
TARGET = 0.95
# Sets written blind by other authors, each first run after the engine had been tuned on the sets
# before it. First (blind) scores: holdout 75.9%, blind2 88.6%, blind3 82.4%, blind4 90.7%. They were
# then used to find general weaknesses, so they are kept as floors against regressions, not tuned to 95%.
BLIND_FLOORS = {"holdout.yaml": 0.90, "blind2.yaml": 0.90, "blind3.yaml": 0.89, "blind4.yaml": 0.93}


def test_own_question_set_reaches_the_target(engine: Engine) -> None:
    wrong, total = misses(engine, DATA / "questions.yaml")
    assert total >= 150
    assert 1 - len(wrong) / total >= TARGET, "\n".join(wrong)


@pytest.mark.parametrize(("name", "floor"), BLIND_FLOORS.items())
def test_blind_sets_do_not_regress(engine: Engine, name: str, floor: float) -> None:
    wrong, total = misses(engine, DATA / name)
    assert total >= 120
    assert 1 - len(wrong) / total >= floor, "\n".join(wrong)


@pytest.mark.skipif(not (SHARED_DIR / "eval").is_dir(), reason="shared/eval not beside the repo")
def test_example_questions_reach_the_target(engine: Engine) -> None:
    wrong, total = misses(engine, SHARED_DIR / "eval" / "dev-questions.yaml")
    assert 1 - len(wrong) / total >= TARGET, "\n".join(wrong)


@pytest.mark.parametrize(
    ("question", "fact_id"),
    [
        ("how long was the meeting", "talks-duration"),
        ("who attended the meeting", "talks-us-attendees"),
        ("when was the first meeting with trump", "round-first"),
        ("where were the talks held", "round-second"),
        ("why would japan buy more corn", "proposal-corn-soybeans"),
        ("how much is the reciprocal tariff", "tariff-reciprocal-japan"),
    ],
)
def test_question_intent_picks_the_fact(engine: Engine, question: str, fact_id: str) -> None:
    answer = engine.ask(question)
    assert answer.fact is not None and answer.fact.id == fact_id


def test_a_list_question_gets_the_whole_list(engine: Engine) -> None:
    answer = engine.ask("which US officials attended")
    assert answer.fact is not None
    for name in ("Bessent", "Greer", "Lutnick"):
        assert name in answer.fact.answer


@pytest.mark.parametrize(
    "question",
    [
        "How old is Akazawa?",
        "What is India's tariff rate?",
        "Who is Akazawa married to?",
        "What is the tariff on Vietnamese shoes?",
        "what party is lutnick in",
        "bessent salary",
        "tariff on canadian steel",
        "lol",
        "",
        "   ",
        "?!?",
        "what is it",
    ],
)
def test_out_of_scope_questions_are_declined(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert not answer.answered and answer.fact is None


@pytest.mark.parametrize(
    ("question", "fact_id"),
    [
        ("who is akazwa", "akazawa"),
        ("whos scot bessant", "bessent"),
        ("lutnik?", "lutnick"),
        ("recipricol tarrif japan", "tariff-reciprocal-japan"),
        ("shipbulding", "proposal-shipbuilding"),
        ("soybens china march", "context-china-crop-imports"),
        ("was the exchnage rate discussed", "talks-not-discussed"),
    ],
)
def test_typos_are_repaired(engine: Engine, question: str, fact_id: str) -> None:
    answer = engine.ask(question)
    assert answer.fact is not None and answer.fact.id == fact_id


def test_typo_repair_never_turns_a_real_word_into_filler(engine: Engine) -> None:
    # 'tall' is one letter from 'all', 'party' from 'part': they must stay and sink the match.
    for question, word in [("how tall is bessent", "tall"), ("what party is akazawa in", "party")]:
        assert word in engine.analyse(question).terms


@pytest.mark.parametrize(
    ("question", "concepts"),
    [
        ("tariff on japanese autos", {"tariff", "japan", "car"}),
        ("levy on vehicles", {"tariff", "car"}),
        ("defence spending", {"defense"}),
        ("yen exchange rate", {"currency"}),
        ("did the US bring up the yen", {"usa", "discuss", "currency"}),
        ("tell us about rice", {"rice"}),
    ],
)
def test_vocabulary_maps_synonyms_to_concepts(engine: Engine, question: str, concepts: set[str]) -> None:
    assert set(engine.analyse(question).terms) == concepts


def test_near_misses_offer_at_most_three_suggestions_that_answer(engine: Engine) -> None:
    answer = engine.ask("what did bessent say in the meeting")
    assert not answer.answered
    assert 1 <= len(answer.suggestions) <= 3
    for suggestion in answer.suggestions:
        assert engine.ask(suggestion).answered


def test_confidence_is_a_probability_and_answers_carry_date_and_quote(engine: Engine) -> None:
    for question in ["who is greer", "rice", "what is the weather", "tariffs"]:
        answer = engine.ask(question)
        assert 0.0 <= answer.confidence <= 1.0
        if answer.answered:
            assert answer.as_of_text and answer.as_of_text.startswith("as of ")
            assert answer.fact.citations[0].quote


def test_thresholds_come_from_settings(kb: KnowledgeBase) -> None:
    strict = Engine(kb, EngineSettings(answer_threshold=1.01))
    assert not strict.ask("who is akazawa").answered
    assert strict.ask("who is akazawa").suggestions[0] == "Who is Ryosei Akazawa?"


def test_pruned_search_equals_exhaustive_search(engine: Engine) -> None:
    # Max-score pruning must never change the best answer compared with scoring every fact.
    for question in ["auto tariff", "china soybean imports march", "who met trump in april", "june deal"]:
        analysis = engine.analyse(question)
        pruned = engine.index.search(analysis, floor=0.5, limit=1)
        exhaustive = engine.index.search(analysis, floor=0.0, limit=1)
        assert pruned and pruned[0].fact.id == exhaustive[0].fact.id
