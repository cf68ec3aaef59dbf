"""Hostile feeds against a real aiohttp server: huge item counts are bounded, links and text made inert."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from aiohttp import web

from bot.core.loader import load_knowledge
from bot.core.model import TOPICS
from bot.core.settings import FeedSettings, UpdateSettings
from bot.core.updates.feeds import FeedPoller
from bot.core.updates.messages import plain
from bot.core.updates.outbox import Outbox
from bot.core.updates.relevance import RelevanceIndex
from tests.markdown_check import live_links, live_mentions
from tests.updates_support import KNOWLEDGE, Clock, FakeSender, open_store

HOSTILE_LINK = "http://news.example/4> [Free Nitro](http://evil.example) <x"


def rss(items: list[str]) -> str:
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://w.example/</link>'
            "<description>d</description>" + "".join(items) + "</channel></rss>")


def item(title: str, link: str = "", guid: str = "", date: str = "", summary: str = "") -> str:
    parts = [f"<title>{title}</title>"]
    if link:
        parts.append(f"<link>{link.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</link>")
    if guid:
        parts.append(f"<guid>{guid}</guid>")
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    if summary:
        parts.append(f"<description>{summary}</description>")
    return "<item>" + "".join(parts) + "</item>"


FEEDS = {
    "/many": rss([item(f"Akazawa tariff talks {n}") for n in range(28_000)]),
    "/dated": rss([item(f"Akazawa tariff talks day {d}", guid=f"d{d}",
                        date=f"{d:02d} May 2025 10:00:00 GMT") for d in (3, 9, 1, 7, 5)]),
    "/hostile": rss([
        item("Akazawa tariff talks [Free Nitro](http://evil.example) \u202eevil\u200b <@123> @everyone",
             link=HOSTILE_LINK, guid="h1",
             summary="&amp;lt;b&amp;gt;Bessent&amp;lt;/b&amp;gt; &amp;#x202E;tariff "
                     "[x](http://evil.example) &bogus;"),
        item("Bessent and Akazawa tariff talks with a good link", link="https://news.example/ok?a=1&b=(2)",
             guid="h2"),
    ]),
}


@pytest.fixture
async def base():
    app = web.Application()
    for path, body in FEEDS.items():

        async def handler(request: web.Request, body: str = body) -> web.Response:
            return web.Response(text=body, content_type="application/rss+xml")

        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def store(tmp_path):
    s = await open_store(tmp_path / "feeds.sqlite3")
    await s.subscribe("channel", 1, 10, 5, TOPICS)
    yield s
    await s.close()


@pytest.fixture(scope="module")
def index() -> RelevanceIndex:
    return RelevanceIndex(load_knowledge(KNOWLEDGE))


async def poll(base: str, store, index, path: str, **changes):
    feeds = (FeedSettings(path.strip("/"), base + path),)
    settings = replace(UpdateSettings(feed_timeout_seconds=30, feed_max_bytes=2_000_000, feed_backfill=1000,
                                      feed_max_age_days=0, feeds=feeds), **changes)
    poller = FeedPoller(store, settings, lambda: index, clock=Clock())
    try:
        (result,) = await poller.poll_all()
    finally:
        await poller.close()
    return result


async def test_a_28000_item_feed_queues_at_most_n_items_and_never_holds_the_loop(base, store, index):
    assert len(FEEDS["/many"]) < 2_000_000
    worst, stop = 0.0, asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - before - 0.01)

    watch = asyncio.create_task(ticker())
    result = await poll(base, store, index, "/many", feed_max_items=25)
    stop.set()
    await watch
    assert (result.items, result.relevant, result.queued.updates) == (28_000, 25, 25)
    sender = FakeSender()
    report = await Outbox(store, sender, digest_limit=10, clock=Clock()).drain()
    assert (report.messages, report.deliveries) == (3, 25)
    assert "talks 0\n" in sender.sent[0][3] and "talks 24\n" in sender.sent[-1][3]
    assert worst < 1.0, f"event loop held for {worst:.2f} s"  # parsing and scoring run in a thread


async def test_the_newest_items_by_date_are_kept(base, store, index):
    result = await poll(base, store, index, "/dated", feed_max_items=2)
    assert (result.items, result.queued.updates) == (5, 2)
    sender = FakeSender()
    await Outbox(store, sender, clock=Clock()).drain()
    assert "day 9" in sender.sent[0][3] and "day 7" in sender.sent[0][3] and "day 5" not in sender.sent[0][3]


async def test_hostile_links_and_text_are_posted_inert(base, store, index):
    result = await poll(base, store, index, "/hostile")
    assert result.queued.updates == 2
    sender = FakeSender()
    await Outbox(store, sender, clock=Clock()).drain()
    content = sender.sent[0][3]
    assert live_links(content) == ["https://news.example/ok?a=1&b=%282%29"], content
    assert live_mentions(content) == []
    assert "news.example/4" not in content  # a link that is not well-formed is left out, not repaired
    assert not any(ch in content for ch in "\u202e\u200b") and "&" not in content.replace("a=1&b", "")


def test_leftover_and_double_encoded_entities_are_cleaned():
    assert plain("Tariffs &amp;amp; trade &bogus; &#x202E;rice &nbsp;talks") == "Tariffs & trade rice talks"
