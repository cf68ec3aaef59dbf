"""Settings the core needs (engine, automatic updates, feeds), with their defaults.

`bot.config` reads them from config.yaml; the core never reads configuration files itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineSettings:
    """How sure the matcher must be, and how much it reads."""

    # P(right) an answer needs; None: the threshold fitted with the decision model (knowledge/decision.yaml).
    answer_threshold: float | None = None
    # How close (0..1) a near miss must be to be offered as "did you mean".
    suggestion_threshold: float = 0.35
    max_suggestions: int = 3
    max_question_chars: int = 500


@dataclass(frozen=True)
class FeedSettings:
    """One RSS or Atom feed to poll."""

    name: str
    url: str


@dataclass(frozen=True)
class UpdateSettings:
    """Timers and limits of the automatic updates."""

    knowledge_check_seconds: float = 300.0
    feed_poll_seconds: float = 900.0
    delivery_seconds: float = 5.0
    digest_limit: int = 10
    relevance_threshold: float = 0.5
    feed_timeout_seconds: float = 20.0
    feed_max_bytes: int = 2_000_000
    feed_max_items: int = 20
    request_timeout_seconds: float = 20.0
    nonce_window_seconds: float = 60.0
    max_removals: int = 3
    feeds: tuple[FeedSettings, ...] = ()
    # No flood: a feed's first poll records what is there and posts at most this many newest relevant items
    # (config.yaml's feeds; a server's feed takes `/feeds add ... backfill:N`); older items are never posted.
    feed_backfill: int = 0
    feed_max_age_days: float = 7.0  # 0: no age limit
    # Feeds added from Discord: how many per server, and each one's size cap (bytes).
    server_feed_limit: int = 10
    server_feed_max_bytes: int = 1_000_000
    # Networks a server's feed may reach although they are loopback, private, link-local... (CIDR; none).
    feed_allowed_networks: tuple[str, ...] = ()
