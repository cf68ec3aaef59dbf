"""Answers in channels: when mentioned, in DMs, and in watched channels (questions only)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot import ui
from bot.asking import looks_like_question, normalise_question, strip_mentions
from bot.core.answer import Answer

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
MAX_INPUT_CHARS = 4000
HINT = ("Ask me about the spring 2025 Japan–US tariff talks, for example "
        "“who is Akazawa?”, or use `/ask`, `/tariff` and `/help`.")


def cooldown_text(retry_after: float) -> str:
    """The friendly 'slow down' message."""
    return f"You're asking faster than I can keep up: try again in {max(1, round(retry_after))} s."


def record_decline(bot: TariffBot, answer: Answer) -> None:
    """Store a declined question for curators, after the reply, retrying while the database is locked."""
    text = answer.question[:MAX_INPUT_CHARS]
    nearest = answer.nearest.id if answer.nearest else None
    bot.background.write("a declined question", lambda: bot.store.record_declined(
        text, normalise_question(text), nearest, answer.confidence))


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
        watched = self.bot.settings.discord.watched_channels
        channel_ids = {message.channel.id, getattr(message.channel, "parent_id", None)}
        if watched and not channel_ids.isdisjoint(watched):
            text = content.strip()
            if text and (not self.bot.settings.discord.questions_only or looks_like_question(text)):
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
        retry = self.bot.cooldowns.retry_after(message.author.id)
        if retry is not None:
            if self.bot.cooldowns.should_warn(message.author.id, retry):
                await message.reply(cooldown_text(retry), allowed_mentions=ui.NO_MENTIONS)
            return
        answer = self.bot.service.engine.ask(question)
        await message.reply(**ui.answer_message(answer))
        if answer.fact is None:
            record_decline(self.bot, answer)


async def setup(bot: TariffBot) -> None:
    """Load the extension."""
    await bot.add_cog(Questions(bot))
