"""`tariffbot feeds poll`: poll the news feeds now, or preview what a feed (or a saved file) would post."""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot import exitcodes
from bot.config import Settings
from bot.core.service import KnowledgeService
from bot.core.store import Store
from bot.core.text import clip
from bot.core.updates.feeds import (
    FeedError,
    FeedItem,
    FeedPoller,
    FeedSource,
    PollResult,
    PollStatus,
    Verdict,
    fetch,
    not_before,
    score_items,
    verdict_of,
)
from bot.core.updates.records import QueueResult
from bot.core.updates.relevance import Relevance
from bot.stopping import run_async

TITLE_CHARS = 90
NO_FEEDS = ("no feeds: none in config.yaml (updates.feeds), none added from Discord; "
            "try --url URL or --file FILE")


# How each verdict of a poll is marked in the listing (`skip`: below the relevance threshold).
MARKS = {Verdict.POST: "post", Verdict.SILENT: "quiet", Verdict.SEEN: "seen", Verdict.OLD: "old",
         Verdict.IRRELEVANT: "skip"}


@dataclass(frozen=True, slots=True)
class Preview:
    """One feed read without recording anything: its items, scored, and what a poll would do with them."""

    name: str
    total: int
    items: list[tuple[FeedItem, Relevance, Verdict]]
    queued: QueueResult | None = None  # None when no database was consulted (an ad-hoc URL or file)


def _item_line(item: FeedItem, relevance: Relevance, verdict: Verdict) -> str:
    title = clip(" ".join((item.title or item.summary).split()), TITLE_CHARS)
    return f"  {MARKS[verdict]:<5} {relevance.score:.2f}  {title}\n              {relevance.why()}"


def print_preview(preview: Preview, threshold: float) -> None:
    """Every item read with its verdict, score and reason, then the totals."""
    count = Counter(verdict for _, _, verdict in preview.items)
    relevant = len(preview.items) - count[Verdict.IRRELEVANT] - count[Verdict.OLD]
    read = len(preview.items)
    newest = f" (the newest {read} read)" if read < preview.total else ""
    old = f" ({count[Verdict.OLD]} more too old to post)" if count[Verdict.OLD] else ""
    print(f"{preview.name}: {preview.total} item(s){newest}, {relevant} relevant at threshold "
          f"{threshold:g}{old}")
    for item, relevance, verdict in preview.items:
        print(_item_line(item, relevance, verdict))
    if preview.queued is not None:
        q = preview.queued
        print(f"  a poll now would queue {q.updates} new update(s) for {q.deliveries} delivery(ies); "
              f"{count[Verdict.SEEN]} already seen (posted or recorded), {count[Verdict.SILENT]} recorded "
              f"quietly (a new feed's first poll)")


def print_result(result: PollResult) -> None:
    """One line per feed polled: what was read and queued, or why it failed."""
    if result.status is PollStatus.FAILED:
        print(f"{result.feed}: failed ({result.failures} in a row): {result.error}")
    elif result.status is PollStatus.NOT_MODIFIED:
        print(f"{result.feed}: not modified since the last poll")
    else:
        q = result.queued
        print(f"{result.feed}: {result.items} item(s), {result.relevant} relevant; queued {q.updates} new "
              f"update(s) for {q.deliveries} delivery(ies), {q.duplicates} already seen (posted or "
              f"recorded), {q.silent} recorded quietly (a new feed's first poll)")


async def _read(session: aiohttp.ClientSession, url: str, settings: Settings) -> bytes:
    limits = settings.updates
    fetched = await fetch(session, url, etag=None, last_modified=None,
                          timeout=limits.feed_timeout_seconds, max_bytes=limits.feed_max_bytes)
    return fetched.body or b""


def _score(name: str, body: bytes, service: KnowledgeService, settings: Settings) -> Preview:
    """A feed that is not configured: each item posted, too old or skipped, as a poll would decide."""
    limits = settings.updates
    threshold = limits.relevance_threshold
    total, scored = score_items(FeedSource(name, name, name), body, service.relevance, threshold,
                                limits.feed_max_items, not_before(limits, time.time()))
    return Preview(name, total, [(s.item, s.relevance, verdict_of(s, threshold)) for s in scored])


def _label(source: FeedSource) -> str:
    """A feed as the listing names it: a server's feed says whose it is."""
    return source.name if source.guild_id is None else f"{source.name} (server {source.guild_id})"


@contextlib.asynccontextmanager
async def _poller(settings: Settings, service: KnowledgeService) -> AsyncIterator[tuple[Store, FeedPoller]]:
    """The store and a poller on it, as the running bot has them (closed after use)."""
    async with Store(settings.database) as store:
        poller = FeedPoller(store, settings.updates, lambda: service.relevance, clock=store.clock)
        try:
            yield store, poller
        finally:
            await poller.close()


async def _preview_all(settings: Settings, service: KnowledgeService) -> tuple[list[Preview], list[str]]:
    """Read every feed in full (no validators) and preview what a poll would do with it, as the bot."""
    previews, failures = [], []
    async with _poller(settings, service) as (store, poller):
        for source in await poller.sources():
            try:
                verdicts = await poller.preview(source)  # a server's feed: addresses checked
            except FeedError as exc:
                failures.append(f"{_label(source)}: failed: {exc}")
                continue
            posting = [s.update for s, v in verdicts if v is Verdict.POST and s.update is not None]
            queued = await store.preview_updates(posting)
            items = [(s.item, s.relevance, v) for s, v in verdicts]
            previews.append(Preview(_label(source), len(items), items, queued))
    return previews, failures


async def _poll_all(settings: Settings, service: KnowledgeService) -> list[PollResult]:
    """Poll every feed now (config.yaml's and the servers'), as the bot does, queueing relevant new items."""
    async with _poller(settings, service) as (_, poller):
        return await poller.poll_all(force=True)


async def _preview_url(settings: Settings, service: KnowledgeService, url: str) -> Preview:
    async with aiohttp.ClientSession() as session:
        return _score(url, await _read(session, url, settings), service, settings)


def _read_file(path: Path, settings: Settings) -> bytes:
    """A saved feed, refused when larger than the cap the poller applies."""
    cap = settings.updates.feed_max_bytes
    with path.open("rb") as handle:
        body = handle.read(cap + 1)
    if len(body) > cap:
        raise FeedError(f"too large: over {cap} bytes")
    return body


def poll(settings: Settings, service: KnowledgeService, *, dry_run: bool = False, url: str | None = None,
         file: Path | None = None) -> int:
    """Poll every feed and queue like the bot (dry_run: only show), or preview a URL or file."""
    threshold = settings.updates.relevance_threshold
    try:
        if file is not None:
            print_preview(_score(str(file), _read_file(file, settings), service, settings), threshold)
            return 0
        if url is not None:
            print_preview(run_async(_preview_url(settings, service, url)), threshold)
            return 0
    except OSError as exc:
        print(f"error: {file}: {exc.strerror or exc}", file=sys.stderr)
        return exitcodes.USAGE
    except FeedError as exc:
        print(f"error: {url or file}: {exc}", file=sys.stderr)
        return exitcodes.FAILURE
    if dry_run:
        previews, failures = run_async(_preview_all(settings, service))
        if not previews and not failures:
            print(NO_FEEDS)
            return exitcodes.OK
        for preview in previews:
            print_preview(preview, threshold)
        for failure in failures:
            print(failure)
        print("(dry run: nothing was recorded or queued)")
        return exitcodes.FAILURE if failures else exitcodes.OK
    results = run_async(_poll_all(settings, service))
    if not results:
        print(NO_FEEDS)
    for result in results:
        print_result(result)
    return exitcodes.FAILURE if any(r.status is PollStatus.FAILED for r in results) else exitcodes.OK

