"""Text normalisation shared by the loader (quote checks) and the matcher."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"'})
_SPACE = re.compile(r"\s+")


def normalise_quote(text: str) -> str:
    """Fold curly quotes to straight ones and collapse whitespace (nothing else)."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


def clip(text: str, limit: int) -> str:
    """Cut text to `limit` characters, ending with '…' when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def clean_user_text(text: str, limit: int) -> str:
    """NFKC-fold, drop control characters, collapse whitespace and cut to `limit` characters."""
    text = unicodedata.normalize("NFKC", text[: limit * 4])
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return _SPACE.sub(" ", text).strip()[:limit]
