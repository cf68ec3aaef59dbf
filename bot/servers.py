"""Each server's settings as the bot uses them: stored ones (`/settings`) over config.yaml's defaults.

Read on every message, so they live in memory: loaded once when the store opens, and written through to
the store by `/settings` (only one bot runs on a database).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.config import DiscordSettings
from bot.core.store import ServerSettings, Store


class Servers:
    """Per-server settings with config.yaml's `discord` section as the defaults."""

    def __init__(self, defaults: DiscordSettings) -> None:
        self.defaults = defaults
        self._stored: dict[int, ServerSettings] = {}

    async def load(self, store: Store) -> None:
        """Read every server's stored settings."""
        self._stored = await store.all_server_settings()

    def get(self, guild_id: int) -> ServerSettings:
        """The server's stored settings (all None when it changed nothing)."""
        return self._stored.get(guild_id) or ServerSettings(guild_id)

    async def change(self, store: Store, guild_id: int, updated_by: int, **changes: Any) -> ServerSettings:
        """Store changed settings for a server (then use them)."""
        changed = replace(self.get(guild_id), **changes)
        await store.save_server_settings(changed, updated_by)
        self._stored[guild_id] = changed
        return changed

    def watched(self, guild_id: int | None) -> tuple[int, ...]:
        """The channels where the server's questions are answered without a mention."""
        stored = self.get(guild_id).watched if guild_id is not None else None
        return self.defaults.watched_channels if stored is None else stored

    def questions_only(self, guild_id: int | None) -> bool:
        """In watched channels, answer only what looks like a question."""
        value = self.get(guild_id).questions_only if guild_id is not None else None
        return self.defaults.questions_only if value is None else value

    def cooldown(self, guild_id: int | None) -> tuple[int, float]:
        """Questions per user (`rate`) every `seconds` in this server (DMs: the defaults)."""
        stored = self.get(guild_id) if guild_id is not None else ServerSettings(0)
        rate = self.defaults.cooldown_rate if stored.cooldown_rate is None else stored.cooldown_rate
        per = self.defaults.cooldown_seconds if stored.cooldown_seconds is None else stored.cooldown_seconds
        return rate, per

    def notice_after(self, guild_id: int | None) -> int | None:
        """How often a question must be declined before the curator channel is told (None: no notices)."""
        if guild_id is None:
            return None
        stored = self.get(guild_id)
        after = self.defaults.curator_notice_after if stored.notice_after is None else stored.notice_after
        return after if stored.curator_channel_id and after > 0 else None
