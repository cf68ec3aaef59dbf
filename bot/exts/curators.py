"""/unanswered and /feedback: what this server's members asked that the bot declined, and the answers they
voted unhelpful (Manage Server, or the curator role set with /settings curators). Paged."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import Refusal, admin_command, curator, in_server, is_curator
from bot.core.text import inert
from bot.paging import Entry, Listing, send_listing

if TYPE_CHECKING:
    from bot.client import TariffBot

NOT_CURATOR = "Only curators can see this: you need **Manage Server** or the curator role."


class Curators(commands.Cog):
    """The curators' view of declined questions and unhelpful answers."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Page both lists."""
        self.bot.pages["unanswered"] = self.unanswered_listing
        self.bot.pages["feedback"] = self.feedback_listing

    async def cog_unload(self) -> None:
        """Stop paging them."""
        for kind in ("unanswered", "feedback"):
            self.bot.pages.pop(kind, None)

    def server(self, interaction: discord.Interaction) -> int:
        """The server whose lists a curator may see (checked on every page, not only when the list opens)."""
        guild_id = in_server(interaction)
        if not is_curator(interaction):
            raise Refusal(NOT_CURATOR)
        return guild_id

    async def unanswered_listing(self, interaction: discord.Interaction, key: str = "") -> Listing:
        """This server's declined questions, most frequent first."""
        declined = await self.bot.store.declined_summary(guild_id=self.server(interaction))
        facts = self.bot.service.kb.facts
        entries = []
        for d in declined:
            best = facts.get(d.best_fact_id or "")
            near = f"\n  closest: “{inert(best.question, 100)}” ({d.best_confidence:.0%})" if best else ""
            asked = f"**{d.times}×** “{inert(d.example, 200)}” — last {d.last_asked[:10]}"
            entries.append(Entry(asked + near))
        return Listing("Questions I declined here", entries, "No declined questions here yet.",
                       notes=["-# Add what the articles do answer to knowledge/, then `/reload`."])

    async def feedback_listing(self, interaction: discord.Interaction, key: str = "") -> Listing:
        """This server's 👎 votes by fact, most first."""
        votes = await self.bot.store.feedback_summary(guild_id=self.server(interaction))
        facts = self.bot.service.kb.facts
        entries = []
        for v in votes:
            fact = facts.get(v.fact_id)
            what = f"“{inert(fact.question, 120)}”" if fact else f"{inert(v.fact_id, 80)} (no longer a fact)"
            entries.append(Entry(f"**{v.not_helpful}× 👎**, {v.helpful}× 👍 — {what}\n"
                                 f"  latest: “{inert(v.example, 200)}” ({v.last_at[:10]})"))
        return Listing("Answers voted unhelpful here", entries, "No 👎 votes here yet.")

    @app_commands.command(name="unanswered", description="Curators: questions I declined here, most first")
    @admin_command
    @curator()
    async def unanswered(self, interaction: discord.Interaction) -> None:
        """List this server's declined questions, paged."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        listing = await self.unanswered_listing(interaction)
        await send_listing(interaction, listing, "unanswered", ephemeral=True)

    @app_commands.command(name="feedback", description="Curators: the answers voted unhelpful here")
    @admin_command
    @curator()
    async def feedback(self, interaction: discord.Interaction) -> None:
        """List this server's 👎 votes by fact, paged."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_listing(interaction, await self.feedback_listing(interaction), "feedback", ephemeral=True)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Curators(bot))
