"""`tariffbot run` and `tariffbot sync`: start the bot or register its slash commands.

discord is imported lazily here so the rest of the command line never loads it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from bot.config import Settings
from bot.core.loader import KnowledgeError
from bot.core.store import StoreError

log = logging.getLogger(__name__)
TOKEN_ENV = "DISCORD_TOKEN"


def _token() -> str | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"error: {TOKEN_ENV} is not set. Put the bot token from the Discord developer portal in the "
              f"{TOKEN_ENV} environment variable (see README), or use `tariffbot chat` to ask offline.",
              file=sys.stderr)
        return None
    return token


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _guarded(work, token: str) -> int:
    """Run the coroutine factory; turn every expected failure into one line on stderr and exit 1."""
    import aiohttp
    import discord

    try:
        return asyncio.run(work(token))
    except discord.LoginFailure:
        return _fail(f"Discord rejected the token in {TOKEN_ENV} (check it in the developer portal).")
    except discord.PrivilegedIntentsRequired:
        return _fail("enable the Message Content intent for this bot in the Discord developer portal.")
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return _fail(f"cannot reach Discord: {type(exc).__name__}: {exc}".replace(token, "***"))
    except discord.HTTPException as exc:
        return _fail(f"Discord refused the request: {exc.status} {exc.text}".replace(token, "***"))
    except KnowledgeError as exc:
        return _fail("the fact base is broken:\n" + "\n".join(exc.problems))
    except StoreError as exc:
        return _fail(str(exc))


def run(settings: Settings) -> int:
    """Run the bot until interrupted; 2 without a token, 1 on a rejected token or no network."""
    token = _token()
    if token is None:
        return 2

    async def main(token: str) -> int:
        from bot.client import TariffBot

        async with TariffBot(settings) as bot:
            await bot.start(token)
        return 0

    return _guarded(main, token)


def sync(settings: Settings, guild_id: int | None) -> int:
    """Register the slash commands in one guild (instant) or globally (can take up to an hour)."""
    token = _token()
    if token is None:
        return 2
    guild_id = guild_id if guild_id is not None else settings.discord.sync_guild

    async def main(token: str) -> int:
        import discord

        from bot.client import TariffBot

        async with TariffBot(settings) as bot:
            await bot.login(token)
            guild = discord.Object(guild_id) if guild_id else None
            if guild is not None:
                bot.tree.copy_global_to(guild=guild)
            commands = await bot.tree.sync(guild=guild)
        where = f"guild {guild_id}" if guild_id else "globally (may take up to an hour to appear)"
        print(f"synced {len(commands)} slash command(s) {where}: "
              + ", ".join(f"/{c.name}" for c in commands))
        return 0

    return _guarded(main, token)
