"""`tariffbot reload` and `tariffbot updates [--dry-run]`: the command-line side (never Discord)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import defaultdict

from bot import exitcodes
from bot.config import Settings
from bot.core.loader import load_knowledge
from bot.core.store import Store, StoreError
from bot.core.updates.changes import KnowledgeCheck, check_knowledge
from bot.core.updates.messages import render_digest

log = logging.getLogger(__name__)


def _print_check(check: KnowledgeCheck) -> None:
    plan = check.plan
    assert plan is not None
    if plan.baseline:
        print(f"baseline recorded: {check.facts} facts; nothing announced (first run)")
    elif not plan.changes:
        print(f"no changes since the last announcement ({check.facts} facts)")
    else:
        print(f"{len(plan.changes)} change(s), {check.queued.deliveries} delivery(ies) queued:")
        for change in plan.changes:
            print(f"  {change.kind}: {change.item.text}")


def reload(settings: Settings, *, allow_removals: bool = False) -> int:
    """Validate knowledge/; on problems print them and return 1, else queue and summarise the changes."""
    limit = None if allow_removals else settings.updates.max_removals

    async def run() -> KnowledgeCheck:
        async with Store(settings.database) as store:
            return await check_knowledge(
                store, lambda: load_knowledge(settings.knowledge_dir, settings.knowledge_limits),
                max_removals=limit)

    try:
        check = asyncio.run(run())
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exitcodes.DATABASE
    if not check.ok:
        print("fact base rejected; nothing queued, the previous version keeps serving:", file=sys.stderr)
        print("\n".join(check.problems), file=sys.stderr)
        return 1
    _print_check(check)
    return 0


def plan_messages(
    rows: list[dict[str, object]], limit: int
) -> list[tuple[dict[str, object], str | None, list[str]]]:
    """Group pending rows into the digests the bot would send: (first row, nonce if fixed, texts)."""
    by_destination: dict[object, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        by_destination[row["subscription_id"]].append(row)
    messages: list[tuple[dict[str, object], str | None, list[str]]] = []
    for dest_rows in by_destination.values():
        open_batch = [r for r in dest_rows if r["batch"] is not None]
        if open_batch:
            texts = [str(r["text"]) for r in open_batch]
            nonce = open_batch[0]["nonce"]
            messages.append((open_batch[0], str(nonce) if nonce else None, texts))
        rest = [r for r in dest_rows if r["batch"] is None]
        for i in range(0, len(rest), limit):
            chunk = rest[i : i + limit]
            messages.append((chunk[0], None, [str(r["text"]) for r in chunk]))
    return messages


def show_updates(settings: Settings, dry_run: bool = False) -> int:
    """Print pending deliveries (with --dry-run: the exact messages, and changes a reload would queue)."""

    async def run() -> tuple[list[dict[str, object]], list, KnowledgeCheck | None]:
        async with Store(settings.database) as store:
            rows = await store.pending_outbox()
            feeds = await store.feed_states()
            preview = None
            if dry_run:
                preview = await check_knowledge(
                    store, lambda: load_knowledge(settings.knowledge_dir, settings.knowledge_limits),
                    record=False, max_removals=settings.updates.max_removals,
                )
            return rows, feeds, preview

    try:
        rows, feeds, preview = asyncio.run(run())
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exitcodes.DATABASE
    messages = plan_messages(rows, max(1, settings.updates.digest_limit))
    destinations = {row["subscription_id"] for row in rows}
    print(
        f"{len(rows)} pending delivery(ies) in {len(messages)} message(s) "
        f"to {len(destinations)} destination(s)" + (" (dry run: nothing is sent)" if dry_run else "")
    )
    for first, nonce, texts in messages:
        where = f"{first['kind']} {first['target_id']}"
        state = f" [paused: {first['paused_reason']}]" if first["paused_reason"] else ""
        retry = f" [attempt {first['attempts']}: {first['last_error']}]" if first["attempts"] else ""
        if first["maybe_sent_since_ts"] is not None:
            retry += " [may have been posted: checked before it is sent again]"
        if dry_run:
            label = f"nonce {nonce}" if nonce else "nonce chosen when sent"
            print(f"\n--- to {where}, {label}{state}{retry} ---\n{render_digest(texts, ref=nonce)}")
        else:
            print(f"  {where}: {len(texts)} update(s){state}{retry}")
    for feed in feeds:
        if feed.consecutive_failures:
            print(f"feed {feed.name!r} failing ({feed.consecutive_failures} in a row): {feed.last_error}")
    if preview is not None:
        if not preview.ok:
            print("\nknowledge/ is broken; a reload would be rejected:\n" + "\n".join(preview.problems))
        elif preview.plan and preview.plan.baseline:
            print(f"\na reload would record the baseline ({preview.facts} facts) without announcing")
        elif preview.plan and preview.plan.changes:
            print("\na reload would queue:")
            for change in preview.plan.changes:
                print(f"  {change.kind}: {change.item.text}")
    return 0
