"""Curator reports from the store (never imports discord)."""

from __future__ import annotations

import asyncio
import sys

from bot import exitcodes
from bot.config import Settings
from bot.core.store import Store, StoreError

COLUMNS = ("times", "last asked", "best match", "conf.", "question")


def table(rows: list[dict[str, object]]) -> str:
    """The declined questions as an aligned text table."""
    cells = [
        (str(r["times"]), str(r["last_asked"])[:16].replace("T", " "), str(r["best_fact_id"] or "-"),
         f"{float(r['best_confidence'] or 0):.2f}", " ".join(str(r["example"]).split())[:80])
        for r in rows
    ]
    widths = [max(len(c[i]) for c in [COLUMNS, *cells]) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [COLUMNS, *cells]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


async def _declined(settings: Settings) -> list[dict[str, object]]:
    async with Store(settings.database) as store:
        return await store.declined_summary()


def unanswered(settings: Settings) -> int:
    """Print declined questions, most frequent first; 0 even when there are none."""
    try:
        rows = asyncio.run(_declined(settings))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exitcodes.DATABASE
    if not rows:
        print("No declined questions yet.")
        return 0
    print(table(rows))
    total = sum(int(r["times"]) for r in rows)  # type: ignore[call-overload]
    print(f"\n{len(rows)} distinct question(s), asked {total} time(s) in all.")
    return 0
