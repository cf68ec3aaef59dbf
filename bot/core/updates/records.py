"""Plain records passed between the update modules and the store (no logic, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.model import TOPICS

ALL_TOPICS = TOPICS


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel, or a person by DM, receiving updates on some topics."""

    id: int
    kind: str  # 'channel' or 'dm'
    target_id: int
    guild_id: int | None
    topics: tuple[str, ...]
    paused_reason: str | None = None
    paused_at: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateItem:
    """One announcement to queue: who it is for (topics), what it says, and how it is deduplicated."""

    source: str  # 'knowledge' or 'news'
    dedupe_key: str
    topics: tuple[str, ...]
    text: str
    aliases: tuple[str, ...] = ()  # further dedupe keys (news: guid, link, title)
    feed: str = ""


@dataclass(frozen=True, slots=True)
class QueueResult:
    """What queueing a list of updates did."""

    updates: int = 0  # new updates stored
    duplicates: int = 0  # updates already known (by any dedupe key)
    deliveries: int = 0  # outbox rows created


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One pending (update, destination) row, with its digest batch and retry state."""

    id: int
    batch: int
    subscription_id: int
    kind: str
    target_id: int
    attempts: int
    text: str


@dataclass(slots=True)
class Batch:
    """The rows sent as one digest message: `id` is the first row's id, `nonce` its random message nonce."""

    id: int
    nonce: str
    subscription_id: int
    kind: str
    target_id: int
    attempts: int
    maybe_sent_since: float | None = None  # an earlier attempt may have reached Discord at or after this
    texts: list[str] = field(default_factory=list)
    row_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Claim:
    """Due digests, and the fingerprint of the fact base last announced (read in the same transaction)."""

    batches: list[Batch]
    knowledge_fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """Poll state of one feed."""

    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    next_poll_at_ts: float = 0.0
    consecutive_failures: int = 0
    total_failures: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    last_success_at: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The announced version of one fact: its hash, what people read, and when it was recorded."""

    content_hash: str
    rendering: dict[str, Any]
    recorded_at: str
