"""Plain-text tables for the terminal: the tariff records and the curators' declined questions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.engine import Engine
from bot.core.model import TariffRecord
from bot.core.store import DeclinedQuestion
from bot.core.tables import find_tariffs

TARIFF_COLUMNS = ("Country", "Sector", "Rate", "Kind", "Status", "As of")
DECLINED_COLUMNS = ("times", "last asked", "best match", "conf.", "question")


def aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart, a dashed line under the header."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


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
    cells = [(t.country, t.sector, t.rate_text, t.kind, t.status_text, t.fact.as_of.isoformat())
             for t in rows]
    out = aligned(TARIFF_COLUMNS, cells)
    notes = [f"- {t.country}, {t.sector}: relief: {t.relief}" for t in rows if t.relief]
    notes += [f"- {t.country}, {t.sector}: exceptions: {t.exceptions}" for t in rows if t.exceptions]
    sources = sorted({c.source.title for t in rows for c in t.fact.citations})
    if notes:
        out += ["", *notes]
    return TariffTable(rows, "\n".join([*out, "", "Sources: " + "; ".join(sources)]))


def declined_table(rows: Sequence[DeclinedQuestion]) -> str:
    """The declined questions as an aligned text table."""
    cells = [
        (str(r.times), r.last_asked[:16].replace("T", " "), r.best_fact_id or "-", f"{r.best_confidence:.2f}",
         " ".join(r.example.split())[:80])
        for r in rows
    ]
    return "\n".join(aligned(DECLINED_COLUMNS, cells))
