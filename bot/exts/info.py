"""/proposals, /timeline, /sources and /help."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.core.answer import human_date

if TYPE_CHECKING:
    from bot.client import TariffBot

HELP = """Ask me about the spring 2025 Japan–US tariff talks. Every answer comes from curated news \
articles, with the date it holds for and a quote from its source.

**In chat:** mention me with a question, DM me, or ask in a channel I watch.
**Commands:**
`/ask question` – answer a question
`/tariff [country] [sector]` – US tariff rate, kind, status and relief (no options: every record)
`/who person` – who someone in the talks is
`/proposals` – what Japan offered or considered offering
`/timeline` – the rounds of talks
`/sources` – the articles the answers come from
Under an answer, 👍 / 👎 tell the curators whether it helped."""


class Info(commands.Cog):
    """Reference commands over the whole fact base."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    @app_commands.command(name="proposals", description="What Japan offered or considered offering")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def proposals(self, interaction: discord.Interaction) -> None:
        """List the proposals with their status."""
        lines = [f"**{p.name}**: {p.status} (as of {human_date(p.fact.as_of)})"
                 for p in self.bot.service.kb.proposals]
        embed = ui.list_embed("Japan's proposals", lines, "There are no proposals in the fact base yet.")
        await interaction.response.send_message(embed=embed, allowed_mentions=ui.NO_MENTIONS)

    @app_commands.command(name="timeline", description="The rounds of the Japan–US tariff talks")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def timeline(self, interaction: discord.Interaction) -> None:
        """List the rounds of talks in date order."""
        lines = []
        for r in self.bot.service.kb.rounds:
            extra = f", {r.duration}" if r.duration else ""
            people = [self.bot.service.kb.participants[a].name for a in r.attendees
                      if a in self.bot.service.kb.participants]
            who = f" — {', '.join(people)}" if people else ""
            lines.append(f"**{human_date(r.date)}**: {r.name}, {r.place}{extra}{who}")
        embed = ui.list_embed("Timeline of the talks", lines, "There are no rounds in the fact base yet.")
        await interaction.response.send_message(embed=embed, allowed_mentions=ui.NO_MENTIONS)

    @app_commands.command(name="sources", description="The news articles the answers come from")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def sources(self, interaction: discord.Interaction) -> None:
        """List the sources, newest first, with how many facts quote each."""
        kb = self.bot.service.kb
        cited: dict[str, int] = {}
        for fact in kb.facts.values():
            for source_id in {c.source.id for c in fact.citations}:
                cited[source_id] = cited.get(source_id, 0) + 1
        lines = [
            f"**{s.title}** ({human_date(s.date)}{', ' + s.publisher if s.publisher else ''}): "
            f"{cited.get(s.id, 0)} fact(s)"
            for s in sorted(kb.sources.values(), key=lambda s: (s.date, s.title), reverse=True)
        ]
        embed = ui.list_embed("Sources", lines, "There are no sources in the fact base yet.")
        await interaction.response.send_message(embed=embed, allowed_mentions=ui.NO_MENTIONS)

    @app_commands.command(name="help", description="How to use tariffbot")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def help(self, interaction: discord.Interaction) -> None:
        """Explain the bot (privately)."""
        embed = discord.Embed(title="tariffbot", description=HELP, colour=ui.COLOUR)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=ui.NO_MENTIONS)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Info(bot))
