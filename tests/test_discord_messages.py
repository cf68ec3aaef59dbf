"""Questions in channels, driven through discord.py's real gateway parsing and HTTP payload building."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from bot import ui
from bot.core.answer import Answer, Kind, human_date
from bot.exts.questions import HINT
from tests.helpers import (
    BOT_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    OTHER_BOT_ID,
    USER_ID,
    WATCHED_ID,
    Harness,
    Sent,
    bot_settings,
    custom_ids,
    message,
    started,
)
from tests.markdown_check import live_mentions

NONE = {"parse": []}
MENTION = f"<@{BOT_ID}>"
NONSENSE = "what is the airspeed velocity of an unladen swallow in furlongs"


def assert_answer_body(body: dict, answer: Answer) -> None:
    """The JSON of an answer (embed with answer, as-of date, quotes, sources) or of a decline."""
    assert body["allowed_mentions"] == NONE
    if answer.fact is None:
        assert "embeds" not in body
        assert body["content"].startswith(answer.lead)
        return
    (embed,) = body["embeds"]
    assert embed["description"] == answer.fact.answer
    fields = [(f["name"], f["value"]) for f in embed["fields"]]
    assert fields[0] == ("As of", human_date(answer.fact.as_of))
    first = answer.fact.citations[0]
    source_name = f"Source: {first.source.title} ({human_date(first.source.date)})"
    assert fields[1] == (source_name, f"> {first.quote}")
    assert custom_ids(body) == [f"tb:fb:1:{answer.fact.id}", f"tb:fb:0:{answer.fact.id}"]


def only_reply(sent: list[Sent], incoming_id: str, channel_id: int = CHANNEL_ID) -> dict:
    """The single message sent, checked to be a reply to the incoming message in the same channel."""
    assert len(sent) == 1, sent
    assert sent[0].path == f"/channels/{channel_id}/messages"
    body = sent[0].json
    assert body["message_reference"]["message_id"] == int(incoming_id)
    assert body["message_reference"]["channel_id"] == channel_id
    return body


# Declined by the test fact base: nonsense (nothing close), and a gap of a fact (offered as "did you mean").
DECLINED = {False: NONSENSE, True: "which country is japan's second-largest corn supplier?"}


def declining(h: Harness, with_suggestions: bool) -> Answer:
    """A question the test fact base declines, with "did you mean" suggestions when asked."""
    answer = h.bot.service.engine.ask(DECLINED[with_suggestions])
    assert answer.kind is Kind.DECLINE and answer.unanswered
    assert bool(answer.suggestions) == with_suggestions
    return answer


async def test_mention_in_a_guild_channel_gets_an_embed_reply(harness: Harness) -> None:
    data = message(f"{MENTION} who is akazawa", mentions=(BOT_ID,))
    harness.state.parse_message_create(data)
    await harness.settle()
    body = only_reply(harness.recorder.messages(), data["id"])
    assert body["message_reference"]["guild_id"] == GUILD_ID
    assert_answer_body(body, harness.bot.service.engine.ask("who is akazawa"))


async def test_a_fact_question_is_answered_with_quote_and_source(harness: Harness) -> None:
    fact = next(iter(harness.bot.service.kb.facts.values()))
    data = message(f"{MENTION} {fact.question}", mentions=(BOT_ID,))
    harness.state.parse_message_create(data)
    await harness.settle()
    body = only_reply(harness.recorder.messages(), data["id"])
    answer = harness.bot.service.engine.ask(fact.question)
    assert answer.fact is not None
    assert_answer_body(body, answer)


async def test_dm_is_answered_without_a_mention(harness: Harness) -> None:
    data = message("who is akazawa", dm=True)
    harness.state.parse_message_create(data)
    await harness.settle()
    body = only_reply(harness.recorder.messages(), data["id"], DM_CHANNEL_ID)
    assert "guild_id" not in body["message_reference"]
    assert_answer_body(body, harness.bot.service.engine.ask("who is akazawa"))


async def test_watched_channel_answers_questions_and_ignores_chatter(harness: Harness) -> None:
    data = message("who is akazawa?", channel_id=WATCHED_ID)
    harness.state.parse_message_create(data)
    await harness.settle()
    body = only_reply(harness.recorder.messages(), data["id"], WATCHED_ID)
    assert_answer_body(body, harness.bot.service.engine.ask("who is akazawa?"))
    assert await harness.message("lol nice, see you tomorrow", channel_id=WATCHED_ID) == []
    assert await harness.message("", channel_id=WATCHED_ID) == []


async def test_watched_channel_answers_everything_when_questions_only_is_off(tmp_path) -> None:
    h = await started(bot_settings(tmp_path, questions_only=False))
    try:
        sent = await h.message("akazawa", channel_id=WATCHED_ID)
        assert len(sent) == 1
    finally:
        await h.stop()


async def test_unwatched_channel_without_mention_is_ignored(harness: Harness) -> None:
    assert await harness.message("who is akazawa?") == []


async def test_own_and_other_bots_messages_are_ignored(harness: Harness) -> None:
    assert (
        await harness.message(
            f"{MENTION} who is akazawa?", author_id=BOT_ID, name="tariffbot", bot=True, mentions=(BOT_ID,)
        )
        == []
    )
    assert (
        await harness.message(
            f"{MENTION} who is akazawa?",
            author_id=OTHER_BOT_ID,
            name="otherbot",
            bot=True,
            mentions=(BOT_ID,),
        )
        == []
    )
    assert (
        await harness.message("who is akazawa?", author_id=OTHER_BOT_ID, name="otherbot", bot=True, dm=True)
        == []
    )
    assert (
        await harness.message(
            "who is akazawa?", author_id=OTHER_BOT_ID, name="otherbot", bot=True, channel_id=WATCHED_ID
        )
        == []
    )


async def test_everyone_inside_a_question_never_pings(harness: Harness) -> None:
    text = f"{MENTION} @everyone @here <@{USER_ID}> **{NONSENSE}**"
    sent = await harness.message(text, mentions=(BOT_ID, USER_ID), mention_everyone=True)
    (reply,) = sent
    body = reply.json
    assert body["allowed_mentions"] == NONE
    echoed = str(body.get("content")) + str(body.get("embeds"))
    assert live_mentions(echoed) == [] and "everyone" not in echoed and "here" not in echoed
    assert f"<@{USER_ID}>" not in echoed
    assert NONSENSE not in echoed  # the user's words are never echoed back


async def test_bare_mention_gets_a_hint(harness: Harness) -> None:
    (reply,) = await harness.message(MENTION, mentions=(BOT_ID,))
    assert reply.json["content"] == HINT
    assert reply.json["allowed_mentions"] == NONE


@pytest.mark.parametrize("text", ["?" * 5000, "\u0000\u200b\ufeff?", "🇯🇵" * 1000 + "?", "a" * 20000])
async def test_weird_and_huge_input_is_handled(harness: Harness, text: str) -> None:
    (reply,) = await harness.message(f"{MENTION} {text}", mentions=(BOT_ID,))
    body = reply.json
    assert body["allowed_mentions"] == NONE
    assert len(body["content"] or "") <= 2000


async def test_decline_is_short_and_stored_without_user_ids(harness: Harness) -> None:
    answer = declining(harness, with_suggestions=False)
    (reply,) = await harness.message(f"{MENTION} {answer.question}", mentions=(BOT_ID,))
    assert reply.json["content"] == answer.lead
    assert "embeds" not in reply.json
    assert len(reply.json["content"]) < 400
    rows = await harness.bot.store.declined_summary()
    assert [(r.example, r.times) for r in rows] == [(answer.question, 1)]
    assert rows[0].best_fact_id == (answer.nearest.id if answer.nearest else None)
    assert rows[0].best_confidence == pytest.approx(answer.confidence)
    db = sqlite3.connect(harness.bot.settings.database)
    columns = {row[1] for row in db.execute("PRAGMA table_info(declined_questions)")}
    db.close()
    assert not any("user" in c or "author" in c for c in columns)


async def test_decline_offers_suggestion_buttons_that_answer_when_clicked(harness: Harness) -> None:
    answer = declining(harness, with_suggestions=True)
    data = message(f"{MENTION} {answer.question}", mentions=(BOT_ID,))
    harness.state.parse_message_create(data)
    await harness.settle()
    body = only_reply(harness.recorder.messages(), data["id"])
    assert body["content"] == answer.lead + "\nDid you mean one of these?"
    ids = custom_ids(body)
    assert ids and all(i.startswith("tb:suggest:") for i in ids)
    labels = [c["label"] for row in body["components"] for c in row["components"]]
    assert labels[0] == ui.clip(answer.suggestions[0], 80)

    posted = harness.recorder.message_from(str(CHANNEL_ID), body)
    clicked = await harness.click(ids[0], posted)
    (callback,) = clicked
    assert callback.path.endswith("/callback")
    assert callback.json["type"] == 4
    expected = harness.bot.service.engine.ask(answer.suggestions[0])
    assert expected.fact is not None, "asking a suggestion must answer it"
    assert callback.json["data"]["embeds"][0]["description"] == expected.fact.answer
    assert callback.json["data"]["allowed_mentions"] == NONE


async def test_feedback_buttons_store_the_vote_and_the_question(harness: Harness) -> None:
    fact = next(iter(harness.bot.service.kb.facts.values()))
    data = message(f"{MENTION} {fact.question}", mentions=(BOT_ID,))
    harness.state.parse_message_create(data)
    await harness.settle()
    body = only_reply(harness.recorder.messages(), data["id"])
    posted = {**harness.recorder.message_from(str(CHANNEL_ID), body), "referenced_message": data}
    answered = harness.bot.service.engine.ask(fact.question).fact
    (callback,) = await harness.click(f"tb:fb:0:{answered.id}", posted)
    assert callback.json["type"] == 4
    assert callback.json["data"]["flags"] == 64
    assert "noted" in callback.json["data"]["content"]
    (callback,) = await harness.click(f"tb:fb:1:{answered.id}", posted)
    rows = await harness.bot.store.votes()
    assert [(r.fact_id, r.question, r.helpful) for r in rows] == [
        (answered.id, fact.question, 0),
        (answered.id, fact.question, 1),
    ]


async def test_feedback_on_a_slash_answer_falls_back_to_the_fact_question(harness: Harness) -> None:
    fact = next(iter(harness.bot.service.kb.facts.values()))
    (callback,) = await harness.slash("ask", {"question": fact.question})
    answered = harness.bot.service.engine.ask(fact.question).fact
    posted = harness.recorder.message_from(str(CHANNEL_ID), callback.json["data"])
    await harness.click(f"tb:fb:1:{answered.id}", posted)
    rows = await harness.bot.store.votes()
    assert [(r.fact_id, r.question, r.helpful) for r in rows] == [
        (answered.id, answered.question, 1)
    ]
    assert await harness.click("tb:fb:1:not-on-this-message", posted) == []


async def test_cooldown_warns_once_then_stays_quiet_and_is_per_user(harness: Harness) -> None:
    rate = harness.bot.settings.discord.cooldown_rate
    for _ in range(rate):
        (reply,) = await harness.message("who is akazawa", dm=True)
        assert not reply.json["content"] or "faster" not in reply.json["content"]
    (warning,) = await harness.message("who is akazawa", dm=True)
    assert "try again in" in warning.json["content"]
    assert warning.json["allowed_mentions"] == NONE
    assert await harness.message("who is akazawa", dm=True) == []
    other = await harness.message("who is akazawa", dm=True, author_id=USER_ID + 1, name="bob")
    assert len(other) == 1 and "try again" not in (other[0].json["content"] or "")


async def test_an_error_while_answering_is_logged_and_reported_briefly(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(question: str) -> Answer:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(harness.bot.service.engine, "ask", boom)
    with caplog.at_level(logging.ERROR):
        (reply,) = await harness.message(f"{MENTION} who is akazawa", mentions=(BOT_ID,))
    assert reply.json["content"] == ui.ERROR_TEXT
    assert reply.json["allowed_mentions"] == NONE
    assert "Traceback" not in str(reply.json) and "exploded" not in str(reply.json)
    (record,) = [r for r in caplog.records if r.exc_info]
    assert "engine exploded" in str(record.exc_info[1])
