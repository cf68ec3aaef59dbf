"""Tariff records filtered by country and sector, and as a plain-text table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.engine import Engine
from bot.core.model import TariffRecord

COLUMNS = ("Country", "Sector", "Rate", "Kind", "Status", "As of")


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


@dataclass(frozen=True)
class TariffTable:
    """Rows that matched, and the table as text (or a 'no records' line)."""

    rows: tuple[TariffRecord, ...]
    text: str


def tariff_table(engine: Engine, country: str | None = None, sector: str | None = None) -> TariffTable:
    """Render the matching records as an aligned text table with their relief notes and sources."""
    rows = tuple(find_tariffs(engine, country, sector))
    if not rows:
        wanted = " / ".join(x for x in (country, sector) if x) or "anything"
        known = ", ".join(
            sorted({t.country for t in engine.kb.tariffs} | {t.sector for t in engine.kb.tariffs})
        )
        return TariffTable(rows, f"No tariff records for {wanted}. Known countries and sectors: {known}.")
    cells = [
        (t.country, t.sector, t.rate_text, t.kind, t.status_text, t.fact.as_of.isoformat()) for t in rows
    ]
    widths = [max(len(c) for c in column) for column in zip(COLUMNS, *cells, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*COLUMNS).rstrip(), line.format(*("-" * w for w in widths))]
    out += [line.format(*row).rstrip() for row in cells]
    notes = [f"- {t.country}, {t.sector}: relief: {t.relief}" for t in rows if t.relief]
    notes += [f"- {t.country}, {t.sector}: exceptions: {t.exceptions}" for t in rows if t.exceptions]
    sources = sorted({c.source.title for t in rows for c in t.fact.citations})
    if notes:
        out += ["", *notes]
    return TariffTable(rows, "\n".join([*out, "", "Sources: " + "; ".join(sources)]))
