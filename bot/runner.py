"""`tariffbot run` and `tariffbot sync`: start the bot or register its slash commands.

discord is imported lazily here so the rest of the command line never loads it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot import exitcodes, stopping
from bot.config import TOKEN_ENV, Settings
from bot.core.instance import AlreadyRunning, InstanceLock
from bot.core.loader import KnowledgeError
from bot.core.store import StoreError

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
# Gateway close codes that end the bot (https://discord.com/developers/docs/topics/opcodes-and-status-codes)
CLOSE_REASONS = {
    4004: "Discord's gateway rejected the token in DISCORD_TOKEN (close 4004: authentication failed)",
    4010: "Discord's gateway refused the shard (close 4010: invalid shard)",
    4011: "Discord's gateway requires sharding for this bot (close 4011)",
    4012: "Discord's gateway refused the API version (close 4012)",
    4013: "Discord's gateway refused the intents (close 4013: invalid intents)",
    4014: "Discord's gateway refused a privileged intent (close 4014: disallowed intents): enable the "
          "Message Content intent for this bot in the Discord developer portal",
}


class GatewayUnreachable(Exception):
    """Discord's REST API answered but its gateway (websocket) could not be reached."""


def _token() -> str | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"error: {TOKEN_ENV} is not set. Put the bot token from the Discord developer portal in the "
              f"{TOKEN_ENV} environment variable (see README), or use `tariffbot chat` to ask offline.",
              file=sys.stderr)
        return None
    return token


def _fail(message: str, code: int = exitcodes.FAILURE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _guarded(work: Callable[[str], Coroutine[Any, Any, int]], token: str) -> int:
    """Run the coroutine factory; turn every expected failure into one line on stderr and exit 1."""
    import aiohttp
    import discord

    try:
        return stopping.run_async(work(token))
    except discord.LoginFailure:
        return _fail(f"Discord rejected the token in {TOKEN_ENV} (check it in the developer portal).")
    except discord.PrivilegedIntentsRequired:
        return _fail(CLOSE_REASONS[4014] + ".")
    except discord.ConnectionClosed as exc:
        reason = CLOSE_REASONS.get(exc.code, f"Discord's gateway closed the connection (close {exc.code})")
        return _fail(f"{reason}.")
    except discord.GatewayNotFound:
        return _fail("Discord did not say where its gateway is (GET /gateway/bot failed); try again later.")
    except GatewayUnreachable as exc:
        return _fail(str(exc).replace(token, "***"))
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return _fail(f"cannot reach Discord: {type(exc).__name__}: {exc}".replace(token, "***"))
    except discord.HTTPException as exc:
        return _fail(f"Discord refused the request: {exc.status} {exc.text}".replace(token, "***"))
    except KnowledgeError as exc:
        return _fail("the fact base is broken:\n" + "\n".join(exc.problems))
    except StoreError as exc:
        return _fail(str(exc), exitcodes.DATABASE)


async def probe_gateway(bot: TariffBot, timeout: float) -> None:  # noqa: ASYNC109 (one deadline for the handshake)
    """Open and close the gateway websocket discord.py will use, so an unreachable one is one clear error.

    (discord.py's own first connect, failing, logs a traceback and then crashes on its missing socket.)
    """
    import aiohttp
    from discord.gateway import DiscordWebSocket

    url = str(DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        async with asyncio.timeout(timeout):
            socket = await bot.http.ws_connect(url)
            await socket.close()
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        detail = str(exc) or type(exc).__name__
        raise GatewayUnreachable(f"Discord's REST API answered but its gateway {url} cannot be reached "
                                 f"({detail}); check firewalls and proxies for websockets") from None


def run(settings: Settings) -> int:
    """Run the bot until interrupted; 2 without a token, 1 on a rejected token or no network."""
    token = _token()
    if token is None:
        return exitcodes.USAGE

    async def main(token: str) -> int:
        from bot.client import TariffBot

        async with TariffBot(settings) as bot:
            stopping.on_stop(bot.stop)  # SIGTERM / SIGINT: a graceful stop (also as PID 1 in a container)
            if stopping.requested():  # one came while starting
                bot.stop(stopping.requested() or "")
            await bot.login(token)
            if not bot.stopping:
                await probe_gateway(bot, settings.discord.gateway_timeout_seconds)
            if not bot.stopping:
                await bot.connect()
        return 0

    try:
        lock = InstanceLock(settings.database).acquire()
    except AlreadyRunning as exc:
        return _fail(str(exc), exitcodes.RUNNING)
    except OSError as exc:
        return _fail(f"cannot lock the database {settings.database}: {exc}", exitcodes.DATABASE)
    try:
        return _guarded(main, token)
    finally:
        lock.release()


def sync(settings: Settings, guild_id: int | None) -> int:
    """Register the slash commands in one guild (instant) or globally (can take up to an hour)."""
    token = _token()
    if token is None:
        return exitcodes.USAGE
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
