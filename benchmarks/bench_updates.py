"""Delivery throughput: 1,000 subscribed channels x 100 updates, from the outbox to the REST recorder.

Run: .venv/bin/python benchmarks/bench_updates.py [--channels N] [--updates N] [--digest-limit N]
Prints the seconds of bot-side work (wall and CPU; Discord is the in-process recorder of tests/helpers.py,
so there is no network time), messages sent, deliveries, and peak memory (RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.model import TOPICS
from bot.core.updates.records import UpdateItem
from tests.helpers import GUILD_ID, USER_ID, bot_settings, started

log = logging.getLogger(__name__)


def rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def bench(channels: int, updates: int, digest_limit: int) -> int:
    """Set up subscribers and updates, then time one full drain of the outbox."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = bot_settings(Path(tmp))
        settings = replace(settings, updates=replace(settings.updates, digest_limit=digest_limit))
        harness = await started(settings)
        try:
            cog = harness.bot.get_cog("Updates")
            for loop in cog.loops:
                loop.cancel()
            store = harness.bot.store
            start = time.perf_counter()
            for i in range(channels):
                await store.subscribe("channel", 2_000_000_000_000_000_000 + i, GUILD_ID, USER_ID, TOPICS)
            setup = time.perf_counter() - start
            start = time.perf_counter()
            queued = await store.queue_updates(
                [UpdateItem("knowledge", f"bench:{n}", ("tariffs",),
                            f"Japan, reciprocal tariff: 24% (paused) -> {n}% (in force), as of 2 May 2025")
                 for n in range(updates)])
            fan_out = time.perf_counter() - start
            harness.recorder.clear()
            rss_before = rss_mib()
            wall, cpu = time.perf_counter(), time.process_time()
            report = await cog.outbox.drain()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            posted = [s for s in harness.recorder.sent if s.method == "POST" and s.path.endswith("/messages")]
            counts = await store.outbox_counts()
        finally:
            await harness.stop()
    print(f"subscribed channels:        {channels} (setup {setup:.2f} s)")
    print(f"updates queued:             {queued.updates} -> {queued.deliveries} outbox rows "
          f"in one transaction ({fan_out:.2f} s)")
    print(f"digest limit:               {digest_limit}")
    print(f"delivery (outbox->Discord): {wall:.2f} s wall, {cpu:.2f} s CPU  (target < 10 s)")
    print(f"messages sent:              {report.messages} (recorder saw {len(posted)}), "
          f"deliveries {report.deliveries}, {report.messages / wall:.0f} messages/s")
    print(f"outbox after:               {counts}")
    print(f"peak memory (RSS):          {rss_mib():.0f} MiB (before delivery {rss_before:.0f} MiB)")
    ok = counts == {"sent": queued.deliveries} and len(posted) == report.messages and wall < 10
    return 0 if ok else 1


def main() -> int:
    """Parse options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--digest-limit", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(bench(args.channels, args.updates, args.digest_limit))


if __name__ == "__main__":
    raise SystemExit(main())
