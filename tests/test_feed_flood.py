"""No flood: a new feed's first poll is silent (but its backfill), old items are never posted, and a
server's feed posts to that server's subscriptions only. Against a real aiohttp feed server on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace
from email.utils import formatdate

import pytest
from aiohttp import web

from bot.core.loader import load_knowledge
from bot.core.model import TOPICS
from bot.core.settings import FeedSettings, UpdateSettings
from bot.core.updates.feeds import FeedPoller, FeedSource, Verdict
from bot.core.updates.outbox import Outbox
from bot.core.updates.records import QueueResult
from bot.core.updates.relevance import RelevanceIndex
from tests.updates_support import KNOWLEDGE, Clock, FakeSender, local_server, open_store

NOW = 1_750_000_000.0
HOUR = 3600.0
STORIES = [  # (title, hours old): all about the talks but the football
    ("Akazawa and Bessent discuss tariffs on Japanese cars in Washington", 1),
    ("Japan and the US agree to speed up tariff talks, Akazawa says", 2),
    ("Local football club wins the cup", 3),
    ("Rice farmers watch the Japan US tariff talks closely", 5),
    ("Akazawa flies to Washington for tariff talks with Bessent and Lutnick", 24 * 30),  # a month old
]


def rss(stories: list[tuple[str, float]]) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>https://wire.example/{abs(hash(title))}</link>"
        f"<pubDate>{formatdate(NOW - hours * HOUR, usegmt=True)}</pubDate></item>"
        for title, hours in stories)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>{items}</channel></rss>'


class FeedServer:
    def __init__(self) -> None:
        self.stories = list(STORIES)
        self.base = ""

    async def feed(self, request: web.Request) -> web.Response:
        return web.Response(text=rss(self.stories), content_type="application/rss+xml")


@pytest.fixture
async def server():
    srv = FeedServer()
    async with local_server(srv.feed, "/rss") as srv.base:
        yield srv


@pytest.fixture
async def store(tmp_path):
    s = await open_store(tmp_path / "flood.sqlite3")
    yield s
    await s.close()


@pytest.fixture(scope="module")
def index() -> RelevanceIndex:
    return RelevanceIndex(load_knowledge(KNOWLEDGE))


def settings(server: FeedServer, **changes) -> UpdateSettings:
    feeds = (FeedSettings("wire", server.base + "/rss"),)
    base = UpdateSettings(feed_poll_seconds=600, feed_timeout_seconds=2, feeds=feeds,
                          feed_allowed_networks=("127.0.0.1/32",))
    return replace(base, **changes)


async def delivered(store) -> list[str]:
    sender = FakeSender()
    await Outbox(store, sender, clock=Clock(NOW)).drain()
    return [content for *_, content in sender.sent]


async def test_the_first_poll_records_silently_then_only_new_items_are_posted(server, store, index):
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    clock = Clock(NOW)
    poller = FeedPoller(store, settings(server), lambda: index, clock=clock)
    try:
        (first,) = await poller.poll_all()
        assert (first.status, first.items, first.relevant, first.silent) == ("ok", 5, 3, 3)
        assert first.queued == QueueResult(updates=0, duplicates=0, deliveries=0, silent=3)
        assert await delivered(store) == []
        server.stories.insert(0, ("Trump says Japan talks on tariffs go well, Lutnick agrees", 0.5))
        clock.advance(600)
        (second,) = await poller.poll_all()
    finally:
        await poller.close()
    assert (second.relevant, second.silent, second.queued.updates) == (4, 0, 1)
    (digest,) = await delivered(store)
    assert "Trump says Japan talks" in digest and "Akazawa and Bessent" not in digest


async def test_backfill_posts_the_n_newest_relevant_items_and_never_an_old_one(server, store, index):
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    poller = FeedPoller(store, settings(server, feed_backfill=2), lambda: index, clock=Clock(NOW))
    try:
        (first,) = await poller.poll_all()
    finally:
        await poller.close()
    assert (first.relevant, first.silent, first.queued.deliveries) == (3, 1, 2)
    assert (first.queued.updates, first.queued.silent) == (2, 1)
    (digest,) = await delivered(store)
    assert "Akazawa and Bessent" in digest and "speed up tariff talks" in digest
    assert "Rice farmers" not in digest  # the third newest: recorded silently

    await store.subscribe("channel", 2, 10, 5, TOPICS)
    other = (FeedSettings("other", server.base + "/rss?x=1"),)
    poller = FeedPoller(store, settings(server, feeds=other, feed_backfill=50), lambda: index,
                        clock=Clock(NOW))
    try:
        await poller.poll_all()
    finally:
        await poller.close()
    assert "flies to Washington" not in " ".join(await delivered(store))  # a month old: never posted


async def test_no_age_limit_when_zero(server, store, index):
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    poller = FeedPoller(store, settings(server, feed_backfill=50, feed_max_age_days=0), lambda: index,
                        clock=Clock(NOW))
    try:
        (first,) = await poller.poll_all()
    finally:
        await poller.close()
    assert (first.relevant, first.queued.deliveries) == (4, 4)


async def test_a_servers_feed_posts_to_that_servers_channels_only(server, store, index):
    await store.subscribe("channel", 1, 10, 5, TOPICS)  # server 10
    await store.subscribe("channel", 2, 20, 5, TOPICS)  # server 20
    await store.subscribe("dm", 5, None, 5, TOPICS)
    await store.add_server_feed(10, "wire", server.base + "/rss", 1, 5, limit=10)
    await store.add_server_feed(20, "same wire", server.base + "/rss", 1, 5, limit=10)
    poller = FeedPoller(store, settings(server, feeds=()), lambda: index, clock=Clock(NOW))
    try:
        results = await poller.poll_all()
    finally:
        await poller.close()
    assert [(r.feed, r.queued.deliveries) for r in results] == [("wire", 1), ("same wire", 1)]
    sender = FakeSender()
    await Outbox(store, sender, clock=Clock(NOW)).drain()
    assert sorted(target for _, target, *_ in sender.sent) == [1, 2]  # the same story in both, no DM
    assert all("Akazawa and Bessent" in content for *_, content in sender.sent)
    states = {s.name for s in await store.feed_states()}
    assert states == {"server:1", "server:2"}


async def test_preview_says_what_a_poll_would_do_and_changes_nothing(server, store, index):
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    feed = await store.add_server_feed(10, "wire", server.base + "/rss", 1, 5, limit=10)
    poller = FeedPoller(store, settings(server, feeds=()), lambda: index, clock=Clock(NOW))
    source = FeedSource.of_server(feed, poller.settings)
    try:
        before = [verdict for _, verdict in await poller.preview(source)]
        assert before == [Verdict.POST, Verdict.SILENT, Verdict.IRRELEVANT, Verdict.SILENT, Verdict.OLD]
        assert await store.feed_states() == [] and await store.outbox_counts() == {}
        await poller.poll_all()
        after = [verdict for _, verdict in await poller.preview(source)]
    finally:
        await poller.close()
    assert after == [Verdict.SEEN, Verdict.SEEN, Verdict.IRRELEVANT, Verdict.SEEN, Verdict.OLD]
