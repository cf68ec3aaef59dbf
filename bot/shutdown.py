"""The bot's graceful stop: no new work, a moment for in-flight replies and deliveries, then close.

On SIGTERM or SIGINT (`tariffbot run`, also as PID 1 in a container) the bot stops taking questions,
lets the replies and update deliveries under way finish within GRACE_SECONDS (a delivery still running
then is cancelled: its outbox claim stays and is resumed at the next start), gives the background writes
(and the curator notices they post) what is left of the budget, closes the gateway and the HTTP session,
and closes the database: all within 2 s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger(__name__)
GRACE_SECONDS = 1.0  # in-flight replies and deliveries
WRITES_SECONDS = 0.5  # then the background writes (declined questions, votes)
MARGIN_SECONDS = 0.2  # for the parts' own cancelling after their timeout
# discord.py's names for the tasks that handle events, slash commands and button clicks
REPLY_TASKS = ("discord.py:", "CommandTree-invoker", "discord-ui-")


@runtime_checkable
class StopsWork(Protocol):
    """A cog with work under way at shutdown (update loops, the heartbeat)."""

    def stop_work(self, timeout: float) -> Awaitable[None]:
        """Start no new work; finish what runs within `timeout` seconds, cancel the rest."""
        ...


def _replies() -> list[asyncio.Task[object]]:
    me = asyncio.current_task()
    return [task for task in asyncio.all_tasks()
            if task is not me and not task.done() and task.get_name().startswith(REPLY_TASKS)]


async def finish_work(bot: commands.Bot, timeout: float) -> None:  # noqa: ASYNC109 (one deadline for all)
    """Wait up to `timeout` s for reply tasks and for each cog's `stop_work`; cancel replies still running."""
    replies = _replies()
    stoppers = [cog.stop_work(timeout) for cog in bot.cogs.values() if isinstance(cog, StopsWork)]
    log.info("stopping: %d reply(ies) under way, %d part(s) with work to finish", len(replies), len(stoppers))
    waiting: list[asyncio.Future[Any]] = [*replies, *(asyncio.ensure_future(s) for s in stoppers)]
    if not waiting:
        return
    _, late = await asyncio.wait(waiting, timeout=timeout + MARGIN_SECONDS)
    for task in late:
        task.cancel()
    if late:
        log.warning("stopping: %d task(s) did not finish within %g s and were cancelled", len(late), timeout)
    await asyncio.gather(*late, return_exceptions=True)
