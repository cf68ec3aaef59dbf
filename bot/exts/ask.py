"""/ask: the same answers as in chat, as a slash command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.answer_flow import cooldown_text, respond

if TYPE_CHECKING:
    from bot.client import TariffBot


class Ask(commands.Cog):
    """The /ask command."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    @app_commands.command(name="ask", description="Ask about the spring 2025 Japan–US tariff talks")
    @app_commands.describe(question="Your question, e.g. who is Akazawa?")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 500]) -> None:
        """Answer one question."""

        async def send(message: dict[str, Any]) -> None:
            await interaction.response.send_message(**message)

        async def slow_down(retry: float) -> None:
            await ui.send_ephemeral(interaction, cooldown_text(retry))

        await respond(self.bot, interaction.user.id, question, send, slow_down, interaction.guild_id)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Ask(bot))
