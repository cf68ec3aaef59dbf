"""The Discord side of automatic updates, through the issue-3 harness (real discord.py code paths)."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.core.updates.records import UpdateItem
from tests.helpers import (
    CHANNEL_ID,
    DM_CHANNEL_ID,
    USER_ID,
    WATCHED_ID,
    Harness,
    Sent,
    bot_settings,
    command,
    interaction,
    post_text,
    started,
    text_channel,
)

STRANGER_ID = 1_000_000_000_000_000_777  # a member who is not the owner: no Manage Channels
NONE = {"parse": []}


def quiet(h: Harness) -> Any:
    """The Updates cog with its loops stopped, so a test drives delivery itself."""
    cog = h.bot.get_cog("Updates")
    for loop in cog.loops:
        loop.cancel()
    return cog


async def slash(h: Harness, name: str, options: dict[str, Any] | None = None, *, channel: int | None = None,
                user_id: int = USER_ID, dm: bool = False) -> list[Sent]:
    """A slash command through the harness; `channel` becomes a real channel option with resolved data."""
    data = command(name, options)
    if channel is not None:
        data["options"].append({"name": "channel", "type": 7, "value": str(channel)})
        data["resolved"] = {"channels": {str(channel): {**text_channel(channel, "c"), "permissions": "0"}}}
    before = len(h.recorder.sent)
    await h.bot.tree._call(discord.Interaction(data=interaction(2, data, dm=dm, user_id=user_id),
                                               state=h.state))
    await h.settle()
    return h.recorder.sent[before:]


def reply(sent: list[Sent]) -> str:
    """The text of the one ephemeral reply (content or embed description)."""
    hooks = [s for s in sent if s.via == "webhook"]
    followups = [s for s in hooks if not s.path.endswith("/callback")]
    if followups:  # deferred first (the database may be slow), then answered
        assert hooks[0].json == {"type": 5, "data": {"flags": 64}}
        (only,) = followups
        data = only.json
    else:
        (only,) = hooks
        data = only.json["data"]
    assert data["flags"] & 64 and data["allowed_mentions"] == NONE
    return data.get("content") or data["embeds"][0]["description"]


def posts(*recorders: Any) -> list[Sent]:
    """Every channel message the bots posted (REST)."""
    return [s for r in recorders for s in r.sent if s.via == "http" and s.method == "POST"
            and s.path.endswith("/messages")]


def items(n: int) -> list[UpdateItem]:
    return [UpdateItem("knowledge", f"t:{i}", ("tariffs",), f"update number {i}") for i in range(n)]


@pytest.fixture
async def h(tmp_path: Path):
    harness = await started(bot_settings(tmp_path))
    try:
        yield harness
    finally:
        await harness.stop()


async def test_loops_start_in_cog_load_and_stop_in_cog_unload(h):
    cog = h.bot.get_cog("Updates")
    assert all(loop.is_running() for loop in cog.loops)
    loops = cog.loops
    await h.bot.unload_extension("bot.exts.updates")
    assert not any(loop.is_running() for loop in loops)
    await h.bot.load_extension("bot.exts.updates")
    assert all(loop.is_running() for loop in h.bot.get_cog("Updates").loops)


async def test_member_without_manage_channels_cannot_subscribe_a_channel(h):
    text = reply(await slash(h, "subscribe", channel=CHANNEL_ID, user_id=STRANGER_ID))
    assert "Manage Channels" in text and "DMs" in text
    assert await h.bot.store.subscriptions() == []
    text = reply(await slash(h, "unsubscribe", channel=CHANNEL_ID, user_id=STRANGER_ID))
    assert "Manage Channels" in text
    text = reply(await slash(h, "subscribe", {"topics": "news, autos"}, user_id=STRANGER_ID))
    assert text.startswith("Subscribed your DMs: autos, news")
    (sub,) = await h.bot.store.subscriptions()
    assert (sub.kind, sub.target_id, sub.topics) == ("dm", STRANGER_ID, ("autos", "news"))


async def test_subscribe_a_channel_topics_list_and_unsubscribe(h):
    text = reply(await slash(h, "subscribe", {"topics": "tariffs,schedule"}, channel=CHANNEL_ID))
    assert text == f"Subscribed <#{CHANNEL_ID}>: tariffs, schedule."
    assert "Unknown topic(s): weather" in reply(await slash(h, "subscribe", {"topics": "weather"}))
    reply(await slash(h, "subscribe"))  # the owner's own DMs, all topics
    listing = reply(await slash(h, "subscriptions"))
    assert f"<#{CHANNEL_ID}>: tariffs, schedule" in listing and "your DMs: all topics" in listing
    assert reply(await slash(h, "unsubscribe", channel=CHANNEL_ID)) == f"Unsubscribed <#{CHANNEL_ID}>."
    assert [s.kind for s in await h.bot.store.subscriptions()] == ["dm"]


async def test_topics_autocomplete_completes_the_last_topic(h):
    sent = await h.autocomplete("subscribe", {"topics": "tariffs, a"}, "topics")
    values = [c["value"] for c in sent.json["data"]["choices"]]
    assert values == ["tariffs, autos", "tariffs, agriculture"]


async def test_reload_is_owner_only(h):
    quiet(h)
    assert "Only the bot's owner" in reply(await slash(h, "reload", user_id=STRANGER_ID))
    sent = await slash(h, "reload")
    (followup,) = [s for s in sent if s.via == "webhook" and not s.path.endswith("/callback")]
    assert followup.json["content"].startswith("Fact base checked: ")
    assert followup.json["flags"] & 64


async def test_delivery_uses_the_nonce_no_mentions_and_dms(h):
    cog = quiet(h)
    reply(await slash(h, "subscribe", channel=CHANNEL_ID))
    reply(await slash(h, "subscribe"))
    await h.bot.store.queue_updates(items(3))
    report = await cog.outbox.drain()
    assert (report.messages, report.deliveries) == (2, 6)
    create_dm = [s for s in h.recorder.sent if s.path == "/users/@me/channels"]
    assert create_dm[0].json == {"recipient_id": USER_ID}
    for post in posts(h.recorder):
        assert post.json["enforce_nonce"] is True
        assert post.json["allowed_mentions"] == NONE
        assert "update number 2" in post_text(post.json)
    # the nonce is random (never a row id a fresh or restored database would reuse), at most 25 characters,
    # and the message ends with it as its fingerprint
    nonces = [p.json["nonce"] for p in posts(h.recorder)]
    assert len(set(nonces)) == 2 and all(re.fullmatch(r"[0-9a-f]{20}", n) for n in nonces)
    for post in posts(h.recorder):
        assert post.json["content"].splitlines()[-1] == f"-# ref {post.json['nonce']}"
    assert {p.path for p in posts(h.recorder)} == {f"/channels/{CHANNEL_ID}/messages",
                                                   f"/channels/{DM_CHANNEL_ID}/messages"}


def http_error(status: int, message: str) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="error")
    kind = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
    return kind(response, {"code": 50013 if status == 403 else 0, "message": message})


async def test_403_pauses_and_says_why_429_and_500_retry(h):
    cog = quiet(h)
    for channel in (CHANNEL_ID, WATCHED_ID):
        reply(await slash(h, "subscribe", channel=channel))
    reply(await slash(h, "subscribe"))
    await h.bot.store.queue_updates(items(1))
    real = h.bot.http.request
    errors = {f"/channels/{WATCHED_ID}/messages": [http_error(403, "Missing Permissions")],
              f"/channels/{DM_CHANNEL_ID}/messages": [http_error(429, "slow down"), http_error(500, "oops")]}

    async def flaky(route, **kwargs):
        queue = errors.get(route.url.removeprefix(discord.http.Route.BASE))
        if queue:
            raise queue.pop(0)
        return await real(route, **kwargs)

    h.bot.http.request = flaky
    report = await cog.outbox.drain()
    assert report.messages == 1 and report.retried == 1 and len(report.paused) == 1
    paused = await h.bot.store.subscription("channel", WATCHED_ID)
    assert "403" in paused.paused_reason and "Missing Permissions" in paused.paused_reason
    listing = reply(await slash(h, "subscriptions"))
    assert f"<#{WATCHED_ID}>: all topics — **paused**" in listing and "Missing Permissions" in listing
    now = time.time()
    cog.outbox.clock = lambda: now + 1000  # later: the DM is retried (500 this time), then delivered
    assert (await cog.outbox.drain()).retried == 1
    cog.outbox.clock = lambda: now + 5000  # a 500 may have posted it: the DM is looked at first
    assert (await cog.outbox.drain()).messages == 1
    assert any(s.method == "GET" and s.path == f"/channels/{DM_CHANNEL_ID}/messages" for s in h.recorder.sent)
    assert await h.bot.store.outbox_counts() == {"sent": 2, "pending": 1}


class Crash(BaseException):
    """Stands in for the process dying."""


async def test_restart_between_send_and_mark_delivers_every_update_exactly_once(tmp_path):
    settings = bot_settings(tmp_path)
    settings = replace(settings, updates=replace(settings.updates, digest_limit=5))
    first = await started(settings)
    try:
        cog = quiet(first)
        for channel in (CHANNEL_ID, WATCHED_ID):
            reply(await slash(first, "subscribe", channel=channel))
        reply(await slash(first, "subscribe"))
        await first.bot.store.queue_updates(items(12))

        async def die(*args: Any, **kwargs: Any) -> None:
            raise Crash  # the recorder (Discord) accepted the messages; the bot dies before marking

        first.bot.store.mark_sent = die
        with pytest.raises(Crash):
            await cog.outbox.drain()
        # marked one by one: the crash comes with the first accepted digest, the others were in flight
        assert 1 <= len(posts(first.recorder)) <= 3
    finally:
        await first.stop()

    second = await started(settings)  # restart on the same database
    try:
        await second.bot.store.queue_updates(items(13)[12:])  # one more update arrives
        outbox = quiet(second).outbox
        outbox.clock = lambda: time.time() + 30  # past the crashed attempts' lease, inside the nonce window
        await outbox.drain()
        assert await second.bot.store.outbox_counts() == {"sent": 39}
    finally:
        await second.stop()

    # Discord keeps one message per (channel, nonce) thanks to enforce_nonce: a resend must be identical.
    kept: dict[tuple[str, int], str] = {}
    for post in posts(first.recorder, second.recorder):
        assert post.json["enforce_nonce"] is True
        text = post_text(post.json)
        assert kept.setdefault((post.path, post.json["nonce"]), text) == text
    for channel in (CHANNEL_ID, WATCHED_ID, DM_CHANNEL_ID):
        numbers = sorted(int(line.rsplit(" ", 1)[1]) for (path, _), content in kept.items()
                         if path == f"/channels/{channel}/messages"
                         for line in content.splitlines() if "update number" in line)
        assert numbers == list(range(13)), channel


async def test_subscriptions_says_when_delivery_is_held(h):
    cog = quiet(h)
    assert "held" not in reply(await slash(h, "subscriptions"))
    cog.outbox.health = "delivery held: the database cannot record deliveries (database or disk is full)"
    listing = reply(await slash(h, "subscriptions"))
    assert "⚠ delivery held: the database cannot record deliveries (database or disk is full)" in listing
