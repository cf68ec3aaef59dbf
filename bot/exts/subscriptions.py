"""/subscribe, /unsubscribe and /subscriptions: who gets automatic updates, on which topics."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import posts, ui
from bot.core.model import TOPICS
from bot.core.text import inert
from bot.core.updates.records import ChannelType, Subscription, SubscriptionKind
from bot.paging import Entry, Listing, send_listing

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
_SPLIT = re.compile(r"[\s,;]+")
Target = discord.TextChannel | discord.Thread | discord.ForumChannel


def channel_type(channel: Target) -> ChannelType:
    """How a subscription posts to this channel."""
    if isinstance(channel, discord.Thread):
        return ChannelType.THREAD
    return ChannelType.FORUM if isinstance(channel, discord.ForumChannel) else ChannelType.TEXT


def refuse_role(role: discord.Role, channel: Target, member: discord.Member) -> str | None:
    """Why this role may not be mentioned by the channel's updates, or None when it may."""
    if role.is_default():
        return "Updates never mention @everyone or @here: choose a role."
    if role.guild != channel.guild:
        return "That role belongs to another server."
    if not role.mentionable:
        if not channel.permissions_for(member).mention_everyone:
            return (f"{role.mention} is not mentionable, and you may not mention it in {channel.mention}: "
                    "make it mentionable, or ask someone with *Mention All Roles*.")
        if not channel.permissions_for(channel.guild.me).mention_everyone:
            return (f"{role.mention} is not mentionable, and I may not mention it in {channel.mention}: make "
                    "it mentionable, or give me *Mention All Roles* there.")
    return None


def refuse_bot(channel: Target) -> str | None:
    """Why the bot cannot post updates there, or None when it can."""
    perms = channel.permissions_for(channel.guild.me)
    send = perms.send_messages_in_threads if isinstance(channel, discord.Thread) else perms.send_messages
    if not send or not perms.embed_links:
        what = "Send Messages in Threads" if isinstance(channel, discord.Thread) else "Send Messages"
        return f"I can't post updates in {channel.mention}: give me {what} and Embed Links there first."
    if isinstance(channel, discord.ForumChannel) and channel.flags.require_tag:
        return f"{channel.mention} {posts.REQUIRES_TAG}."
    return None


class TopicError(ValueError):
    """The topics option named something that is not a topic."""


def parse_topics(text: str | None) -> tuple[str, ...]:
    """'autos, tariffs' -> ('tariffs', 'autos') in canonical order; empty or 'all' -> every topic."""
    words = [w for w in _SPLIT.split((text or "").lower()) if w]
    if not words or "all" in words:
        return TOPICS
    unknown = [w for w in words if w not in TOPICS]
    if unknown:
        raise TopicError(f"Unknown topic(s): {', '.join(unknown)}. Choose from: {', '.join(TOPICS)} "
                         "(or leave it empty for all).")
    return tuple(t for t in TOPICS if t in words)


def topic_choices(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a comma-separated topic list: complete the last word, keep the earlier ones."""
    parts = [p.strip().lower() for p in current.split(",")]
    done = [p for p in parts[:-1] if p in TOPICS]
    last = parts[-1] if parts else ""
    prefix = ", ".join(done)
    options = [] if done else [app_commands.Choice(name="all topics", value="all")]
    for topic in TOPICS:
        if topic not in done and topic.startswith(last):
            value = f"{prefix}, {topic}" if prefix else topic
            options.append(app_commands.Choice(name=value, value=value))
    return options[:25]


def describe(sub: Subscription, guild: discord.Guild | None) -> str:
    """One line: where, topics, and whether delivery is paused and why."""
    if sub.kind is SubscriptionKind.DM:
        where = "your DMs"
    else:
        channel = guild.get_channel_or_thread(sub.target_id) if guild else None
        where = channel.mention if channel else f"channel {sub.target_id} (not found)"
        if sub.channel_type is ChannelType.FORUM:
            where += " (a new post per digest)"
    topics = "all topics" if sub.topics == TOPICS else ", ".join(sub.topics)
    line = f"{where}: {topics}"
    if sub.role_id:
        line += f", mentioning <@&{sub.role_id}>"
    if sub.paused_reason:
        reason = ui.clip(sub.paused_reason, 200)
        line += f" — **paused** since {sub.paused_at}: {reason} (subscribe again to resume)"
    return line


class Subscriptions(commands.Cog):
    """Subscribe channels (Manage Channels needed) or yourself (by DM) to updates."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Page the subscriptions list."""
        self.bot.pages["subs"] = self.listing

    async def cog_unload(self) -> None:
        """Stop paging it."""
        self.bot.pages.pop("subs", None)

    @staticmethod
    def refuse_channel(interaction: discord.Interaction, channel: Target) -> str | None:
        """Why this user may not (un)subscribe that channel, or None when they may."""
        member = interaction.user
        in_guild = interaction.guild is not None and channel.guild == interaction.guild
        if not in_guild or not isinstance(member, discord.Member):
            return "Channel subscriptions are made from inside that channel's server."
        if not channel.permissions_for(member).manage_channels:
            return (f"You need the **Manage Channels** permission in {channel.mention} to change its "
                    "subscription. You can subscribe yourself instead: `/subscribe` without a channel sends "
                    "updates to your DMs.")
        return None

    @app_commands.command(name="subscribe", description="Get tariff-talk updates in a channel or by DM")
    @app_commands.describe(
        channel="Channel, thread or forum to post updates in (needs Manage Channels); empty: your DMs",
        topics="Comma-separated: tariffs, autos, agriculture, participants, schedule, news (empty: all)",
        role="A role to mention in each update post (channels only; never @everyone)")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def subscribe(self, interaction: discord.Interaction, channel: Target | None = None,
                        topics: str | None = None, role: discord.Role | None = None) -> None:
        """Subscribe a channel (with Manage Channels) or yourself by DM."""
        await interaction.response.defer(ephemeral=True, thinking=True)  # the database may be slow
        try:
            chosen = parse_topics(topics)
        except TopicError as exc:
            await ui.send_ephemeral(interaction, str(exc))
            return
        if channel is not None:
            refusal = self.refuse_channel(interaction, channel) or refuse_bot(channel)
            if refusal is None and role is not None:
                assert isinstance(interaction.user, discord.Member)  # refuse_channel checked it
                refusal = refuse_role(role, channel, interaction.user)
            if refusal:
                log.info("refused subscription of channel %d by user %d", channel.id, interaction.user.id)
                await ui.send_ephemeral(interaction, refusal)
                return
            sub, created = await self.bot.store.subscribe(
                SubscriptionKind.CHANNEL, channel.id, channel.guild.id, interaction.user.id, chosen,
                channel_type=channel_type(channel), role_id=role.id if role else None)
        elif role is not None:
            await ui.send_ephemeral(interaction, "A role can only be mentioned in a channel: choose one.")
            return
        else:
            user_id = interaction.user.id
            sub, created = await self.bot.store.subscribe(SubscriptionKind.DM, user_id, None, user_id, chosen)
        verb = "Subscribed" if created else "Updated the subscription of"
        await ui.send_ephemeral(interaction, f"{verb} {describe(sub, interaction.guild)}.")

    @subscribe.autocomplete("topics")
    async def topics_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Suggest topics for the comma-separated list."""
        return topic_choices(current)

    @app_commands.command(name="unsubscribe", description="Stop updates in a channel or in your DMs")
    @app_commands.describe(channel="Channel to stop (needs Manage Channels); empty: your DMs")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def unsubscribe(self, interaction: discord.Interaction, channel: Target | None = None) -> None:
        """Remove a channel's or your own DM subscription."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if channel is not None:
            refusal = self.refuse_channel(interaction, channel)
            if refusal:
                await ui.send_ephemeral(interaction, refusal)
                return
            removed = await self.bot.store.unsubscribe(SubscriptionKind.CHANNEL, channel.id)
            where = channel.mention
        else:
            removed = await self.bot.store.unsubscribe(SubscriptionKind.DM, interaction.user.id)
            where = "your DMs"
        text = f"Unsubscribed {where}." if removed else f"{where.capitalize()} had no subscription."
        await ui.send_ephemeral(interaction, text)

    @app_commands.command(name="subscriptions", description="Update subscriptions here, and feed health")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def subscriptions(self, interaction: discord.Interaction) -> None:
        """List subscriptions here (and yours), paused ones with why, failing feeds and held delivery."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_listing(interaction, await self.listing(interaction), "subs", ephemeral=True)

    async def listing(self, interaction: discord.Interaction, key: str = "") -> Listing:
        """The subscriptions of the interaction's server and user, with delivery and feed health as notes."""
        guild_id = interaction.guild.id if interaction.guild else None
        subs = await self.bot.store.subscriptions_for(guild_id, interaction.user.id)
        entries = [Entry(describe(sub, interaction.guild)) for sub in subs]
        # config.yaml's feeds (by name) and this server's (by poll-state key), with their display names
        names = {feed.name: feed.name for feed in self.bot.settings.updates.feeds}
        if guild_id is not None:
            names |= {feed.key: feed.name for feed in await self.bot.store.server_feeds(guild_id)}
        states = await self.bot.store.feed_states()
        failing = [f for f in states if f.name in names and f.consecutive_failures]
        notes = []
        updates = self.bot.get_cog("Updates")
        held = getattr(getattr(updates, "outbox", None), "health", None)
        if held:
            notes.append(f"⚠ {ui.clip(held, 300)}")
        notes += [f"⚠ feed **{ui.clip(names[f.name], 80)}** failing ({f.consecutive_failures} in a row, "
                  f"last at {f.last_error_at}): {inert(f.last_error or '?', 200)}" for f in failing]
        if names and not failing:
            notes.append(f"{len(names)} news feed(s) polled, none failing.")
        return Listing("Update subscriptions", entries, "No subscriptions here yet: see `/subscribe`.",
                       notes=notes)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Subscriptions(bot))
