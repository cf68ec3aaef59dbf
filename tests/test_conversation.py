"""Everything that is not a plain question: small talk, the horizon, 'now', noise, numbering, choices."""

from __future__ import annotations

import pytest

from bot.cli.console import Conversation, respond
from bot.core.answer import Kind
from bot.core.engine import Engine
from bot.core.model import KnowledgeBase
from bot.core.service import KnowledgeService
from bot.core.text_commands import parse_text_command
from tests.conftest import KNOWLEDGE_DIR


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("hi", "greeting"),
        ("hello there!", "greeting"),
        ("good morning bot", "greeting"),
        ("good morning everyone", "greeting"),  # a greeting to the channel is no question about 'everyone'
        ("hello everybody!", "greeting"),
        ("hi team", "greeting"),
        ("hey chat 👋", "greeting"),
        ("thanks all", "thanks"),
        ("thanks everyone", "thanks"),
        ("thanks so much everyone", "thanks"),
        ("evening all", "greeting"),
        ("thanks", "thanks"),
        ("thx!!", "thanks"),
        ("thank you so much", "thanks"),
        ("thanks bud", "thanks"),
        ("thx buddy", "thanks"),
        ("thx that helped 🙏", "thanks"),
        ("ty that helps", "thanks"),  # 'helps' is no question about who helps whom
        ("that really helps, thanks!", "thanks"),
        ("good bot", "praise"),
        ("awesome, very helpful", "praise"),
        ("you suck", "insult"),
        ("stupid bot", "insult"),
        ("help", "help"),
        ("@tariffbot help", "help"),
        ("what can you do?", "help"),
        ("are you a bot?", "identity"),
        ("who made you", "identity"),
        ("what's your name?", "identity"),
        ("how are you doing", "wellbeing"),
        ("bye!", "goodbye"),
        ("lol", "laugh"),
    ],
)
def test_small_talk_gets_a_friendly_reply_never_a_fact(engine: Engine, message: str, kind: str) -> None:
    answer = engine.ask(message)
    assert answer.kind is Kind.SMALLTALK and answer.smalltalk == kind
    assert answer.fact is None and not answer.answered and not answer.unanswered
    assert answer.reply


def test_small_talk_replies_come_from_the_fact_base_with_sample_questions(
    kb: KnowledgeBase, engine: Engine
) -> None:
    reply = engine.ask("hi").reply
    greeting = next(t for t in kb.smalltalk if t.id == "greeting")
    assert reply.startswith(greeting.reply.split("{")[0])
    for sample in kb.conversation.sample_questions[:3]:
        assert sample in reply


@pytest.mark.parametrize(
    "message",
    [
        "what do you know about the team",  # a help phrase, then a topic: the people are what is asked
        "what can you tell me about the people there",
        "ok and the team?",
        "okay, and the people?",
    ],
)
def test_whom_a_greeting_addresses_is_no_filler_anywhere_else(engine: Engine, message: str) -> None:
    assert engine.ask(message).kind is not Kind.SMALLTALK


@pytest.mark.parametrize(
    ("message", "fact_id"),
    [
        ("good morning everyone, what is the car tariff", "tariff-autos"),  # 'good' is no 'goods' here
        ("hey everyone what is the car tariff", "tariff-autos"),
        ("hi team, who is bessent", "bessent"),
        ("does the auto tariff relief help toyota", "tariff-autos"),  # 'help' in a question is no thanks
    ],
)
def test_a_greeting_before_a_question_is_not_part_of_it(engine: Engine, message: str, fact_id: str) -> None:
    answer = engine.ask(message)
    assert answer.kind is Kind.ANSWER and answer.fact is not None and answer.fact.id == fact_id, answer.reply


@pytest.mark.parametrize("message", ["hi, who is akazawa?", "thanks! and how long was the meeting?"])
def test_a_greeting_around_a_question_still_answers_it(engine: Engine, message: str) -> None:
    assert engine.ask(message).answered


@pytest.mark.parametrize(
    "question",
    [
        "did they sign a deal in July?",
        "what happened at the mid-May talks",
        "is the 24% tariff in force in 2026?",
        "did they end up signing?",
        "what tariff does japan pay in 2026",
        "did the two sides reach an agreement in june",
        "how did the talks end in the end",
        "was the car tariff lifted later in the year",
        "did the pause get extended later this year",
    ],
)
def test_questions_about_later_events_meet_the_horizon(
    engine: Engine, kb: KnowledgeBase, question: str
) -> None:
    answer = engine.ask(question)
    assert answer.kind is Kind.HORIZON and not answer.answered
    assert answer.reply.startswith(f"My sources end on {kb.horizon.day} May 2025")


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("is the reciprocal tariff paused until july?", {"tariff-reciprocal-japan"}),
        ("could a deal be struck in june?", {"talks-june-deal"}),
        ("when are the mid-may talks", {"talks-next-steps", "talks-aim"}),  # both say "mid-May"
        ("what did akazawa say about a june agreement", {"talks-june-deal"}),
    ],
)
def test_plans_and_expectations_about_later_dates_go_to_their_fact(
    engine: Engine, question: str, facts: set[str]
) -> None:
    """Not the horizon reply: the question goes to the decision with its fact ranked first (whether the
    fitted decision is sure enough to state it is the question sets' business)."""
    reading = engine.read(question)
    assert reading.answer is None  # no rule (horizon, small talk) took it
    assert engine.candidates(reading)[0].fact.id in facts
    assert engine.ask(question).kind is not Kind.HORIZON


@pytest.mark.parametrize(
    ("question", "later"),
    [
        ("did they sign a deal in july", True),
        ("what happened at the mid-may talks", True),
        ("was the deal finalised on june 20", True),
        ("tariff in 2026?", True),
        ("did they end up meeting", True),
        ("what happened next", True),
        ("did akazawa visit washington on april 16", False),
        ("what did they agree on may 1", False),
        ("did they agree to hold ministerial talks from mid-may", False),
        ("is the tariff paused until early july", False),
        ("will they strike a deal in june", False),
        ("what did akazawa say about june", False),
        ("what was china's soybean drop in march", False),
        ("what did the data say about 2024", False),
        ("when are the talks in mid-may", False),
        ("is the auto tariff still 25% in august", True),  # the present, at a later date
        ("is the reciprocal tariff still paused until july", False),  # a plan stated now
        ("is a june agreement still in the cards", False),  # a month named as a target, not as a time
        ("is the tariff still expected to be 25% in august", False),  # expected: a plan
        ("is the car tariff still 25% in august like it was in may", True),  # 'may' the month is no plan
        ("are tariffs still higher than in december last year", False),  # a comparison with the past
        ("is the tariff still 25% in august 2025", True),
    ],
)
def test_the_horizon_tells_later_events_from_plans(engine: Engine, question: str, later: bool) -> None:
    assert engine.horizon.is_later(question) is later


@pytest.mark.parametrize(
    "question",
    [
        "what's the tariff on Japan now?",
        "is the 24% tariff still paused?",
        "japan car tariff rn",
        "latest on the car tariff",
        "what's the latest on the deal",  # no deal yet, as of 2 May: not a question about later events
    ],
)
def test_questions_about_now_carry_the_caveat(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert answer.kind is Kind.ANSWER and answer.now
    assert "(as of 2 May 2025; later changes are not covered)" in answer.reply


def test_a_question_without_now_has_the_plain_date(engine: Engine) -> None:
    answer = engine.ask("what is the reciprocal tariff on japan")
    assert not answer.now and "(as of 1 May 2025)" in answer.reply and "not covered" not in answer.reply


@pytest.mark.parametrize(
    "message",
    [
        "what's 3+3",
        "2 + 2 = ?",
        "asdfghjkl",
        "qwertyuiop zxcv",
        "https://example.com/x",
        "😀😀🎉",
        "???",
        "<@123>",
    ],
)
def test_messages_that_ask_nothing_are_declined_at_once(engine: Engine, message: str) -> None:
    answer = engine.ask(message)
    assert answer.kind is Kind.DECLINE and not answer.suggested and answer.fact is None
    assert answer.reply.startswith("I only answer questions about")


@pytest.mark.parametrize(
    "question",
    [
        "is trump right about japan's nontariff barriers?",
        "do you think they'll get a deal by june",
        "should japan just give in on rice",
        "in your opinion is the car tariff fair",
        "is it a good deal for japan",
        "thoughts on the 24% tariff?",
        "is 24% too high",
        "do u think akazawa will pull it off",
        "is lutnick a good negotiator",
        "is greer doing a good job tbh",
    ],
)
def test_opinions_and_predictions_are_declined(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert answer.kind is Kind.DECLINE and answer.fact is None
    assert answer.reply.startswith("I don't give opinions or predictions")


@pytest.mark.parametrize(
    "question",
    [
        "what should japan expect next",
        "when should they start the ministerial talks",
        "what should washington reexamine according to akazawa",
        "is trump right now pausing the 24% tariff",
        "was he right next to bessent in the photo",
        "how long do you think the talks lasted",
        "is it fair to say the talks made progress",
        "who won the world series",
    ],
)
def test_words_of_opinion_in_other_questions_do_not_make_an_opinion(engine: Engine, question: str) -> None:
    assert not engine.ask(question).reply.startswith("I don't give opinions")


@pytest.mark.parametrize("prefix", ["question 2: ", "Q3) ", "#4. ", "5) ", "(6) ", "no. 7 - "])
def test_question_numbers_do_not_steer_the_match(engine: Engine, prefix: str) -> None:
    plain = engine.ask("who is akazawa?")
    numbered = engine.ask(prefix + "who is akazawa?")
    assert numbered.answered and numbered.fact is plain.fact


def test_numbers_that_belong_to_the_question_stay(engine: Engine) -> None:
    assert engine.ask("24% tariff paused?").fact is engine.ask("is the 24% tariff paused?").fact


@pytest.mark.parametrize(
    ("text", "name", "argument"),
    [
        ("/tariff japan", "tariff", "japan"),
        ("/TARIFF", "tariff", ""),
        ("  /who greer", "who", "greer"),
        ("!sources", "sources", ""),
        ("/ask: who is akazawa", "ask", "who is akazawa"),
    ],
)
def test_typed_commands_are_recognised(text: str, name: str, argument: str) -> None:
    command = parse_text_command(text)
    assert command is not None and (command.name, command.argument) == (name, argument)


@pytest.mark.parametrize("text", ["what is /tariff", "/tariffs-are-high", "/unknown thing", "tariff japan"])
def test_other_text_is_no_command(text: str) -> None:
    assert parse_text_command(text) is None


@pytest.fixture(scope="module")
def service() -> KnowledgeService:
    """The real fact base behind the console."""
    return KnowledgeService(KNOWLEDGE_DIR)


def test_the_console_runs_typed_commands(service: KnowledgeService) -> None:
    assert "24%" in (respond(service, "/tariff japan") or "")
    assert "Trade Representative" in (respond(service, "/who greer") or "")
    assert "Trade Representative" in (respond(service, "/who jamison greer") or "")  # a typo
    assert "People I know" in (respond(service, "/who nobody") or "")
    assert "Second round" in (respond(service, "/timeline") or "")
    assert respond(service, "/quit") is None
    assert (respond(service, "/bogus japan") or "").startswith("I don't know the command /bogus. Commands:")


def test_the_console_takes_a_number_after_an_ambiguous_reply(service: KnowledgeService) -> None:
    engine = service.engine
    ambiguous = next(
        (q for q in _ambiguous_candidates(service.kb) if engine.ask(q).kind is Kind.AMBIGUOUS), None
    )
    assert ambiguous is not None, "no question mixing two facts' words is ambiguous"
    conversation = Conversation()
    reply = respond(service, ambiguous, conversation) or ""
    assert "\n  1. " in reply and "\n  2. " in reply
    second = conversation.choices[1]
    picked = respond(service, "2", conversation) or ""
    assert picked.startswith(second.answer)
    assert respond(service, "2", conversation) != picked  # the choice is used once


def test_the_console_takes_a_number_after_did_you_mean(service: KnowledgeService) -> None:
    """A decline's "did you mean" list is numbered too, and a number answers the question it names."""
    conversation = Conversation()
    reply = respond(service, "which media outlet did trump talk to", conversation) or ""
    assert reply.startswith("I can't answer that") and "\n  1. " in reply, reply
    first = conversation.choices[0]
    assert (respond(service, "1", conversation) or "").startswith(first.answer)


def _ambiguous_candidates(kb: KnowledgeBase) -> list[str]:
    """Short questions mixing two facts' words (some of them come out ambiguous)."""
    facts = list(kb.facts.values())
    words = [f.question.rstrip("?").split()[-2:] for f in facts]
    return [" ".join(a + b) for a in words for b in words if a != b][:2000]
