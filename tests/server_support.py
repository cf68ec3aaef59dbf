"""Builders for the server-admin tests (issue 11): grouped slash commands with resolved channels and roles,
members with chosen permissions and roles, threads, forums and roles in the test guild."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from tests.helpers import (
    CHANNEL_ID,
    GUILD_ID,
    TIMESTAMP,
    USER_ID,
    Harness,
    Sent,
    bot_settings,
    interaction,
    snowflake,
    started,
    text_channel,
)

MEMBER = discord.Permissions(2248473465835073)  # what every member has in the test guild
ADMIN = discord.Permissions(MEMBER.value | discord.Permissions(manage_guild=True).value)
STRANGER_ID = 1_000_000_000_000_000_777
THREAD_ID = 1_000_000_000_000_000_210
FORUM_ID = 1_000_000_000_000_000_220
CURATOR_CHANNEL_ID = 1_000_000_000_000_000_230
ROLE_ID = 1_000_000_000_000_000_600
QUIET_ROLE_ID = 1_000_000_000_000_000_601  # not mentionable
NONE = {"parse": []}


def role(role_id: int, name: str, *, mentionable: bool = True) -> dict[str, Any]:
    """A ROLE object."""
    return {"id": str(role_id), "name": name, "color": 0, "hoist": False, "position": 1, "permissions": "0",
            "managed": False, "mentionable": mentionable, "flags": 0}


def thread(thread_id: int = THREAD_ID, parent: int = CHANNEL_ID) -> dict[str, Any]:
    """A public thread under a text channel."""
    return {"id": str(thread_id), "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(parent),
            "owner_id": str(USER_ID), "name": "tariff news", "flags": 0, "message_count": 0,
            "member_count": 1, "rate_limit_per_user": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "locked": False,
                                "archive_timestamp": TIMESTAMP}}


def forum(forum_id: int = FORUM_ID) -> dict[str, Any]:
    """A forum channel."""
    return {**text_channel(forum_id, "trade-news"), "type": 15, "available_tags": [],
            "default_reaction_emoji": None, "default_sort_order": None, "default_forum_layout": 0, "flags": 0}


def add_places(h: Harness) -> None:
    """A thread, a forum, a curator channel and two roles in the test guild, as the gateway announces them."""
    h.state.parse_channel_create(forum())
    h.state.parse_channel_create(text_channel(CURATOR_CHANNEL_ID, "curators"))
    h.state.parse_thread_create(thread())
    h.state.parse_guild_role_create({"guild_id": str(GUILD_ID), "role": role(ROLE_ID, "tariff-news")})
    h.state.parse_guild_role_create({"guild_id": str(GUILD_ID),
                                     "role": role(QUIET_ROLE_ID, "quiet", mentionable=False)})


@pytest.fixture(name="h")
async def places_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """A started bot (tests/helpers.py) whose guild also has a thread, a forum, a curator channel, roles."""
    harness = await started(bot_settings(tmp_path))
    add_places(harness)
    try:
        yield harness
    finally:
        await harness.stop()


def option(name: str, value: Any, kind: int = 3) -> dict[str, Any]:
    """A slash command option (3 string, 4 integer, 5 boolean, 7 channel, 8 role)."""
    return {"name": name, "type": kind, "value": str(value) if kind in (7, 8) else value}


def resolved(h: Harness, options: list[dict[str, Any]]) -> dict[str, Any]:
    """The `resolved` data Discord sends for the channel and role options."""
    guild = h.bot.get_guild(GUILD_ID)
    assert guild is not None
    out: dict[str, Any] = {}
    for opt in options:
        if opt["type"] == 7:
            channel = guild.get_channel_or_thread(int(opt["value"]))
            kind = channel.type.value if channel else 0
            data = {**text_channel(int(opt["value"]), "c"), "type": kind, "permissions": str(ADMIN.value)}
            if kind == 11:
                data = {**thread(int(opt["value"])), "permissions": str(ADMIN.value)}
            out.setdefault("channels", {})[opt["value"]] = data
        elif opt["type"] == 8:
            found = guild.get_role(int(opt["value"]))
            mentionable = found.mentionable if found else True
            name = found.name if found else "r"
            out.setdefault("roles", {})[opt["value"]] = role(int(opt["value"]), name, mentionable=mentionable)
    return out


def command_data(path: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    """The `data` of a (sub)command: 'settings watched add' nests a group, a subcommand and its options."""
    names = path.split()
    inner: list[dict[str, Any]] = options
    for depth, name in enumerate(reversed(names[1:])):
        inner = [{"name": name, "type": 1 if depth == 0 else 2, "options": inner}]
    return {"id": str(snowflake()), "name": names[0], "type": 1, "options": inner}


async def run(h: Harness, path: str, *options: dict[str, Any], permissions: discord.Permissions = ADMIN,
              user_id: int = USER_ID, roles: tuple[int, ...] = (), dm: bool = False) -> list[Sent]:
    """Run a slash command through the real tree, as a member with these permissions and roles."""
    data = command_data(path, list(options))
    if not dm:
        data["resolved"] = resolved(h, list(options))
    payload = interaction(2, data, user_id=user_id, dm=dm)
    if not dm:
        payload["member"]["permissions"] = str(permissions.value)
        payload["member"]["roles"] = [str(r) for r in roles]
    before = len(h.recorder.sent)
    await h.bot.tree._call(discord.Interaction(data=payload, state=h.state))
    await h.settle()
    return h.recorder.sent[before:]


def said(sent: list[Sent]) -> str:
    """The text of a command's one private answer (after a possible 'thinking…')."""
    hooks = [s for s in sent if s.via == "webhook" and (s.json or {}).get("type") != 5]
    assert hooks, sent
    last = hooks[-1].json or {}
    data = last.get("data", last)
    assert data["flags"] & 64, data
    assert data.get("allowed_mentions") in (None, NONE), data
    parts = [data.get("content") or ""] + [e.get("description") or "" for e in data.get("embeds") or []]
    return "\n".join(p for p in parts if p)
