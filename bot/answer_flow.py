"""The one path from a user's question to the bot's reply, shared by chat messages and /ask."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot import ui
from bot.core.answer import Answer
from bot.core.text import normalise_question
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


def record_decline(bot: TariffBot, answer: Answer) -> None:
    """Store a question the bot could not answer (text, best candidate, confidence; no user id), after the
    reply, in the background, retrying while the database is locked."""
    text = answer.question[:MAX_INPUT_CHARS]
    nearest = answer.nearest.id if answer.nearest else None
    bot.background.write(
        "a declined question",
        lambda: bot.store.record_declined(text, normalise_question(text), nearest, answer.confidence),
    )


async def respond(bot: TariffBot, user_id: int, text: str, send: Send, slow_down: SlowDown) -> Answer | None:
    """Answer one question: cooldown, a typed command ('/tariff japan'), or the engine's reply.

    The reply goes out first; a decline is recorded for curators after it, in the background (small talk
    never is), so a locked or broken database never delays an answer.
    """
    retry = bot.cooldowns.retry_after(user_id)
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
        record_decline(bot, answer)
    return answer
