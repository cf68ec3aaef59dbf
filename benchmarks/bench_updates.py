"""Delivery throughput, two ways.

CPU only (default): 1,000 subscribed channels x 100 updates, from the outbox to the in-process REST
recorder of tests/helpers.py (no network, no rate limit): the bot's own work, wall and CPU seconds.

Realistic (--realistic): discord.py's real HTTP client against a local aiohttp server on 127.0.0.1
(tests/fake_discord.py) that enforces Discord's limits (global 50 requests/s, 5 messages per 5 s per
channel) and answers after --latency s. Prints the wall time beside the theoretical bound those limits
and the bot's pace set, messages per second, and the 429s drawn. --pace 0 sends as before (no pace,
8 at once).

Run: .venv/bin/python benchmarks/bench_updates.py [--channels N] [--updates N] [--digest-limit N]
     .venv/bin/python benchmarks/bench_updates.py --realistic [--channels 1000] [--updates 1]
         [--latency 0.1] [--pace 48]
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

from discord.http import Route

from bot.config import DiscordSettings
from bot.core.model import TOPICS
from bot.core.ratelimit import concurrency_for
from bot.core.store import Store
from bot.core.updates.records import UpdateItem
from tests.discord_http import UNPACED_CONCURRENCY, delivery_bot
from tests.fake_discord import FakeDiscord, serve, stop
from tests.helpers import GUILD_ID, USER_ID, bot_settings, started

CHANNEL_BASE = 2_000_000_000_000_000_000

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
            cog.outbox.pacer = None  # the bot's own work, not Discord's pace (--realistic measures that)
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


def bound(messages_per_channel: list[int], rate: float, latency: float, limit: int = 5,
          window: float = 5.0) -> float:
    """The least time the limits allow: `rate` requests a second in all, `limit` messages per `window` s
    per channel, and one round trip for the last message."""
    total = sum(messages_per_channel)
    by_rate = (total - 1) / rate if total else 0.0
    by_channel = max((((m - 1) // limit) * window for m in messages_per_channel if m), default=0.0)
    return max(by_rate, by_channel) + latency


async def realistic(channels: int, updates: int, digest_limit: int, latency: float, pace: float) -> int:
    """Deliver through discord.py's real HTTP client to a local server enforcing Discord's limits."""
    fake = FakeDiscord(nonce_window=600.0, limits=True, latency=latency)
    server = await serve(fake)
    Route.BASE = fake.base + "/api/v10"
    with tempfile.TemporaryDirectory() as tmp:
        settings = bot_settings(Path(tmp))
        rate = pace or DiscordSettings().requests_per_second
        settings = replace(settings, updates=replace(settings.updates, digest_limit=digest_limit),
                           discord=replace(settings.discord, requests_per_second=rate))
        async with Store(settings.database) as store:
            for i in range(channels):
                await store.subscribe("channel", CHANNEL_BASE + i, GUILD_ID, USER_ID, TOPICS)
            await store.queue_updates([UpdateItem("knowledge", f"bench:{n}", ("tariffs",), f"update {n}")
                                       for n in range(updates)])
        bot = await delivery_bot(settings, paced=bool(pace))
        try:
            cog = bot.get_cog("Updates")
            fake.requests = fake.global_429s = fake.channel_429s = 0
            wall = time.perf_counter()
            messages = 0
            while True:  # retried digests (429s) come due again: drain until everything is sent
                report = await cog.outbox.drain()
                messages += report.messages
                counts = await bot.store.outbox_counts()
                if not counts.get("pending"):
                    break
                cog.outbox.clock = lambda: time.time() + 3600  # what failed is due at once (no backoff)
                await asyncio.sleep(0.05)
            wall = time.perf_counter() - wall
        finally:
            await bot.close()
            await stop(fake, server)
    per_channel = [-(-updates // digest_limit)] * channels
    least, least_discord = bound(per_channel, rate, latency), bound(per_channel, 50.0, latency)
    concurrency = concurrency_for(rate) if pace else UNPACED_CONCURRENCY
    print(f"realistic delivery: {channels} channels x {updates} update(s), digest limit {digest_limit} "
          f"-> {sum(per_channel)} messages; latency {latency * 1000:.0f} ms; "
          f"pace {f'{rate:g} requests/s' if pace else 'none (as before)'}, {concurrency} sends at once")
    print(f"wall time:          {wall:.2f} s")
    print(f"theoretical bound:  {least:.2f} s at the bot's pace ({rate:g}/s), {least_discord:.2f} s at "
          f"Discord's 50/s; wall = {wall / least:.3f} x the bound ({(wall / least - 1) * 100:+.1f}%)")
    print(f"throughput:         {messages / wall:.1f} messages/s ({messages} sent, {fake.requests} requests)")
    print(f"429s:               {fake.global_429s} global, {fake.channel_429s} per channel "
          f"({fake.global_429s + fake.channel_429s} invalid requests toward Discord's IP ban)")
    ok = messages == sum(per_channel) and fake.global_429s == 0 and wall <= least * 1.1
    return 0 if ok or not pace else 1


def main() -> int:
    """Parse options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=None, help="default: 100, or 1 with --realistic")
    parser.add_argument("--digest-limit", type=int, default=10)
    parser.add_argument("--realistic", action="store_true", help="real HTTP against enforced limits")
    parser.add_argument("--latency", type=float, default=0.1, help="realistic: seconds per answer")
    parser.add_argument("--pace", type=float, default=DiscordSettings().requests_per_second,
                        help="realistic: requests/s (default: the bot's); 0: none (as before)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.realistic:
        return asyncio.run(realistic(args.channels, args.updates or 1, args.digest_limit, args.latency,
                                     args.pace))
    return asyncio.run(bench(args.channels, args.updates or 100, args.digest_limit))


if __name__ == "__main__":
    raise SystemExit(main())
