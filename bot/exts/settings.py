"""/settings: each server's watched channels, questions-only, cooldown and curators (Manage Server)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.checks import Refusal, admin_group, in_server, manage_server, may_manage
from bot.paging import Entry, Listing, send_listing

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
Watchable = discord.TextChannel | discord.ForumChannel


def channel_name(guild: discord.Guild | None, channel_id: int) -> str:
    """A channel's mention, or its id when the server no longer has it."""
    found = guild.get_channel_or_thread(channel_id) if guild else None
    return found.mention if found else f"channel {channel_id} (not found)"


class Settings(commands.Cog):
    """Per-server settings stored in the database; config.yaml gives the defaults."""

    settings = admin_group("settings", "This server's tariffbot settings (Manage Server)")
    watched = app_commands.Group(name="watched", description="Channels where questions are answered "
                                 "without a mention", parent=settings)

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Page the watched channels."""
        self.bot.pages["watched"] = self.watched_listing

    async def cog_unload(self) -> None:
        """Stop paging them."""
        self.bot.pages.pop("watched", None)

    async def change(self, interaction: discord.Interaction, **changes: Any) -> None:
        """Store changed settings for the interaction's server."""
        guild_id = in_server(interaction)
        await self.bot.servers.change(self.bot.store, guild_id, interaction.user.id, **changes)
        log.info("server %d: %s changed by user %d", guild_id, ", ".join(changes), interaction.user.id)

    async def watched_listing(self, interaction: discord.Interaction, key: str = "") -> Listing:
        """The watched channels of the interaction's server (Manage Server only, checked again on click)."""
        if not may_manage(interaction):
            raise Refusal("You need the **Manage Server** permission to see this.")
        guild_id = in_server(interaction)
        servers = self.bot.servers
        origin = "set here" if servers.get(guild_id).watched is not None else "the host's default"
        entries = [Entry(channel_name(interaction.guild, c)) for c in self.current_watched(interaction)]
        questions = "questions only" if servers.questions_only(guild_id) else "every message"
        return Listing("Watched channels", entries, "No watched channels: I answer mentions and DMs only.",
                       notes=[f"-# {origin}; in them I answer {questions}"])

    def current_watched(self, interaction: discord.Interaction) -> list[int]:
        """This server's watched channels (config.yaml's, the first time it changes them)."""
        guild = interaction.guild
        stored = self.bot.servers.get(in_server(interaction)).watched
        if stored is not None:
            return list(stored)
        return [c for c in self.bot.settings.discord.watched_channels
                if guild is not None and guild.get_channel_or_thread(c) is not None]

    @watched.command(name="add", description="Answer questions in a channel without a mention")
    @app_commands.describe(channel="A text or forum channel (its threads too)")
    @manage_server()
    async def watched_add(self, interaction: discord.Interaction, channel: Watchable) -> None:
        """Add a watched channel."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        channels = self.current_watched(interaction)
        if channel.id in channels:
            await ui.send_ephemeral(interaction, f"I already watch {channel.mention}.")
            return
        if not channel.permissions_for(channel.guild.me).send_messages:
            await ui.send_ephemeral(interaction, f"I can't post in {channel.mention}: give me Send Messages "
                                    "there first.")
            return
        await self.change(interaction, watched=(*channels, channel.id))
        await ui.send_ephemeral(interaction, f"I now answer questions in {channel.mention} unprompted.")

    @watched.command(name="remove", description="Stop answering questions in a channel without a mention")
    @app_commands.describe(channel="A channel in the list")
    @manage_server()
    async def watched_remove(self, interaction: discord.Interaction, channel: Watchable) -> None:
        """Remove a watched channel."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        channels = self.current_watched(interaction)
        if channel.id not in channels:
            await ui.send_ephemeral(interaction, f"I don't watch {channel.mention}.")
            return
        await self.change(interaction, watched=tuple(c for c in channels if c != channel.id))
        await ui.send_ephemeral(interaction, f"I no longer watch {channel.mention} (mentions still work).")

    @watched.command(name="list", description="Where questions are answered without a mention")
    @manage_server()
    async def watched_list(self, interaction: discord.Interaction) -> None:
        """List the watched channels, paged."""
        await send_listing(interaction, await self.watched_listing(interaction), "watched", ephemeral=True)

    @watched.command(name="reset", description="Back to the host's default watched channels")
    @manage_server()
    async def watched_reset(self, interaction: discord.Interaction) -> None:
        """Forget this server's list: config.yaml's applies again."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.change(interaction, watched=None)
        await ui.send_ephemeral(interaction, "Watched channels are back to the host's defaults.")

    @settings.command(name="questions-only", description="In watched channels, answer only questions")
    @app_commands.describe(enabled="True: only messages that look like questions; False: every message")
    @manage_server()
    async def questions_only(self, interaction: discord.Interaction, enabled: bool) -> None:
        """Set questions-only."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.change(interaction, questions_only=enabled)
        what = "only messages that look like questions" if enabled else "every message"
        await ui.send_ephemeral(interaction, f"In watched channels I now answer {what}.")

    @settings.command(name="cooldown", description="How many questions each member may ask, how often")
    @app_commands.describe(questions="Questions per member per window (0: no limit)",
                           seconds="The window, in seconds")
    @manage_server()
    async def cooldown(self, interaction: discord.Interaction, questions: app_commands.Range[int, 0, 100],
                       seconds: app_commands.Range[int, 1, 3600]) -> None:
        """Set this server's cooldown."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.change(interaction, cooldown_rate=questions, cooldown_seconds=float(seconds))
        text = "No cooldown: members may ask as often as they like." if questions == 0 else \
            f"Each member may ask {questions} question(s) every {seconds} s."
        await ui.send_ephemeral(interaction, text)

    @settings.command(name="curators", description="Curators: their role, and the channel for their notices")
    @app_commands.describe(
        channel="Where I say that a question keeps being declined",
        role="Members with this role may use /unanswered and /feedback (besides Manage Server)",
        notify_after="Notice when the same question was declined this many times (0: never)",
        clear="Forget the curator channel (no notices), the role, or both")
    @manage_server()
    async def curators(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None,
                       role: discord.Role | None = None,
                       notify_after: app_commands.Range[int, 0, 1000] | None = None,
                       clear: Literal["channel", "role", "both"] | None = None) -> None:
        """Change what is given (the rest stays): the curator channel and role, and the notice threshold."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if channel is not None and not channel.permissions_for(channel.guild.me).send_messages:
            await ui.send_ephemeral(interaction, f"I can't post in {channel.mention}: give me Send Messages "
                                    "there first.")
            return
        if role is not None and role.is_default():
            await ui.send_ephemeral(interaction, "@everyone can't be the curator role: choose a role.")
            return
        changes: dict[str, Any] = {}
        if clear in ("channel", "both"):
            changes["curator_channel_id"] = None
        if clear in ("role", "both"):
            changes["curator_role_id"] = None
        if channel is not None:
            changes["curator_channel_id"] = channel.id
        if role is not None:
            changes["curator_role_id"] = role.id
        if notify_after is not None:
            changes["notice_after"] = notify_after
        await self.change(interaction, **changes)
        await ui.send_ephemeral(interaction, self.curators_text(in_server(interaction), interaction.guild))

    def curators_text(self, guild_id: int, guild: discord.Guild | None) -> str:
        """The curator settings in words."""
        stored = self.bot.servers.get(guild_id)
        role = f"<@&{stored.curator_role_id}>" if stored.curator_role_id else "none (Manage Server only)"
        after = self.bot.servers.notice_after(guild_id)
        notices = f"in {channel_name(guild, stored.curator_channel_id)} after {after} declines of the same " \
            "question" if after and stored.curator_channel_id else "off"
        return f"Curator role: {role}. Notices: {notices}."

    @settings.command(name="show", description="This server's settings")
    @manage_server()
    async def show(self, interaction: discord.Interaction) -> None:
        """Every setting of this server, and whether it is the server's or the default."""
        guild_id = in_server(interaction)
        servers = self.bot.servers
        stored = servers.get(guild_id)
        rate, per = servers.cooldown(guild_id)
        watched = servers.watched(guild_id)
        lines = [
            f"**Watched channels:** {len(watched)} (`/settings watched list`)"
            + ("" if stored.watched is not None else ", the host's default"),
            f"**Questions only:** {'yes' if servers.questions_only(guild_id) else 'no'}"
            + ("" if stored.questions_only is not None else " (default)"),
            "**Cooldown:** " + (f"{rate} question(s) every {per:g} s" if rate > 0 else "none")
            + ("" if stored.cooldown_rate is not None else " (default)"),
            f"**Curators:** {self.curators_text(guild_id, interaction.guild)}",
        ]
        embed = discord.Embed(title="tariffbot settings", description="\n".join(lines), colour=ui.COLOUR)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=ui.NO_MENTIONS)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Settings(bot))
