"""Discord-free helpers for chat questions: question detection and mention stripping."""

from __future__ import annotations

import re

QUESTION_WORDS = frozenset(
    [
        "who", "whos", "who's", "whom", "whose", "what", "whats", "what's", "when", "whens", "where",
        "wheres", "why", "how", "hows", "is", "are", "was", "were", "do", "does", "did", "can", "could",
        "will", "would", "should", "has", "have", "had", "which", "tell", "explain", "any",
    ]
)
_MENTION = re.compile(r"<@!?(\d+)>")
_WORD = re.compile(r"[\w']+")


def looks_like_question(text: str) -> bool:
    """True for text with a '?' or starting with a question word ('who is akazawa', 'tariff on cars?')."""
    if "?" in text or "？" in text:
        return True
    first = _WORD.search(text.lower())
    return first is not None and first.group(0) in QUESTION_WORDS


def strip_mentions(text: str, user_id: int | None) -> str:
    """Remove mentions of the bot (`<@id>` / `<@!id>`) from a message's text."""
    if user_id is None:
        return text.strip()
    return _MENTION.sub(lambda m: "" if int(m.group(1)) == user_id else m.group(0), text).strip()
