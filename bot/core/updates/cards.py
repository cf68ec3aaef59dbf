"""An update's embed parts (`Card`) stored as JSON beside its text."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from bot.core.updates.records import Card

_FIELDS = frozenset(f.name for f in fields(Card))


def card_to_json(card: Card | None) -> str | None:
    """The card as stored (None: the update has only its text)."""
    return None if card is None else json.dumps(asdict(card), ensure_ascii=False, sort_keys=True)


def card_from_json(text: str | None) -> Card | None:
    """The stored card, or None when there is none or it cannot be read (the text is posted instead)."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("title"), str):
        return None
    parts = {k: (v if isinstance(v, str) else None) for k, v in data.items() if k in _FIELDS and k != "title"}
    return Card(data["title"], **parts)
