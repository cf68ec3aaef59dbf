"""/ask and the "Ask tariffbot" message menu: the same answers as in chat, wherever people are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.answer_flow import MAX_INPUT_CHARS, cooldown_text, respond
from bot.asking import strip_mentions

if TYPE_CHECKING:
    from bot.client import TariffBot

MENU = "Ask tariffbot"


class Ask(commands.Cog):
    """The /ask command and the message context menu."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot
        contexts = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
        installs = app_commands.AppInstallationType(guild=True, user=True)
        self.menu = app_commands.ContextMenu(name=MENU, callback=self.ask_message, allowed_contexts=contexts,
                                             allowed_installs=installs)

    async def cog_load(self) -> None:
        """Add the context menu (menus cannot live in a cog's body)."""
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        """Remove the context menu."""
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def answer(self, interaction: discord.Interaction, question: str) -> None:
        """Answer a question as the interaction's reply (a cooldown notice privately)."""

        async def send(message: dict[str, Any]) -> None:
            await interaction.response.send_message(**message)

        async def slow_down(retry: float) -> None:
            await ui.send_ephemeral(interaction, cooldown_text(retry))

        await respond(self.bot, interaction.user.id, question, send, slow_down, interaction.guild_id)

    @app_commands.command(name="ask", description="Ask about the spring 2025 Japan–US tariff talks")
    @app_commands.describe(question="Your question, e.g. who is Akazawa?")
    @ui.everywhere
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 500]) -> None:
        """Answer one question."""
        await self.answer(interaction, question)

    async def ask_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Answer the question a message asks (right-click → Apps → Ask tariffbot)."""
        me = self.bot.user.id if self.bot.user else None
        question = strip_mentions(message.content[:MAX_INPUT_CHARS], me)
        if not question:
            await ui.send_ephemeral(interaction, "That message has no text for me to answer.")
            return
        await self.answer(interaction, question)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Ask(bot))
