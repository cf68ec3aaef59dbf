"""/tariff country sector: the tariff records, with autocomplete from the fact base."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.core.model import TariffRecord
from bot.core.tables import find_tariffs
from bot.core.text import inert
from bot.paging import Entry, Listing, page_message

PER_PAGE = 6  # tariff records per page (each is an embed field of several lines)
MAX_FIELDS = 25
MAX_KEY = 60

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

    async def cog_load(self) -> None:
        """Answer '/tariff japan' typed as a message, too; page the records."""
        self.bot.text_commands["tariff"] = self.text_tariff
        self.bot.pages["tariffs"] = self.page

    async def cog_unload(self) -> None:
        """Stop answering the typed command and paging."""
        self.bot.text_commands.pop("tariff", None)
        self.bot.pages.pop("tariffs", None)

    def tariff_message(self, country: str | None, sector: str | None) -> tuple[dict[str, Any], bool]:
        """The message for these filters (paged), and whether it is an error (shown privately in /tariff)."""
        records = self.bot.service.kb.tariffs
        found = find_tariffs(self.bot.service.engine, country, sector)
        if not found:
            if not records:
                return {"content": "There are no tariff records in the fact base yet."}, True
            asked = " / ".join(inert(v, 60) for v in (country, sector) if v)
            countries = ", ".join(sorted({r.country for r in records}))
            return {"content": f"No tariff record for {asked}. Countries I know: {countries}."}, True
        # the page buttons carry the filters as the records name them
        chosen = (found[0].country if country else "", found[0].sector if sector else "")
        key = base64.urlsafe_b64encode("|".join(chosen).encode()).decode().rstrip("=")
        listing = self.listing(found, *chosen)
        if len(key) > MAX_KEY:  # too long to carry: one page, as much as fits
            listing.per_page = MAX_FIELDS
            return page_message(listing, "tariffs"), False
        return page_message(listing, "tariffs", key), False

    @staticmethod
    def listing(found: list[TariffRecord], country: str, sector: str) -> Listing:
        """Tariff records as a list of embed fields."""
        title = "US tariffs" + (f": {country}" if country else "") + (f", {sector}" if sector else "")
        entries = [Entry(value, name) for name, value in map(ui.tariff_field, found)]
        return Listing(title, entries, "No tariff records.", per_page=PER_PAGE)

    async def page(self, interaction: discord.Interaction, key: str) -> Listing:
        """A page of /tariff: its filters come from the button's key."""
        text = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).decode(errors="replace")
        country, _, sector = text.partition("|")
        found = find_tariffs(self.bot.service.engine, country or None, sector or None)
        return self.listing(found, country, sector)

    def text_tariff(self, argument: str) -> dict[str, Any]:
        """'/tariff japan', '/tariff autos', '/tariff japan cars' typed as a message."""
        engine = self.bot.service.engine
        country = sector = None
        if argument:
            if find_tariffs(engine, argument, None):
                country = argument
            elif find_tariffs(engine, None, argument):
                sector = argument
            else:
                first, _, rest = argument.partition(" ")
                country, sector = first, rest or None
        return self.tariff_message(country, sector)[0]

    @app_commands.command(name="tariff", description="US tariff rate, kind and status by country and sector")
    @app_commands.describe(country="Target country (empty: all)", sector="Sector, e.g. autos (empty: all)")
    @ui.everywhere
    async def tariff(self, interaction: discord.Interaction, country: str | None = None,
                     sector: str | None = None) -> None:
        """Show the matching tariff records."""
        message, error = self.tariff_message(country, sector)
        if error:
            await ui.send_ephemeral(interaction, message["content"])
            return
        await interaction.response.send_message(**message)

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
