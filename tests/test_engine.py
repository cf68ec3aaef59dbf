"""The answer engine: question sets, examples, gaps, intents, entities, suggestions and the decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.answer import Kind
from bot.core.engine import Engine
from bot.core.matching.index import STRONG_INTENTS
from bot.core.model import KnowledgeBase
from bot.core.settings import EngineSettings
from bot.core.text import normalise_question
from tests.conftest import SHARED_DIR
from tests.question_sets import score_set

DATA = Path(__file__).parent / "data"
# Floors per question set (accuracy, precision), a little under what the engine scores today, so that a
# change to the matcher that makes any set worse fails. A refit of the decision moves single sets a point
# or two either way; the floors are then set again from the new scores (the pooled held-out figure, which
# the fit prints, is the measure of a refit). Each set is scored by an engine without its own asked questions
# (knowledge/asked.yaml holds every set's questions), under the decision fitted on all sets (this one
# too: the held-out figures are the fit script's). The sets' first, untouched scores are in the README.
FLOORS = {
    "questions.yaml": (0.95, 0.97),
    "holdout.yaml": (0.94, 0.95),
    "blind2.yaml": (0.98, 0.98),
    "blind3.yaml": (0.94, 0.95),
    "blind4.yaml": (0.96, 0.97),
    "blind5.yaml": (0.95, 0.96),
    "blind6.yaml": (0.93, 0.99),
    "blind7.yaml": (0.93, 0.97),
    "blind8.yaml": (0.96, 0.99),
    "blind9.yaml": (0.94, 0.98),
    "blind10.yaml": (0.96, 0.98),
    "blind11.yaml": (0.98, 0.98),
    "blind12.yaml": (0.94, 0.95),
    "blind13.yaml": (0.95, 0.96),
    "blind14.yaml": (0.94, 0.99),
    "blind15.yaml": (0.98, 0.99),
    "blind16.yaml": (0.94, 0.99),
    "blind17.yaml": (0.95, 0.98),
    "blind18.yaml": (0.95, 0.98),
    "blind19.yaml": (0.95, 0.96),
    "blind20.yaml": (0.93, 0.95),
    "blind21.yaml": (0.96, 0.99),
    "blind22.yaml": (0.96, 0.97),
    "blind23.yaml": (0.87, 0.94),
    "blind24.yaml": (0.95, 0.98),
    "blind25.yaml": (0.93, 0.96),
    "blind26.yaml": (0.92, 0.93),
    "blind27.yaml": (0.94, 0.96),
    "blind28.yaml": (0.95, 0.97),
    "blind29.yaml": (0.94, 0.98),
    "blind30.yaml": (0.96, 0.97),
    "blind31.yaml": (0.95, 0.97),
    "blind32.yaml": (0.94, 0.97),
    "blind33.yaml": (0.94, 0.97),
    "blind34.yaml": (0.94, 0.97),
    "blind35.yaml": (0.96, 0.97),
    "blind36.yaml": (0.94, 0.95),
    "blind37.yaml": (0.93, 0.96),
    "blind38.yaml": (0.97, 0.98),
    "blind39.yaml": (0.97, 0.99),
    "blind40.yaml": (0.96, 0.95),
    "blind41.yaml": (0.90, 0.95),
    "blind42.yaml": (0.88, 0.94),
    "blind43.yaml": (0.95, 0.97),
    "blind44.yaml": (0.94, 0.96),
    "blind45.yaml": (0.93, 0.99),
    "blind46.yaml": (0.97, 0.99),
    "blind47.yaml": (0.94, 0.98),
    "blind48.yaml": (0.96, 0.98),
    "blind49.yaml": (0.92, 0.96),
}


def test_every_question_set_is_listed() -> None:
    assert {p.name for p in DATA.glob("*.yaml")} == set(FLOORS)


@pytest.mark.parametrize(("name", "floor"), FLOORS.items())
def test_question_sets_stay_above_their_floors(
    kb: KnowledgeBase, engine: Engine, name: str, floor: tuple[float, float]
) -> None:
    unseen = Engine(kb.leaving_out({Path(name).stem}), load_settings().engine)
    assert len(unseen.index.docs) < len(engine.index.docs)  # the set's own questions are left out
    score = score_set(unseen, DATA / name)
    assert score.total >= 120
    accuracy, precision = floor
    assert score.accuracy >= accuracy, "\n".join(score.misses)
    assert score.precision >= precision, "\n".join(m for m in score.misses if "(declined)" not in m)


@pytest.mark.skipif(not (SHARED_DIR / "eval").is_dir(), reason="shared/eval not beside the repo")
def test_the_example_questions_are_all_right(engine: Engine) -> None:
    score = score_set(engine, SHARED_DIR / "eval" / "dev-questions.yaml")
    assert score.accuracy == 1.0, "\n".join(score.misses)


def test_every_fact_has_at_least_twelve_examples(kb: KnowledgeBase) -> None:
    thin = {f.id: len(f.examples) for f in kb.facts.values() if len(f.examples) < 12}
    assert not thin


def test_every_example_is_answered_by_its_own_fact(kb: KnowledgeBase, engine: Engine) -> None:
    wrong = []
    for fact in kb.facts.values():
        for question in (fact.question, *fact.examples):
            answer = engine.ask(question)
            if not (answer.answered and answer.fact is fact):
                wrong.append(
                    f"{fact.id}: {question!r} -> {answer.kind} {answer.nearest.id if answer.nearest else ''}"
                )
    assert not wrong, "\n".join(wrong)


def test_examples_rank_their_own_fact_first(kb: KnowledgeBase, engine: Engine) -> None:
    """Without the word-for-word rule, the model itself ranks each example's fact first (data consistency)."""
    first, total, wrong = 0, 0, []
    for fact in kb.facts.values():
        for question in fact.examples:
            total += 1
            reading = engine.read(question)
            candidates = engine.candidates(reading) if reading.answer is None else []
            if candidates and candidates[0].fact is fact:
                first += 1
            else:
                wrong.append(f"{fact.id}: {question!r}")
    assert first >= 0.94 * total, "\n".join(wrong)


def test_gaps_are_declined_and_offer_their_fact(kb: KnowledgeBase, engine: Engine) -> None:
    answered, offered, total = [], 0, 0
    for fact in kb.facts.values():
        for question in fact.gaps:
            total += 1
            answer = engine.ask(question)
            if answer.answered:
                answered.append(f"{fact.id}: {question!r} -> {answer.fact.id if answer.fact else ''}")
            offered += fact in answer.suggested
    assert not answered, "\n".join(answered)
    assert offered >= 0.98 * total


def test_decline_questions_are_never_answered(kb: KnowledgeBase, engine: Engine) -> None:
    answered = [q for group in kb.declines for q in group.examples if engine.ask(q).answered]
    assert not answered, "\n".join(answered)


@pytest.mark.parametrize(
    ("question", "fact_id"),
    [
        ("how long was the meeting", "talks-duration"),
        ("which US officials attended", "talks-us-attendees"),
        ("when did akazawa meet trump", "round-first"),
        ("where were the talks held", "round-second"),
        ("why would japan buy more corn", "proposal-corn-soybeans"),
        ("how much is the reciprocal tariff", "tariff-reciprocal-japan"),
        ("what is the tariff on japan?", "tariffs-overview"),
        ("tariffs on japan", "tariffs-overview"),
        ("what's the tariff on Japan now?", "tariffs-overview"),
        ("When were the working-level talks due to start?", "talks-next-steps"),
        ("who represents japan in the trade talks", "akazawa"),
        # what people in the talks think is reported (the bot's own opinion is not: test_conversation)
        ("what does akazawa think about a deal in june", "talks-june-deal"),
        ("what does trump think about the talks", "context-trump-catbird"),
    ],
)
def test_plain_questions_find_their_fact(engine: Engine, question: str, fact_id: str) -> None:
    _assert_answered_by(engine, question, fact_id)


@pytest.mark.parametrize(
    ("question", "fact_id"),
    [
        ("who tf is scott besent", "bessent"),
        ("jamison greer who dat", "greer"),
        ("wtf is the tariff on japanese cars", "tariff-autos"),
        ("lowkey who is lutnick bruh", "lutnick"),
        ("teh car tariff", "tariff-autos"),
        ("hw mch is teh car tarrif", "tariff-autos"),
        ("hey chat what is the car tariff", "tariff-autos"),  # 'chat', 'guys', 'y'all': the channel
        ("guys who is lutnick", "lutnick"),
        ("yall who is greer", "greer"),
    ],
)
def test_chat_fillers_and_spellings_carry_no_topic(engine: Engine, question: str, fact_id: str) -> None:
    _assert_answered_by(engine, question, fact_id)


def _assert_answered_by(engine: Engine, question: str, fact_id: str) -> None:
    answer = engine.ask(question)
    assert answer.kind is Kind.ANSWER and answer.fact is not None and answer.fact.id == fact_id, answer.reply


def test_an_ordinary_word_outside_the_vocabulary_does_not_change_the_ranking(engine: Engine) -> None:
    # 'put' is in no fact (only in a few asked questions); a common English word weighs like one, the
    # least of the question's words, so the right fact stays first.
    reading = engine.read("What rate did Washington put on Japanese goods?")
    assert engine.candidates(reading)[0].fact.id == "tariff-reciprocal-japan"
    weights = engine.index.term_weights(reading.analysis)
    assert min(weights, key=weights.__getitem__) == "put"


@pytest.mark.parametrize(
    "question",
    [
        "how high is japan's tariff on american cars",
        "what tariff does tokyo slap on us pork",
        "chinese levies on us farm goods?",
        "what's the tariff on US cars going into japan",  # the goods go into another country than the US
        "what tariff do us exports to japan face",
    ],
)
def test_a_tariff_another_country_imposes_on_us_goods_is_not_a_us_tariff(
    engine: Engine, question: str
) -> None:
    # The facts are the US tariffs: 'japan's tariff on american cars' is not 'the US tariff on Japanese cars'.
    assert any(t.startswith("tariff-by-") for t in engine.analyse(question).terms)
    assert not engine.ask(question).answered


@pytest.mark.parametrize(
    "question",
    [
        "what did japan put on the table in washington",  # a phrase ('put on the table'), no imposing
        "what pressure did japan put on the us",  # no tariff
        "is japan set on getting us tariff relief",  # 'set on' something else than a country
        "does the tariff apply to japan",  # 'to' alone is no destination
        "tariff on japanese cars exported to the us",  # into the US: a US tariff
        "is the tariff relief going to japan too",  # travel, not trade
        "who is heading to japan to discuss tariffs",
        "is toyota selling to japan fewer cars because of the tariff",  # the tariff comes after
    ],
)
def test_what_a_country_puts_on_another_is_no_tariff_it_imposes(engine: Engine, question: str) -> None:
    assert not any(t.startswith("tariff-by-") for t in engine.analyse(question).terms)


@pytest.mark.parametrize(
    "question",
    [
        "what's the us tariff on japanese cars",
        "tariffs on japanese cars?",
        "what's the reciprocal tariff on japan",
        "what's the current tariff on japanese cars going into the US",
    ],
)
def test_the_us_tariffs_on_japan_are_still_asked_every_way(engine: Engine, question: str) -> None:
    assert engine.ask(question).answered
    assert not any(t.startswith("tariff-by") for t in engine.analyse(question).terms)


def test_good_is_no_goods(engine: Engine) -> None:
    # 'goods' stems to 'good': the adjective must not read as the concept of goods and products.
    assert "goods" not in engine.analyse("did anything good come out of it").terms
    assert "goods" in engine.analyse("tariff on japanese goods").terms


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [("during", "dur"), ("something", "someth"), ("anything", "anyth"), ("series", "sery")],
)
def test_a_stem_is_as_ordinary_as_the_word_it_comes_from(engine: Engine, word: str, stemmed: str) -> None:
    # The stemmer cuts 'during' to 'dur', which no word list holds; it must not weigh like a rare topic word.
    assert engine.lexicon.commonness(stemmed) == engine.lexicon.commonness(word) > 4
    assert engine.index.specificity(stemmed) < 0.6


@pytest.mark.parametrize(
    ("question", "absent", "present"),
    [
        ("who is the US president according to the articles?", "deal", "president"),
        ("is south korea also in talks with the us", "say", "talks"),
    ],
)
def test_set_phrases_are_read_as_a_whole(engine: Engine, question: str, absent: str, present: str) -> None:
    # 'according to' is no accord (deal); 'in talks with' is negotiating, not speaking to someone.
    terms = engine.analyse(question).terms
    assert absent not in terms and present in terms


@pytest.mark.parametrize(
    "question",
    [
        "How old is Akazawa?",
        "Who is Akazawa married to?",
        "What is India's tariff rate?",
        "What is the tariff on Vietnamese shoes?",
        "what party is lutnick in",
        "bessent salary",
        "tariff on canadian steel",
        "which media outlet did trump talk to",
        "how much exactly can carmakers get reimbursed",
        "which day in june could a deal come",
        "What did the Bank of Japan decide on interest rates?",
        "recommend me a good anime",
        "lol",
        "",
        "   ",
        "?!?",
        "what is it",
    ],
)
def test_questions_the_articles_do_not_answer_are_declined(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert not answer.answered and answer.fact is None


def test_a_detail_not_given_offers_the_nearest_fact(engine: Engine, kb: KnowledgeBase) -> None:
    answer = engine.ask("which media outlet did trump talk to")
    assert answer.kind is Kind.DECLINE
    assert kb.facts["context-trump-catbird"] in answer.suggested
    assert "Did you mean:" in answer.reply and "What did Trump say about the talks?" in answer.reply


def test_ordinary_words_do_not_sink_a_match(engine: Engine) -> None:
    # 'honestly', 'gonna', 'due', 'anyway' carry no topic: the same fact answers with or without them.
    for plain, padded in [
        ("who is akazawa", "ok so who is this akazawa guy anyway honestly"),
        ("when do the working-level talks start", "when are the working-level talks due to start"),
        ("is the 24% tariff paused", "ngl is the 24% tariff gonna stay paused"),
    ]:
        first, second = engine.ask(plain), engine.ask(padded)
        assert first.answered and second.answered and first.fact is second.fact, padded


def test_a_question_naming_a_third_country_is_not_answered_by_a_fact_about_japan(engine: Engine) -> None:
    assert engine.ask("what is the reciprocal tariff on japan").answered
    assert not engine.ask("what is the reciprocal tariff on india").answered


def test_a_fact_that_cannot_answer_the_kind_of_question_is_not_stated(engine: Engine) -> None:
    # The rice proposal says nothing about quantities: 'how many tons' is not answered by it.
    assert engine.ask("is japan going to import more us rice").answered
    assert not engine.ask("how many tons of us rice will japan import").answered


@pytest.mark.parametrize(
    ("question", "terms"),
    [
        ("🚗🇯🇵 tariff?", {"car", "japan", "tariff"}),  # emoji read as the words they stand for
        ("🏎️ levy", {"car", "tariff"}),  # with the emoji presentation selector
        ("rice&corn", {"rice", "corn"}),
        ("talks lasted >2h?", {"talks", "last", "two", "duration"}),  # a number and its unit are two words
        ("a 25pct levy", {"25", "percent", "tariff"}),
        ("🤔🤷 who is akazawa", {"akazawa"}),  # an emoji the vocabulary does not list means nothing
        ("🇦🇺🇸🇬 tariff", {"tariff"}),  # flags are read in pairs: no '🇺🇸' in the middle
        ("<@&123456789> who is akazawa", {"akazawa"}),  # a role mention's '&' is no 'and'
        ("is the rice deal in https://x.com/a?b=1&c=2 real", {"rice", "deal", "real"}),  # nor a link's
    ],
)
def test_signs_emoji_and_units_are_read_as_words(engine: Engine, question: str, terms: set[str]) -> None:
    assert set(engine.analyse(question).terms) == terms


def test_an_emoji_alone_is_still_no_question(engine: Engine) -> None:
    assert engine.ask("🚗🇯🇵").noise


@pytest.mark.parametrize(
    ("question", "fact_id"),
    [
        ("how long before the talks did trump ease the car levies", "tariff-autos"),  # 'two days before'
        ("so is this the first round?", "round-second"),  # the round under way, not the April one
        ("how long did this round last", "talks-duration"),  # this round: the second, 130 minutes
        ("who is bessent exactly", "bessent"),  # a closing 'exactly' insists on nothing
        ("so who is this greer person", "greer"),  # 'person' is no headcount
        ("how is tokyo's negotiator getting on", "talks-outcome"),
        ("whats the latest with the us-japan tariff negotiations", "talks-outcome"),
        ("anything on ricee?", "proposal-rice"),  # a doubled letter in a short word
        ("wat about working lvl talks", "talks-next-steps"),
        ("where do we stand in the tariff talks with the us rn", "talks-outcome"),
        ("so did anything good come out of the sit-down in dc", "talks-outcome"),
        ("bessent = which dept?", "bessent"),  # a chat spelling
        ("our negotiator's full name? i only know him as akazawa-san", "akazawa"),  # an honorific
        ("🚗🇯🇵 tariff?", "tariff-autos"),
    ],
)
def test_ways_of_asking_that_went_to_the_wrong_fact_or_none(
    engine: Engine, question: str, fact_id: str
) -> None:
    _assert_answered_by(engine, question, fact_id)


@pytest.mark.parametrize(
    ("question", "intents"),
    [
        ("where do things stand between tokyo and washington", set()),  # how things are, not a place
        ("where are we at with the tariff talks", set()),
        ("where were the talks held", {"where"}),
        ("how much time did they spend in the meeting", {"duration"}),  # not 'how much': an amount
        ("by what time should a deal be done", {"when"}),  # not 'what time': a time of day
        ("what time frame are they aiming at", {"when"}),
    ],
)
def test_the_longest_phrase_says_what_is_asked(engine: Engine, question: str, intents: set[str]) -> None:
    assert engine.analyse(question).intents & STRONG_INTENTS == intents


def test_a_time_of_day_is_a_detail_only_the_article_stamps_give(engine: Engine) -> None:
    # No fact but the articles' time stamps states a clock time: 'what time' is not 'when'.
    answer = engine.ask("at what time did the friday working-level talks start")  # no set asks it so
    assert not answer.answered and engine.kb.facts["talks-next-steps"] in answer.suggested
    assert (
        engine.ask("what time was the 2 may article published").fact
        == engine.kb.facts["context-article-times"]
    )


def test_near_misses_offer_at_most_three_suggestions_that_answer(engine: Engine) -> None:
    answer = engine.ask("what did bessent say in the meeting")
    assert not answer.answered
    assert 1 <= len(answer.suggestions) <= 3
    for fact in answer.suggested:
        assert engine.ask(fact.question).fact is fact


def test_confidence_is_a_probability_and_answers_carry_date_and_quote(engine: Engine) -> None:
    for question in ["who is greer", "rice", "what is the weather", "tariffs", "thanks"]:
        answer = engine.ask(question)
        assert 0.0 <= answer.confidence <= 1.0
        if answer.answered:
            assert answer.fact is not None and answer.as_of and answer.as_of.startswith("as of ")
            assert answer.fact.citations[0].quote in answer.reply


def test_the_threshold_comes_from_the_fitted_model_unless_settings_override_it(kb: KnowledgeBase) -> None:
    engine = Engine(kb)
    assert engine.threshold == kb.decision.threshold
    question = "tell me who akazawa is please"  # read by the model: no indexed question is written so
    assert normalise_question(question) not in engine.index.exact
    assert engine.ask(question).fact == kb.facts["akazawa"]
    strict = Engine(kb, EngineSettings(answer_threshold=1.0))
    answer = strict.ask(question)
    assert not answer.answered and "Who is Ryosei Akazawa?" in answer.suggestions


def test_json_contract_has_kind_and_the_exact_reply(engine: Engine) -> None:
    for question, kind in [
        ("who is akazawa", Kind.ANSWER),
        ("how old is akazawa", Kind.DECLINE),
        ("thanks!", Kind.SMALLTALK),
        ("did they sign a deal in july?", Kind.HORIZON),
    ]:
        answer = engine.ask(question)
        data = answer.to_json()
        assert data["kind"] == kind.value and data["reply"] == answer.reply
        assert data["answered"] is (kind is Kind.ANSWER)
        assert (data["answer"] is None) is (kind is not Kind.ANSWER)
