"""`tariffbot unanswered`: the curators' list of declined questions."""

from __future__ import annotations

from bot.cli.tables import declined_table
from bot.config import Settings
from bot.core.store import DeclinedQuestion, Store
from bot.stopping import run_async


async def _declined(settings: Settings) -> list[DeclinedQuestion]:
    async with Store(settings.database) as store:
        return await store.declined_summary()


def unanswered(settings: Settings) -> int:
    """Print declined questions, most frequent first; 0 even when there are none."""
    rows = run_async(_declined(settings))
    if not rows:
        print("No declined questions yet.")
        return 0
    print(declined_table(rows))
    total = sum(r.times for r in rows)
    print(f"\n{len(rows)} distinct question(s), asked {total} time(s) in all.")
    return 0
