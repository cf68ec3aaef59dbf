"""/feeds add|remove|list|test: news feeds a server adds from Discord (Manage Server).

A server's feeds post relevant items to that server's channel subscriptions (topic `news`). URLs are
checked before anything is fetched (http(s) only, public addresses only, after DNS and every redirect);
the first poll records what the feed holds and posts only the `backfill` newest relevant items.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import discord
from discord import app_commands
from discord.ext import commands

from bot import posts, ui
from bot.checks import Refusal, admin_group, in_server, manage_server, may_manage
from bot.core.store import FeedLimit
from bot.core.text import inert, safe_link
from bot.core.updates.feeds import FeedError, FeedPoller, FeedSource, Verdict
from bot.core.updates.netguard import UnsafeURL
from bot.core.updates.records import ServerFeed
from bot.paging import Entry, Listing, send_listing

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
MAX_NAME = 80
MAX_PREVIEW = 10
MAX_LINK = 500  # a feed's link in a reply (percent-encoding can make a 2,000-character URL 9 times longer)


def feed_line(feed: ServerFeed) -> str:
    """A feed as a list line: its name and link (its address cut short, unlinked, when the link is long)."""
    link = safe_link(feed.url)
    shown = f"<{link}>" if link and len(link) <= MAX_LINK else inert(feed.url, 200)
    return f"**{inert(feed.name, MAX_NAME)}** — {shown}"


class Feeds(commands.Cog):
    """A server's own news feeds."""

    feeds = admin_group("feeds", "This server's news feeds (Manage Server)")

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Page the feed list."""
        self.bot.pages["feeds"] = self.listing

    async def cog_unload(self) -> None:
        """Stop paging it."""
        self.bot.pages.pop("feeds", None)

    @property
    def poller(self) -> FeedPoller:
        """The update loops' feed poller (one HTTP client and one schedule for every feed)."""
        updates = self.bot.get_cog("Updates")
        poller = getattr(updates, "poller", None)
        if not isinstance(poller, FeedPoller):
            raise Refusal("Automatic updates are not running right now: try again later.")
        return poller

    async def find(self, guild_id: int, name: str) -> ServerFeed | None:
        """The server's feed with this name (or id, or URL), if any."""
        wanted = name.strip().casefold()
        for feed in await self.bot.store.server_feeds(guild_id):
            if wanted in (feed.name.casefold(), str(feed.id), feed.url.casefold()):
                return feed
        return None

    @feeds.command(name="add", description="Post relevant items of an RSS or Atom feed to this server's "
                   "subscriptions")
    @app_commands.describe(url="The feed's http(s) address", name="How posts name it (default: its host)",
                           backfill="Post this many of its newest relevant items now (0: new ones only)")
    @manage_server()
    async def add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000],
                  name: app_commands.Range[str, 1, MAX_NAME] | None = None,
                  backfill: app_commands.Range[int, 0, 10] = 0) -> None:
        """Check the URL, add the feed and poll it once (silently, but for the backfill)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = in_server(interaction)
        poller, url = self.poller, url.strip()
        try:
            await poller.policy.check(url)
        except UnsafeURL as exc:
            log.info("server %d: refused feed URL: %s", guild_id, exc)
            await ui.send_ephemeral(interaction, f"I can't use that URL: {exc}.")
            return
        name = " ".join((name or urlsplit(url).hostname or "feed").split())[:MAX_NAME]
        settings = self.bot.settings.updates
        try:
            feed = await self.bot.store.add_server_feed(guild_id, name, url, backfill, interaction.user.id,
                                                        settings.server_feed_limit)
        except FeedLimit as exc:
            await ui.send_ephemeral(interaction, f"Not added: {exc}.")
            return
        result = await poller.poll(FeedSource.of_server(feed, settings), force=True)
        if result.error is not None:
            await self.bot.store.remove_server_feed(feed)
            error = inert(result.error, 300)
            await ui.send_ephemeral(interaction, f"Not added: I couldn't read that feed ({error}).")
            return
        log.info("server %d: feed %d added by user %d", guild_id, feed.id, interaction.user.id)
        posted, backfilled = result.queued.deliveries, result.relevant - result.silent
        text = (f"Added {feed_line(feed)}: {result.items} item(s), {result.relevant} relevant and recent. "
                f"{result.silent} recorded without posting; {backfilled} queued for this server's channels "
                f"subscribed to `news` ({posted} delivery(ies)). From now on, new relevant items are posted.")
        if not posted and backfilled:
            text += " No channel here is subscribed to `news`: see `/subscribe`."
        await ui.send_ephemeral(interaction, text)

    @feeds.command(name="remove", description="Stop polling one of this server's feeds")
    @app_commands.describe(feed="The feed's name")
    @manage_server()
    async def remove(self, interaction: discord.Interaction, feed: str) -> None:
        """Remove a feed (what it posted stays posted)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.find(in_server(interaction), feed)
        if found is None or not await self.bot.store.remove_server_feed(found):
            await ui.send_ephemeral(interaction, "This server has no such feed: see `/feeds list`.")
            return
        await ui.send_ephemeral(interaction, f"Removed {feed_line(found)}.")

    @feeds.command(name="list", description="This server's feeds and how they are doing")
    @manage_server()
    async def list_(self, interaction: discord.Interaction) -> None:
        """List the server's feeds, paged."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_listing(interaction, await self.listing(interaction), "feeds", ephemeral=True)

    async def listing(self, interaction: discord.Interaction, key: str = "") -> Listing:
        """The server's feeds with their health (Manage Server, checked again on every page)."""
        if not may_manage(interaction):
            raise Refusal("You need the **Manage Server** permission to see this.")
        guild_id = in_server(interaction)
        states = {s.name: s for s in await self.bot.store.feed_states()}
        entries = []
        for feed in await self.bot.store.server_feeds(guild_id):
            state = states.get(feed.key)
            if state is None or (state.last_success_at is None and not state.consecutive_failures):
                health = "not polled yet"
            elif state.consecutive_failures:
                error = inert(state.last_error or "?", 150)  # the feed server's words
                health = f"⚠ failing ({state.consecutive_failures} in a row): {error}"
            else:
                health = f"last read {state.last_success_at}"
            entries.append(Entry(f"{feed_line(feed)}\n  {health}"))
        limit = self.bot.settings.updates.server_feed_limit
        return Listing("News feeds of this server", entries, "No feeds yet: add one with `/feeds add`.",
                       per_page=8, notes=[f"-# {len(entries)} of {limit} feeds"])

    @feeds.command(name="test", description="What a feed would post now (sends nothing)")
    @app_commands.describe(feed="One of this server's feeds, or a feed URL to try")
    @manage_server()
    async def test(self, interaction: discord.Interaction, feed: app_commands.Range[str, 1, 2000]) -> None:
        """Fetch the feed and show, item by item, what a poll would do; the posts it would make, as embeds."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = in_server(interaction)
        poller, settings = self.poller, self.bot.settings.updates
        found = await self.find(guild_id, feed)
        if found is not None:
            source = FeedSource.of_server(found, settings)
        else:
            url = feed.strip()
            host = urlsplit(url).hostname or "feed"
            trial = ServerFeed(0, guild_id, host, url, 0, interaction.user.id, "")
            source = FeedSource.of_server(trial, settings)
        try:
            await poller.policy.check(source.url)
            verdicts = await poller.preview(source)
        except (UnsafeURL, FeedError) as exc:
            await ui.send_ephemeral(interaction, f"I can't read that feed: {inert(str(exc), 300)}.")
            return
        lines = [f"{'✅' if v is Verdict.POST else '·'} {inert(s.item.title or s.item.summary, 120)} — {v}"
                 + (f" ({s.relevance.why()})" if s.relevance.score >= settings.relevance_threshold else "")
                 for s, v in verdicts]
        post = [s.update for s, v in verdicts if v is Verdict.POST and s.update is not None]
        head = f"**{inert(source.name, MAX_NAME)}**: {len(verdicts)} newest item(s), {len(post)} to post now."
        if found is None:
            head += " (Not one of this server's feeds: added now, it would post only its backfill.)"
        shown = post[:MAX_PREVIEW]
        embeds = posts.preview_embeds([u.text for u in shown], [u.card for u in shown])
        if len(embeds) < len(post):
            head += f" The first {len(embeds)} as they would look:"
        await interaction.followup.send(ui.clip("\n".join([head, *lines]), 2000), embeds=embeds,
                                        ephemeral=True, allowed_mentions=ui.NO_MENTIONS)

    @remove.autocomplete("feed")
    @test.autocomplete("feed")
    async def feed_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        """This server's feeds whose name contains what was typed."""
        if interaction.guild_id is None:
            return []
        typed = current.strip().casefold()
        feeds = await self.bot.store.server_feeds(interaction.guild_id)
        return [app_commands.Choice(name=ui.clip(f.name, 100), value=f.name[:100])
                for f in feeds if typed in f.name.casefold()][:25]


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Feeds(bot))
