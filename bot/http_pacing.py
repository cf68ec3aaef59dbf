"""Every REST request the bot makes waits for its turn in the bot's one Pacer (aiohttp request tracing).

Hooked into discord.py's own HTTP session, so discord.py's retries, message sends, history reads and
DMs are all paced. Interaction callbacks and followups are not: Discord exempts them from the global
limit, and a reply must never wait behind a burst of update deliveries.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import aiohttp

from bot.core.ratelimit import Pacer

log = logging.getLogger(__name__)
EXEMPT = ("/interactions/", "/webhooks/")  # not counted by Discord's global limit


def paced(path: str) -> bool:
    """True for a REST API path that counts towards the global limit."""
    return "/api/" in path and not any(part in path for part in EXEMPT)


def is_global(headers: object) -> bool:
    """True when a 429's headers say the global limit (not one route's) was hit."""
    get = getattr(headers, "get", lambda key, default=None: default)
    return str(get("X-RateLimit-Global", "")).lower() == "true" or get("X-RateLimit-Scope") == "global"


def trace_config(pacer: Pacer) -> aiohttp.TraceConfig:
    """A TraceConfig that paces API requests and reports global 429s to the pacer."""

    async def start(session: aiohttp.ClientSession, context: SimpleNamespace,
                    params: aiohttp.TraceRequestStartParams) -> None:
        if paced(params.url.path):
            await pacer.take()

    async def end(session: aiohttp.ClientSession, context: SimpleNamespace,
                  params: aiohttp.TraceRequestEndParams) -> None:
        response = params.response
        if response.status == 429 and is_global(response.headers):
            try:
                retry_after = float(response.headers.get("Retry-After") or 1.0)
            except ValueError:
                retry_after = 1.0
            pacer.penalise(retry_after)

    config = aiohttp.TraceConfig()
    config.on_request_start.append(start)
    config.on_request_end.append(end)
    config.freeze()
    return config
