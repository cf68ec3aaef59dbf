"""A bot on discord.py's real HTTP client with its update loops stopped: delivery over real HTTP to the
local fake Discord (tests/fake_discord.py), driven by hand (tests and benchmarks/bench_updates.py)."""

from __future__ import annotations

from bot.client import TariffBot
from bot.config import Settings
from tests.fake_discord import TOKEN
from tests.helpers import knowledge_service

UNPACED_CONCURRENCY = 8  # sends at once before this version


async def _free(*args: object) -> None:
    """A turn that never waits."""


async def delivery_bot(settings: Settings, *, paced: bool = True) -> TariffBot:
    """Logged in (REST only, Route.BASE already pointing at the fake), the loops cancelled; `paced=False`
    sends as before the pacer: no pace, 8 at once."""
    bot = TariffBot(settings, service=knowledge_service())
    if not paced:
        bot.pacer.take = bot.pacer.prepay = _free  # type: ignore[method-assign]
    await bot.login(TOKEN)
    cog = bot.get_cog("Updates")
    for loop in cog.loops:
        loop.cancel()
    if not paced:
        cog.outbox.concurrency = UNPACED_CONCURRENCY
    return bot
