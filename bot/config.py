"""Settings from `config.yaml` and `TARIFFBOT_*` variables: typed, defaulted, checked; paths resolved.

The sections the core needs are defined in `bot.core.settings`; Discord's and the health check's here.
Types and ranges are checked by `bot.validation`; relative paths are resolved against the config file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from bot.core.settings import EngineSettings, UpdateSettings
from bot.core.yamlsafe import Limits
from bot.paths import CONFIG_ENV, default_config_path
from bot.validation import Invalid, convert, env_name, env_overrides, from_env, section

DATABASE_ENV = env_name("database")  # TARIFFBOT_DATABASE
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
    # One pace for every request the bot makes (Discord allows 50 per second in all).
    requests_per_second: float = 48.0
    # A server's curator channel is told when a question was declined this many times (0: never);
    # each server may change it with /settings curators.
    curator_notice_after: int = 5


@dataclass(frozen=True)
class HealthSettings:
    """The running bot's heartbeat, read by `tariffbot health`."""

    heartbeat_seconds: float = 15.0
    stale_seconds: float = 90.0


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults matching the shipped config.yaml."""

    knowledge_dir: Path
    database: Path
    cache_dir: Path | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    engine: EngineSettings = field(default_factory=EngineSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    updates: UpdateSettings = field(default_factory=UpdateSettings)
    knowledge_limits: Limits = field(default_factory=Limits)
    health: HealthSettings = field(default_factory=HealthSettings)


# Top-level settings that are not sections: their types as written in config.yaml, and defaults.
_TOP: dict[str, tuple[Any, Any]] = {
    "knowledge_dir": (str, "knowledge"),
    "database": (str, "data/tariffbot.sqlite3"),
    "cache_dir": (str | None, "data/cache"),
    "log_level": (str, "INFO"),
    "log_format": (str, "text"),
}
_SECTIONS: dict[str, type] = {
    "engine": EngineSettings,
    "discord": DiscordSettings,
    "updates": UpdateSettings,
    "knowledge_limits": Limits,
    "health": HealthSettings,
}


def setting_names() -> set[str]:
    """Every setting's dotted name (`log_level`, `engine.answer_threshold`, ...)."""
    fields = {f"{name}.{f.name}" for name, cls in _SECTIONS.items() for f in dataclasses.fields(cls)}
    return set(_TOP) | fields


def _kind(dotted: str) -> Any:
    """The type of a setting."""
    if dotted in _TOP:
        return _TOP[dotted][0]
    name, key = dotted.split(".", 1)
    return get_type_hints(_SECTIONS[name])[key]


def _shown_path(path: Path) -> str:
    """The config file as people know it: relative to the current folder when inside it (display only)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read(path: Path) -> dict[str, Any]:
    """The file's mapping of settings (unknown names refused)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{_shown_path(path)}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{_shown_path(path)}: invalid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{_shown_path(path)}: the top level must be a mapping of settings")
    unknown = set(data) - set(_TOP) - set(_SECTIONS)
    if unknown:
        raise ConfigError(f"{_shown_path(path)}: unknown setting(s) {', '.join(sorted(map(str, unknown)))}")
    return data


def _apply_env(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Put the environment's settings into `data`; returns the variable that set each dotted name."""
    try:
        found = env_overrides(environ, setting_names(), ignore=frozenset({CONFIG_ENV}))
    except Invalid as exc:
        raise ConfigError(str(exc)) from None
    sources = {}
    for dotted, (variable, text) in found.items():
        value = from_env(_kind(dotted), text)
        if "." in dotted:
            name, key = dotted.split(".", 1)
            current = data.get(name)
            data[name] = {**(current if isinstance(current, dict) else {}), key: value}
        else:
            data[dotted] = value
        sources[dotted] = variable
    return sources


def _checked(data: dict[str, Any], sources: dict[str, str], where: str) -> dict[str, Any]:
    """Every value checked for type and range; the first bad one is one ConfigError line."""
    values: dict[str, Any] = {}
    for dotted, (kind, default) in _TOP.items():
        try:
            values[dotted] = convert(dotted, kind, data.get(dotted, default))
        except Invalid as exc:
            raise ConfigError(f"{sources.get(dotted, where)}: {dotted}: {exc}") from None
    for name, cls in _SECTIONS.items():
        try:
            values[name] = cls(**section(cls, data.get(name), name))
        except Invalid as exc:
            dotted = str(exc).split(":", 1)[0]
            raise ConfigError(f"{sources.get(dotted, where)}: {exc}") from None
    health = values["health"]
    if health.stale_seconds <= health.heartbeat_seconds:
        raise ConfigError(f"{sources.get('health.stale_seconds', where)}: health.stale_seconds: must be more "
                          f"than health.heartbeat_seconds ({health.heartbeat_seconds:g}) "
                          f"(got {health.stale_seconds:g})")
    return values


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (default: $TARIFFBOT_CONFIG or the project's config.yaml), then the
    environment's `TARIFFBOT_SECTION__KEY` overrides; every value is checked (ConfigError: one line)."""
    path = (path or default_config_path()).resolve()
    data = _read(path)
    sources = _apply_env(data, os.environ if environ is None else environ)
    values = _checked(data, sources, _shown_path(path))
    base = path.parent
    cache_dir = values.pop("cache_dir")
    return Settings(
        knowledge_dir=base / values.pop("knowledge_dir"),
        database=base / values.pop("database"),
        cache_dir=None if cache_dir is None else base / cache_dir,
        **values,
    )
