"""One error handler for app commands and one for events: log with traceback, tell the user briefly."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import ui
from bot.checks import Refusal

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)


def user_message(error: app_commands.AppCommandError) -> str | None:
    """A brief explanation for errors the user caused; None for bugs (which get the generic text)."""
    if isinstance(error, Refusal):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only in a server."
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("guild", "server").replace("_", " ").title()
                           for p in error.missing_permissions)
        return f"You need the **{needed}** permission to use this command."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {max(1, round(error.retry_after))} s."
    if isinstance(error, app_commands.TransformerError | app_commands.CheckFailure):
        return "I couldn't use that input. Check the options and try again."
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "That command is out of date here; an admin needs to run `tariffbot sync`."
    return None


class Errors(commands.Cog):
    """Installs the bot's error handlers while loaded."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot
        self._old_tree_error = bot.tree.on_error

    async def cog_load(self) -> None:
        """Install the handlers."""
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        self.bot.on_error = self.on_event_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        """Restore discord.py's default handlers."""
        self.bot.tree.on_error = self._old_tree_error  # type: ignore[method-assign]
        del self.bot.on_error

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        """Log the failure with its traceback and answer the user ephemerally (never the traceback)."""
        brief = user_message(error)
        name = interaction.command.qualified_name if interaction.command else "?"
        if brief is None:
            cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
            log.error("app command /%s failed", name, exc_info=cause)
        else:
            log.info("app command /%s refused: %s", name, error)
        try:
            await ui.send_ephemeral(interaction, brief or ui.ERROR_TEXT)
        except discord.HTTPException:
            log.warning("could not tell the user that /%s failed", name)

    async def on_event_error(self, event: str, *args: Any, **kwargs: Any) -> None:
        """Log an event handler's failure with its traceback; reply briefly to a message that caused it."""
        log.error("error in event %s", event, exc_info=sys.exc_info())  # called from inside the except
        message = args[0] if args and isinstance(args[0], discord.Message) else None
        if event in ("on_message", "message") and message is not None and not message.author.bot:
            try:
                await message.reply(ui.ERROR_TEXT, allowed_mentions=ui.NO_MENTIONS)
            except discord.HTTPException:
                log.warning("could not tell the user that handling their message failed")


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Errors(bot))
