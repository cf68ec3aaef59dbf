"""A real delivery process for the kill -9 tests: the bot's own Updates cog, real discord.py HTTP.

Usage: python -m tests.delivery_child CONFIG API_BASE. Logs in to the fake Discord at API_BASE and drains
the outbox until it is empty, then exits 0 (or is killed by the test).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from discord.http import Route

from bot.client import TariffBot
from bot.config import load_settings
from tests.fake_discord import TOKEN


async def main(config: Path, base: str) -> int:
    """Deliver everything pending, draining as the bot's delivery loop would."""
    Route.BASE = base + "/api/v10"
    async with TariffBot(load_settings(config)) as bot:
        await bot.login(TOKEN)
        cog = bot.get_cog("Updates")
        for loop in cog.loops:
            loop.cancel()
        while (await bot.store.outbox_counts()).get("pending"):
            await cog.outbox.drain()
            await asyncio.sleep(0.05)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    sys.exit(asyncio.run(main(Path(sys.argv[1]), sys.argv[2])))
