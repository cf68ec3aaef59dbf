"""News feeds against real aiohttp servers on 127.0.0.1: RSS, Atom, failures, conditional GET, dedupe."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest
from aiohttp import web

from bot.core.loader import load_knowledge
from bot.core.model import TOPICS
from bot.core.settings import FeedSettings, UpdateSettings
from bot.core.updates.dedupe import item_keys, normalise_link
from bot.core.updates.feeds import MAX_REDIRECTS, FeedPoller
from bot.core.updates.outbox import Outbox
from bot.core.updates.relevance import RelevanceIndex
from tests.updates_support import KNOWLEDGE, Clock, FakeSender, open_store

STORY = "Akazawa and Bessent discuss tariffs on Japanese cars in Washington"
RSS = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Trade wire</title><link>https://wire.example/</link>
<description>news</description>
<item><title>{STORY}</title><link>https://www.wire.example/2025/05/akazawa-bessent/?utm_source=rss</link>
  <guid isPermaLink="false">wire-1</guid>
  <description>&lt;p&gt;Japan's chief negotiator met the Treasury Secretary about the
  &lt;b&gt;auto tariffs&lt;/b&gt;.&lt;/p&gt;</description></item>
<item><title>Local football club wins the cup</title><link>https://wire.example/sport/1</link>
  <guid>wire-2</guid>
  <description>A great match.</description></item>
<item><title>Rice farmers watch the Japan US tariff talks closely</title>
  <link>https://wire.example/rice</link><guid>wire-3</guid>
  <description>Agriculture and tariffs.</description></item>
</channel></rss>"""
ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Other desk</title><id>urn:desk</id>
<updated>2025-05-02T00:00:00Z</updated>
<entry><title>{STORY}</title><id>urn:desk:77</id>
  <link href="http://wire.example/2025/05/akazawa-bessent?utm_medium=feed&amp;fbclid=x"/>
  <updated>2025-05-02T00:00:00Z</updated><summary>Same story, other feed.</summary></entry>
<entry><title>Trump says Japan talks on tariffs go well, Lutnick agrees</title><id>urn:desk:78</id>
  <link href="https://desk.example/78"/><updated>2025-05-02T00:00:00Z</updated>
  <summary>Commerce Secretary comments.</summary></entry>
</feed>"""


class Server:
    """The test feed server; counts hits and remembers conditional headers."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.if_none_match: list[str | None] = []
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/rss", self.rss)
        app.router.add_get("/atom", self.atom)
        app.router.add_get("/malformed", self.text("this is {{ not a feed <rss><<"))
        app.router.add_get("/huge", self.huge)
        app.router.add_get("/huge-declared", self.huge_declared)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/error", self.error)
        app.router.add_get("/moved", self.moved)
        app.router.add_get("/loop", self.loop)
        app.router.add_get("/etag", self.etag)
        return app

    def count(self, request: web.Request) -> None:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1

    async def rss(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(text=RSS, content_type="application/rss+xml")

    async def atom(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(text=ATOM, content_type="application/atom+xml")

    def text(self, body: str):
        async def handler(request: web.Request) -> web.Response:
            self.count(request)
            return web.Response(text=body, content_type="application/xml")
        return handler

    async def huge(self, request: web.Request) -> web.StreamResponse:
        self.count(request)
        response = web.StreamResponse()
        response.content_type = "application/rss+xml"
        await response.prepare(request)
        await response.write(b"<rss><channel>")
        for _ in range(200):  # 200 x 16 KiB, no Content-Length: the cap must stop the reading
            await response.write(b"<!-- " + b"x" * 16_000 + b" -->")
        return response

    async def huge_declared(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(body=b" " * 300_000, content_type="application/rss+xml")

    async def slow(self, request: web.Request) -> web.Response:
        self.count(request)
        await asyncio.wait_for(self.release.wait(), 5)
        return web.Response(text=RSS, content_type="application/rss+xml")

    async def error(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(status=500, text="boom")

    async def moved(self, request: web.Request) -> web.Response:
        self.count(request)
        raise web.HTTPFound("/rss")

    async def loop(self, request: web.Request) -> web.Response:
        self.count(request)
        raise web.HTTPFound("/loop")

    async def etag(self, request: web.Request) -> web.Response:
        self.count(request)
        self.if_none_match.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(text=RSS, content_type="application/rss+xml",
                            headers={"ETag": '"v1"', "Last-Modified": "Fri, 02 May 2025 00:00:00 GMT"})


@pytest.fixture
async def server():
    srv = Server()
    runner = web.AppRunner(srv.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    srv.base = f"http://127.0.0.1:{port}"
    yield srv
    srv.release.set()
    await runner.cleanup()


@pytest.fixture
async def store(tmp_path):
    s = await open_store(tmp_path / "feeds.sqlite3")
    yield s
    await s.close()


@pytest.fixture(scope="module")
def index() -> RelevanceIndex:
    return RelevanceIndex(load_knowledge(KNOWLEDGE))


def settings(server: Server, *paths: str, **changes) -> UpdateSettings:
    feeds = tuple(FeedSettings(p.strip("/"), server.base + p) for p in paths)
    # these tests are about polling itself: every item is posted, however old (see test_feed_flood.py)
    base = UpdateSettings(feed_poll_seconds=600, feed_timeout_seconds=0.2, feed_max_bytes=100_000,
                          feeds=feeds, feed_backfill=20, feed_max_age_days=0)
    return replace(base, **changes)


def test_relevance_reads_the_item_with_the_engines_lexicon_and_says_why(index):
    hit = index.score(STORY)
    assert hit.score >= 0.5
    assert {"akazawa", "bessent", "tariff", "car", "japan", "washington"} <= set(hit.concepts)
    assert hit.why() == "mentions Akazawa, Bessent and tariffs"
    assert set(hit.topics) == {"news", "autos", "participants", "tariffs"}
    assert index.score("Local football club wins the cup", "A great match.").score == 0
    assert index.score("Weather", "Akazawa").score < 0.5  # one name alone is not enough


def test_links_are_normalised_for_dedupe():
    same = {normalise_link(u) for u in (
        "https://www.wire.example/a/b/?utm_source=x&id=3", "http://wire.example/a/b?id=3&fbclid=zz",
        "https://WIRE.example/a/b?id=3#top")}
    assert same == {"wire.example/a/b?id=3"}
    assert normalise_link("https://wire.example/a?id=4") != normalise_link("https://wire.example/a?id=3")
    assert item_keys("g1", "https://x.example/a/", "Four words in title") == (
        "link:x.example/a", "guid:g1", "title:four words in title")


async def test_rss_and_atom_items_are_filtered_and_the_same_story_is_posted_once(server, store, index):
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    await store.subscribe("channel", 2, 10, 5, ("autos",))  # only the story about cars
    await store.subscribe("channel", 3, 10, 5, ("tariffs",))  # every story here is about tariffs
    poller = FeedPoller(store, settings(server, "/rss", "/atom"), lambda: index, clock=Clock())
    try:
        rss, atom = await poller.poll_all()
    finally:
        await poller.close()
    assert (rss.status, rss.items, rss.relevant, rss.queued.updates) == ("ok", 3, 2, 2)
    assert (atom.status, atom.items, atom.relevant) == ("ok", 2, 2)
    assert (atom.queued.updates, atom.queued.duplicates) == (1, 1)
    sender = FakeSender()
    report = await Outbox(store, sender, clock=Clock()).drain()
    assert report.deliveries == 3 + 1 + 3
    by_channel = {target: content for _, target, _, content in sender.sent}
    assert set(by_channel) == {1, 2, 3}
    content = by_channel[1]
    assert content.count("Akazawa and Bessent") == 1 and "football" not in content
    assert "<https://www.wire.example/2025/05/akazawa-bessent/?utm_source=rss>" in content
    assert "Japan's chief negotiator met the Treasury Secretary about the auto tariffs." in content
    assert "(rss; mentions Akazawa, Bessent and tariffs)" in content
    assert "Akazawa and Bessent" in by_channel[2] and "Rice farmers" not in by_channel[2]


async def test_conditional_get_uses_the_stored_etag(server, store, index):
    clock = Clock()
    poller = FeedPoller(store, settings(server, "/etag"), lambda: index, clock=clock)
    try:
        first = await poller.poll_all()
        assert (await poller.poll_all())[0].status == "not due"  # the next poll time is stored
        clock.advance(600)
        second = await poller.poll_all()
    finally:
        await poller.close()
    assert first[0].status == "ok" and first[0].queued.updates == 2
    assert second[0].status == "not modified" and second[0].queued.updates == 0
    assert server.if_none_match == [None, '"v1"']
    state = (await store.feed_states())[0]
    assert state.etag == '"v1"' and state.last_modified == "Fri, 02 May 2025 00:00:00 GMT"


async def test_redirects_are_followed_but_bounded(server, store, index):
    poller = FeedPoller(store, settings(server, "/moved", "/loop"), lambda: index, clock=Clock())
    try:
        moved, loop = await poller.poll_all()
    finally:
        await poller.close()
    assert moved.status == "ok" and moved.relevant == 2
    assert loop.status == "failed" and "redirects" in loop.error
    assert server.hits["/loop"] == MAX_REDIRECTS  # bounded: gave up instead of looping


@pytest.mark.parametrize(("path", "error"), [
    ("/malformed", "malformed feed"), ("/huge", "too large: over 100000 bytes"),
    ("/huge-declared", "too large: 300000 bytes"), ("/slow", "timed out after 0.2 s"), ("/error", "HTTP 500"),
])
async def test_failures_are_counted_backed_off_and_reported(server, store, index, path, error, caplog):
    clock = Clock()
    poller = FeedPoller(store, settings(server, path), lambda: index, clock=clock)
    caplog.set_level(logging.WARNING, "bot.core.updates.feeds")
    try:
        results = []
        for _ in range(3):
            results.append((await poller.poll_all())[0])
            state = (await store.feed_states())[0]
            assert state.next_poll_at_ts == clock.now + 600 * 2 ** (len(results) - 1)  # exponential backoff
            clock.advance(600 * 2 ** (len(results) - 1))
    finally:
        await poller.close()
    assert [r.status for r in results] == ["failed"] * 3 and all(error in r.error for r in results)
    assert state.consecutive_failures == 3 and state.total_failures == 3 and error in state.last_error
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING", "ERROR"]
    assert f"feed '{path.strip('/')}' failed (3 in a row)" in caplog.records[-1].getMessage()
    if path == "/huge":
        assert server.hits[path] == 3


async def test_a_success_resets_the_failure_count(server, store, index):
    clock = Clock()
    feeds = settings(server, "/error")
    poller = FeedPoller(store, feeds, lambda: index, clock=clock)
    await poller.poll_all()
    poller.settings = replace(feeds, feeds=(FeedSettings("error", server.base + "/rss"),))
    try:
        assert (await poller.poll_all(force=True))[0].status == "ok"
    finally:
        await poller.close()
    state = (await store.feed_states())[0]
    assert state.consecutive_failures == 0 and state.total_failures == 1 and state.last_success_at


class Crash(BaseException):
    """Stands in for the process dying."""


async def test_crash_mid_poll_then_restart_queues_every_item_once(server, tmp_path, index, monkeypatch):
    from bot.core.store import Store

    path = tmp_path / "crash.sqlite3"
    store = await open_store(path)
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    real_queue = Store._queue

    async def queue_then_die(self, db, items):
        await real_queue(self, db, items[:1])  # the first item is written, then the process dies
        raise Crash

    monkeypatch.setattr(Store, "_queue", queue_then_die)
    poller = FeedPoller(store, settings(server, "/rss", "/atom"), lambda: index, clock=Clock())
    with pytest.raises(Crash):
        await poller.poll_all()
    await poller.close()
    await store.close()
    monkeypatch.setattr(Store, "_queue", real_queue)

    store = await open_store(path)  # restart
    try:
        assert await store.outbox_counts() == {} and await store.feed_states() == []
        poller = FeedPoller(store, settings(server, "/rss", "/atom"), lambda: index, clock=Clock())
        await poller.poll_all()
        await poller.close()
        sender = FakeSender()
        report = await Outbox(store, sender, clock=Clock()).drain()
    finally:
        await store.close()
    assert report.deliveries == 3 and len(sender.sent) == 1
    assert sender.sent[0][3].count("Akazawa and Bessent") == 1
