"""/feeds through the real discord.py tree against a local feed server: URL refusals (loopback by default,
a redirect to a private address), caps, the silent first poll and backfill, /feeds test sending nothing,
and the posts: embeds with link, source and why, in a thread, a forum, with exactly the chosen role."""

from __future__ import annotations

import time
from dataclasses import replace
from unittest import mock

import aiohttp
import discord
import pytest
from aiohttp import web

from bot import posts
from bot.core.updates.outbox import DestinationGone, SendRejected
from bot.core.updates.records import Batch, SubscriptionKind, UpdateItem
from bot.exts.updates import Updates
from tests.helpers import CHANNEL_ID, GUILD_ID, bot_settings, started
from tests.server_support import (
    FORUM_ID,
    MEMBER,
    NONE,
    QUIET_ROLE_ID,
    ROLE_ID,
    STRANGER_ID,
    THREAD_ID,
    add_places,
    forum,
    option,
    role,
    run,
    said,
)
from tests.test_feed_flood import HOUR, rss
from tests.updates_support import local_server

STORIES = [("Akazawa and Bessent discuss tariffs on Japanese cars in Washington", 1),
           ("Japan and the US agree to speed up tariff talks, Akazawa says", 2),
           ("Local football club wins the cup", 3)]


class Feeds:
    def __init__(self) -> None:
        self.hits: list[str] = []
        self.base = ""
        self.stories = list(STORIES)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path)
        if request.path == "/to-private":
            raise web.HTTPFound(f"http://127.0.0.2:{request.url.port}/rss")
        if request.path == "/rss":
            return web.Response(text=rss(self.stories), content_type="application/rss+xml")
        return web.Response(text="not a feed <<", content_type="text/html")


@pytest.fixture
async def feeds():
    srv = Feeds()
    async with local_server(srv.handle) as srv.base:
        yield srv


async def bot(tmp_path, **updates):
    settings = bot_settings(tmp_path)
    # the stories are dated around this clock: 1 750 000 000 (tests/test_feed_flood.py)
    settings = replace(settings, updates=replace(settings.updates, **updates))
    h = await started(settings)
    add_places(h)
    cog = h.bot.get_cog("Updates")
    for loop in cog.loops:
        loop.cancel()
    cog.poller.clock = cog.outbox.clock = h.bot.store.clock = lambda: 1_750_000_000.0 + HOUR / 2
    return h


@pytest.fixture
async def h(tmp_path):
    harness = await bot(tmp_path, feed_allowed_networks=("127.0.0.1/32",))
    try:
        yield harness
    finally:
        await harness.stop()


def followup_embeds(sent) -> list[dict]:
    (last,) = [s for s in sent if s.via == "webhook" and not s.path.endswith("/callback")]
    return last.json.get("embeds") or []


def posted(h, path_end: str = "/messages"):
    return [s for s in h.recorder.sent if s.via == "http" and s.method == "POST" and s.path.endswith(path_end)
            and "/users/" not in s.path]


async def test_loopback_is_refused_by_default_before_anything_is_fetched(tmp_path, feeds):
    h = await bot(tmp_path)  # config.yaml allows no network
    try:
        text = said(await run(h, "feeds add", option("url", feeds.base + "/rss")))
        assert text == "I can't use that URL: 127.0.0.1 is a loopback address; feeds may only reach public " \
            "addresses."
        text = said(await run(h, "feeds add", option("url", "ftp://example.com/rss")))
        assert text == "I can't use that URL: only http:// and https:// URLs are allowed."
        assert "loopback" in said(await run(h, "feeds test", option("feed", feeds.base + "/rss")))
    finally:
        await h.stop()
    assert feeds.hits == []


async def test_a_redirect_to_a_private_address_is_refused(h, feeds):
    text = said(await run(h, "feeds add", option("url", feeds.base + "/to-private"))).replace("\\", "")
    assert text.startswith("Not added: I couldn't read that feed (refused: 127.0.0.2 is a loopback address")
    assert feeds.hits == ["/to-private"] and await h.bot.store.server_feeds() == []
    text = said(await run(h, "feeds add", option("url", feeds.base + "/page"))).replace("\\", "")
    assert text.startswith("Not added: I couldn't read that feed (malformed feed")
    assert await h.bot.store.server_feeds() == [] and await h.bot.store.feed_states() == []


async def test_only_manage_server_may_touch_feeds(h, feeds):
    for path, options in (("feeds add", [option("url", feeds.base + "/rss")]), ("feeds list", []),
                          ("feeds test", [option("feed", feeds.base + "/rss")]),
                          ("feeds remove", [option("feed", "x")])):
        text = said(await run(h, path, *options, permissions=MEMBER, user_id=STRANGER_ID))
        assert text == "You need the **Manage Server** permission to use this command."
    assert feeds.hits == [] and await h.bot.store.server_feeds() == []


async def test_add_is_silent_but_for_the_backfill_and_posts_embeds_with_exactly_the_role(h, feeds):
    said(await run(h, "subscribe", option("channel", CHANNEL_ID, 7), option("topics", "news"),
                   option("role", ROLE_ID, 8)))
    text = said(await run(h, "feeds add", option("url", feeds.base + "/rss"), option("name", "Wire"),
                          option("backfill", 1, 4)))
    assert "3 item(s), 2 relevant and recent. 1 recorded without posting; 1 queued" in text
    report = await h.bot.get_cog("Updates").outbox.drain()
    assert report.messages == 1
    (post,) = posted(h)
    body = post.json
    assert post.path == f"/channels/{CHANNEL_ID}/messages"
    assert body["allowed_mentions"] == {"parse": [], "roles": [ROLE_ID]}  # that role, never everyone
    assert body["content"].startswith(f"<@&{ROLE_ID}>\n-# ref ")
    (embed,) = body["embeds"]
    assert embed["title"] == "Akazawa and Bessent discuss tariffs on Japanese cars in Washington"
    assert embed["url"].startswith("https://wire.example/")
    assert {f["name"]: f["value"] for f in embed["fields"]} == {
        "Source": "Wire", "Why it matched": "mentions Akazawa, Bessent and tariffs"}
    listing = said(await run(h, "feeds list"))
    assert "**Wire**" in listing and "last read" in listing and "1 of 10 feeds" in listing
    text = said(await run(h, "feeds add", option("url", feeds.base + "/rss")))
    assert text == "Not added: this server already has that feed, as “Wire”."


async def test_feeds_test_shows_what_would_be_posted_and_sends_nothing(h, feeds):
    said(await run(h, "subscribe", option("channel", CHANNEL_ID, 7)))
    said(await run(h, "feeds add", option("url", feeds.base + "/rss"), option("name", "Wire")))
    sent = await run(h, "feeds test", option("feed", "Wire"))
    text = said(sent)
    assert "3 newest item(s), 0 to post now" in text and text.count("already posted or recorded") == 2
    assert "not relevant" in text
    assert posted(h) == [] and await h.bot.store.outbox_counts() == {}
    feeds.stories.insert(0, ("Trump says Japan talks on tariffs go well, Lutnick agrees", 0.25))
    sent = await run(h, "feeds test", option("feed", "Wire"))
    assert "4 newest item(s), 1 to post now" in said(sent)
    assert "✅ Trump says Japan talks on tariffs go well, Lutnick agrees — would be posted" in said(sent)
    (shown,) = followup_embeds(sent)
    assert shown["title"] == "Trump says Japan talks on tariffs go well, Lutnick agrees"
    assert shown["fields"][0] == {"name": "Source", "value": "Wire", "inline": True}
    assert posted(h) == [] and await h.bot.store.outbox_counts() == {}  # shown, not sent nor stored
    preview = said(await run(h, "feeds test", option("feed", feeds.base + "/rss?new=1")))
    assert "Not one of this server's feeds" in preview
    assert "removed" in said(await run(h, "feeds remove", option("feed", "Wire"))).lower()
    assert await h.bot.store.server_feeds() == [] and await h.bot.store.feed_states() == []


async def test_a_server_may_have_only_so_many_feeds(tmp_path, feeds):
    h = await bot(tmp_path, feed_allowed_networks=("127.0.0.1/32",), server_feed_limit=1)
    try:
        said(await run(h, "feeds add", option("url", feeds.base + "/rss")))
        text = said(await run(h, "feeds add", option("url", feeds.base + "/rss?b=2"), option("name", "b")))
        assert text == "Not added: this server has 1 feeds, its limit: remove one first."
        assert [f.name for f in await h.bot.store.server_feeds(GUILD_ID)] == ["127.0.0.1"]
    finally:
        await h.stop()


async def test_a_thread_target(h, feeds):
    said(await run(h, "subscribe", option("channel", THREAD_ID, 7), option("topics", "news")))
    said(await run(h, "feeds add", option("url", feeds.base + "/rss"), option("backfill", 2, 4)))
    await h.bot.get_cog("Updates").outbox.drain()
    (post,) = posted(h)
    assert post.path == f"/channels/{THREAD_ID}/messages" and post.json["enforce_nonce"] is True
    assert len(post.json["embeds"]) == 2 and post.json["allowed_mentions"] == NONE


async def test_a_forum_gets_one_post_per_digest(h, feeds):
    listing = said(await run(h, "subscribe", option("channel", FORUM_ID, 7), option("topics", "news")))
    assert "a new post per digest" in listing
    said(await run(h, "feeds add", option("url", feeds.base + "/rss"), option("backfill", 1, 4)))
    await h.bot.get_cog("Updates").outbox.drain()
    assert posted(h) == []
    (post,) = posted(h, "/threads")
    assert post.path == f"/channels/{FORUM_ID}/threads"
    assert post.json["name"] == "Akazawa and Bessent discuss tariffs on Japanese cars in Washington"
    message = post.json["message"]
    assert message["allowed_mentions"] == NONE and message["content"].startswith("-# ref ")
    assert message["embeds"][0]["fields"][1]["value"] == "mentions Akazawa, Bessent and tariffs"
    assert await h.bot.store.outbox_counts() == {"sent": 1}


async def test_a_forum_that_requires_tags_is_refused_rather_than_failing_every_post(h):
    """Discord refuses a forum post without a tag in a forum that requires one (400, code 40067): such a
    subscription would never deliver, so it is refused with what to do."""
    h.state.parse_channel_update({**forum(), "flags": int(discord.ChannelFlags(require_tag=True).value)})
    text = said(await run(h, "subscribe", option("channel", FORUM_ID, 7), option("topics", "news")))
    assert "requires a tag" in text and await h.bot.store.subscriptions() == []


async def test_a_forum_that_starts_requiring_tags_pauses_its_subscription_and_loses_nothing(h, feeds):
    """A forum turned to require tags after subscribing: no post is attempted (Discord would refuse it),
    the subscription is paused with what to change, and its updates wait in the outbox."""
    said(await run(h, "subscribe", option("channel", FORUM_ID, 7), option("topics", "news")))
    h.state.parse_channel_update({**forum(), "flags": int(discord.ChannelFlags(require_tag=True).value)})
    said(await run(h, "feeds add", option("url", feeds.base + "/rss"), option("backfill", 1, 4)))
    await h.bot.get_cog("Updates").outbox.drain()
    assert posted(h, "/threads") == []
    (subscription,) = await h.bot.store.subscriptions()
    assert subscription.paused_reason is not None and "requires a tag" in subscription.paused_reason
    assert "pending" in await h.bot.store.outbox_counts()


def test_discord_refusing_a_post_for_want_of_a_tag_pauses_the_destination() -> None:
    """The forum changed before the bot heard of it: Discord's 400 with code 40067 pauses, never retries."""
    response = mock.Mock(spec_set=aiohttp.ClientResponse, status=400, reason="Bad Request")
    refused = discord.HTTPException(response, {"code": posts.TAG_REQUIRED_CODE,
                                               "message": "A tag is required to create a forum post"})
    batch = mock.Mock(spec_set=Batch, kind=SubscriptionKind.CHANNEL)
    translated = Updates._translate(refused, batch)
    assert isinstance(translated, DestinationGone) and "requires a tag" in str(translated)
    other = discord.HTTPException(response, {"code": 50035, "message": "Invalid Form Body"})
    assert isinstance(Updates._translate(other, batch), SendRejected)


@pytest.mark.parametrize(("role", "error"), [
    (GUILD_ID, "never mention @everyone"),  # the @everyone role has the guild's id
])
async def test_roles_that_may_not_be_mentioned_are_refused(h, role, error):
    text = said(await run(h, "subscribe", option("channel", CHANNEL_ID, 7), option("role", role, 8)))
    assert error in text and await h.bot.store.subscriptions() == []
    text = said(await run(h, "subscribe", option("role", ROLE_ID, 8)))
    assert "only be mentioned in a channel" in text


async def test_a_role_that_is_not_mentionable_needs_permission(h):
    everyone = role(GUILD_ID, "@everyone", mentionable=False)
    everyone["permissions"] = str(MEMBER.value & ~discord.Permissions(mention_everyone=True).value)
    # the bot may no longer mention every role
    h.state.parse_guild_role_update({"guild_id": str(GUILD_ID), "role": everyone})
    text = said(await run(h, "subscribe", option("channel", CHANNEL_ID, 7), option("role", QUIET_ROLE_ID, 8)))
    assert f"<@&{QUIET_ROLE_ID}> is not mentionable, and I may not mention it" in text
    assert await h.bot.store.subscriptions() == []
    text = said(await run(h, "subscribe", option("channel", CHANNEL_ID, 7), option("role", ROLE_ID, 8)))
    assert text == f"Subscribed <#{CHANNEL_ID}>: all topics, mentioning <@&{ROLE_ID}>."


async def test_a_forum_post_that_may_have_been_made_is_found_not_posted_again(tmp_path):
    h = await started(bot_settings(tmp_path))
    add_places(h)
    cog = h.bot.get_cog("Updates")
    for loop in cog.loops:
        loop.cancel()
    real = h.recorder.http_request
    lost: list[str] = []

    async def answer_lost(route, **kwargs):  # Discord creates the post, and the answer never arrives
        created = await real(route, **kwargs)
        if route.url.endswith("/threads") and not lost:
            lost.append(created["id"])
            raise aiohttp.ServerDisconnectedError()
        return created

    try:
        said(await run(h, "subscribe", option("channel", FORUM_ID, 7), option("topics", "tariffs")))
        h.bot.http.request = answer_lost
        await h.bot.store.queue_updates([UpdateItem("knowledge", "k:1", ("tariffs",), "update number 1")])
        first = await cog.outbox.drain()
        assert first.retried == 1 and lost
        # due again, well inside the nonce window: but a forum post has no nonce to resend with
        cog.outbox.clock = lambda: time.time() + 10
        second = await cog.outbox.drain()
        assert second.found == 1 and second.messages == 1
        assert len([s for s in h.recorder.sent if s.path.endswith("/threads")]) == 1
        assert await h.bot.store.outbox_counts() == {"sent": 1}
    finally:
        await h.stop()


def embeds_chars(embeds: list[dict]) -> int:
    """Discord's count of a message's embed characters (title, description, fields, footer, author)."""
    return sum(len(e.get("title", "")) + len(e.get("description", ""))
               + len(e.get("footer", {}).get("text", "")) + len(e.get("author", {}).get("name", ""))
               + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", [])) for e in embeds)


async def test_feeds_test_keeps_its_embeds_within_discords_6000_characters(h):
    """Ten long relevant items (titles and summaries full of characters that are escaped) still make one
    message Discord accepts: at most 10 embeds, at most 6,000 embed characters in all."""
    word = "Akazawa tariffs: ((--__**))[[~~||]]:: "
    stories = [("Local football club wins the cup", 1.0)]

    async def handle(request: web.Request) -> web.Response:
        if not stories:
            items = "".join(
                f"<item><title>{n} {word * 8}</title><link>https://wire.example/{n}</link>"
                f"<description>{word * 8}</description><pubDate>Sun, 15 Jun 2025 1{n}:00:00 GMT</pubDate>"
                "</item>" for n in range(10))
            return web.Response(text=f'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>'
                                     f"{items}</channel></rss>", content_type="application/rss+xml")
        return web.Response(text=rss(stories), content_type="application/rss+xml")

    async with local_server(handle, "/rss") as base:
        said(await run(h, "feeds add", option("url", base + "/rss"), option("name", "Wire")))
        stories.clear()  # now ten new relevant items
        sent = await run(h, "feeds test", option("feed", "Wire"))
    text = said(sent)
    assert "10 newest item(s), 10 to post now" in text
    embeds = followup_embeds(sent)
    assert 1 <= len(embeds) <= 10 and embeds_chars(embeds) <= 6000
    assert all(e["title"].startswith(str(9 - n)) for n, e in enumerate(embeds))  # the newest first


async def test_a_feed_servers_error_text_is_shown_inert(h):
    """A failing feed's error holds the server's own words (the HTTP reason phrase): /feeds list and
    /subscriptions show them escaped, so they cannot form a masked link or a mention."""
    broken: list[bool] = []

    async def handle(request: web.Request) -> web.Response:
        if broken:
            return web.Response(status=503, reason="[Verify your account](https://phish.example) <@&1>")
        return web.Response(text=rss(STORIES), content_type="application/rss+xml")

    async with local_server(handle, "/rss") as base:
        said(await run(h, "feeds add", option("url", base + "/rss"), option("name", "Wire")))
        broken.append(True)
        (source,) = [s for s in await h.bot.get_cog("Updates").poller.sources() if s.guild_id]
        await h.bot.get_cog("Updates").poller.poll(source, force=True)
    for text in (said(await run(h, "feeds list")), said(await run(h, "subscriptions"))):
        assert "failing (1 in a row" in text
        assert "\\[Verify your account\\]\\(https\\://phish.example\\) \\<\\@&1\\>" in text, text


async def test_a_feed_with_a_long_non_ascii_url_is_answered_within_2000_characters(h, feeds):
    """A URL of 600 Japanese characters is 5,400 once percent-encoded for its link: every answer about the
    feed (add, list, remove) still fits one Discord message."""
    url = feeds.base + "/rss?topic=" + "関税" * 300
    sent = await run(h, "feeds add", option("url", url), option("name", "Long"))
    for text in (said(sent), said(await run(h, "feeds list")), said(await run(h, "feeds remove",
                                                                                option("feed", "Long")))):
        assert 0 < len(text) <= 2000
