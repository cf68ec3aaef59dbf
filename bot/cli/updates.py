"""`tariffbot reload` and `tariffbot updates [--dry-run]`: fact-base announcements and pending deliveries."""

from __future__ import annotations

import logging
import sys

from bot.config import Settings
from bot.core.loader import load_knowledge
from bot.core.model import KnowledgeBase
from bot.core.store import Store
from bot.core.updates.changes import KnowledgeCheck, check_knowledge
from bot.core.updates.messages import render_digest
from bot.core.updates.records import Batch, Change, DeliveryPlan, FeedState
from bot.stopping import run_async

log = logging.getLogger(__name__)


def _loader(settings: Settings) -> KnowledgeBase:
    return load_knowledge(settings.knowledge_dir, settings.knowledge_limits)


def _changes(changes: list[Change]) -> list[str]:
    return [f"  {change.item.text}" for change in changes]  # the text says its kind ('New: ...')


def _print_check(check: KnowledgeCheck) -> None:
    plan = check.plan
    assert plan is not None
    if plan.baseline:
        print(f"baseline recorded: {check.facts} facts; nothing announced (first run)")
    elif not plan.changes:
        print(f"no changes since the last announcement ({check.facts} facts)")
    else:
        print(f"{len(plan.changes)} change(s), {check.queued.deliveries} delivery(ies) queued:")
        print("\n".join(_changes(plan.changes)))


def reload(settings: Settings, *, allow_removals: bool = False) -> int:
    """Validate knowledge/; on problems print them and return 1, else queue and summarise the changes."""
    limit = None if allow_removals else settings.updates.max_removals

    async def run() -> KnowledgeCheck:
        async with Store(settings.database) as store:
            return await check_knowledge(store, lambda: _loader(settings), max_removals=limit)

    check = run_async(run())
    if not check.ok:
        print("fact base rejected; nothing queued, the previous version keeps serving:", file=sys.stderr)
        print("\n".join(check.problems), file=sys.stderr)
        return 1
    _print_check(check)
    return 0


def _retry_note(batch: Batch) -> str:
    note = f" [attempt {batch.attempts}: {batch.last_error}]" if batch.attempts else ""
    if batch.maybe_sent_since is not None:
        note += " [may have been posted: checked before it is sent again]"
    return note


def print_plan(plan: DeliveryPlan, *, dry_run: bool) -> None:
    """The digests delivery would send (with --dry-run: the exact messages), then what paused ones hold."""
    destinations = {d.batch.subscription_id for d in plan.digests}
    print(
        f"{plan.deliveries} pending delivery(ies) in {len(plan.digests)} message(s) "
        f"to {len(destinations)} destination(s)" + (" (dry run: nothing is sent)" if dry_run else "")
    )
    for digest in plan.digests:
        batch = digest.batch
        where = f"{batch.kind} {batch.target_id}"
        if dry_run:
            nonce = batch.nonce if digest.fixed else None
            label = f"nonce {nonce}" if nonce else "nonce chosen when sent"
            print(f"\n--- to {where}, {label}{_retry_note(batch)} ---")
            print(render_digest(batch.texts, ref=nonce))
        else:
            print(f"  {where}: {len(batch.texts)} update(s){_retry_note(batch)}")
    if plan.held:
        print(f"\n{sum(h.updates for h in plan.held)} delivery(ies) held for {len(plan.held)} paused "
              "destination(s), sent once they subscribe again:")
    for held in plan.held:
        sub = held.subscription
        print(f"  {sub.kind} {sub.target_id}: {held.updates} update(s) [paused: {sub.paused_reason}]")


def _print_failing(feeds: list[FeedState]) -> None:
    for feed in feeds:
        if feed.consecutive_failures:
            print(f"feed {feed.name!r} failing ({feed.consecutive_failures} in a row): {feed.last_error}")


def _print_preview(preview: KnowledgeCheck) -> None:
    if not preview.ok:
        print("\nknowledge/ is broken; a reload would be rejected:\n" + "\n".join(preview.problems))
    elif preview.plan and preview.plan.baseline:
        print(f"\na reload would record the baseline ({preview.facts} facts) without announcing")
    elif preview.plan and preview.plan.changes:
        print("\na reload would queue:\n" + "\n".join(_changes(preview.plan.changes)))


def show_updates(settings: Settings, dry_run: bool = False) -> int:
    """Print pending deliveries as delivery would send them (with --dry-run: the exact messages, and the
    changes a reload would queue)."""

    async def run() -> tuple[DeliveryPlan, list[FeedState], KnowledgeCheck | None]:
        async with Store(settings.database) as store:
            plan = await store.plan_delivery(settings.updates.digest_limit)
            feeds = await store.feed_states()
            preview = None
            if dry_run:
                preview = await check_knowledge(store, lambda: _loader(settings), record=False,
                                                max_removals=settings.updates.max_removals)
            return plan, feeds, preview

    plan, feeds, preview = run_async(run())
    print_plan(plan, dry_run=dry_run)
    _print_failing(feeds)
    if preview is not None:
        _print_preview(preview)
    return 0
