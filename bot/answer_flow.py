"""The one path from a user's question to the bot's reply, shared by chat messages and /ask."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot import ui
from bot.core.answer import Answer
from bot.core.text import inert, normalise_question
from bot.core.text_commands import parse_text_command

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
MAX_INPUT_CHARS = 4000

Send = Callable[[dict[str, Any]], Awaitable[object]]
SlowDown = Callable[[float], Awaitable[object]]


def cooldown_text(retry_after: float) -> str:
    """The friendly 'slow down' message."""
    return f"You're asking faster than I can keep up: try again in {max(1, round(retry_after))} s."


def record_decline(bot: TariffBot, answer: Answer, guild_id: int | None = None) -> None:
    """Store a question the bot could not answer (text, server, best candidate, confidence; no user id), after
    the reply, in the background, retrying while the database is locked; tell the server's curators when it
    has been declined `notice_after` times there."""
    text = answer.question[:MAX_INPUT_CHARS]
    nearest = answer.nearest.id if answer.nearest else None
    notice_after = bot.servers.notice_after(guild_id)

    async def work() -> None:
        times = await bot.store.record_declined(text, normalise_question(text), nearest, answer.confidence,
                                                guild_id, notice_after)
        if times and guild_id is not None:
            await notify_curators(bot, guild_id, text, times)

    bot.background.write("a declined question", work)


async def notify_curators(bot: TariffBot, guild_id: int, question: str, times: int) -> None:
    """Post a notice in the server's curator channel: this question has been declined `times` times."""
    channel_id = bot.servers.get(guild_id).curator_channel_id
    if channel_id is None:
        return
    text = (f"A question has now been declined {times} times here: “{inert(question, 300)}”. "
            "Curators: see `/unanswered`, and add it to the fact base if the articles answer it.")
    try:
        await bot.get_partial_messageable(channel_id, guild_id=guild_id).send(
            text, allowed_mentions=ui.NO_MENTIONS)
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        log.warning("could not post a curator notice in channel %d: %s", channel_id, exc)


async def respond(bot: TariffBot, user_id: int, text: str, send: Send, slow_down: SlowDown,
                  guild_id: int | None = None) -> Answer | None:
    """Answer one question: cooldown (the server's), a typed command ('/tariff japan'), or the engine's reply.

    The reply goes out first; a decline is recorded for curators after it, in the background (small talk
    never is), so a locked or broken database never delays an answer.
    """
    retry = bot.cooldowns.retry_after(user_id, bot.servers.cooldown(guild_id))
    if retry is not None:
        await slow_down(retry)
        return None
    command = parse_text_command(text)
    if command is not None and command.name != "ask" and command.name in bot.text_commands:
        await send({**bot.text_commands[command.name](command.argument), "allowed_mentions": ui.NO_MENTIONS})
        return None
    answer = bot.service.engine.ask(command.argument if command else text)
    bot.questions[answer.kind] += 1  # counts are logged at INFO (exts/health.py); the text only at DEBUG
    log.debug("question from user %d: %r -> %s (%.2f)", user_id, text, answer.kind, answer.confidence)
    await send(ui.answer_message(answer))
    if answer.unanswered:
        record_decline(bot, answer, guild_id)
    return answer
