"""/settings through the real discord.py tree: Manage Server only, stored in SQLite, used at once and after
a restart; per-server watched channels, questions-only, cooldown and curator notices."""

from __future__ import annotations

import pytest

from tests.helpers import CHANNEL_ID, GUILD_ID, WATCHED_ID, bot_settings, started
from tests.server_support import (
    CURATOR_CHANNEL_ID,
    MEMBER,
    NONE,
    ROLE_ID,
    STRANGER_ID,
    option,
    places_harness,  # noqa: F401 (the fixture `h`)
    run,
    said,
)

UNKNOWN = "what colour is the flag of mars"  # declined: the articles do not say


def answered(sent) -> bool:
    return any(s.method == "POST" and s.path.endswith("/messages") for s in sent)


@pytest.mark.parametrize(("path", "options"), [
    ("settings show", ()), ("settings questions-only", (option("enabled", False, 5),)),
    ("settings watched add", (option("channel", CHANNEL_ID, 7),)), ("settings watched list", ()),
    ("settings cooldown", (option("questions", 1, 4), option("seconds", 60, 4))),
    ("settings curators", (option("channel", CURATOR_CHANNEL_ID, 7),)),
])
async def test_settings_need_manage_server(h, path, options):
    text = said(await run(h, path, *options, permissions=MEMBER, user_id=STRANGER_ID))
    assert text == "You need the **Manage Server** permission to use this command."
    assert await h.bot.store.all_server_settings() == {}


async def test_watched_channels_questions_only_and_a_restart(h, tmp_path):
    assert answered(await h.message("who is akazawa?", channel_id=WATCHED_ID))  # config.yaml's default
    assert not answered(await h.message("who is akazawa?", channel_id=CHANNEL_ID))
    text = said(await run(h, "settings watched add", option("channel", CHANNEL_ID, 7)))
    assert text == f"I now answer questions in <#{CHANNEL_ID}> unprompted."
    assert answered(await h.message("who is akazawa?", channel_id=CHANNEL_ID))
    text = said(await run(h, "settings watched remove", option("channel", WATCHED_ID, 7)))
    assert "no longer watch" in text
    assert not answered(await h.message("who is akazawa?", channel_id=WATCHED_ID))
    assert not answered(await h.message("akazawa", channel_id=CHANNEL_ID))  # not a question
    said(await run(h, "settings questions-only", option("enabled", False, 5)))
    assert answered(await h.message("akazawa", channel_id=CHANNEL_ID))
    listing = said(await run(h, "settings watched list"))
    assert f"<#{CHANNEL_ID}>" in listing and f"<#{WATCHED_ID}>" not in listing and "set here" in listing

    await h.stop()  # a restart keeps them
    again = await started(bot_settings(tmp_path))
    try:
        assert answered(await again.message("akazawa", channel_id=CHANNEL_ID))
        assert not answered(await again.message("who is akazawa?", channel_id=WATCHED_ID))
        said(await run(again, "settings watched reset"))
        assert answered(await again.message("who is akazawa?", channel_id=WATCHED_ID))
        assert not answered(await again.message("who is akazawa?", channel_id=CHANNEL_ID))
    finally:
        await again.stop()
        h.stop = again.stop  # the fixture stops it (twice is harmless)


async def test_a_servers_cooldown(h):
    assert said(await run(h, "settings cooldown", option("questions", 1, 4), option("seconds", 60, 4))) == \
        "Each member may ask 1 question(s) every 60 s."
    first = await h.message("who is akazawa?", channel_id=WATCHED_ID)
    second = await h.message("who is bessent?", channel_id=WATCHED_ID)
    assert "embeds" in first[0].json and "try again in 60 s" in second[0].json["content"]
    assert "1 question(s) every 60 s" in said(await run(h, "settings show"))
    said(await run(h, "settings cooldown", option("questions", 0, 4), option("seconds", 1, 4)))
    for _ in range(4):
        assert "embeds" in (await h.message("who is akazawa?", channel_id=WATCHED_ID))[0].json


async def test_curators_are_told_once_when_a_question_keeps_being_declined(h):
    text = said(await run(h, "settings curators", option("channel", CURATOR_CHANNEL_ID, 7),
                          option("role", ROLE_ID, 8), option("notify_after", 2, 4)))
    assert text == f"Curator role: <@&{ROLE_ID}>. Notices: in <#{CURATOR_CHANNEL_ID}> after 2 declines of " \
        "the same question."
    notices = []
    for _ in range(3):  # the default cooldown allows three
        sent = await h.message(f"<@{h.bot.user.id}> {UNKNOWN}?", mentions=(h.bot.user.id,))
        await h.bot.background.wait()
        await h.settle()
        notices += [s for s in h.recorder.sent if s.path == f"/channels/{CURATOR_CHANNEL_ID}/messages"]
        h.recorder.clear()
        assert sent
    (notice,) = notices  # the second decline, once
    text = said(await run(h, "settings curators", option("notify_after", 5, 4)))  # the rest stays
    assert text == f"Curator role: <@&{ROLE_ID}>. Notices: in <#{CURATOR_CHANNEL_ID}> after 5 declines of " \
        "the same question."
    assert said(await run(h, "settings curators", option("clear", "both"))) == \
        "Curator role: none (Manage Server only). Notices: off."
    assert "declined 2 times here" in notice.json["content"] and "flag of mars" in notice.json["content"]
    assert notice.json["allowed_mentions"] == NONE
    (row,) = await h.bot.store.declined_summary(guild_id=GUILD_ID)
    assert row.times == 3
    assert await h.bot.store.declined_summary(guild_id=GUILD_ID + 1) == []


async def test_no_curator_channel_no_notice(tmp_path):
    h = await started(bot_settings(tmp_path))
    try:
        for _ in range(3):
            await h.message(f"<@{h.bot.user.id}> {UNKNOWN}?", mentions=(h.bot.user.id,))
        await h.bot.background.wait()
        assert [s.path for s in h.recorder.sent if s.method == "POST"] == \
            [f"/channels/{CHANNEL_ID}/messages"] * 3
        assert (await h.bot.store.declined_summary())[0].times == 3
    finally:
        await h.stop()
