"""Automatic updates in Discord: knowledge check, feed poll and outbox delivery loops; owner-only /reload."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import posts, ui
from bot.core.logonce import ErrorLog
from bot.core.ratelimit import concurrency_for
from bot.core.store import StoreError
from bot.core.updates.changes import KnowledgeCheck, check_knowledge
from bot.core.updates.feeds import FeedPoller
from bot.core.updates.messages import fingerprint
from bot.core.updates.outbox import DestinationGone, Outbox, SendRejected, SendRetryable
from bot.core.updates.records import Batch, SubscriptionKind

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
MIN_INTERVAL = 1.0
FEED_TICK_MAX = 60.0  # the feed loop ticks at least this often; each feed is polled when it is due
FIND_LIMIT = 500  # messages read back at most when looking for a digest that may have been posted
FIND_MARGIN_SECONDS = 60.0  # look from this long before the first attempt (clock skew)


def _reason(exc: discord.HTTPException, kind: SubscriptionKind) -> str:
    what = {403: "Discord refused (403 Forbidden)", 404: "Discord says it no longer exists (404 Not Found)"}
    hint = "the bot lost access or permission to post there" if kind is SubscriptionKind.CHANNEL else \
        "the user does not accept DMs"
    if exc.status == 404:
        hint = "the channel was deleted" if kind is SubscriptionKind.CHANNEL else "the user is unknown"
    detail = f": {exc.text}" if exc.text else ""
    return f"{what.get(exc.status, f'HTTP {exc.status}')} — {hint}{detail}"


class Updates(commands.Cog):
    """Runs the three update loops while loaded; stops them when unloaded."""

    def __init__(self, bot: TariffBot, *, session: aiohttp.ClientSession | None = None) -> None:
        self.bot = bot
        settings = bot.settings.updates
        clock = bot.store.clock  # the bot's one clock
        self.outbox = Outbox(bot.store, self.send, finder=self.find, digest_limit=settings.digest_limit,
                             clock=clock, base_delay=max(settings.delivery_seconds, MIN_INTERVAL),
                             request_timeout=settings.request_timeout_seconds,
                             nonce_window=settings.nonce_window_seconds, ready=self.serving,
                             concurrency=concurrency_for(bot.settings.discord.requests_per_second),
                             pacer=bot.pacer)
        self.poller = FeedPoller(bot.store, settings, lambda: bot.service.relevance, clock=clock,
                                 session=session)
        self.errors = ErrorLog(log)
        self._busy = 0  # loop rounds under way (a stop waits for them, not for sleeping loops)
        self._idle = asyncio.Event()
        self._idle.set()
        self.knowledge_loop = self._loop(self.check_on_timer, settings.knowledge_check_seconds)
        self.feed_loop = self._loop(self.poll_feeds, min(settings.feed_poll_seconds, FEED_TICK_MAX))
        self.delivery_loop = self._loop(self.deliver, settings.delivery_seconds)
        self.delivery_loop.before_loop(self.bot.wait_until_ready)

    def _loop(self, work: Callable[[], Awaitable[object]], seconds: float) -> tasks.Loop:
        async def tick() -> None:
            self._busy += 1
            self._idle.clear()
            try:
                await work()
            except StoreError as exc:  # one line per distinct error per interval, not a traceback a tick
                self.errors.report(logging.ERROR, f"update loop {work.__name__}: {exc}", exc=exc)
            except Exception as exc:
                self.errors.report(logging.ERROR, f"update loop {work.__name__} failed: "
                                   f"{type(exc).__name__}: {exc}; it runs again next time", exc=exc)
            finally:
                self._busy -= 1
                if not self._busy:
                    self._idle.set()

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

    async def stop_work(self, timeout: float) -> None:  # noqa: ASYNC109 (a deadline for the loops)
        """At shutdown: claim no more digests, let the loops finish their round within `timeout`.

        A send still running then is cancelled; its claim stays in the outbox, resumed at the next start.
        """
        self.outbox.close()
        for loop in self.loops:
            loop.stop()  # no new round
        if self._busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout)
        await self.cog_unload()  # sleeping loops, and rounds still running after `timeout`, are cancelled

    async def check_knowledge(self, *, allow_removals: bool = False, settle: bool = False) -> KnowledgeCheck:
        """Reload knowledge/ (a broken one keeps the old serving), serve it, and queue what changed."""
        limit = None if allow_removals else self.bot.settings.updates.max_removals
        service = self.bot.service
        return await check_knowledge(self.bot.store, lambda: service.load(settle=settle), serve=service.serve,
                                     max_removals=limit)

    async def check_on_timer(self) -> KnowledgeCheck:
        """The unattended check: files still being written are left for the next tick."""
        return await self.check_knowledge(settle=True)

    async def serving(self, announced: str | None) -> bool:
        """True when the bot answers from the fact base the queued updates describe; else load that first.

        Another process (`tariffbot reload`) may have announced a newer fact base: it is loaded and served
        before any of its updates go out.
        """
        if announced is None or announced == self.bot.service.kb.fingerprint:
            return True
        log.info("the fact base was changed by another process; loading it before delivering its updates")
        check = await self.check_knowledge(allow_removals=True)  # the other process already announced them
        if not check.ok:
            self.outbox.health = ("delivery held: the announced fact base cannot be loaded here: "
                                  + "; ".join(check.problems[:3]))
            self.errors.report(logging.ERROR, self.outbox.health)
        return False  # claim again: the next claim carries the fingerprint now served

    async def poll_feeds(self) -> None:
        """Poll the feeds that are due."""
        await self.poller.poll_all()

    async def deliver(self) -> None:
        """Drain the outbox."""
        await self.outbox.drain()

    async def _destination(self, batch: Batch) -> discord.abc.Messageable:
        if batch.kind is SubscriptionKind.DM:
            return await self.bot.create_dm(discord.Object(batch.target_id))
        return self.bot.get_partial_messageable(batch.target_id)

    @staticmethod
    def _translate(exc: Exception, batch: Batch) -> Exception:
        """Discord's answer as the outbox's exceptions (whether a message may have been created)."""
        if isinstance(exc, discord.RateLimited):
            return SendRetryable(f"rate limited for {exc.retry_after:.0f} s", maybe_sent=False,
                                 retry_after=exc.retry_after)
        if isinstance(exc, discord.Forbidden | discord.NotFound):
            return DestinationGone(_reason(exc, batch.kind))
        if isinstance(exc, discord.HTTPException) and exc.code == posts.TAG_REQUIRED_CODE:
            return DestinationGone(f"the forum {posts.REQUIRES_TAG} (resubscribe to resume)")
        if isinstance(exc, discord.HTTPException):
            if exc.status == 429:
                return SendRetryable(f"HTTP 429: {exc.text or 'try later'}", maybe_sent=False)
            if exc.status >= 500:
                return SendRetryable(f"HTTP {exc.status}: {exc.text or 'try later'}")
            return SendRejected(f"HTTP {exc.status}: {exc.text}")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return SendRetryable(f"{type(exc).__name__}: {exc}", maybe_sent=False)
        return SendRetryable(f"{type(exc).__name__}: {exc}")

    async def _forum(self, batch: Batch) -> discord.ForumChannel:
        channel = self.bot.get_channel(batch.target_id) or await self.bot.fetch_channel(batch.target_id)
        if not isinstance(channel, discord.ForumChannel):
            raise DestinationGone("the forum channel is no longer a forum")
        if channel.flags.require_tag:  # Discord would refuse the post (400, code 40067)
            raise DestinationGone(f"the forum {posts.REQUIRES_TAG} (resubscribe to resume)")
        return channel

    async def send(self, batch: Batch, content: str) -> int:
        """Post one digest (embeds, the role it mentions) with its nonce, or as a new forum post; translate
        Discord's answer for the outbox."""
        message = posts.digest_message(batch, content)
        try:
            if posts.in_forum(batch):
                forum = await self._forum(batch)
                created = await forum.create_thread(name=posts.thread_name(batch), **message)
                return created.message.id
            channel = await self._destination(batch)
            return (await channel.send(**message, nonce=batch.nonce)).id
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            raise self._translate(exc, batch) from exc

    async def _find_post(self, batch: Batch, ref: str, after: int, me: int | None) -> int | None:
        """The forum post the bot started for this digest (its first message holds the fingerprint)."""
        forum = await self._forum(batch)
        for thread in await forum.guild.active_threads():
            if thread.parent_id == forum.id and thread.owner_id == me and thread.id > after:
                first = await thread.fetch_message(thread.id)
                if ref in first.content:
                    return first.id
        return None

    async def find(self, batch: Batch, since: float) -> int | None:
        """The id of the digest's message if the bot already posted it (by its fingerprint), else None."""
        ref = fingerprint(batch.nonce)
        after = discord.Object(discord.utils.time_snowflake(
            datetime.fromtimestamp(since - FIND_MARGIN_SECONDS, UTC)))
        me = self.bot.user.id if self.bot.user else None
        try:
            if posts.in_forum(batch):
                return await self._find_post(batch, ref, after.id, me)
            channel = await self._destination(batch)
            async for message in channel.history(limit=FIND_LIMIT, after=after, oldest_first=True):
                if message.author.id == me and ref in message.content:
                    return message.id
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            raise self._translate(exc, batch) from exc
        return None

    @app_commands.command(name="reload", description="Owner only: reload the fact base and announce changes")
    @app_commands.describe(allow_removals="Also accept a fact base that removes many facts at once")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.default_permissions(administrator=True)  # hidden from members; the owner is checked too
    async def reload(self, interaction: discord.Interaction, allow_removals: bool = False) -> None:
        """Validate knowledge/, queue announcements of what changed, and say what happened."""
        if not await self.bot.is_owner(interaction.user):
            await ui.send_ephemeral(interaction, "Only the bot's owner can reload the fact base.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            check = await self.check_knowledge(allow_removals=allow_removals)
        except StoreError as exc:
            log.error("/reload: %s", exc)
            check = KnowledgeCheck(problems=[f"database: -: {exc}"])
        if not check.ok:
            problems = "\n".join(ui.clip(p, 300) for p in check.problems[:15])
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
