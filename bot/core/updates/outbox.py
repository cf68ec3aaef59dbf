"""Drain the outbox: each digest is marked the moment Discord accepts it, and never sent twice.

The rules, per digest (one message to one destination):
- before sending, the attempt is recorded (`begin_attempts`): from then on a crash or timeout leaves the
  digest "maybe sent";
- a maybe-sent digest is re-sent with the same nonce while Discord's nonce check still covers it
  (`nonce_window`); past that, the destination's recent messages are searched for its fingerprint
  (`finder`) first, and it is marked sent when found;
- accepted means marked at once; if the database cannot record it, sending stops (backoff, `health`)
  until the mark is written: nothing accepted is ever sent again;
- every send has a timeout and runs beside the others, so one slow or failing destination delays none.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.clock import Clock
from bot.core.logonce import ErrorLog
from bot.core.ratelimit import BULK, Pacer
from bot.core.store import StoreError
from bot.core.updates.group import GroupWriter
from bot.core.updates.messages import render_digest
from bot.core.updates.records import Attempt, Batch, ChannelType, Claim, Deferral, Mark

log = logging.getLogger(__name__)
LEASE_MARGIN = 1.0  # seconds a digest stays held past its request timeout (its turn in the pace: < 1 s)


class SendRetryable(Exception):
    """Discord (or the network) failed for now: try again later.

    `maybe_sent` is False only when the request certainly created no message (429, connection refused);
    `retry_after` is Discord's own delay, when it gave one.
    """

    def __init__(self, message: str, *, maybe_sent: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent
        self.retry_after = retry_after


class DestinationGone(Exception):
    """Discord refused the destination for good (403 / 404): pause its subscription."""


class SendRejected(Exception):
    """Discord rejected this message (another 4xx): retried a few times, then given up."""


class DeliveryStore(Protocol):
    """What the outbox needs of the store."""

    async def claim_batches(self, limit: int, now_ts: float, max_batches: int = 1000,
                            exclude: tuple[int, ...] = ()) -> Claim:
        """Bundle pending rows into digests and return the due ones."""
        ...

    async def begin_attempts(self, attempts: Sequence[Attempt]) -> None:
        """Record that sends are about to start."""
        ...

    async def mark_sent(self, marks: Sequence[Mark]) -> None:
        """Record digests Discord accepted."""
        ...

    async def defer_batches(self, deferrals: Sequence[Deferral]) -> None:
        """Record failed attempts."""
        ...

    async def pause_subscription(self, subscription_id: int, reason: str) -> bool:
        """Stop delivering to a refused destination."""
        ...


Sender = Callable[[Batch, str], Awaitable[int | None]]
# Finds the digest's message among the destination's recent messages from the bot (after a time): its id.
Finder = Callable[[Batch, float], Awaitable[int | None]]


@dataclass(slots=True)
class DeliveryReport:
    """What one drain did."""

    messages: int = 0
    deliveries: int = 0
    retried: int = 0
    failed: int = 0
    found: int = 0  # maybe-sent digests found already posted (marked, not sent again)
    paused: list[tuple[int, str]] = field(default_factory=list)
    blocked: str | None = None  # why sending stopped (the database cannot record), if it did


class Outbox:
    """Delivers pending digests: at most `concurrency` sends at once, each within `request_timeout`."""

    def __init__(
        self,
        store: DeliveryStore,
        sender: Sender,
        *,
        finder: Finder | None = None,
        digest_limit: int = 10,
        clock: Clock = time.time,
        concurrency: int = 8,
        chunk: int = 200,
        base_delay: float = 5.0,
        max_delay: float = 3600.0,
        max_rejections: int = 5,
        request_timeout: float = 20.0,
        nonce_window: float = 60.0,
        ready: Callable[[str | None], Awaitable[bool]] | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.finder = finder
        self.digest_limit = max(1, digest_limit)
        self.clock = clock
        self.concurrency = max(1, concurrency)
        self.chunk = max(1, chunk)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_rejections = max_rejections
        self.request_timeout = request_timeout
        self.nonce_window = nonce_window
        self.ready = ready
        self.pacer = pacer  # each send takes its turn before its request timeout starts
        self.errors = ErrorLog(log)
        self.health: str | None = None  # None while delivery works; else why it is held
        self._draining = asyncio.Lock()  # one drain at a time, so a digest is never sent twice at once
        self._unrecorded: dict[int, Mark] = {}  # accepted by Discord, not yet marked: by batch
        self._store_failures = 0
        self._held_until = 0.0
        self._stop = False
        self._closing = False  # the process is stopping: no new digest is claimed or sent
        # concurrent sends share their transactions (group commit); nothing waits for company
        self._begin: GroupWriter[Attempt] = GroupWriter(self.store.begin_attempts)
        self._mark: GroupWriter[Mark] = GroupWriter(lambda marks: self.store.mark_sent(marks))

    def close(self) -> None:
        """Claim and start no more sends (the process is stopping); sends under way go on."""
        self._closing = True

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt after `attempts` failures (exponential, capped)."""
        return min(self.max_delay, self.base_delay * 2.0 ** max(0, attempts - 1))

    async def drain(self) -> DeliveryReport:
        """Send every due digest; failures are rescheduled, refused destinations paused."""
        async with self._draining:
            report = DeliveryReport()
            self._stop = False
            if self.clock() < self._held_until or not await self._flush_unrecorded(report):
                report.blocked = self.health
                return report
            await self._drain(report)
            report.blocked = self.health if self._stop else None
            return report

    async def _drain(self, report: DeliveryReport) -> None:
        running: dict[asyncio.Task[None], int] = {}
        queue: list[Batch] = []
        try:
            while True:
                stopped = self._stop or self._closing
                if not queue and not stopped:
                    queue = await self._claim(tuple(running.values()))
                while queue and len(running) < self.concurrency and not (self._stop or self._closing):
                    batch = queue.pop(0)
                    running[asyncio.create_task(self._deliver(batch, report))] = batch.id
                if not running:
                    return
                # wake on the first finished send, or every second to pick up newly due digests
                done, _ = await asyncio.wait(running, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    running.pop(task)
                    task.result()
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _claim(self, exclude: tuple[int, ...]) -> list[Batch]:
        try:
            claim = await self.store.claim_batches(self.digest_limit, self.clock(), self.chunk, exclude)
        except StoreError as exc:
            self._store_failed(exc)
            return []
        self._store_ok()
        if claim.batches and self.ready is not None and not await self.ready(claim.knowledge_fingerprint):
            self._stop = True  # the fact base the updates describe is not served yet: next time
            return []
        return claim.batches

    async def _deliver(self, batch: Batch, report: DeliveryReport) -> None:
        """One digest: check if it may be posted already, record the attempt, send, mark or reschedule."""
        BULK.set(True)  # its requests wait behind replies for their turn (this task's context only)
        now = self.clock()
        fresh = False
        # a forum post takes no nonce: a digest that may have been posted there is always looked for first
        window = 0.0 if batch.channel_type is ChannelType.FORUM else self.nonce_window
        since = batch.maybe_sent_since
        if since is not None and now + self.request_timeout >= since + window:
            # an earlier attempt may have been posted and Discord's nonce check no longer covers it
            try:
                found = await self._timed(self._find(batch))
            except DestinationGone as exc:
                await self._pause(batch, report, str(exc), fresh)
                return
            except Exception as exc:  # any failure to look: look again later
                await self._defer(batch, report, exc, maybe_sent=True)
                return
            if found is not None:
                report.found += 1
                log.info("digest %d to %s %d was already posted (message %d); marked sent",
                         batch.id, batch.kind, batch.target_id, found)
                await self._record(batch, found, report)
                return
            fresh = True
        try:
            lease = now + self.request_timeout + LEASE_MARGIN
            await self._begin.submit(Attempt(batch.id, now, lease, fresh))
        except StoreError as exc:
            self._store_failed(exc)
            return
        content = render_digest(batch.texts, ref=batch.nonce)
        if self.pacer is not None:
            # the turn is taken last, just before the request: the sends a group commit released together
            # still leave one by one; and outside the request's timeout
            await self.pacer.prepay()
        try:
            message_id = await self._timed(self.sender(batch, content))
        except DestinationGone as exc:
            await self._pause(batch, report, str(exc), fresh)
        except SendRejected as exc:
            await self._defer(batch, report, exc, maybe_sent=False, rejected=True, fresh=fresh)
        except SendRetryable as exc:
            await self._defer(batch, report, exc, maybe_sent=exc.maybe_sent, retry_after=exc.retry_after,
                              fresh=fresh)
        except Exception as exc:
            await self._defer(batch, report, exc, maybe_sent=True)
        else:
            await self._record(batch, message_id, report)

    async def _find(self, batch: Batch) -> int | None:
        if self.finder is None:
            return None
        assert batch.maybe_sent_since is not None
        return await self.finder(batch, batch.maybe_sent_since)

    async def _timed(self, work: Awaitable[int | None]) -> int | None:
        try:
            async with asyncio.timeout(self.request_timeout):
                return await work
        except TimeoutError:
            raise TimeoutError(f"no answer within {self.request_timeout:g} s") from None

    async def _record(self, batch: Batch, message_id: int | None, report: DeliveryReport) -> None:
        """Discord accepted the digest: mark it now; if that fails, hold every send until it is recorded."""
        report.messages += 1
        report.deliveries += len(batch.row_ids)
        mark = Mark(batch.id, message_id)
        try:
            await self._mark.submit(mark)
        except StoreError as exc:
            self._unrecorded[batch.id] = mark
            self._store_failed(exc)

    async def _flush_unrecorded(self, report: DeliveryReport) -> bool:
        """Write the marks a failing database could not take; True when none is left (sending may go on)."""
        if self._unrecorded:
            try:
                await self.store.mark_sent(list(self._unrecorded.values()))
            except StoreError as exc:
                self._store_failed(exc)
                return False
            log.warning("recorded %d delivered digest(s) the database could not take before",
                        len(self._unrecorded))
            self._unrecorded.clear()
            self._store_ok()
        return True

    def _store_ok(self) -> None:
        """A write went through: if delivery was held, it resumes."""
        if self._store_failures:
            log.warning("the database records deliveries again; sending resumes")
            self.errors.resolved("delivery held")
        self._store_failures, self.health = 0, None

    def _store_failed(self, exc: Exception) -> None:
        """Stop sending: back off, and say why in `health` and (once per interval) in the log."""
        self._stop = True
        self._store_failures += 1
        delay = min(self.max_delay, self.base_delay * 2 ** min(self._store_failures - 1, 20))
        self._held_until = self.clock() + delay
        unrecorded = f"; {len(self._unrecorded)} delivered digest(s) wait to be recorded" \
            if self._unrecorded else ""
        self.health = f"delivery held: the database cannot record deliveries ({exc}){unrecorded}"
        self.errors.report(logging.ERROR, self.health, exc=exc)

    async def _pause(self, batch: Batch, report: DeliveryReport, reason: str, fresh: bool) -> None:
        not_sent = batch.maybe_sent_since is None or fresh  # a refusal posts nothing: free the digest
        try:
            release = Deferral(batch.id, batch.attempts, self.clock(), reason, not_sent=not_sent)
            await self.store.defer_batches([release])
            paused = await self.store.pause_subscription(batch.subscription_id, reason)
        except StoreError as exc:
            self._store_failed(exc)
            return
        if paused:
            log.warning("paused subscription %d (%s %d): %s", batch.subscription_id, batch.kind,
                        batch.target_id, reason)
            report.paused.append((batch.subscription_id, reason))

    async def _defer(self, batch: Batch, report: DeliveryReport, exc: Exception, *, maybe_sent: bool,
                     rejected: bool = False, retry_after: float | None = None, fresh: bool = False) -> None:
        """Reschedule a failed digest; only a certain non-delivery clears its maybe-sent mark."""
        error = str(exc) or type(exc).__name__
        attempts = batch.attempts + 1
        give_up = rejected and attempts >= self.max_rejections
        delay = max(self.backoff(attempts), retry_after or 0.0)
        not_sent = not maybe_sent and (batch.maybe_sent_since is None or fresh)
        try:
            next_ts = self.clock() + delay
            await self.store.defer_batches([Deferral(batch.id, attempts, next_ts, error, give_up, not_sent)])
        except StoreError as store_exc:
            self._store_failed(store_exc)
            return
        where = f"{batch.kind} {batch.target_id}"
        if give_up:
            report.failed += 1
            log.error("gave up on digest %d to %s after %d attempts: %s", batch.id, where, attempts, error)
        else:
            report.retried += 1
            self.errors.report(logging.WARNING, f"delivery to {where} failed, retrying: {error}")
