"""/proposals, /timeline, /sources and /help."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.core.answer import human_date
from bot.paging import Entry, Listing, PageSource, fixed, page_message

if TYPE_CHECKING:
    from bot.client import TariffBot

HELP = """Ask me about the spring 2025 Japan–US tariff talks. Every answer comes from curated news \
articles, with the date it holds for and a quote from its source.

**In chat:** mention me with a question, DM me, or ask in a channel I watch. Typing a command \
(`/tariff japan`, `/who greer`) as a message works too, and on any message *Apps → Ask tariffbot* \
answers it. My sources end on 2 May 2025.
**Commands:**
`/ask question` – answer a question
`/tariff [country] [sector]` – US tariff rate, kind, status and relief (no options: every record)
`/who person` – who someone in the talks is
`/proposals` – what Japan offered or considered offering
`/timeline` – the rounds of talks
`/sources` – the articles the answers come from
`/subscribe` – updates in a channel, thread or forum, or by DM
Under an answer, 👍 / 👎 tell the curators whether it helped.
**Server admins:** `/settings` (watched channels, cooldown, curators), `/feeds` (news feeds); \
curators: `/unanswered`, `/feedback`."""


def _without_argument(build: Callable[[], dict[str, Any]], _argument: str) -> dict[str, Any]:
    """A typed command that takes no argument ('/timeline whatever' is '/timeline')."""
    return build()


class Info(commands.Cog):
    """Reference commands over the whole fact base."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot
        self.messages = {
            "proposals": self.proposals_message,
            "timeline": self.timeline_message,
            "sources": self.sources_message,
            "help": self.help_message,
        }
        self.listings: dict[str, PageSource] = {
            "proposals": fixed(self.proposals_listing),
            "timeline": fixed(self.timeline_listing),
            "sources": fixed(self.sources_listing),
        }

    async def cog_load(self) -> None:
        """Answer '/timeline', '/sources'... typed as a message, too; page the lists."""
        for name, build in self.messages.items():
            self.bot.text_commands[name] = partial(_without_argument, build)
        self.bot.pages.update(self.listings)

    async def cog_unload(self) -> None:
        """Stop answering the typed commands and paging the lists."""
        for name in self.messages:
            self.bot.text_commands.pop(name, None)
        for kind in self.listings:
            self.bot.pages.pop(kind, None)

    def proposals_listing(self) -> Listing:
        """The proposals with their status."""
        lines = [
            Entry(f"**{p.name}**: {p.status} (as of {human_date(p.fact.as_of)})")
            for p in self.bot.service.kb.proposals
        ]
        return Listing("Japan's proposals", lines, "There are no proposals in the fact base yet.")

    def timeline_listing(self) -> Listing:
        """The rounds of talks in date order."""
        kb = self.bot.service.kb
        lines = []
        for r in kb.rounds:
            extra = f", {r.duration}" if r.duration else ""
            people = [kb.participants[a].name for a in r.attendees if a in kb.participants]
            who = f" — {', '.join(people)}" if people else ""
            lines.append(Entry(f"**{human_date(r.date)}**: {r.name}, {r.place}{extra}{who}"))
        return Listing("Timeline of the talks", lines, "There are no rounds in the fact base yet.")

    def sources_listing(self) -> Listing:
        """The sources, newest first, with how many facts quote each."""
        kb = self.bot.service.kb
        cited: dict[str, int] = {}
        for fact in kb.facts.values():
            for source_id in {c.source.id for c in fact.citations}:
                cited[source_id] = cited.get(source_id, 0) + 1
        lines = [
            Entry(f"**{s.title}** ({human_date(s.date)}{', ' + s.publisher if s.publisher else ''}): "
                  f"{cited.get(s.id, 0)} fact(s)")
            for s in sorted(kb.sources.values(), key=lambda s: (s.date, s.title), reverse=True)
        ]
        return Listing("Sources", lines, "There are no sources in the fact base yet.")

    def proposals_message(self) -> dict[str, Any]:
        """The first page of the proposals."""
        return page_message(self.proposals_listing(), "proposals")

    def timeline_message(self) -> dict[str, Any]:
        """The first page of the timeline."""
        return page_message(self.timeline_listing(), "timeline")

    def sources_message(self) -> dict[str, Any]:
        """The first page of the sources."""
        return page_message(self.sources_listing(), "sources")

    @staticmethod
    def help_message() -> dict[str, Any]:
        """How to use the bot."""
        return {"embed": discord.Embed(title="tariffbot", description=HELP, colour=ui.COLOUR)}

    @app_commands.command(name="proposals", description="What Japan offered or considered offering")
    @ui.everywhere
    async def proposals(self, interaction: discord.Interaction) -> None:
        """List the proposals with their status."""
        await interaction.response.send_message(**self.proposals_message())

    @app_commands.command(name="timeline", description="The rounds of the Japan–US tariff talks")
    @ui.everywhere
    async def timeline(self, interaction: discord.Interaction) -> None:
        """List the rounds of talks in date order."""
        await interaction.response.send_message(**self.timeline_message())

    @app_commands.command(name="sources", description="The news articles the answers come from")
    @ui.everywhere
    async def sources(self, interaction: discord.Interaction) -> None:
        """List the sources, newest first, with how many facts quote each."""
        await interaction.response.send_message(**self.sources_message())

    @app_commands.command(name="help", description="How to use tariffbot")
    @ui.everywhere
    async def help(self, interaction: discord.Interaction) -> None:
        """Explain the bot (privately)."""
        await interaction.response.send_message(
            **self.help_message(), ephemeral=True, allowed_mentions=ui.NO_MENTIONS
        )


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Info(bot))
