"""Poll RSS / Atom feeds: timeouts, size cap, conditional GET, backoff; relevant new items are queued."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

import aiohttp
import feedparser
from yarl import URL

from bot.core.clock import Clock
from bot.core.settings import FeedSettings, UpdateSettings
from bot.core.text import clip, inert, safe_link
from bot.core.updates.dedupe import item_keys
from bot.core.updates.messages import plain
from bot.core.updates.netguard import AddressPolicy, GuardedResolver, UnsafeURL
from bot.core.updates.records import Card, FeedState, QueueResult, ServerFeed, UpdateItem, UpdateSource
from bot.core.updates.relevance import Relevance, RelevanceIndex

log = logging.getLogger(__name__)
USER_AGENT = "tariffbot/0.1 (feed poller)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DAY = 86400.0
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

    async def server_feeds(self, guild_id: int | None = None) -> list[ServerFeed]:
        """The feeds servers added from Discord."""
        ...

    async def seen_news(self, keys: tuple[str, ...]) -> bool:
        """Whether a news item known by any of these keys was recorded already."""
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
    silent: int = 0  # relevant items recorded without posting (a new feed's first poll)


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    timeout: float,  # noqa: ASYNC109 (passed on to asyncio.timeout and aiohttp)
    max_bytes: int,
    policy: AddressPolicy | None = None,
) -> Fetched:
    """GET with validators, a total timeout (body included), redirects followed one at a time (at most
    MAX_REDIRECTS, each target checked against `policy` when given) and a size cap."""
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(timeout):
            for _ in range(MAX_REDIRECTS):
                if policy is not None:
                    policy.check_url(url)  # a literal address never reaches the resolver: check it here
                async with session.get(url, headers=headers, allow_redirects=False,
                                       timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                    location = response.headers.get("Location")
                    if response.status in REDIRECTS and location:
                        url = str(response.url.join(URL(location)))
                        continue
                    return await _read(response, etag, last_modified, max_bytes)
            raise FeedError(f"more than {MAX_REDIRECTS} redirects")
    except TimeoutError:
        raise FeedError(f"timed out after {timeout:g} s") from None
    except UnsafeURL as exc:
        raise FeedError(f"refused: {exc}") from None
    except aiohttp.ClientConnectorError as exc:
        raise FeedError(f"{type(exc).__name__}: {exc.os_error}") from None
    except (aiohttp.ClientError, ValueError) as exc:
        raise FeedError(f"{type(exc).__name__}: {exc}") from None


async def _read(response: aiohttp.ClientResponse, etag: str | None, last_modified: str | None,
                max_bytes: int) -> Fetched:
    """The answer to a GET: 304, an HTTP error, or the body within `max_bytes`."""
    if response.status == 304:
        return Fetched(304, None, response.headers.get("ETag") or etag,
                       response.headers.get("Last-Modified") or last_modified)
    if response.status >= 400:
        raise FeedError(f"HTTP {response.status} {response.reason or ''}".strip())
    if response.content_length is not None and response.content_length > max_bytes:
        raise FeedError(f"too large: {response.content_length} bytes (cap {max_bytes})")
    body = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        body += chunk
        if len(body) > max_bytes:
            raise FeedError(f"too large: over {max_bytes} bytes")
    return Fetched(response.status, bytes(body), response.headers.get("ETag"),
                   response.headers.get("Last-Modified"))


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


def news_update(feed: str, item: FeedItem, relevance: Relevance, guild_id: int | None = None) -> UpdateItem:
    """A relevant item as an update for its topics: the title and link, why it matters (in plain words,
    never cut), then a one-line summary (the first thing a full digest shortens). A server's feed knows
    its items under keys of its own, so another server's feed still brings the same story there."""
    keys = item_keys(item.guid, item.link, item.title)
    if not keys:
        keys = ("text:" + hashlib.sha256(f"{item.title}\n{item.summary}".encode()).hexdigest()[:32],)
    if guild_id is not None:
        keys = tuple(f"server:{guild_id}:{key}" for key in keys)
    title = inert(item.title or item.summary, 200)
    source, why = inert(feed, 60), relevance.why()
    lines = [f"News: {title}", f"({source}; {why})"]
    link = safe_link(item.link)
    if link:
        lines[0] += f" <{link}>"
    summary = inert(item.summary, 200) if item.summary and item.summary != item.title else None
    if summary:
        lines.append(summary)
    card = Card(title, link, source, why, summary)
    return UpdateItem(UpdateSource.NEWS, "news:" + keys[0], relevance.topics, "\n".join(lines), aliases=keys,
                      feed=feed, card=card, guild_id=guild_id)


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed to poll: one of config.yaml's (for every subscriber) or one a server added (for its own)."""

    key: str  # the name of its poll state
    name: str  # as shown in posts
    url: str
    guild_id: int | None = None
    backfill: int = 0  # the first poll posts at most this many newest relevant items
    guarded: bool = False  # its addresses are checked (added from Discord)
    max_bytes: int | None = None  # None: feed_max_bytes

    @classmethod
    def configured(cls, feed: FeedSettings, settings: UpdateSettings) -> FeedSource:
        """A feed from config.yaml: the host chose it, so it may reach any address."""
        return cls(feed.name, feed.name, feed.url, backfill=settings.feed_backfill)

    @classmethod
    def of_server(cls, feed: ServerFeed, settings: UpdateSettings) -> FeedSource:
        """A feed added from Discord: checked addresses, the server's size cap, its own backfill."""
        return cls(feed.key, feed.name, feed.url, feed.guild_id, feed.backfill, guarded=True,
                   max_bytes=min(settings.server_feed_max_bytes, settings.feed_max_bytes))


class Verdict(StrEnum):
    """What a poll does with one item."""

    POST = "would be posted"
    SEEN = "already posted or recorded"
    OLD = "too old to post"
    SILENT = "recorded silently (a new feed's first poll)"
    IRRELEVANT = "not relevant"


@dataclass(frozen=True, slots=True)
class Scored:
    """One of a poll's newest items, its relevance, and its update when it is relevant and recent."""

    item: FeedItem
    relevance: Relevance
    update: UpdateItem | None


def not_before(settings: UpdateSettings, now: float) -> float:
    """The oldest publication time a poll still posts (0.0: no age limit)."""
    age = settings.feed_max_age_days * DAY
    return now - age if age > 0 else 0.0


def verdict_of(entry: Scored, threshold: float) -> Verdict:
    """What a poll does with a scored item before it looks at the store: post it, too old, not relevant."""
    if entry.update is not None:
        return Verdict.POST
    return Verdict.OLD if entry.relevance.score >= threshold else Verdict.IRRELEVANT


def score_items(source: FeedSource, body: bytes, index: RelevanceIndex, threshold: float, max_items: int,
                not_before: float = 0.0) -> tuple[int, list[Scored]]:
    """Parse, keep the newest `max_items` (newest first) and score them; relevant items dated after
    `not_before` (or undated) get their update (CPU-bound: run in a thread)."""
    total, items = scored(body, index, max_items)
    out = []
    for item, relevance in items:
        recent = not item.published or item.published >= not_before
        update = news_update(source.name, item, relevance, source.guild_id) \
            if relevance.score >= threshold and recent else None
        out.append(Scored(item, relevance, update))
    return total, out


class FeedPoller:
    """Polls config.yaml's feeds and the servers' feeds when due and queues relevant, unseen items.

    A feed's first successful poll records what is there silently, posting at most its backfill of newest
    relevant items; items older than `feed_max_age_days` are never posted.
    """

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
        self.policy = AddressPolicy(settings.feed_allowed_networks)
        self._session = session
        self._own_session = session is None
        self._guarded: aiohttp.ClientSession | None = None  # servers' feeds: every address checked

    async def close(self) -> None:
        """Close the HTTP sessions this poller created."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
        if self._guarded is not None:
            await self._guarded.close()
            self._guarded = None

    def session(self, source: FeedSource) -> aiohttp.ClientSession:
        """The HTTP session for a feed: a server's feeds connect only to addresses the policy allows."""
        if source.guarded:
            if self._guarded is None:
                connector = aiohttp.TCPConnector(resolver=GuardedResolver(self.policy))
                self._guarded = aiohttp.ClientSession(connector=connector)
            return self._guarded
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def backoff(self, failures: int) -> float:
        """Seconds until the next poll after `failures` consecutive failures."""
        return min(MAX_BACKOFF_SECONDS, self.settings.feed_poll_seconds * 2.0 ** max(0, failures - 1))

    async def sources(self) -> list[FeedSource]:
        """config.yaml's feeds, then every server's."""
        configured = [FeedSource.configured(feed, self.settings) for feed in self.settings.feeds]
        servers = [FeedSource.of_server(feed, self.settings) for feed in await self.store.server_feeds()]
        return configured + servers

    async def poll_all(self, *, force: bool = False) -> list[PollResult]:
        """Poll every feed that is due (or all with force)."""
        return [await self.poll(source, force=force) for source in await self.sources()]

    async def _score(self, source: FeedSource, state: FeedState) -> tuple[Fetched, int, list[Scored]]:
        """Fetch (conditionally) and score a feed's newest items; FeedError when that fails."""
        fetched = await fetch(
            self.session(source),
            source.url,
            etag=state.etag,
            last_modified=state.last_modified,
            timeout=self.settings.feed_timeout_seconds,
            max_bytes=source.max_bytes or self.settings.feed_max_bytes,
            policy=self.policy if source.guarded else None,
        )
        if fetched.body is None:
            return fetched, 0, []
        # parsing and scoring are CPU-bound (up to the size cap): keep them off the event loop
        total, scored = await asyncio.to_thread(
            score_items, source, fetched.body, self.relevance(), self.settings.relevance_threshold,
            self.settings.feed_max_items, not_before(self.settings, self.clock()))
        return fetched, total, scored

    async def poll(self, feed: FeedSource | FeedSettings, *, force: bool = False) -> PollResult:
        """Poll one feed; a failure is counted, logged and scheduled with backoff, never dropped."""
        source = feed if isinstance(feed, FeedSource) else FeedSource.configured(feed, self.settings)
        state = await self.store.feed_state(source.key, source.url)
        now = self.clock()
        if not force and state.next_poll_at_ts > now:
            return PollResult(source.name, PollStatus.NOT_DUE, failures=state.consecutive_failures)
        try:
            fetched, total, scored = await self._score(source, state)
        except FeedError as exc:
            failures = state.consecutive_failures + 1
            next_ts = now + self.backoff(failures)
            await self.store.record_feed_failure(source.key, source.url, str(exc), next_ts)
            level = logging.ERROR if failures >= REPORT_AFTER_FAILURES else logging.WARNING
            log.log(level, "feed %r failed (%d in a row): %s", source.name, failures, exc)
            return PollResult(source.name, PollStatus.FAILED, error=str(exc), failures=failures)
        updates = [s.update for s in scored if s.update is not None]
        if state.last_success_at is None:  # a new feed: record what is there, post only the backfill
            backfill = source.backfill
            updates = updates[:backfill] + [replace(u, silent=True) for u in updates[backfill:]]
        new_state = FeedState(source.key, source.url, fetched.etag, fetched.last_modified,
                              now + self.settings.feed_poll_seconds, 0, state.total_failures)
        queued = await self.store.record_feed_success(new_state, updates)
        if queued.updates:
            log.info("feed %r: %d new relevant item(s), %d delivery(ies) queued", source.name, queued.updates,
                     queued.deliveries)
        status = PollStatus.NOT_MODIFIED if fetched.status == 304 else PollStatus.OK
        silent = sum(u.silent for u in updates)
        return PollResult(source.name, status, total, len(updates), queued, silent=silent)

    async def preview(self, source: FeedSource) -> list[tuple[Scored, Verdict]]:
        """What a poll of the feed would do with each of its newest items now, sending and storing nothing."""
        state = await self.store.feed_state(source.key, source.url)
        _, _, scored = await self._score(source, replace(state, etag=None, last_modified=None))
        first = state.last_success_at is None
        verdicts, posting = [], 0
        for entry in scored:
            update = entry.update
            if update is None:
                verdicts.append((entry, verdict_of(entry, self.settings.relevance_threshold)))
            elif await self.store.seen_news(update.aliases):
                verdicts.append((entry, Verdict.SEEN))
            elif first and posting >= source.backfill:
                verdicts.append((entry, Verdict.SILENT))
            else:
                posting += 1
                verdicts.append((entry, Verdict.POST))
        return verdicts
