"""/who person: who someone in the talks is, with autocomplete."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.core.model import Participant

if TYPE_CHECKING:
    from bot.client import TariffBot


def find_person(people: dict[str, Participant], text: str) -> Participant | None:
    """A participant by id, name or alias (case-insensitive)."""
    key = " ".join(text.split()).casefold()
    if key in people:
        return people[key]
    for person in people.values():
        if key in {person.name.casefold(), *(a.casefold() for a in person.aliases)}:
            return person
    return None


class People(commands.Cog):
    """The /who command."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    @app_commands.command(name="who", description="Who someone in the Japan–US tariff talks is")
    @app_commands.describe(person="A name, e.g. Akazawa")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def who(self, interaction: discord.Interaction, person: app_commands.Range[str, 1, 100]) -> None:
        """Describe one participant."""
        found = find_person(self.bot.service.kb.participants, person)
        if found is None:
            names = ", ".join(sorted(p.name for p in self.bot.service.kb.participants.values()))
            await ui.send_ephemeral(interaction, f"I don't know anyone called “{ui.escape(person, 60)}”. "
                                                 f"People I know: {names or 'none yet'}.")
            return
        await interaction.response.send_message(embed=ui.participant_embed(found),
                                                allowed_mentions=ui.NO_MENTIONS)

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
