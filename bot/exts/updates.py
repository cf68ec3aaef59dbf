"""Automatic updates in Discord: knowledge check, feed poll and outbox delivery loops; owner-only /reload."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import ui
from bot.core.updates.changes import KnowledgeCheck, check_knowledge
from bot.core.updates.feeds import FeedPoller
from bot.core.updates.outbox import DestinationGone, Outbox, SendRejected, SendRetryable
from bot.core.updates.records import Batch
from bot.core.updates.relevance import RelevanceIndex

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
MIN_INTERVAL = 1.0
FEED_TICK_MAX = 60.0  # the feed loop ticks at least this often; each feed is polled when it is due


def _reason(exc: discord.HTTPException, kind: str) -> str:
    what = {403: "Discord refused (403 Forbidden)", 404: "Discord says it no longer exists (404 Not Found)"}
    hint = "the bot lost access or permission to post there" if kind == "channel" else \
        "the user does not accept DMs"
    if exc.status == 404:
        hint = "the channel was deleted" if kind == "channel" else "the user is unknown"
    detail = f": {exc.text}" if exc.text else ""
    return f"{what.get(exc.status, f'HTTP {exc.status}')} — {hint}{detail}"


class Updates(commands.Cog):
    """Runs the three update loops while loaded; stops them when unloaded."""

    def __init__(self, bot: TariffBot, *, clock: Callable[[], float] = time.time,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.bot = bot
        settings = bot.settings.updates
        self.outbox = Outbox(bot.store, self.send, digest_limit=settings.digest_limit, clock=clock,
                             base_delay=max(settings.delivery_seconds, MIN_INTERVAL))
        self.poller = FeedPoller(bot.store, settings, self.relevance, clock=clock, session=session)
        self._index: tuple[str, RelevanceIndex] | None = None
        self.knowledge_loop = self._loop(self.check_knowledge, settings.knowledge_check_seconds)
        self.feed_loop = self._loop(self.poll_feeds, min(settings.feed_poll_seconds, FEED_TICK_MAX))
        self.delivery_loop = self._loop(self.deliver, settings.delivery_seconds)
        self.delivery_loop.before_loop(self.bot.wait_until_ready)

    @staticmethod
    def _loop(work: Callable[[], Awaitable[object]], seconds: float) -> tasks.Loop:
        async def tick() -> None:
            try:
                await work()
            except Exception:
                log.exception("update loop %s failed; it runs again next time", work.__name__)

        return tasks.loop(seconds=max(seconds, MIN_INTERVAL), name=f"tariffbot:{work.__name__}")(tick)

    @property
    def loops(self) -> tuple[tasks.Loop, ...]:
        """The knowledge check, feed poll and delivery loops."""
        return (self.knowledge_loop, self.feed_loop, self.delivery_loop)

    async def cog_load(self) -> None:
        """Start the loops (the knowledge check runs at once: 'checked on start')."""
        for loop in self.loops:
            loop.start()

    async def cog_unload(self) -> None:
        """Cancel the loops, wait until they have stopped, and close the feed session."""
        tasks_ = [task for loop in self.loops if (task := loop.get_task()) is not None]
        for loop in self.loops:
            loop.cancel()
        await asyncio.gather(*tasks_, return_exceptions=True)
        await self.poller.close()

    def relevance(self) -> RelevanceIndex:
        """The relevance index of the serving fact base (rebuilt when it changes)."""
        kb = self.bot.service.kb
        if self._index is None or self._index[0] != kb.fingerprint:
            self._index = (kb.fingerprint, RelevanceIndex(kb))
        return self._index[1]

    async def check_knowledge(self) -> KnowledgeCheck:
        """Reload knowledge/ (a broken one keeps the old serving) and queue what changed."""
        return await check_knowledge(self.bot.store, self.bot.service.reload)

    async def poll_feeds(self) -> None:
        """Poll the feeds that are due."""
        await self.poller.poll_all()

    async def deliver(self) -> None:
        """Drain the outbox."""
        await self.outbox.drain()

    async def send(self, batch: Batch, content: str) -> int:
        """Post one digest with its nonce; translate Discord's answer for the outbox."""
        try:
            if batch.kind == "dm":
                channel: discord.abc.Messageable = await self.bot.create_dm(discord.Object(batch.target_id))
            else:
                channel = self.bot.get_partial_messageable(batch.target_id)
            message = await channel.send(content, nonce=batch.nonce, allowed_mentions=ui.NO_MENTIONS)
            return message.id
        except (discord.Forbidden, discord.NotFound) as exc:
            raise DestinationGone(_reason(exc, batch.kind)) from exc
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise SendRetryable(f"HTTP {exc.status}: {exc.text or 'try later'}") from exc
            raise SendRejected(f"HTTP {exc.status}: {exc.text}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendRetryable(f"{type(exc).__name__}: {exc}") from exc

    @app_commands.command(name="reload", description="Owner only: reload the fact base and announce changes")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def reload(self, interaction: discord.Interaction) -> None:
        """Validate knowledge/, queue announcements of what changed, and say what happened."""
        if not await self.bot.is_owner(interaction.user):
            await ui.send_ephemeral(interaction, "Only the bot's owner can reload the fact base.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        check = await self.check_knowledge()
        if not check.ok:
            problems = "\n".join(check.problems[:15])
            text = ("Rejected: the fact base has problems; the previous version keeps serving.\n"
                    f"```\n{problems}\n```")
        elif check.plan is None or not check.plan.changes:
            text = f"Fact base checked: {check.facts} facts, nothing new to announce."
        else:
            lines = "\n".join(f"• {c.item.text}" for c in check.plan.changes[:10])
            text = (f"{len(check.plan.changes)} change(s) queued for {check.queued.deliveries} "
                    f"delivery(ies):\n{lines}")
        await interaction.followup.send(ui.clip(text, 2000), ephemeral=True, allowed_mentions=ui.NO_MENTIONS)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Updates(bot))
