"""Answers in channels: when mentioned, in DMs, and in watched channels (questions only)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot import ui
from bot.answer_flow import MAX_INPUT_CHARS, cooldown_text, respond
from bot.asking import looks_like_question, strip_mentions

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
HINT = ("Ask me about the spring 2025 Japan–US tariff talks, for example "
        "“who is Akazawa?”, or use `/ask`, `/tariff` and `/help`.")


class Questions(commands.Cog):
    """Replies to questions asked in chat."""

    def __init__(self, bot: TariffBot) -> None:
        self.bot = bot

    def question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot, '' for a bare mention, None when it is not for us."""
        me = self.bot.user
        if message.author.bot or me is None or message.author.id == me.id or message.webhook_id:
            return None
        content = message.content[:MAX_INPUT_CHARS]
        if message.guild is None:
            return content.strip()
        if me.id in message.raw_mentions:
            return strip_mentions(content, me.id)
        servers = self.bot.servers
        watched = servers.watched(message.guild.id)
        channel_ids = {message.channel.id, getattr(message.channel, "parent_id", None)}
        if watched and not channel_ids.isdisjoint(watched):
            text = content.strip()
            if text and (not servers.questions_only(message.guild.id) or looks_like_question(text)):
                return text
        return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer the message if it is a question for the bot."""
        question = self.question_in(message)
        if question is None:
            return
        if not question:
            if message.content or message.guild is None:
                await message.reply(HINT, allowed_mentions=ui.NO_MENTIONS)
            return
        user_id = message.author.id

        async def send(reply: dict[str, Any]) -> None:
            await message.reply(**reply)

        async def slow_down(retry: float) -> None:
            if self.bot.cooldowns.should_warn(user_id, retry):
                await message.reply(cooldown_text(retry), allowed_mentions=ui.NO_MENTIONS)

        guild_id = message.guild.id if message.guild else None
        await respond(self.bot, user_id, question, send, slow_down, guild_id)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Questions(bot))
