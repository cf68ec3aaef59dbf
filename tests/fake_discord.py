"""A local aiohttp server that behaves like Discord's REST API and gateway, for process-level tests.

It applies Discord's nonce rule: a POST with `enforce_nonce` and a nonce already used by the same author in
the same channel within `nonce_window` seconds returns the existing message instead of creating one.
Per-channel faults imitate a bad day: `ratelimit` (429 with a long retry_after), `hang`, `500`, `badjson`
(200 whose body cannot be parsed, after the message was created). The gateway sends HELLO and, on IDENTIFY,
closes with `gateway_close` (e.g. 4004, 4014).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from tests.helpers import APP_ID, BOT_ID, TIMESTAMP, USER_ID, guild, ready, user

DISCORD_EPOCH_MS = 1_420_070_400_000
TOKEN = "MTIz.fake-token-for-tests.not-secret"


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON exactly as Discord labels it (discord.py reads the body as JSON only for `application/json`)."""
    return web.Response(body=json.dumps(data).encode(), status=status, headers=headers,
                        content_type="application/json")


@dataclass
class Posted:
    """A message the server holds."""

    id: int
    channel: int
    content: str
    nonce: str | None
    at: float
    embeds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """What the message says: its content, then its embeds' descriptions (an update post's texts)."""
        return "\n".join([self.content, *(e.get("description") or "" for e in self.embeds)])


@dataclass
class FakeDiscord:
    """State of the fake API: messages per channel, faults, counters."""

    nonce_window: float = 2.0
    max_delay: float = 0.0  # random delay before answering a POST (so kills land mid-request)
    faults: dict[int, str] = field(default_factory=dict)
    gateway_close: int | None = None
    heartbeat_ms: int = 45000
    gateway_closes: list[int | None] = field(default_factory=list)
    identified: int = 0
    messages: list[Posted] = field(default_factory=list)
    posts: Counter = field(default_factory=Counter)  # channel -> POST requests
    deduplicated: int = 0  # POSTs answered with an existing message (nonce rule)
    history_reads: int = 0
    base: str = ""
    released: asyncio.Event = field(default_factory=asyncio.Event)  # ends hanging requests
    limits: bool = False
    global_limit: int = 50
    channel_limit: int = 5
    channel_window: float = 5.0
    latency: float = 0.0
    requests: int = 0  # API requests received
    global_429s: int = 0
    channel_429s: int = 0
    _seq: int = 0
    _arrivals: deque = field(default_factory=deque)  # times of the API requests in the last second
    _windows: dict = field(default_factory=dict)  # channel -> (window start, messages in it)

    def snowflake(self) -> int:
        self._seq += 1
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (self._seq & 0x3FFFFF)

    def payload(self, m: Posted) -> dict[str, Any]:
        return {"id": str(m.id), "channel_id": str(m.channel), "author": user(BOT_ID, "tariffbot", bot=True),
                "content": m.content, "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
                "embeds": m.embeds, "pinned": False, "type": 0, "flags": 0, "components": [],
                "nonce": m.nonce}

    def _global_429(self, now: float) -> web.Response | None:
        while self._arrivals and self._arrivals[0] <= now - 1.0:
            self._arrivals.popleft()
        if len(self._arrivals) >= self.global_limit:
            self.global_429s += 1
            retry = max(0.001, self._arrivals[0] + 1.0 - now)
            headers = {"Retry-After": str(math.ceil(retry)), "X-RateLimit-Global": "true",
                       "X-RateLimit-Scope": "global"}
            return _json({"message": "You are being rate limited.", "retry_after": retry, "global": True},
                         status=429, headers=headers)
        self._arrivals.append(now)
        return None

    def _channel_headers(self, request: web.Request, now: float) -> tuple[dict[str, str], bool]:
        """The message limit's headers for a POST to a channel, and whether it is over the limit."""
        channel = int(request.match_info["channel"])
        start, count = self._windows.get(channel, (now, 0))
        if now - start >= self.channel_window:
            start, count = now, 0
        over = count >= self.channel_limit
        if not over:
            count += 1
            self._windows[channel] = (start, count)
        reset_after = max(0.001, start + self.channel_window - now)
        headers = {"X-RateLimit-Limit": str(self.channel_limit),
                   "X-RateLimit-Remaining": str(max(0, self.channel_limit - count)),
                   "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                   "X-RateLimit-Reset-After": f"{reset_after:.3f}", "X-RateLimit-Bucket": "channel-messages"}
        return headers, over

    @web.middleware
    async def enforce(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Discord's global and per-channel limits, and the network's latency (with `limits`)."""
        if not self.limits or not request.path.startswith("/api/"):
            return await handler(request)
        now = time.monotonic()
        self.requests += 1
        refused = self._global_429(now)
        headers: dict[str, str] = {}
        if refused is None and request.method == "POST" and request.path.endswith("/messages"):
            headers, over = self._channel_headers(request, now)
            if over:
                self.channel_429s += 1
                retry = float(headers["X-RateLimit-Reset-After"])
                refused = _json({"message": "You are being rate limited.", "retry_after": retry,
                                 "global": False}, status=429,
                                headers={**headers, "Retry-After": str(math.ceil(retry)),
                                         "X-RateLimit-Scope": "user"})
        if self.latency:
            await asyncio.sleep(self.latency)
        if refused is not None:
            return refused
        response = await handler(request)
        response.headers.update(headers)
        return response

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.enforce])
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self.me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self.application)
        app.router.add_get(f"{api}/applications/@me", self.application)
        app.router.add_get(f"{api}/gateway/bot", self.gateway_bot)
        app.router.add_post(api + "/channels/{channel}/messages", self.post_message)
        app.router.add_get(api + "/channels/{channel}/messages", self.get_messages)
        app.router.add_post(f"{api}/users/@me/channels", self.create_dm)
        app.router.add_get("/gateway", self.gateway)
        return app

    @staticmethod
    def authorised(request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {TOKEN}"

    async def me(self, request: web.Request) -> web.Response:
        if not self.authorised(request):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(user(BOT_ID, "tariffbot", bot=True))

    async def application(self, request: web.Request) -> web.Response:
        return _json({"id": str(APP_ID), "name": "tariffbot", "description": "", "icon": None,
                                  "bot_public": True, "bot_require_code_grant": False,
                                  "owner": user(USER_ID), "verify_key": "0" * 64, "flags": 0})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        url = self.base.replace("http://", "ws://") + "/gateway"
        return _json({"url": url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})

    async def create_dm(self, request: web.Request) -> web.Response:
        recipient = int((await request.json())["recipient_id"])
        return _json({"id": str(recipient + 1), "type": 1, "recipients": [user(recipient)],
                                  "last_message_id": None, "flags": 0})

    async def post_message(self, request: web.Request) -> web.StreamResponse:
        channel = int(request.match_info["channel"])
        body = await request.json()
        self.posts[channel] += 1
        fault = self.faults.get(channel)
        if self.max_delay:
            await asyncio.sleep(random.uniform(0, self.max_delay))
        if fault == "hang":
            await self.released.wait()
            return _json({"message": "gone", "code": 0}, status=503)
        if fault == "ratelimit":
            return _json({"message": "You are being rate limited.", "retry_after": 1000.0,
                                      "global": False}, status=429,
                                     headers={"Via": "1.1 google", "X-RateLimit-Scope": "user"})
        if fault == "500":
            return _json({"message": "Internal Server Error", "code": 0}, status=500)
        nonce = body.get("nonce")
        now = time.time()
        if body.get("enforce_nonce") and nonce is not None:
            for m in reversed(self.messages):
                if m.channel == channel and m.nonce == str(nonce) and now - m.at < self.nonce_window:
                    self.deduplicated += 1
                    return _json(self.payload(m))
        nonce = None if nonce is None else str(nonce)
        embeds = body.get("embeds") or []
        posted = Posted(self.snowflake(), channel, body.get("content") or "", nonce, now, embeds)
        self.messages.append(posted)
        if fault == "badjson":
            return web.Response(body=b'{"id": "1", "content": ', content_type="application/json")
        return _json(self.payload(posted))

    async def get_messages(self, request: web.Request) -> web.Response:
        channel = int(request.match_info["channel"])
        self.history_reads += 1
        limit = int(request.query.get("limit", 50))
        mine = [m for m in self.messages if m.channel == channel]
        if "after" in request.query:
            after = int(request.query["after"])
            page = [m for m in mine if m.id > after][:limit]
        elif "before" in request.query:
            before = int(request.query["before"])
            page = [m for m in mine if m.id < before][-limit:]
        else:
            page = mine[-limit:]
        return _json([self.payload(m) for m in reversed(page)])  # newest first, like Discord

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None,
                                      "t": None}))
        sequence = 0
        close_code = None
        while True:
            msg = await ws.receive()
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                close_code = msg.data if msg.type is WSMsgType.CLOSE else None
                break
            data = json.loads(msg.data)
            if data.get("op") == 2 and self.gateway_close is not None:
                await ws.close(code=self.gateway_close, message=b"closed by the fake gateway")
                break
            if data.get("op") == 2:
                self.identified += 1
                for event, payload in (("READY", ready()), ("GUILD_CREATE", guild())):
                    sequence += 1
                    await ws.send_str(json.dumps({"op": 0, "t": event, "s": sequence, "d": payload}))
            elif data.get("op") == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
        self.gateway_closes.append(close_code if close_code is not None else ws.close_code)
        return ws

    def per_channel_texts(self) -> Counter:
        """How many stored messages carry each (channel, line) pair: the exactly-once count."""
        seen: Counter = Counter()
        for m in self.messages:
            for line in m.text.splitlines():
                if "update number" in line:
                    seen[(m.channel, line.lstrip("• ").strip())] += 1
        return seen


async def stop(fake: FakeDiscord, runner: web.AppRunner) -> None:
    """End hanging requests, then stop the server."""
    fake.released.set()
    await runner.cleanup()


async def serve(fake: FakeDiscord) -> web.AppRunner:
    """Start the fake on 127.0.0.1 (any free port); `fake.base` is its http://host:port."""
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return runner


__all__ = ["TOKEN", "FakeDiscord", "WSCloseCode", "serve", "stop"]
