"""Keys a news item is known by, so the same story is posted once whichever feed brings it."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit

_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|cmpid|ocid|smid|rss|feed)$", re.I)
_WORDS = re.compile(r"[^\w]+")


def normalise_link(link: str) -> str:
    """The link without scheme, 'www.', tracking parameters, fragment or trailing slash."""
    parts = urlsplit(link.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = sorted((k, v) for k, v in pairs if not _TRACKING.match(k))
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{urlencode(query)}" if query else "")


def normalise_title(title: str) -> str:
    """Lower-case words of the title, punctuation and accents folded."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return " ".join(_WORDS.sub(" ", text).split())


def item_keys(guid: str | None, link: str | None, title: str | None) -> tuple[str, ...]:
    """Every dedupe key of an item: its GUID, normalised link and normalised title (when long enough)."""
    keys: list[str] = []
    if link and normalise_link(link):
        keys.append(f"link:{normalise_link(link)}")
    if guid and guid.strip():
        keys.append(f"guid:{guid.strip()}")
    if title and len(normalise_title(title).split()) >= 4:
        keys.append(f"title:{normalise_title(title)}")
    return tuple(dict.fromkeys(keys))
