"""The heartbeat: every `health.heartbeat_seconds` the bot records whether it is connected, for
`tariffbot health` (and Docker's HEALTHCHECK); and, at INFO, how many questions it answered."""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.core.health import Heartbeat
from bot.core.logonce import ErrorLog
from bot.core.store import StoreError

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
COUNTS_SECONDS = 900.0  # the question counts are logged at most this often (INFO), when there were any


class Health(commands.Cog):
    """Writes the heartbeat while loaded; writes a last one, marked stopped, at shutdown."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot
        self.clock = bot.store.clock
        self.started = self.clock()
        self.connected_at: float | None = None
        self.errors = ErrorLog(log)
        self._counted: Counter[str] = Counter()
        self._counted_at = self.started
        seconds = bot.settings.health.heartbeat_seconds
        self.loop = tasks.loop(seconds=seconds, name="tariffbot:heartbeat")(self.beat)

    async def cog_load(self) -> None:
        """Start beating (the first beat at once: 'started, not connected yet')."""
        self.loop.start()

    async def cog_unload(self) -> None:
        """Stop beating."""
        self.loop.cancel()

    def connected(self) -> bool:
        """True while the gateway is open and the bot is ready."""
        ws = self.bot.ws
        return self.bot.is_ready() and not self.bot.is_closed() and ws is not None and ws.open

    def snapshot(self, *, stopped: bool = False) -> Heartbeat:
        """The bot's state now."""
        now = self.clock()
        connected = self.connected() and not stopped
        if connected:
            self.connected_at = now
        latency = self.bot.latency if connected else math.nan
        return Heartbeat(os.getpid(), self.started, now, connected, self.connected_at, len(self.bot.guilds),
                         latency * 1000 if math.isfinite(latency) else None,
                         sum(self.bot.questions.values()), now if stopped else None)

    async def beat(self, *, stopped: bool = False) -> None:
        """Record the heartbeat (a failing database is logged once per interval, never raised)."""
        try:
            await self.bot.store.beat(self.snapshot(stopped=stopped))
            self.errors.resolved()
        except StoreError as exc:
            self.errors.report(logging.ERROR, f"cannot record the heartbeat: {exc}")
        self.log_counts()

    def log_counts(self, *, force: bool = False) -> None:
        """At INFO, how many questions (by kind) came since the last count; never their text."""
        if not force and self.clock() - self._counted_at < COUNTS_SECONDS:
            return
        now = self.bot.questions - self._counted
        if now:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(now.items()))
            log.info("%d question(s) in the last %.0f min: %s", sum(now.values()),
                     (self.clock() - self._counted_at) / 60, kinds)
        self._counted, self._counted_at = Counter(self.bot.questions), self.clock()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Connected (or reconnected): say so now, not at the next beat."""
        await self.beat()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        """The session resumed after a disconnect."""
        await self.beat()

    async def stop_work(self, timeout: float) -> None:  # noqa: ASYNC109 (part of the shutdown deadline)
        """At shutdown: stop beating and record that the bot stopped (health says so at once)."""
        self.loop.cancel()
        self.log_counts(force=True)
        await self.beat(stopped=True)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Health(bot))
