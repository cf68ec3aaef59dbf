"""Tariff records filtered by country and sector (synonyms and typos understood)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.engine import Engine
from bot.core.model import TariffRecord


def _matcher(engine: Engine, wanted: str | None) -> Callable[[str], bool]:
    """A test for record fields: every concept of `wanted` appears ('cars' finds 'autos', 'japan' 'Japan')."""
    if not wanted:
        return lambda value: True
    want = set(engine.analyse(wanted).terms)
    text = wanted.strip().lower()

    def matches(value: str) -> bool:
        have = set(engine.lexicon.analyse(value, repair=False).terms)
        return (bool(want) and want <= have) or text in value.lower()

    return matches


def find_tariffs(engine: Engine, country: str | None = None, sector: str | None = None) -> list[TariffRecord]:
    """The tariff records for a country and/or sector (synonyms and typos understood)."""
    country_matches, sector_matches = _matcher(engine, country), _matcher(engine, sector)
    return [t for t in engine.kb.tariffs if country_matches(t.country) and sector_matches(t.sector)]
