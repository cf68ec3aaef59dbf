"""Drain the outbox: bundle digests, send through an injected sender, mark sent only after acceptance."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.core.store import utc_now
from bot.core.updates.messages import render_digest
from bot.core.updates.records import Batch

log = logging.getLogger(__name__)


class SendRetryable(Exception):
    """Discord (or the network) failed for now: 429, 5xx, timeouts. Try again later."""


class DestinationGone(Exception):
    """Discord refused the destination for good (403 / 404): pause its subscription."""


class SendRejected(Exception):
    """Discord rejected this message (another 4xx): retried a few times, then given up."""


Sender = Callable[[Batch, str], Awaitable[int | None]]


@dataclass(slots=True)
class DeliveryReport:
    """What one drain did."""

    messages: int = 0
    deliveries: int = 0
    retried: int = 0
    failed: int = 0
    paused: list[tuple[int, str]] = field(default_factory=list)


class Outbox:
    """Delivers pending digests: at most `concurrency` sends at once, `chunk` digests per round."""

    def __init__(
        self,
        store,
        sender: Sender,
        *,
        digest_limit: int = 10,
        clock: Callable[[], float] = time.time,
        concurrency: int = 8,
        chunk: int = 200,
        base_delay: float = 5.0,
        max_delay: float = 3600.0,
        max_rejections: int = 5,
    ) -> None:
        self.store = store
        self.sender = sender
        self.digest_limit = max(1, digest_limit)
        self.clock = clock
        self.chunk = chunk
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_rejections = max_rejections
        self._slots = asyncio.Semaphore(concurrency)
        self._draining = asyncio.Lock()  # one drain at a time, so a digest is never sent twice at once

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt after `attempts` failures (exponential, capped)."""
        return min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1))

    async def _send(self, batch: Batch) -> tuple[str, int | None, str]:
        async with self._slots:
            try:
                return "sent", await self.sender(batch, render_digest(batch.texts)), ""
            except DestinationGone as exc:
                return "gone", None, str(exc)
            except SendRejected as exc:
                return "rejected", None, str(exc)
            except (SendRetryable, OSError, TimeoutError) as exc:
                return "retry", None, str(exc) or type(exc).__name__

    async def drain(self) -> DeliveryReport:
        """Send every due digest; failures are rescheduled, refused destinations paused."""
        async with self._draining:
            return await self._drain()

    async def _drain(self) -> DeliveryReport:
        report = DeliveryReport()
        while batches := await self.store.claim_batches(self.digest_limit, self.clock(), self.chunk):
            results = await asyncio.gather(*(self._send(batch) for batch in batches))
            now_ts, now = self.clock(), utc_now()
            sent, deferred = [], []
            for batch, (outcome, message_id, error) in zip(batches, results, strict=True):
                if outcome == "sent":
                    sent.append((batch.nonce, message_id))
                    report.messages += 1
                    report.deliveries += len(batch.row_ids)
                elif outcome == "gone":
                    if await self.store.pause_subscription(batch.subscription_id, error, now):
                        log.warning(
                            "paused subscription %d (%s %d): %s",
                            batch.subscription_id,
                            batch.kind,
                            batch.target_id,
                            error,
                        )
                        report.paused.append((batch.subscription_id, error))
                else:
                    attempts = batch.attempts + 1
                    give_up = outcome == "rejected" and attempts >= self.max_rejections
                    deferred.append((batch.nonce, attempts, now_ts + self.backoff(attempts), error, give_up))
                    if give_up:
                        report.failed += 1
                        log.error(
                            "gave up on digest %d to %s %d after %d attempts: %s",
                            batch.nonce,
                            batch.kind,
                            batch.target_id,
                            attempts,
                            error,
                        )
                    else:
                        report.retried += 1
                        log.warning(
                            "digest %d to %s %d failed (attempt %d), retrying: %s",
                            batch.nonce,
                            batch.kind,
                            batch.target_id,
                            attempts,
                            error,
                        )
            if sent:
                await self.store.mark_sent(sent, now)
            if deferred:
                await self.store.defer_batches(deferred)
        return report
