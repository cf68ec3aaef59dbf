"""A small reader of Discord markdown for tests: which masked links, autolinks and mentions would render."""

from __future__ import annotations

import re

_MASKED = re.compile(r"\[([^\[\]]*)\]\(\s*<?([^\s)>]+)>?\s*\)")
_AUTOLINK = re.compile(r"(?:<)?(https?:/{2}[^\s<>]+)")
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@everyone|@here|<t:\d+(?::[a-zA-Z])?>")


def unescaped(text: str) -> str:
    """The text with every backslash-escaped character replaced by a placeholder (it renders as literal)."""
    return re.sub(r"\\[^0-9A-Za-z\s]", "\x00", text)


def live_links(text: str) -> list[str]:
    """URLs that would render as clickable masked links or bare autolinks."""
    plain = unescaped(text)
    return [m.group(2) for m in _MASKED.finditer(plain)] + [m.group(1) for m in _AUTOLINK.finditer(plain)]


def live_mentions(text: str) -> list[str]:
    """Mentions, role / channel references and timestamps that would render."""
    return _MENTION.findall(unescaped(text))
