"""Settings from `config.yaml`: typed, defaulted, validated; relative paths resolved against the file.

The sections the core needs are defined in `bot.core.settings`; only Discord's are defined here.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from bot.core.settings import EngineSettings, FeedSettings, UpdateSettings
from bot.core.yamlsafe import Limits
from bot.paths import default_config_path

DATABASE_ENV = "TARIFFBOT_DATABASE"
TOKEN_ENV = "DISCORD_TOKEN"  # the bot token comes only from the environment, never from config.yaml


class ConfigError(Exception):
    """The configuration file is missing, malformed or has a bad value."""


@dataclass(frozen=True)
class DiscordSettings:
    """Where and how often the bot answers in Discord."""

    watched_channels: tuple[int, ...] = ()
    questions_only: bool = True
    cooldown_rate: int = 3
    cooldown_seconds: float = 30.0
    sync_guild: int | None = None
    max_ratelimit_seconds: float = 30.0
    gateway_timeout_seconds: float = 15.0
    # A server's curator channel is told when a question was declined this many times (0: never);
    # each server may change it with /settings curators.
    curator_notice_after: int = 5


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults matching the shipped config.yaml."""

    knowledge_dir: Path
    database: Path
    cache_dir: Path | None = None
    log_level: str = "INFO"
    engine: EngineSettings = field(default_factory=EngineSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    updates: UpdateSettings = field(default_factory=UpdateSettings)
    knowledge_limits: Limits = field(default_factory=Limits)


def _section(cls: type, data: Any, name: str) -> Any:
    """Build a settings dataclass from a mapping, rejecting unknown keys and wrong types."""
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: must be a mapping")
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ConfigError(f"{name}: unknown setting(s) {', '.join(sorted(map(str, unknown)))}")
    values = {}
    for key, value in data.items():
        default = getattr(cls(), key)
        if key == "feeds":
            value = tuple(_feed(item, f"{name}.feeds[{i}]") for i, item in enumerate(value or []))
        elif key == "feed_allowed_networks":
            value = _networks(value, f"{name}.{key}")
        elif key == "watched_channels":
            if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
                raise ConfigError(f"{name}.{key}: must be a list of channel ids")
            value = tuple(value)
        elif key == "answer_threshold":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1
            ):
                raise ConfigError(
                    f"{name}.{key}: must be a number between 0 and 1, or null for the fitted one"
                )
        elif key == "sync_guild":
            if value is not None and not isinstance(value, int):
                raise ConfigError(f"{name}.{key}: must be a guild id or null")
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{name}.{key}: must be true or false")
        elif isinstance(default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{name}.{key}: must be a non-negative number")
            value = type(default)(value)
        values[key] = value
    return cls(**values)


def _networks(value: Any, name: str) -> tuple[str, ...]:
    """CIDR networks (e.g. 127.0.0.1/32) that servers' feeds may reach although they are not public."""
    if not isinstance(value, list):
        raise ConfigError(f"{name}: must be a list of networks, e.g. [10.0.0.0/8]")
    for item in value:
        try:
            ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not a network (e.g. 10.0.0.0/8)") from None
    return tuple(str(item) for item in value)


def _feed(item: Any, name: str) -> FeedSettings:
    if not isinstance(item, dict) or set(item) != {"name", "url"}:
        raise ConfigError(f"{name}: must be {{name: TEXT, url: URL}}")
    if not str(item["url"]).startswith(("http://", "https://")):
        raise ConfigError(f"{name}: url must start with http:// or https://")
    return FeedSettings(str(item["name"]), str(item["url"]))


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file (default: $TARIFFBOT_CONFIG or the project's config.yaml)."""
    path = (path or default_config_path()).resolve()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    base = path.parent
    top = {
        "knowledge_dir",
        "database",
        "cache_dir",
        "log_level",
        "engine",
        "discord",
        "updates",
        "knowledge_limits",
    }
    unknown = set(data) - top
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(map(str, unknown)))}")
    database = os.environ.get(DATABASE_ENV) or data.get("database") or "data/tariffbot.sqlite3"
    settings = Settings(
        knowledge_dir=base / str(data.get("knowledge_dir") or "knowledge"),
        database=base / str(database),
        cache_dir=None
        if "cache_dir" in data and data["cache_dir"] is None
        else base / str(data.get("cache_dir") or "data/cache"),
        log_level=str(data.get("log_level") or "INFO").upper(),
        engine=_section(EngineSettings, data.get("engine"), "engine"),
        discord=_section(DiscordSettings, data.get("discord"), "discord"),
        updates=_section(UpdateSettings, data.get("updates"), "updates"),
        knowledge_limits=_section(Limits, data.get("knowledge_limits"), "knowledge_limits"),
    )
    return settings

