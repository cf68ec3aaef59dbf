"""Plain-text update messages: one update or a digest, always within Discord's 2,000 characters."""

from __future__ import annotations

import html
import re

from bot.core.text import clip, strip_invisible

MAX_MESSAGE_CHARS = 2000
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")
_ENTITY = re.compile(r"&(?:#[0-9]{1,8}|#x[0-9a-f]{1,8}|[a-z][a-z0-9]{1,31});?", re.I)
MAX_UNESCAPE = 3  # feeds double- and triple-encode entities (&amp;amp;lt;)


def plain(text: str) -> str:
    """HTML to one line of plain text: tags dropped, entities decoded (even double-encoded), no leftovers."""
    text = _TAGS.sub(" ", text or "")
    for _ in range(MAX_UNESCAPE):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = _TAGS.sub(" ", decoded)
    text = _SPACE.sub(" ", _ENTITY.sub(" ", strip_invisible(text))).strip()
    return _BEFORE_PUNCTUATION.sub(r"\1", text)


def fingerprint(nonce: str) -> str:
    """The last line of every update message: small grey text naming its digest, to find it again later."""
    return f"-# ref {nonce}"


def render_digest(texts: list[str], ref: str | None = None, limit: int = MAX_MESSAGE_CHARS) -> str:
    """One message for one or more updates (and its fingerprint line), always within `limit` characters."""
    tail = f"\n{fingerprint(ref)}" if ref else ""
    room = limit - len(tail)
    if len(texts) == 1:
        return fit(f"**Tariff talks update**\n{texts[0]}", room) + tail
    header = f"**Tariff talks: {len(texts)} updates**"
    budget = (room - len(header) - 1) // len(texts) - 3
    return header + "".join(f"\n• {fit(text, budget)}" for text in texts) + tail


def fit(text: str, budget: int) -> str:
    """An update within `budget` characters, giving up the least important part first: lines after the
    second (a news item's summary) go, then the first line (its title) is shortened; the second line (why
    it matters) is cut only when nothing else is left to cut."""
    lines = text.split("\n")
    while len("\n".join(lines)) > budget and len(lines) > 2:
        lines.pop()
    if len("\n".join(lines)) > budget and len(lines) == 2:
        lines[0] = clip(lines[0], max(budget - len(lines[1]) - 1, 1))
    return clip("\n".join(lines), budget)
