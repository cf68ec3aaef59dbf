"""The outbox, Discord-free: digests, nonces, retries with backoff, pausing, and a crash before marking."""

from __future__ import annotations

import pytest

from bot.core.model import TOPICS
from bot.core.updates.messages import render_digest
from bot.core.updates.outbox import DestinationGone, Outbox, SendRejected, SendRetryable
from bot.core.updates.records import UpdateItem
from tests.updates_support import Clock, FakeSender, open_store


def item(n: int, topics: tuple[str, ...] = ("tariffs",)) -> UpdateItem:
    return UpdateItem("knowledge", f"test:{n}", topics, f"update number {n}")


@pytest.fixture
async def store(tmp_path):
    s = await open_store(tmp_path / "outbox.sqlite3")
    yield s
    await s.close()


async def test_every_pair_is_queued_in_one_transaction_and_bundled_into_digests(store):
    for target in (1, 2):
        await store.subscribe("channel", target, 10, 5, TOPICS)
    queued = await store.queue_updates([item(n) for n in range(25)])
    assert (queued.updates, queued.deliveries) == (25, 50)
    assert (await store.queue_updates([item(3)])).duplicates == 1  # same dedupe key: not queued again
    sender = FakeSender()
    report = await Outbox(store, sender, digest_limit=10, clock=Clock()).drain()
    assert (report.messages, report.deliveries) == (6, 50)
    for target in (1, 2):
        mine = [(nonce, content) for _, t, nonce, content in sender.sent if t == target]
        assert [c.count("• update number") for _, c in mine] == [10, 10, 5]
        numbers = [int(line.rsplit(" ", 1)[1]) for _, c in mine for line in c.splitlines()[1:-1]]
        assert numbers == list(range(25))
    nonces = [nonce for *_, nonce, _ in sender.sent]
    assert len(set(nonces)) == 6
    assert await store.outbox_counts() == {"sent": 50}
    assert await Outbox(store, sender, clock=Clock()).drain() == type(report)()  # nothing left


async def test_a_failed_queue_transaction_leaves_nothing(store):
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    bad = UpdateItem("bogus-source", "x", ("tariffs",), "violates the CHECK constraint")
    with pytest.raises(Exception, match="CHECK"):
        await store.queue_updates([item(1), bad])
    assert await store.outbox_counts() == {}


async def test_429_and_5xx_are_retried_with_backoff(store):
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    await store.queue_updates([item(1)])
    sender, clock = FakeSender(), Clock()
    sender.failures[1] = [SendRetryable("HTTP 429"), SendRetryable("HTTP 503")]
    outbox = Outbox(store, sender, clock=clock, base_delay=5)
    assert (await outbox.drain()).retried == 1
    assert (await outbox.drain()).messages == 0  # not due yet
    clock.advance(5)
    assert (await outbox.drain()).retried == 1
    clock.advance(9)
    assert (await outbox.drain()).messages == 0  # the second wait is twice as long
    clock.advance(1)
    assert (await outbox.drain()).messages == 1
    assert len({nonce for *_, nonce, _ in sender.sent}) == 1 and await store.outbox_counts() == {"sent": 1}


async def test_403_404_pause_the_subscription_with_the_reason_and_resubscribing_resumes(store):
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    await store.subscribe("channel", 2, 10, 5, TOPICS)
    await store.queue_updates([item(1)])
    sender = FakeSender()
    sender.failures[1] = [DestinationGone("403 Forbidden - missing permissions")]
    report = await Outbox(store, sender, clock=Clock()).drain()
    assert report.messages == 1 and [t for _, t, _, _ in sender.sent] == [2]
    paused = await store.subscription("channel", 1)
    assert paused.paused_reason == "403 Forbidden - missing permissions" and paused.paused_at
    await store.queue_updates([item(2)])  # paused destinations get no new rows
    assert (await Outbox(store, sender, clock=Clock()).drain()).deliveries == 1
    await store.subscribe("channel", 1, 10, 5, TOPICS)  # resume: the held row goes out
    report = await Outbox(store, sender, clock=Clock()).drain()
    assert report.deliveries == 1 and sender.sent[-1][1] == 1 and "update number 1" in sender.sent[-1][3]


async def test_other_rejections_give_up_after_a_few_attempts(store):
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    await store.queue_updates([item(1)])
    sender, clock = FakeSender(), Clock()
    sender.failures[1] = [SendRejected("HTTP 400: bad")] * 3
    outbox = Outbox(store, sender, clock=clock, max_rejections=3, base_delay=1)
    reports = []
    for _ in range(3):
        reports.append(await outbox.drain())
        clock.advance(100)
    assert [r.failed for r in reports] == [0, 0, 1]
    assert await store.outbox_counts() == {"failed": 1}


class Crash(BaseException):
    """Stands in for the process dying."""


async def test_crash_between_send_and_mark_resends_the_same_digest_with_the_same_nonce(tmp_path):
    path = tmp_path / "crash.sqlite3"
    store = await open_store(path)
    for target in range(1, 4):
        await store.subscribe("channel", target, 10, 5, TOPICS)
    await store.queue_updates([item(n) for n in range(4)])
    sender = FakeSender()

    async def die(*args, **kwargs):
        raise Crash

    store.mark_sent = die  # Discord accepted the message, then the process died before marking it
    with pytest.raises(Crash):
        await Outbox(store, sender, digest_limit=3, clock=Clock()).drain()
    await store.close()
    assert 1 <= len(sender.sent) <= 3  # marked one by one: the crash comes with the first accepted digest

    store = await open_store(path)  # restart
    await store.queue_updates([item(9)])  # more news arrives in between: it must not join the digest
    try:
        clock = Clock()
        clock.advance(30)  # past the crashed attempts' lease, inside the nonce window: same nonce again
        await Outbox(store, sender, digest_limit=3, clock=clock).drain()
        assert await store.outbox_counts() == {"sent": 15}
    finally:
        await store.close()
    # Discord keeps one message per (channel, nonce) (enforce_nonce): resends must be identical.
    delivered: dict[tuple[int, int], str] = {}
    for _, target, nonce, content in sender.sent:
        assert delivered.setdefault((target, nonce), content) == content
    for target in range(1, 4):
        numbers = sorted(int(line.rsplit(" ", 1)[1]) for (t, _), c in delivered.items() if t == target
                         for line in c.splitlines() if "update number" in line)
        assert numbers == [0, 1, 2, 3, 9]


def planned(plan) -> list[tuple[int, str]]:
    """(target, message) of every planned digest; the ref line only where the nonce is fixed already."""
    return [(d.batch.target_id, render_digest(d.batch.texts, ref=d.batch.nonce if d.fixed else None))
            for d in plan.digests]


async def test_the_preview_is_what_delivery_sends_and_changes_nothing(store):
    for target in (1, 2, 3):
        await store.subscribe("channel", target, 10, 5, TOPICS)
    await store.queue_updates([item(n) for n in range(23)])
    await store.pause_subscription((await store.subscription("channel", 3)).id, "403 Forbidden")
    claim = await store.claim_batches(10, Clock()(), 1)  # digests fixed (with their nonces), one claimed
    plan = await store.plan_delivery(10)
    assert planned(plan) == planned(await store.plan_delivery(10))  # rolled back: the same plan again
    assert await store.outbox_counts() == {"pending": 69}
    assert [(d.batch.target_id, len(d.batch.texts), d.fixed) for d in plan.digests] == [
        (1, 10, True), (1, 10, False), (1, 3, False), (2, 10, True), (2, 10, False), (2, 3, False)]
    assert plan.digests[0].batch.nonce == claim.batches[0].nonce
    assert [(h.subscription.target_id, h.updates, h.subscription.paused_reason) for h in plan.held] == [
        (3, 23, "403 Forbidden")]
    sender = FakeSender()
    await Outbox(store, sender, digest_limit=10, clock=Clock()).drain()
    fixed = {d.batch.nonce for d in plan.digests if d.fixed}
    sent = [(target, content if nonce in fixed else content.rsplit("\n", 1)[0])
            for _, target, nonce, content in sorted(sender.sent, key=lambda s: s[1])]
    assert sent == planned(plan)  # the same digests in the same order, the fixed ones with their nonces
