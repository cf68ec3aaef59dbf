"""Text normalisation shared by the loader (quote checks) and the matcher, and outside text made inert."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

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
    return " ".join(text.split())[:limit]  # split() cuts at the whitespace `\s` matches: as _SPACE + strip


def normalise_question(text: str, limit: int = 500) -> str:
    """Lower-case, punctuation-free, single-spaced text: the key under which identical questions meet."""
    text = clean_user_text(text, limit).lower()
    return " ".join(_PUNCT.sub(" ", text).split())
# --- outside text (questions echoed back, feed items) made inert before the bot posts it ---------

# Control, format (bidi overrides and isolates, zero-width characters...), surrogate, private-use and
# line/paragraph separators: none of them belongs in a one-line echo.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Every character Discord's markdown, masked links, mentions, emoji and timestamps are made of.
_MARKUP = re.compile(r"([\\*_~`|>#\-\[\]()<@:])")
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_URL_SAFE = "/%-._~!$&'*+,;=:@"  # RFC 3986 characters that cannot close <...> or form markdown
MAX_LINK_CHARS = 1000


def strip_invisible(text: str) -> str:
    """Drop control, format (bidi, zero-width), surrogate, private-use and separator characters."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)


def inert(text: str, limit: int | None = None) -> str:
    """Outside text as one inert line: invisible characters dropped, clipped, every markup character escaped.

    Every `[ ] ( ) < @ :` is escaped, however many the text holds, so no masked link, mention,
    timestamp or emoji can form, and a bare URL is not auto-linked (its `:` is escaped).
    """
    flat = " ".join(strip_invisible(text).split())
    if limit is not None:
        flat = clip(flat, limit)
    return _MARKUP.sub(r"\\\1", flat)


def safe_link(url: str) -> str | None:
    """A well-formed http(s) URL, percent-encoded so it cannot leave `<...>` or form markdown; else None."""
    url = (url or "").strip()
    if not url or len(url) > MAX_LINK_CHARS or any(
        ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in url
    ):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password:
        return None
    if not _HOST.match(host) or "." not in host:
        return None
    netloc = host + (f":{port}" if port else "")
    out = f"{parts.scheme.lower()}://{netloc}{quote(parts.path, safe=_URL_SAFE)}"
    if parts.query:
        out += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    if parts.fragment:
        out += "#" + quote(parts.fragment, safe=_URL_SAFE + "?")
    return out
