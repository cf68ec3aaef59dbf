"""The discord.py bot: settings, fact base and store, with one extension per feature."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import discord
from discord.ext import commands

from bot import shutdown
from bot.background import Background
from bot.config import Settings
from bot.core.clock import Clock
from bot.core.ratelimit import Pacer
from bot.core.service import KnowledgeService
from bot.core.store import Store
from bot.http_pacing import trace_config
from bot.paging import PageButton, PageSource
from bot.servers import Servers
from bot.ui import FeedbackButton, SuggestionButton

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.exts.errors",
    "bot.exts.questions",
    "bot.exts.ask",
    "bot.exts.tariffs",
    "bot.exts.people",
    "bot.exts.info",
    "bot.exts.subscriptions",
    "bot.exts.settings",
    "bot.exts.feeds",
    "bot.exts.curators",
    "bot.exts.updates",
    "bot.exts.health",
)
IGNORED_WHILE_STOPPING = frozenset({"message"})  # new questions are not taken once the bot is stopping


def intents() -> discord.Intents:
    """Only what the bot needs: guilds, guild and DM messages, and (privileged) message content."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True
    return wanted


def _no_voice_warning(record: logging.LogRecord) -> bool:
    """Drop discord.py's start-up warning about voice libraries: this bot never uses voice."""
    return "voice will NOT be supported" not in record.getMessage()


def _brief_reconnects(record: logging.LogRecord) -> bool:
    """discord.py logs a full traceback before every reconnect attempt: make it one line with the error."""
    if record.exc_info and record.getMessage().startswith("Attempting a reconnect"):
        error = record.exc_info[1]
        record.msg, record.args = f"{record.getMessage()}: {type(error).__name__}: {error}", ()
        record.exc_info, record.exc_text = None, None
    return True


def _user_id(user_id: int) -> int:
    """The cooldown bucket key of a user."""
    return user_id


class Cooldowns:
    """Per-user rate limit (`rate` questions every `per` seconds) that warns once per window.

    Servers may set their own limits (`/settings cooldown`): each distinct limit has its own buckets.
    """

    def __init__(self, rate: int, per: float) -> None:
        self.default = (rate, per)
        self._mappings: dict[tuple[int, float], commands.CooldownMapping[int]] = {}
        self._warned: dict[int, float] = {}

    def retry_after(self, user_id: int, limit: tuple[int, float] | None = None) -> float | None:
        """Seconds to wait when the user is over the limit, else None (and the question counts)."""
        rate, per = limit or self.default
        if rate <= 0 or per <= 0:
            return None
        mapping = self._mappings.get((rate, per))
        if mapping is None:
            # keyed by the user id itself: the buckets of BucketType.user, without a message to read it from
            mapping = self._mappings[rate, per] = commands.CooldownMapping.from_cooldown(rate, per, _user_id)
        return mapping.update_rate_limit(user_id)

    def should_warn(self, user_id: int, retry_after: float) -> bool:
        """True the first time a user hits the limit in a window (so the bot does not spam warnings)."""
        now = time.monotonic()
        if self._warned.get(user_id, 0.0) > now:
            return False
        if len(self._warned) > 10_000:
            self._warned = {k: v for k, v in self._warned.items() if v > now}
        self._warned[user_id] = now + retry_after
        return True


class TariffBot(commands.Bot):
    """tariffbot: answers questions about the spring 2025 Japan-US tariff talks."""

    def __init__(self, settings: Settings, service: KnowledgeService | None = None, *,
                 clock: Clock = time.time, **options: Any) -> None:
        """`clock` is the bot's one clock: the store stamps with it and the update loops schedule by it."""
        for log_filter in (_no_voice_warning, _brief_reconnects):  # added once, however many bots
            logging.getLogger("discord.client").addFilter(log_filter)
        # every REST request waits for its turn: one pace for all the bot sends (Discord's global limit)
        self.pacer = Pacer(settings.discord.requests_per_second)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            # a long rate limit raises RateLimited instead of sleeping inside send(): callers reschedule
            max_ratelimit_timeout=settings.discord.max_ratelimit_seconds or None,
            http_trace=trace_config(self.pacer),
            **options,
        )
        self.settings = settings
        self.service = service or KnowledgeService(
            settings.knowledge_dir,
            settings.engine,
            limits=settings.knowledge_limits,
            cache_dir=settings.cache_dir,
        )
        self.store = Store(settings.database, clock=clock)
        self.cooldowns = Cooldowns(settings.discord.cooldown_rate, settings.discord.cooldown_seconds)
        self.servers = Servers(settings.discord)
        self.background = Background()
        # '/tariff japan' typed as a message: command name -> the message that command sends (by extension).
        self.text_commands: dict[str, Callable[[str], dict[str, Any]]] = {}
        self.questions: Counter[str] = Counter()  # questions answered since the start, by reply kind
        self.stopping: str | None = None  # why the bot is stopping (a signal's name), once it is
        self._closing: asyncio.Task[None] | None = None
        # list kind -> where its pages come from (by extension): page buttons read the list again on click
        self.pages: dict[str, PageSource] = {}

    async def setup_hook(self) -> None:
        """Open the store (applying migrations), register persistent buttons and load the extensions."""
        await self.store.open()
        await self.servers.load(self.store)
        self.add_dynamic_items(SuggestionButton, FeedbackButton, PageButton)
        for name in EXTENSIONS:
            await self.load_extension(name)
        log.info("loaded %d extensions; %d facts", len(EXTENSIONS), len(self.service.kb.facts))
        # Everything loaded so far (fact base, discord.py, extensions) lives for the whole run: move it out
        # of the collector's view so full collections stay short and never hold the event loop for long.
        gc.collect()
        gc.freeze()

    def stop(self, reason: str) -> None:
        """Begin a graceful stop (a signal's handler calls this): see `close`."""
        log.info("%s received: stopping", reason)
        self.stopping = self.stopping or reason
        if self._closing is None:
            self._closing = asyncio.create_task(self._close(), name="tariffbot:close")

    async def close(self) -> None:
        """Stop taking new work, let in-flight replies and deliveries finish (`bot.shutdown`), give the
        background writes a moment, disconnect, and close the store; safe to call again while it runs."""
        if self._closing is None:
            self._closing = asyncio.create_task(self._close(), name="tariffbot:close")
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        self.stopping = self.stopping or "close"
        try:
            await shutdown.finish_work(self, shutdown.GRACE_SECONDS)
            # before the HTTP session closes: a decline's write may owe a curator notice
            await self.background.wait(timeout=shutdown.WRITES_SECONDS)
            await super().close()
            await self.pacer.close()
        finally:
            await self.store.close()

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """discord.py's event dispatch, except new messages once the bot is stopping."""
        if self.stopping and event_name in IGNORED_WHILE_STOPPING:
            return
        super().dispatch(event_name, *args, **kwargs)

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: questions are handled by the questions extension."""

    async def on_ready(self) -> None:
        """Log who we are (never the token)."""
        log.info("connected as %s (%s) in %d guild(s)", self.user, self.user.id if self.user else "?",
                 len(self.guilds))
