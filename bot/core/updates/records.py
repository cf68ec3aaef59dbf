"""Plain records passed between the update modules and the store (no logic, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SubscriptionKind(StrEnum):
    """Where a subscription delivers."""

    CHANNEL = "channel"
    DM = "dm"


class ChannelType(StrEnum):
    """What kind of channel a channel subscription posts to."""

    TEXT = "text"  # a text or announcement channel
    THREAD = "thread"
    FORUM = "forum"  # one new post per digest


class UpdateSource(StrEnum):
    """What an update announces."""

    KNOWLEDGE = "knowledge"  # a change of the fact base
    NEWS = "news"  # a relevant feed item


class OutboxStatus(StrEnum):
    """Where one (update, destination) row stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up after repeated rejections


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel, or a person by DM, receiving updates on some topics."""

    id: int
    kind: SubscriptionKind
    target_id: int
    guild_id: int | None
    topics: tuple[str, ...]
    paused_reason: str | None = None
    paused_at: str | None = None
    channel_type: ChannelType = ChannelType.TEXT
    role_id: int | None = None  # the role the posts mention (never @everyone)


@dataclass(frozen=True, slots=True)
class Card:
    """An update's parts for an embed: what it is, its link, where it came from and why it matched."""

    title: str
    url: str | None = None
    source: str | None = None
    why: str | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class ServerFeed:
    """A feed added from Discord: it belongs to one server and posts to that server's subscriptions."""

    id: int
    guild_id: int
    name: str
    url: str
    backfill: int
    created_by: int
    created_at: str

    @property
    def key(self) -> str:
        """The name of its poll state in the `feeds` table."""
        return f"server:{self.id}"


@dataclass(frozen=True, slots=True)
class UpdateItem:
    """One announcement to queue: who it is for (topics), what it says, and how it is deduplicated."""

    source: UpdateSource
    dedupe_key: str
    topics: tuple[str, ...]
    text: str
    aliases: tuple[str, ...] = ()  # further dedupe keys (news: guid, link, title)
    feed: str = ""
    card: Card | None = None  # the parts of an embed, when the update has them
    guild_id: int | None = None  # for this server's subscriptions only (None: every subscriber)
    silent: bool = False  # recorded as seen, posted to nobody (a new feed's first poll)


@dataclass(frozen=True, slots=True)
class QueueResult:
    """What queueing a list of updates did."""

    updates: int = 0  # new updates stored
    duplicates: int = 0  # updates already known (by any dedupe key)
    deliveries: int = 0  # outbox rows created
    silent: int = 0  # new items recorded as seen without being posted (a new feed's first poll)


@dataclass(slots=True)
class Batch:
    """The rows sent as one digest message: `id` is the first row's id, `nonce` its random message nonce."""

    id: int
    nonce: str
    subscription_id: int
    kind: SubscriptionKind
    target_id: int
    attempts: int
    maybe_sent_since: float | None = None  # an earlier attempt may have reached Discord at or after this
    last_error: str | None = None
    texts: list[str] = field(default_factory=list)
    row_ids: list[int] = field(default_factory=list)
    channel_type: ChannelType = ChannelType.TEXT
    role_id: int | None = None
    cards: list[Card | None] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Claim:
    """Due digests, and the fingerprint of the fact base last announced (read in the same transaction)."""

    batches: list[Batch]
    knowledge_fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """A send about to start: recorded first, so that a crash leaves the digest 'maybe sent'."""

    batch: int
    started_at: float
    lease_until: float  # the digest is held (not claimed again) until then
    fresh: bool  # earlier attempts are known not to have created a message (the channel was checked)


@dataclass(frozen=True, slots=True)
class Mark:
    """A digest Discord accepted, and its message id."""

    batch: int
    message_id: int | None


@dataclass(frozen=True, slots=True)
class Deferral:
    """A failed attempt: when to try again, and whether to give up."""

    batch: int
    attempts: int
    next_attempt_at: float
    error: str
    give_up: bool = False
    not_sent: bool = False  # no attempt so far can have created a message: no check before the next


@dataclass(frozen=True, slots=True)
class PlannedDigest:
    """A digest as delivery would send it; `fixed`: its nonce is fixed already (else chosen when sent)."""

    batch: Batch
    fixed: bool


@dataclass(frozen=True, slots=True)
class Held:
    """Pending updates of a paused destination: nothing is sent until it subscribes again."""

    subscription: Subscription
    updates: int


@dataclass(frozen=True, slots=True)
class DeliveryPlan:
    """What delivery would send now (every digest, due or not), and what paused destinations hold."""

    digests: list[PlannedDigest]
    held: list[Held]

    @property
    def deliveries(self) -> int:
        """Pending (update, destination) rows that would be sent."""
        return sum(len(d.batch.row_ids) for d in self.digests)


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


class ChangeKind(StrEnum):
    """How a fact differs from its last announced version."""

    NEW = "new"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Change:
    """One announced difference of a fact."""

    kind: ChangeKind
    fact_id: str
    item: UpdateItem


@dataclass(slots=True)
class KnowledgePlan:
    """What to announce and how the snapshot moves forward."""

    baseline: bool = False
    changes: list[Change] = field(default_factory=list)
    upserts: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (hash, rendering json)
    removed: list[str] = field(default_factory=list)
