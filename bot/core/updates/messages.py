"""Plain-text update messages: one update or a digest, always within Discord's 2,000 characters."""

from __future__ import annotations

import html
import re

from bot.core.text import clip

MAX_MESSAGE_CHARS = 2000
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")
_MARKDOWN = re.compile(r"([\\*_~|`>#\[\]])")


def plain(text: str) -> str:
    """HTML to one line of plain text: tags dropped, entities decoded, whitespace collapsed."""
    text = _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", text or ""))).strip()
    return _BEFORE_PUNCTUATION.sub(r"\1", text)


def escape_markdown(text: str) -> str:
    """Escape Discord markdown in text that comes from outside (feed titles and summaries)."""
    return _MARKDOWN.sub(r"\\\1", text)


def render_digest(texts: list[str]) -> str:
    """One message for one or more updates, each cut so the whole fits in a Discord message."""
    if len(texts) == 1:
        header = "**Tariff talks update**"
        return clip(f"{header}\n{texts[0]}", MAX_MESSAGE_CHARS)
    header = f"**Tariff talks: {len(texts)} updates**"
    budget = (MAX_MESSAGE_CHARS - len(header) - 1) // len(texts) - 3
    return header + "".join(f"\n• {clip(text, budget)}" for text in texts)
