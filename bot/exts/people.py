"""/who person: who someone in the talks is, with autocomplete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.core.people import find_participant
from bot.core.text import inert

if TYPE_CHECKING:
    from bot.client import TariffBot


class People(commands.Cog):
    """The /who command."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Answer '/who greer' typed as a message, too."""
        self.bot.text_commands["who"] = self.who_message

    async def cog_unload(self) -> None:
        """Stop answering the typed command."""
        self.bot.text_commands.pop("who", None)

    def who_message(self, person: str) -> dict[str, Any]:
        """The message about one participant, or who the bot knows when the name is unknown."""
        found = find_participant(self.bot.service.kb, person) if person.strip() else None
        if found is None:
            names = ", ".join(sorted(p.name for p in self.bot.service.kb.participants.values()))
            asked = f"anyone called “{inert(person, 60)}”" if person.strip() else "who you mean"
            return {"content": f"I don't know {asked}. People I know: {names or 'none yet'}."}
        return {"embed": ui.participant_embed(found)}

    @app_commands.command(name="who", description="Who someone in the Japan–US tariff talks is")
    @app_commands.describe(person="A name, e.g. Akazawa")
    @ui.everywhere
    async def who(self, interaction: discord.Interaction, person: app_commands.Range[str, 1, 100]) -> None:
        """Describe one participant."""
        message = self.who_message(person)
        if "embed" not in message:
            await ui.send_ephemeral(interaction, message["content"])
            return
        await interaction.response.send_message(**message, allowed_mentions=ui.NO_MENTIONS)

    @who.autocomplete("person")
    async def person_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Participants whose name or alias contains what was typed."""
        typed = current.strip().casefold()
        people = sorted(self.bot.service.kb.participants.values(), key=lambda p: p.name.casefold())
        hits = [p for p in people
                if typed in p.name.casefold() or any(typed in a.casefold() for a in p.aliases)]
        return [app_commands.Choice(name=ui.clip(f"{p.name} ({p.role})", 100), value=p.id) for p in hits[:25]]


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(People(bot))
