"""Finding a person of the talks by what someone typed: an id, a name, an alias or a misspelling."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.core.model import KnowledgeBase, Participant

MIN_SIMILARITY = 80


def find_participant(kb: KnowledgeBase, text: str) -> Participant | None:
    """A participant by id, name or alias (case-insensitive), else the closest name within a typo or two."""
    key = " ".join(text.split()).casefold()
    if key in kb.participants:
        return kb.participants[key]
    names = {n.casefold(): p for p in kb.participants.values() for n in (p.name, *p.aliases)}
    if key in names:
        return names[key]
    best = process.extractOne(key, list(names), scorer=fuzz.WRatio, score_cutoff=MIN_SIMILARITY)
    return names[best[0]] if best else None
