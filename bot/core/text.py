"""Text normalisation shared by the loader (quote checks) and the matcher."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"'})
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def normalise_quote(text: str) -> str:
    """Fold curly quotes to straight ones and collapse whitespace (nothing else)."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


def clip(text: str, limit: int) -> str:
    """Cut text to `limit` characters, ending with '…' when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def clean_user_text(text: str, limit: int) -> str:
    """NFKC-fold, drop control characters, collapse whitespace and cut to `limit` characters."""
    text = unicodedata.normalize("NFKC", text[: limit * 4])
    if not text.isprintable():  # rare: most messages are plain text
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    return _SPACE.sub(" ", text).strip()[:limit]


def normalise_question(text: str, limit: int = 500) -> str:
    """Lower-case, punctuation-free, single-spaced text: the key under which identical questions meet."""
    text = clean_user_text(text, limit).lower()
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()
