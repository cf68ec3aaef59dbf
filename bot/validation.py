"""Type and range of every setting, and their `TARIFFBOT_SECTION__KEY` environment overrides.

A setting's type comes from its dataclass field; its range from RANGES (numbers and ids) or CHOICES
(words). A bad value is one `Invalid` reason, e.g. `must be between 0 and 1 (got 7)`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import reprlib
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

from bot.core.settings import FeedSettings

ENV_PREFIX = "TARIFFBOT_"
ENV_SEPARATOR = "__"  # TARIFFBOT_ENGINE__ANSWER_THRESHOLD -> engine.answer_threshold
MAX_ID = 2**64 - 1  # Discord ids are 64-bit snowflakes
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60
_SHOWN.maxlist = 4


class Invalid(ValueError):
    """A value has the wrong type or is out of range; the message is the reason."""


@dataclass(frozen=True)
class Range:
    """Bounds of a number (inclusive); `zero_off`: 0 is also allowed and means "off"."""

    low: float | None = None
    high: float | None = None
    zero_off: bool = False

    def reason(self) -> str:
        """'must be between 1 and 50', 'must be at least 1'..."""
        low, high = (_number(b) if b is not None else None for b in (self.low, self.high))
        if low is not None and high is not None:
            text = f"between {low} and {high}"
        elif low is not None:
            text = f"at least {low}"
        else:
            text = f"at most {high}"
        return f"must be 0 (off) or {text}" if self.zero_off else f"must be {text}"

    def holds(self, value: float) -> bool:
        """True when the value is in range."""
        if self.zero_off and value == 0:
            return True
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


# Every number and id setting, by its dotted name (a test checks that none is missing).
RANGES: dict[str, Range] = {
    "engine.answer_threshold": Range(0, 1),
    "engine.suggestion_threshold": Range(0, 1),
    "engine.max_suggestions": Range(0, 10),
    "engine.max_question_chars": Range(20, 4000),
    "discord.watched_channels": Range(1, MAX_ID),
    "discord.cooldown_rate": Range(0, 1000),
    "discord.cooldown_seconds": Range(0, 86400),
    "discord.sync_guild": Range(1, MAX_ID),
    "discord.max_ratelimit_seconds": Range(30, 86400, zero_off=True),  # discord.py refuses less than 30
    "discord.gateway_timeout_seconds": Range(1, 600),
    "discord.requests_per_second": Range(1, 50),  # Discord's global limit is 50 requests per second
    "updates.knowledge_check_seconds": Range(10, 86400),
    "updates.feed_poll_seconds": Range(60, 86400),
    "updates.delivery_seconds": Range(1, 3600),
    "updates.digest_limit": Range(1, 50),
    "updates.relevance_threshold": Range(0, 1),
    "updates.feed_timeout_seconds": Range(0.1, 300),
    "updates.feed_max_bytes": Range(1000, 100_000_000),
    "updates.feed_max_items": Range(1, 1000),
    "updates.request_timeout_seconds": Range(0.1, 300),
    "updates.nonce_window_seconds": Range(0, 3600),
    "updates.max_removals": Range(0, 1_000_000),
    "updates.feed_backfill": Range(0, 50),
    "updates.feed_max_age_days": Range(0, 3650),
    "updates.server_feed_limit": Range(0, 1000),
    "updates.server_feed_max_bytes": Range(1000, 100_000_000),
    "discord.curator_notice_after": Range(0, 1_000_000),
    "knowledge_limits.max_file_bytes": Range(1000, 1_000_000_000),
    "knowledge_limits.max_depth": Range(2, 500),  # PyYAML's composer recurses: keep far from Python's limit
    "knowledge_limits.max_alias_nodes": Range(0, 10_000_000),
    "knowledge_limits.settle_seconds": Range(0, 3600),
    "health.heartbeat_seconds": Range(1, 3600),
    "health.stale_seconds": Range(5, 86400),
}
# Settings whose items are networks in CIDR notation.
NETWORKS = frozenset({"updates.feed_allowed_networks"})
# Settings that are one of a few words (compared without case, stored as written here).
CHOICES: dict[str, tuple[str, ...]] = {
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "log_format": ("text", "json"),
}


def shown(value: Any) -> str:
    """A value quoted in a message, as YAML would write it (clipped)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return _SHOWN.repr(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _optional(kind: Any) -> tuple[Any, bool]:
    """(the type, whether null is allowed) of `X | None`."""
    if get_origin(kind) in (Union, types.UnionType):
        args = [a for a in get_args(kind) if a is not type(None)]
        if len(args) == 1 and len(get_args(kind)) == 2:
            return args[0], True
    return kind, False


def convert(name: str, kind: Any, value: Any) -> Any:
    """`value` as the type `kind` of the setting `name`, checked against its range; else Invalid."""
    kind, nullable = _optional(kind)
    if value is None:
        if nullable:
            return None
        raise Invalid(f"must not be empty (got {shown(value)})")
    if get_origin(kind) is tuple:
        (item,) = {a for a in get_args(kind) if a is not Ellipsis}
        if not isinstance(value, list | tuple):
            raise Invalid(f"must be a list (got {shown(value)})")
        items = []
        for index, element in enumerate(value):
            try:
                items.append(_scalar(name, item, element))
            except Invalid as exc:
                raise Invalid(f"item {index + 1}: {exc}") from None
        return tuple(items)
    try:
        return _scalar(name, kind, value)
    except Invalid as exc:
        if nullable and str(exc).startswith("must be a"):  # a type error: null is an answer too
            raise Invalid(str(exc).replace(" (got", ", or null (got", 1)) from None
        raise


def _scalar(name: str, kind: Any, value: Any) -> Any:
    if kind is FeedSettings:
        return _feed(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise Invalid(f"must be true or false (got {shown(value)})")
        return value
    if kind is str:
        return _word(name, value)
    if kind in (int, float):
        return _range(name, _numeric(kind, value), value)
    raise Invalid(f"has an unsupported type {kind}")  # a programming error: a new field type


def _numeric(kind: type, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        what = "a whole number" if kind is int else "a number"
        raise Invalid(f"must be {what} (got {shown(value)})")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise Invalid(f"must be a whole number (got {shown(value)})")
        return int(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise Invalid(f"must be a finite number (got {shown(value)})")
    return float(value)


def _range(name: str, value: float, written: Any) -> float:
    rule = RANGES.get(name, Range(0))  # a number without a listed range: at least not negative
    if not rule.holds(value):
        raise Invalid(f"{rule.reason()} (got {shown(written)})")
    return value


def _word(name: str, value: Any) -> str:
    if name in NETWORKS:
        return _network(value)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"must be text (got {shown(value)})")
    choices = CHOICES.get(name)
    if choices is None:
        return value
    for choice in choices:
        if value.strip().lower() == choice.lower():
            return choice
    raise Invalid(f"must be one of {', '.join(choices)} (got {shown(value)})")


def _network(value: Any) -> str:
    """A CIDR network such as 10.20.0.0/16 (a bare address is its own /32 or /128)."""
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        raise Invalid(f"must be a network such as 10.0.0.0/8 (got {shown(value)})") from None


def _feed(item: Any) -> FeedSettings:
    if not isinstance(item, dict) or set(item) != {"name", "url"}:
        raise Invalid(f"must be {{name: TEXT, url: URL}} (got {shown(item)})")
    if not str(item["url"]).startswith(("http://", "https://")):
        raise Invalid(f"url must start with http:// or https:// (got {shown(item['url'])})")
    return FeedSettings(str(item["name"]), str(item["url"]))


def section(cls: type, data: Any, name: str) -> dict[str, Any]:
    """The checked values of one section's mapping (missing keys keep their defaults); else Invalid.

    The Invalid message starts with the failing setting's dotted name.
    """
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise Invalid(f"{name}: must be a mapping of settings (got {shown(data)})")
    kinds = get_type_hints(cls)
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise Invalid(f"{name}: unknown setting(s) {', '.join(sorted(map(str, unknown)))}")
    values = {}
    for key, value in data.items():
        try:
            values[key] = convert(f"{name}.{key}", kinds[key], value)
        except Invalid as exc:
            raise Invalid(f"{name}.{key}: {exc}") from None
    return values


def env_name(dotted: str) -> str:
    """The environment variable that overrides a setting: engine.answer_threshold ->
    TARIFFBOT_ENGINE__ANSWER_THRESHOLD."""
    return ENV_PREFIX + dotted.replace(".", ENV_SEPARATOR).upper()


def env_overrides(environ: Mapping[str, str], known: set[str],
                  ignore: frozenset[str] = frozenset()) -> dict[str, tuple[str, str]]:
    """Settings set in the environment: dotted name -> (variable, text); else Invalid.

    Empty variables are ignored; a variable naming no setting is an error (a typo would go unnoticed).
    """
    by_env = {env_name(dotted): dotted for dotted in known}
    found: dict[str, tuple[str, str]] = {}
    for variable, text in sorted(environ.items()):
        if not variable.startswith(ENV_PREFIX) or variable in ignore or not text.strip():
            continue
        dotted = by_env.get(variable)
        if dotted is None:
            raise Invalid(f"{variable}: no such setting (names are TARIFFBOT_SECTION__KEY, see README)")
        found[dotted] = (variable, text)
    return found


def from_env(kind: Any, text: str) -> Any:
    """An environment variable's text as a setting's value: read as YAML (`0.5`, `true`, `[1, 2]`,
    `null`), except for text settings, which take it as it is."""
    plain, nullable = _optional(kind)
    if plain is str:
        return None if nullable and text.strip() == "null" else text
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text  # not YAML: checked as the text it is (and refused with its reason)
