"""Poll RSS / Atom feeds: timeouts, size cap, conditional GET, backoff; relevant new items are queued."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import aiohttp
import feedparser

from bot.core.clock import Clock
from bot.core.settings import FeedSettings, UpdateSettings
from bot.core.text import clip, inert, safe_link
from bot.core.updates.dedupe import item_keys
from bot.core.updates.messages import plain
from bot.core.updates.records import FeedState, QueueResult, UpdateItem, UpdateSource
from bot.core.updates.relevance import Relevance, RelevanceIndex

log = logging.getLogger(__name__)
USER_AGENT = "tariffbot/0.1 (feed poller)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 5
MAX_BACKOFF_SECONDS = 86400.0
REPORT_AFTER_FAILURES = 3


class FeedError(Exception):
    """A poll failed: HTTP error, timeout, too large, too many redirects or not a feed."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """An HTTP answer: 304 (body None) or 200 with the body and validators."""

    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed, as plain text."""

    title: str
    link: str
    guid: str
    summary: str
    published: float = 0.0  # Unix seconds from the entry's published / updated date; 0 when it has none


class PollStatus(StrEnum):
    """How one poll of a feed went."""

    OK = "ok"
    NOT_MODIFIED = "not modified"
    FAILED = "failed"
    NOT_DUE = "not due"


class FeedStore(Protocol):
    """What the poller needs of the store."""

    async def feed_state(self, name: str, url: str) -> FeedState:
        """One feed's stored state."""
        ...

    async def record_feed_success(self, state: FeedState, items: Sequence[UpdateItem]) -> QueueResult:
        """Store a successful poll and queue its new items."""
        ...

    async def record_feed_failure(self, name: str, url: str, error: str, next_ts: float) -> FeedState:
        """Count a failed poll and schedule the next one."""
        ...


@dataclass(slots=True)
class PollResult:
    """What polling one feed did."""

    feed: str
    status: PollStatus
    items: int = 0
    relevant: int = 0
    queued: QueueResult = field(default_factory=QueueResult)
    error: str | None = None
    failures: int = 0


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    timeout: float,  # noqa: ASYNC109 (passed on to asyncio.timeout and aiohttp)
    max_bytes: int,
) -> Fetched:
    """GET with validators, a total timeout (body included), bounded redirects and a size cap."""
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with (
            asyncio.timeout(timeout),
            session.get(
                url,
                headers=headers,
                allow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response,
        ):
            if response.status == 304:
                return Fetched(
                    304,
                    None,
                    response.headers.get("ETag") or etag,
                    response.headers.get("Last-Modified") or last_modified,
                )
            if response.status >= 400:
                raise FeedError(f"HTTP {response.status} {response.reason or ''}".strip())
            if response.content_length is not None and response.content_length > max_bytes:
                raise FeedError(f"too large: {response.content_length} bytes (cap {max_bytes})")
            body = bytearray()
            async for chunk in response.content.iter_chunked(65536):
                body += chunk
                if len(body) > max_bytes:
                    raise FeedError(f"too large: over {max_bytes} bytes")
            return Fetched(
                response.status,
                bytes(body),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
            )
    except TimeoutError:
        raise FeedError(f"timed out after {timeout:g} s") from None
    except aiohttp.TooManyRedirects:
        raise FeedError(f"more than {MAX_REDIRECTS} redirects") from None
    except aiohttp.ClientError as exc:
        raise FeedError(f"{type(exc).__name__}: {exc}") from None


def _published(entry: Any) -> float:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    try:
        return float(calendar.timegm(stamp)) if stamp else 0.0
    except (TypeError, ValueError, OverflowError):
        return 0.0


def parse_items(body: bytes) -> list[FeedItem]:
    """Parse RSS or Atom with feedparser (from memory, never a path or URL); raise FeedError if not a feed."""
    parsed = feedparser.parse(io.BytesIO(body))
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "no RSS or Atom document"
        raise FeedError(f"malformed feed: {clip(str(reason), 200)}")
    items = []
    for entry in parsed.entries:
        title = plain(entry.get("title", ""))
        summary = plain(entry.get("summary", ""))
        link = str(entry.get("link") or "")
        guid = str(entry.get("id") or "")
        if title or summary:
            items.append(FeedItem(title, link, guid, summary, _published(entry)))
    return items


def newest(items: list[FeedItem], limit: int) -> list[FeedItem]:
    """The `limit` newest items: by date where the feed gives one, else in the feed's own order."""
    order = sorted(range(len(items)), key=lambda i: (-items[i].published, i))
    return [items[i] for i in order[: max(0, limit)]]


def scored(
    body: bytes, index: RelevanceIndex, max_items: int
) -> tuple[int, list[tuple[FeedItem, Relevance]]]:
    """Parse, keep the newest `max_items` and score them; also the count of items in the feed."""
    items = parse_items(body)
    return len(items), [(item, index.score(item.title, item.summary)) for item in newest(items, max_items)]


def relevant_updates(
    feed: str, body: bytes, index: RelevanceIndex, threshold: float, max_items: int
) -> tuple[int, list[UpdateItem]]:
    """The updates of the newest `max_items` relevant items (CPU-bound: run in a thread)."""
    total, items = scored(body, index, max_items)
    return total, [news_update(feed, item, why) for item, why in items if why.score >= threshold]


def news_update(feed: str, item: FeedItem, relevance: Relevance) -> UpdateItem:
    """A relevant item as an update for its topics: the title and link, why it matters (in plain words,
    never cut), then a one-line summary (the first thing a full digest shortens)."""
    keys = item_keys(item.guid, item.link, item.title)
    if not keys:
        keys = ("text:" + hashlib.sha256(f"{item.title}\n{item.summary}".encode()).hexdigest()[:32],)
    title = inert(item.title or item.summary, 200)
    lines = [f"News: {title}", f"({inert(feed, 60)}; {relevance.why()})"]
    link = safe_link(item.link)
    if link:
        lines[0] += f" <{link}>"
    if item.summary and item.summary != item.title:
        lines.append(inert(item.summary, 200))
    return UpdateItem(
        UpdateSource.NEWS, "news:" + keys[0], relevance.topics, "\n".join(lines), aliases=keys, feed=feed
    )


class FeedPoller:
    """Polls the configured feeds when due and queues relevant, unseen items."""

    def __init__(
        self,
        store: FeedStore,
        settings: UpdateSettings,
        relevance: Callable[[], RelevanceIndex],
        *,
        clock: Clock = time.time,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.relevance = relevance
        self.clock = clock
        self._session = session
        self._own_session = session is None

    async def close(self) -> None:
        """Close the HTTP session if this poller created it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def backoff(self, failures: int) -> float:
        """Seconds until the next poll after `failures` consecutive failures."""
        return min(MAX_BACKOFF_SECONDS, self.settings.feed_poll_seconds * 2.0 ** max(0, failures - 1))

    async def poll_all(self, *, force: bool = False) -> list[PollResult]:
        """Poll every configured feed that is due (or all with force)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return [await self.poll(feed, force=force) for feed in self.settings.feeds]

    async def poll(self, feed: FeedSettings, *, force: bool = False) -> PollResult:
        """Poll one feed; a failure is counted, logged and scheduled with backoff, never dropped."""
        state = await self.store.feed_state(feed.name, feed.url)
        now = self.clock()
        if not force and state.next_poll_at_ts > now:
            return PollResult(feed.name, PollStatus.NOT_DUE, failures=state.consecutive_failures)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            fetched = await fetch(
                self._session,
                feed.url,
                etag=state.etag,
                last_modified=state.last_modified,
                timeout=self.settings.feed_timeout_seconds,
                max_bytes=self.settings.feed_max_bytes,
            )
            # parsing and scoring are CPU-bound (up to feed_max_bytes): keep them off the event loop
            total, updates = (0, []) if fetched.body is None else await asyncio.to_thread(
                relevant_updates, feed.name, fetched.body, self.relevance(),
                self.settings.relevance_threshold, self.settings.feed_max_items)
        except FeedError as exc:
            failures = state.consecutive_failures + 1
            next_ts = now + self.backoff(failures)
            await self.store.record_feed_failure(feed.name, feed.url, str(exc), next_ts)
            level = logging.ERROR if failures >= REPORT_AFTER_FAILURES else logging.WARNING
            log.log(level, "feed %r failed (%d in a row): %s", feed.name, failures, exc)
            return PollResult(feed.name, PollStatus.FAILED, error=str(exc), failures=failures)
        new_state = FeedState(
            feed.name,
            feed.url,
            fetched.etag,
            fetched.last_modified,
            now + self.settings.feed_poll_seconds,
            0,
            state.total_failures,
        )
        queued = await self.store.record_feed_success(new_state, updates)
        if queued.updates:
            log.info(
                "feed %r: %d new relevant item(s), %d delivery(ies) queued",
                feed.name,
                queued.updates,
                queued.deliveries,
            )
        status = PollStatus.NOT_MODIFIED if fetched.status == 304 else PollStatus.OK
        return PollResult(feed.name, status, total, len(updates), queued)
