"""The ONE harness that drives discord.py's real code paths offline (pinned to discord.py ~=2.7).

Outgoing traffic: `bot.http.request` (REST) and `AsyncWebhookAdapter.request` (interaction replies and
followups) are replaced by a Recorder that keeps the exact JSON and answers with valid payloads.
Incoming traffic: gateway events go through the real ConnectionState parsers (`parse_ready`,
`parse_guild_create`, `parse_message_create`, `parse_interaction_create`); slash commands and autocomplete
go through `bot.tree._call(discord.Interaction(...))`; button clicks through the real view store.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from unittest import mock

import discord
import pytest
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter

from bot.client import TariffBot
from bot.config import Settings, load_settings
from bot.core.service import KnowledgeService
from bot.paths import PROJECT_DIR

_ids = itertools.count(1_100_000_000_000_000_000)
BOT_ID = 1_000_000_000_000_000_001
APP_ID = BOT_ID
GUILD_ID = 1_000_000_000_000_000_100
CHANNEL_ID = 1_000_000_000_000_000_200
WATCHED_ID = 1_000_000_000_000_000_201
DM_CHANNEL_ID = 1_000_000_000_000_000_300
USER_ID = 1_000_000_000_000_000_400
OTHER_BOT_ID = 1_000_000_000_000_000_500
TIMESTAMP = "2025-05-02T09:00:00.000000+00:00"


def snowflake() -> int:
    """A fresh, unique snowflake."""
    return next(_ids)


def user(user_id: int = USER_ID, name: str = "alice", *, bot: bool = False) -> dict[str, Any]:
    """A USER object."""
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name.title(),
            "avatar": None, "bot": bot, "system": False, "public_flags": 0}


def member(user_id: int = USER_ID, name: str = "alice", *, bot: bool = False) -> dict[str, Any]:
    """A GUILD MEMBER object with its user."""
    return {"user": user(user_id, name, bot=bot), "roles": [], "joined_at": TIMESTAMP, "deaf": False,
            "mute": False, "flags": 0, "permissions": "2248473465835073"}


def text_channel(channel_id: int, name: str) -> dict[str, Any]:
    """A guild text channel."""
    return {"id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID), "name": name, "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "rate_limit_per_user": 0,
            "topic": None, "last_message_id": None}


def ready() -> dict[str, Any]:
    """The READY event: the bot user, the guild (still unavailable) and the application."""
    return {"v": 10, "user": {**user(BOT_ID, "tariffbot", bot=True), "verified": True, "mfa_enabled": False,
                               "flags": 0},
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}], "session_id": "session",
            "resume_gateway_url": "wss://gateway.invalid", "shard": [0, 1],
            "application": {"id": str(APP_ID), "flags": 0}}


def guild() -> dict[str, Any]:
    """GUILD_CREATE: one guild with a plain channel and a watched channel; the bot is a member."""
    return {
        "id": str(GUILD_ID), "name": "Trade Desk", "icon": None, "owner_id": str(USER_ID),
        "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0, "features": [], "mfa_level": 0,
        "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
        "vanity_url_code": None, "description": None, "banner": None, "premium_tier": 0,
        "preferred_locale": "en-US", "public_updates_channel_id": None, "nsfw_level": 0,
        "premium_progress_bar_enabled": False, "emojis": [], "stickers": [],
        "roles": [{"id": str(GUILD_ID), "name": "@everyone", "color": 0, "hoist": False, "position": 0,
                   "permissions": "2248473465835073", "managed": False, "mentionable": False, "flags": 0}],
        "member_count": 3, "large": False, "unavailable": False, "joined_at": TIMESTAMP,
        "members": [member(BOT_ID, "tariffbot", bot=True), member()],
        "channels": [text_channel(CHANNEL_ID, "general"), text_channel(WATCHED_ID, "tariff-questions")],
        "threads": [], "voice_states": [], "presences": [], "stage_instances": [],
        "guild_scheduled_events": [], "soundboard_sounds": [],
    }


def message(content: str, *, channel_id: int = CHANNEL_ID, author_id: int = USER_ID, name: str = "alice",
            bot: bool = False, dm: bool = False, mentions: tuple[int, ...] = (),
            mention_everyone: bool = False) -> dict[str, Any]:
    """MESSAGE_CREATE: a guild message (with member) or a DM."""
    data: dict[str, Any] = {
        "id": str(snowflake()), "channel_id": str(DM_CHANNEL_ID if dm else channel_id),
        "author": user(author_id, name, bot=bot), "content": content, "timestamp": TIMESTAMP,
        "edited_timestamp": None, "tts": False, "mention_everyone": mention_everyone,
        "mentions": [user(i, "tariffbot" if i == BOT_ID else f"u{i}", bot=i == BOT_ID) for i in mentions],
        "mention_roles": [], "attachments": [], "embeds": [], "pinned": False, "type": 0, "flags": 0,
        "components": [],
    }
    if not dm:
        data["guild_id"] = str(GUILD_ID)
        data["member"] = {k: v for k, v in member(author_id, name, bot=bot).items() if k != "user"}
    return data


def interaction(kind: int, data: dict[str, Any], *, dm: bool = False, user_id: int = USER_ID,
                message_data: dict[str, Any] | None = None) -> dict[str, Any]:
    """INTERACTION_CREATE: 2 = slash command, 3 = component click, 4 = autocomplete."""
    payload: dict[str, Any] = {
        "id": str(snowflake()), "application_id": str(APP_ID), "type": kind, "data": data,
        "token": f"interaction-token-{snowflake()}", "version": 1, "locale": "en-US",
        "app_permissions": "2248473465835073", "entitlements": [], "attachment_size_limit": 10_485_760,
        "authorizing_integration_owners": {"0": str(GUILD_ID)} if not dm else {"1": str(user_id)},
        "context": 1 if dm else 0,
    }
    if dm:
        payload["channel_id"] = str(DM_CHANNEL_ID)
        payload["channel"] = {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [user(user_id)],
                              "last_message_id": None, "flags": 0}
        payload["user"] = user(user_id)
    else:
        payload["guild_id"] = str(GUILD_ID)
        payload["guild_locale"] = "en-US"
        payload["channel_id"] = str(CHANNEL_ID)
        payload["channel"] = text_channel(CHANNEL_ID, "general")
        payload["member"] = member(user_id)
    if message_data is not None:
        payload["message"] = message_data
    return payload


def command(name: str, options: dict[str, Any] | None = None, *,
            focused: str | None = None) -> dict[str, Any]:
    """The `data` of a slash command (or, with `focused`, an autocomplete) interaction."""
    opts = []
    for key, value in (options or {}).items():
        opt: dict[str, Any] = {"name": key, "type": 3, "value": value}
        if key == focused:
            opt["focused"] = True
        opts.append(opt)
    return {"id": str(snowflake()), "name": name, "type": 1, "options": opts}


@dataclass
class Sent:
    """One request the bot made: REST (`http`) or interaction webhook (`webhook`)."""

    via: str
    method: str
    path: str
    json: dict[str, Any] | None
    params: dict[str, Any] | None = None


@dataclass
class Recorder:
    """Stands in for Discord's REST API and interaction webhooks; keeps what was sent."""

    bot_user: dict[str, Any] = field(default_factory=lambda: user(BOT_ID, "tariffbot", bot=True))
    sent: list[Sent] = field(default_factory=list)
    fail: Exception | None = None
    posted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel id -> messages created
    threads: list[dict[str, Any]] = field(default_factory=list)  # forum posts created

    def message_from(self, channel_id: str, body: dict[str, Any] | None) -> dict[str, Any]:
        """What Discord answers to a created message: the body plus the server-side fields."""
        body = dict(body or {})
        reference = body.get("message_reference")
        out = {
            "id": str(snowflake()), "channel_id": channel_id, "author": self.bot_user, "content": "",
            "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": False,
            "type": 19 if reference else 0, "flags": body.get("flags", 0), "components": [],
        }
        out.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
        if reference:
            out["message_reference"] = {**reference, "channel_id": channel_id}
        return out

    async def http_request(self, route: Route, *, files: Any = None, form: Any = None, **kwargs: Any) -> Any:
        """Replacement for `HTTPClient.request`."""
        path = route.url.removeprefix(Route.BASE)
        self.sent.append(Sent("http", route.method, path, kwargs.get("json"), kwargs.get("params")))
        if self.fail is not None:
            raise self.fail
        if route.method == "GET" and path == "/users/@me":
            return self.bot_user
        if route.method == "GET" and path == "/oauth2/applications/@me":
            return {"id": str(APP_ID), "name": "tariffbot", "description": "", "icon": None,
                    "bot_public": True, "bot_require_code_grant": False, "owner": user(USER_ID),
                    "verify_key": "0" * 64, "flags": 0, "summary": ""}
        if route.method == "GET" and path.endswith("/threads/active"):
            return {"threads": self.threads, "members": []}
        if route.method == "GET" and "/messages/" in path:
            wanted = path.rsplit("/", 1)[1]
            found = [m for m in self.posted.get(str(route.channel_id), []) if m["id"] == wanted]
            if not found:
                raise discord.NotFound(mock.Mock(status=404, reason="Not Found"), {"message": "Unknown"})
            return found[0]
        if route.method == "POST" and path.endswith("/threads"):  # a forum post: the thread and its message
            thread_id = str(discord.utils.time_snowflake(discord.utils.utcnow()))  # posts are found by time
            created = self.message_from(thread_id, (kwargs.get("json") or {}).get("message"))
            created["id"] = thread_id
            self.posted.setdefault(thread_id, []).append(created)
            name, parent = (kwargs.get("json") or {}).get("name"), str(route.channel_id)
            started_thread = {
                "id": thread_id, "type": 11, "guild_id": str(GUILD_ID), "parent_id": parent, "name": name,
                "owner_id": str(BOT_ID), "flags": 0, "message_count": 1, "member_count": 1,
                "rate_limit_per_user": 0,
                "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "locked": False,
                                    "archive_timestamp": TIMESTAMP}}
            self.threads.append(started_thread)
            return {**started_thread, "message": created}
        if route.method == "POST" and path.endswith("/messages"):
            created = self.message_from(str(route.channel_id), kwargs.get("json"))
            self.posted.setdefault(str(route.channel_id), []).append(created)
            return created
        if route.method == "GET" and path.endswith("/messages"):  # newest first, like Discord
            after = int((kwargs.get("params") or {}).get("after") or 0)
            return [m for m in reversed(self.posted.get(str(route.channel_id), [])) if int(m["id"]) > after]
        if route.method == "POST" and path == "/users/@me/channels":  # create a DM channel
            recipient = int((kwargs.get("json") or {})["recipient_id"])
            channel_id = DM_CHANNEL_ID if recipient == USER_ID else snowflake()
            return {"id": str(channel_id), "type": 1, "recipients": [user(recipient)],
                    "last_message_id": None, "flags": 0}
        if route.method == "PUT" and path.endswith("/commands"):
            return [{"description": "", **c, "id": str(snowflake()), "application_id": str(APP_ID),
                     "version": "1",
                     "default_member_permissions": None, "dm_permission": True, "nsfw": False}
                    for c in kwargs.get("json") or []]
        return {}

    async def webhook_request(self, adapter: AsyncWebhookAdapter, route: Route, session: Any, *,
                              payload: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
                              **kwargs: Any) -> Any:
        """Replacement for `AsyncWebhookAdapter.request` (interaction callbacks and followups)."""
        path = route.url.removeprefix(Route.BASE)
        self.sent.append(Sent("webhook", route.method, path, payload, params))
        if path.endswith("/callback"):
            kind = (payload or {}).get("type")
            response: dict[str, Any] = {"interaction": {"id": str(route.webhook_id), "type": 2}}
            if kind in (4, 7):
                response["resource"] = {"type": kind, "message": self.message_from(
                    str(CHANNEL_ID), (payload or {}).get("data"))}
            return response
        if route.method == "POST":
            return self.message_from(str(CHANNEL_ID), payload)
        return {}

    def last(self, via: str | None = None) -> Sent:
        """The last request (optionally only of one kind)."""
        for sent in reversed(self.sent):
            if via is None or sent.via == via:
                return sent
        raise AssertionError(f"nothing was sent{' via ' + via if via else ''}")

    def messages(self) -> list[Sent]:
        """Every message the bot created in a channel (REST) or as an interaction reply."""
        return [s for s in self.sent if s.method == "POST" and s.path.endswith(("/messages", "/callback"))]

    def clear(self) -> None:
        """Forget what was sent so far."""
        self.sent.clear()


class Harness:
    """A started bot wired to a Recorder, with helpers to deliver events and interactions."""

    def __init__(self, bot: TariffBot, recorder: Recorder, patcher: Any) -> None:
        self.bot = bot
        self.recorder = recorder
        self._patcher = patcher

    @property
    def state(self) -> Any:
        """The bot's real ConnectionState."""
        return self.bot._connection

    @classmethod
    async def start(cls, bot: TariffBot) -> Harness:
        """Log in through the recorder (runs setup_hook), then READY and GUILD_CREATE."""
        recorder = Recorder()
        bot.http.request = recorder.http_request  # type: ignore[method-assign]

        async def webhook(adapter: AsyncWebhookAdapter, route: Route, session: Any, **kwargs: Any) -> Any:
            return await recorder.webhook_request(adapter, route, session, **kwargs)

        patcher = mock.patch.object(AsyncWebhookAdapter, "request", autospec=True, side_effect=webhook)
        patcher.start()
        harness = cls(bot, recorder, patcher)
        await bot.login("test-token-not-real")
        harness.state.guild_ready_timeout = 0.01
        harness.state.parse_ready(ready())
        harness.state.parse_guild_create(guild())
        await bot.wait_until_ready()
        recorder.clear()
        return harness

    async def stop(self) -> None:
        """Close the bot (and its store) and undo the webhook patch."""
        try:
            await self.bot.close()
        finally:
            self._patcher.stop()

    async def settle(self) -> None:
        """Wait for every task discord.py scheduled (event handlers, view callbacks) to finish."""
        me = asyncio.current_task()
        for _ in range(100):
            pending = [t for t in asyncio.all_tasks() if t is not me and not t.done()
                       and t.get_name().startswith(("discord.py:", "discord-ui-", "tariffbot:background"))]
            if not pending:
                return
            await asyncio.wait(pending, timeout=5)
        raise AssertionError("discord tasks did not settle")

    async def message(self, content: str, **kwargs: Any) -> list[Sent]:
        """Deliver MESSAGE_CREATE and return the messages the bot sent in response."""
        before = len(self.recorder.sent)
        self.state.parse_message_create(message(content, **kwargs))
        await self.settle()
        return [s for s in self.recorder.sent[before:] if s.method == "POST"]

    async def slash(self, name: str, options: dict[str, Any] | None = None, *, dm: bool = False,
                    user_id: int = USER_ID) -> list[Sent]:
        """Run a slash command through the real command tree; return what was sent."""
        before = len(self.recorder.sent)
        data = interaction(2, command(name, options), dm=dm, user_id=user_id)
        await self.bot.tree._call(discord.Interaction(data=data, state=self.state))
        await self.settle()
        return self.recorder.sent[before:]

    async def autocomplete(self, name: str, options: dict[str, Any], focused: str) -> Sent:
        """Run autocomplete (interaction type 4) for one option; return the callback sent."""
        before = len(self.recorder.sent)
        data = interaction(4, command(name, options, focused=focused))
        await self.bot.tree._call(discord.Interaction(data=data, state=self.state))
        sent = self.recorder.sent[before:]
        assert len(sent) == 1, sent
        return sent[0]

    async def click(self, custom_id: str, message_data: dict[str, Any], *, dm: bool = False) -> list[Sent]:
        """Click a button on a message through INTERACTION_CREATE and the real view store."""
        before = len(self.recorder.sent)
        data = interaction(3, {"custom_id": custom_id, "component_type": 2}, dm=dm, message_data=message_data)
        self.state.parse_interaction_create(data)
        await self.settle()
        return self.recorder.sent[before:]


def posted_message(recorder: Recorder, sent: Sent) -> dict[str, Any]:
    """The message payload Discord would hold for a REST-sent message (for clicking its buttons)."""
    return recorder.message_from(str(CHANNEL_ID), sent.json)


def post_text(body: dict[str, Any] | None) -> str:
    """What a posted message says: its content, then each embed's title and description (update posts)."""
    body = body or {}
    parts = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
    return "\n".join(parts)


def custom_ids(body: dict[str, Any]) -> list[str]:
    """Every button custom_id in a message body."""
    return [c["custom_id"] for row in body.get("components", []) for c in row.get("components", [])
            if "custom_id" in c]


def spec_message(**attrs: Any) -> mock.NonCallableMagicMock:
    """A Message stand-in built with spec_set from the real class (for pure-logic tests only)."""
    fake = mock.NonCallableMagicMock(spec_set=discord.Message)
    for key, value in attrs.items():
        setattr(fake, key, value)
    return fake


# --- fixtures (imported by the tests/test_discord_*.py modules) ---

# The Discord tests' fact base: a small fixed cut of knowledge/ (tests/fixtures/README.md), so that what they
# assert never depends on what today's knowledge/ holds.
FACT_BASE = PROJECT_DIR / "tests" / "fixtures" / "knowledge"
_SERVICE: dict[str, KnowledgeService] = {}


def bot_settings(tmp_path: Path, **discord_changes: Any) -> Settings:
    """The shipped config on the test fact base, the database on tmp_path, the watched test channel."""
    settings = load_settings(PROJECT_DIR / "config.yaml")
    changes = {"watched_channels": (WATCHED_ID,), **discord_changes}
    return replace(settings, knowledge_dir=FACT_BASE, cache_dir=None, database=tmp_path / "tariffbot.sqlite3",
                   discord=replace(settings.discord, **changes))


def knowledge_service() -> KnowledgeService:
    """The test fact base, loaded once per test session."""
    if "kb" not in _SERVICE:
        _SERVICE["kb"] = KnowledgeService(FACT_BASE, load_settings(PROJECT_DIR / "config.yaml").engine)
    return _SERVICE["kb"]


def copy_fact_base(tmp_path: Path) -> Path:
    """A private copy of the test fact base to edit."""
    return Path(shutil.copytree(FACT_BASE, tmp_path / "knowledge"))


async def started(settings: Settings, service: KnowledgeService | None = None) -> Harness:
    """A bot logged in through the recorder, with READY and the guild delivered."""
    return await Harness.start(TariffBot(settings, service=service or knowledge_service()))


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """A started bot (setup_hook run, store on a tmp_path SQLite file), no network."""
    h = await started(bot_settings(tmp_path))
    try:
        yield h
    finally:
        await h.stop()
