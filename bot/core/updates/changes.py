"""Compare the fact base with the last announced snapshot: new, changed and removed facts."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from bot.core.answer import human_date
from bot.core.loader import KnowledgeError
from bot.core.model import Fact, KnowledgeBase, TariffRecord
from bot.core.text import clip
from bot.core.updates.records import (
    Change,
    ChangeKind,
    KnowledgePlan,
    QueueResult,
    Snapshot,
    UpdateItem,
    UpdateSource,
)

log = logging.getLogger(__name__)
_TARIFF_FIELDS = ("country", "sector", "kind", "rate_text", "status_text")
ANSWER_CHARS = 300  # how much of an answer an announcement quotes


@dataclass(slots=True)
class KnowledgeCheck:
    """The outcome of one check: rejected with problems, or a plan and what was queued."""

    problems: list[str] = field(default_factory=list)
    plan: KnowledgePlan | None = None
    queued: QueueResult = field(default_factory=QueueResult)
    facts: int = 0

    @property
    def ok(self) -> bool:
        """True when the fact base was valid."""
        return not self.problems


def render(fact: Fact, tariff: TariffRecord | None) -> dict[str, Any]:
    """The human-readable parts of a fact that an announcement quotes."""
    first = fact.citations[0].source if fact.citations else None
    return {
        "question": fact.question,
        "answer": fact.answer,
        "as_of": fact.as_of.isoformat(),
        "topics": list(fact.topics),
        "source": first.title if first else None,
        "tariff": {name: getattr(tariff, name) for name in _TARIFF_FIELDS} if tariff else None,
    }


def content_hash(fact: Fact, tariff: TariffRecord | None) -> str:
    """A stable hash of everything that makes the fact (and its tariff record) what it is."""
    record = (
        (tariff.rate, tariff.status, tariff.until, tariff.kind, tariff.country, tariff.sector, tariff.relief)
        if tariff
        else None
    )
    payload = json.dumps([fact.content(), record, sorted(fact.topics)], default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _label(tariff: dict[str, Any]) -> str:
    sector = f" ({tariff['sector']})" if tariff["kind"] == "sectoral" else ""
    return f"{tariff['country']}, {tariff['kind']} tariff{sector}"


def _state(tariff: dict[str, Any]) -> str:
    return f"{tariff['rate_text']} ({tariff['status_text']})"


def _when(r: dict[str, Any]) -> str:
    text = f"as of {human_date(date.fromisoformat(r['as_of']))}"
    return f"{text}, source {r['source']}" if r.get("source") else text


def describe(kind: ChangeKind, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    """What changed, in one line a person can read, starting with what kind of change it is."""
    if kind is ChangeKind.NEW and new:
        if new["tariff"]:
            return f"New: {_label(new['tariff'])}: {_state(new['tariff'])}, {_when(new)}"
        return f"New: {new['question']} {clip(new['answer'], ANSWER_CHARS)} ({_when(new)})"
    if kind is ChangeKind.REMOVED and old:
        if old["tariff"]:
            return f"Removed: {_label(old['tariff'])}: {_state(old['tariff'])} is no longer in the fact base"
        said = clip(old["answer"], 150)
        return f"Removed: {old['question']} (no longer in the fact base; it said: {said})"
    assert old and new
    if old["tariff"] and new["tariff"] and _state(old["tariff"]) != _state(new["tariff"]):
        change = f"{_state(old['tariff'])} -> {_state(new['tariff'])}"
        return f"Changed: {_label(new['tariff'])}: {change}, {_when(new)}"
    if old["answer"] != new["answer"]:
        return (
            f"Updated: {new['question']} {clip(new['answer'], ANSWER_CHARS)} "
            f"(was: {clip(old['answer'], 150)}; {_when(new)})"
        )
    return f"Updated: {new['question']} {clip(new['answer'], ANSWER_CHARS)} ({_when(new)})"


def plan_changes(kb: KnowledgeBase, baseline_recorded: bool, snapshot: dict[str, Snapshot]) -> KnowledgePlan:
    """Diff the fact base against the snapshot; without a baseline, record it silently."""
    tariffs = {t.id: t for t in kb.tariffs}
    plan = KnowledgePlan(baseline=not baseline_recorded)
    for fact_id, fact in kb.facts.items():
        tariff = tariffs.get(fact_id)
        digest = content_hash(fact, tariff)
        before = snapshot.get(fact_id)
        if before is not None and before.content_hash == digest:
            continue
        rendering = render(fact, tariff)
        plan.upserts[fact_id] = (digest, json.dumps(rendering, ensure_ascii=False))
        if plan.baseline:
            continue
        kind = ChangeKind.NEW if before is None else ChangeKind.CHANGED
        old = before.rendering if before else None
        topics = tuple(dict.fromkeys([*(old["topics"] if old else []), *fact.topics]))
        was = f"{before.content_hash}@{before.recorded_at}" if before else "-"
        key = f"knowledge:{fact_id}:{was}:{digest}"
        item = UpdateItem(UpdateSource.KNOWLEDGE, key, topics, describe(kind, old, rendering))
        plan.changes.append(Change(kind, fact_id, item))
    for fact_id, before in snapshot.items():
        if fact_id in kb.facts:
            continue
        plan.removed.append(fact_id)
        if not plan.baseline:
            key = f"knowledge:{fact_id}:{before.content_hash}@{before.recorded_at}:removed"
            text = describe(ChangeKind.REMOVED, before.rendering, None)
            topics = tuple(before.rendering.get("topics") or ())
            item = UpdateItem(UpdateSource.KNOWLEDGE, key, topics, text)
            plan.changes.append(Change(ChangeKind.REMOVED, fact_id, item))
    return plan


class RemovalsRefused(Exception):
    """The plan would remove more facts than allowed at once (an empty, missing or cut file?)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def guard_removals(plan: KnowledgePlan, max_removals: int | None) -> KnowledgePlan:
    """Refuse a plan removing more than `max_removals` facts (None: any number is allowed)."""
    if max_removals is not None and not plan.baseline and len(plan.removed) > max_removals:
        shown = ", ".join(sorted(plan.removed)[:5]) + (", ..." if len(plan.removed) > 5 else "")
        raise RemovalsRefused(
            f"knowledge: removals: {len(plan.removed)} facts would be removed ({shown}), more than "
            f"{max_removals} at once; was a file emptied, cut or deleted? If this is intended, "
            "reload with `tariffbot reload --allow-removals` (or the owner's /reload allow_removals:True)"
        )
    return plan


class SnapshotStore(Protocol):
    """What the knowledge check needs of the store."""

    async def knowledge_snapshot(self) -> tuple[bool, dict[str, Snapshot]]:
        """Whether a baseline was recorded, and the last announced version of every fact."""
        ...

    async def apply_knowledge_plan(
        self, plan_for: Callable[[bool, dict[str, Snapshot]], KnowledgePlan], fingerprint: str = ""
    ) -> tuple[KnowledgePlan, QueueResult]:
        """Plan against the snapshot, move it forward and queue the changes, in one transaction."""
        ...


async def check_knowledge(
    store: SnapshotStore,
    load: Callable[[], KnowledgeBase],
    *,
    serve: Callable[[KnowledgeBase], Callable[[], None]] | None = None,
    record: bool = True,
    max_removals: int | None = None,
) -> KnowledgeCheck:
    """Validate the fact base; if valid, queue what changed since the last announcement (one transaction).

    With `serve`, the new fact base is served before its announcements are committed (and the old one
    restored if they are not), so no update goes out about facts the bot does not answer from yet.
    """
    try:
        kb = await asyncio.to_thread(load)  # parsing and indexing must not hold the event loop
    except KnowledgeError as exc:
        log.warning("fact base rejected, the previous one keeps serving:\n%s", "\n".join(exc.problems))
        return KnowledgeCheck(problems=list(exc.problems))
    try:
        baseline, snapshot = await store.knowledge_snapshot()
        preview = guard_removals(plan_changes(kb, baseline, snapshot), max_removals)
    except RemovalsRefused as exc:
        log.warning("fact base refused, the previous one keeps serving: %s", exc.problem)
        return KnowledgeCheck(problems=[exc.problem])
    if not record:
        return KnowledgeCheck(plan=preview, facts=len(kb.facts))
    undo = serve(kb) if serve is not None else None
    try:
        plan, queued = await store.apply_knowledge_plan(
            lambda b, s: guard_removals(plan_changes(kb, b, s), max_removals),
            kb.fingerprint,
        )
    except RemovalsRefused as exc:
        if undo is not None:
            undo()
        return KnowledgeCheck(problems=[exc.problem])
    except BaseException:
        if undo is not None:
            undo()
        raise
    if plan.baseline:
        log.info("fact base baseline recorded: %d facts (nothing announced)", len(kb.facts))
    elif plan.changes:
        log.info(
            "fact base changed: %d change(s), %d delivery(ies) queued", len(plan.changes), queued.deliveries
        )
    return KnowledgeCheck(plan=plan, queued=queued, facts=len(kb.facts))
