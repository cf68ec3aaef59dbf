"""/tariff country sector: the tariff records, with autocomplete from the fact base."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.core.tables import find_tariffs

if TYPE_CHECKING:
    from bot.client import TariffBot


def choices(values: list[str], current: str) -> list[app_commands.Choice[str]]:
    """Up to 25 autocomplete choices: values containing what was typed, prefix matches first."""
    typed = current.strip().lower()
    hits = [v for v in values if typed in v.lower()]
    hits.sort(key=lambda v: (not v.lower().startswith(typed), v.lower()))
    return [app_commands.Choice(name=ui.clip(v, 100), value=v[:100]) for v in hits[:25]]


class Tariffs(commands.Cog):
    """The /tariff command."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    @app_commands.command(name="tariff", description="US tariff rate, kind and status by country and sector")
    @app_commands.describe(country="Target country (empty: all)", sector="Sector, e.g. autos (empty: all)")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def tariff(self, interaction: discord.Interaction, country: str | None = None,
                     sector: str | None = None) -> None:
        """Show the matching tariff records."""
        records = self.bot.service.kb.tariffs
        found = find_tariffs(self.bot.service.engine, country, sector)
        if not found:
            if not records:
                await ui.send_ephemeral(interaction, "There are no tariff records in the fact base yet.")
                return
            asked = " / ".join(ui.escape(v, 60) for v in (country, sector) if v)
            countries = ", ".join(sorted({r.country for r in records}))
            await ui.send_ephemeral(interaction,
                                    f"No tariff record for {asked}. Countries I know: {countries}.")
            return
        title = ("US tariffs" + (f": {found[0].country}" if country else "")
                 + (f", {found[0].sector}" if sector else ""))
        await interaction.response.send_message(embed=ui.tariffs_embed(found, title),
                                                allowed_mentions=ui.NO_MENTIONS)

    @tariff.autocomplete("country")
    async def country_autocomplete(self, interaction: discord.Interaction,
                                   current: str) -> list[app_commands.Choice[str]]:
        """Countries in the fact base (those with the chosen sector, if any)."""
        sector = interaction.namespace.sector
        records = find_tariffs(self.bot.service.engine, None, sector) or self.bot.service.kb.tariffs
        return choices(sorted({r.country for r in records}), current)

    @tariff.autocomplete("sector")
    async def sector_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Sectors in the fact base (those of the chosen country, if any)."""
        country = interaction.namespace.country
        records = find_tariffs(self.bot.service.engine, country, None) or self.bot.service.kb.tariffs
        return choices(sorted({r.sector for r in records}), current)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Tariffs(bot))
