"""One pace for everything the bot sends: the Pacer itself, then real discord.py HTTP against a local
server that enforces Discord's global and per-channel limits."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
from pathlib import Path

import pytest
from discord.http import Route

from bot.config import DiscordSettings, load_settings
from bot.core.ratelimit import BULK_PRIORITY, URGENT, Pacer, concurrency_for
from bot.http_pacing import paced
from bot.paths import PROJECT_DIR
from tests.discord_http import delivery_bot
from tests.fake_discord import FakeDiscord, serve, stop
from tests.test_delivery_processes import queue, write_config


async def test_turns_are_evenly_spaced_at_the_rate() -> None:
    pacer = Pacer(50)
    times: list[float] = []

    async def one() -> None:
        await pacer.acquire()
        times.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(60)))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert times[-1] - times[0] == pytest.approx(59 / 50, rel=0.05)  # the rate, not faster
    in_any_second = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert in_any_second <= 51
    assert min(gaps) > 0.5 / 50  # no burst


async def test_urgent_turns_go_before_bulk_ones() -> None:
    pacer = Pacer(20)
    order: list[str] = []

    async def one(name: str, priority: int) -> None:
        await pacer.acquire(priority)
        order.append(name)

    await pacer.acquire()  # the next turn is 50 ms away: everyone below waits
    bulk = [asyncio.create_task(one(f"bulk{i}", BULK_PRIORITY)) for i in range(5)]
    await asyncio.sleep(0)
    reply = asyncio.create_task(one("reply", URGENT))
    await asyncio.gather(*bulk, reply)
    assert order[0] == "reply"


async def test_a_global_429_pauses_everyone_for_its_retry_after_with_jitter() -> None:
    pacer = Pacer(100, jitter=lambda: 1.0)
    await pacer.acquire()
    pause = pacer.penalise(0.3)
    assert pause == pytest.approx(0.35)  # 0.3 s plus the jitter (at most 10%, at least 50 ms)
    start = time.monotonic()
    await pacer.acquire()
    assert time.monotonic() - start == pytest.approx(0.35, abs=0.05)


async def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    pacer = Pacer(10)
    await pacer.acquire()
    waiting = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0.01)
    waiting.cancel()
    start = time.monotonic()
    await pacer.acquire()
    assert time.monotonic() - start < 0.15
    await pacer.close()


def test_what_is_paced() -> None:
    assert paced("/api/v10/channels/1/messages") and paced("/api/v10/users/@me/channels")
    assert not paced("/api/v10/interactions/1/token/callback")  # exempt from the global limit: replies
    assert not paced("/api/v10/webhooks/1/token")  # interaction followups
    assert not paced("/gateway")
    assert concurrency_for(45) == 45 and concurrency_for(1) == 1


async def deliver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, channels: int, *,
                  paced_sends: bool) -> tuple[FakeDiscord, float, int]:
    fake = FakeDiscord(nonce_window=60.0, limits=True, latency=0.05)
    server = await serve(fake)
    monkeypatch.setattr(Route, "BASE", fake.base + "/api/v10")
    config = write_config(tmp_path, request_timeout_seconds=20, digest_limit=10)
    await queue(tmp_path / "bot.sqlite3", channels, 1)
    bot = await delivery_bot(load_settings(config), paced=paced_sends)
    try:
        fake.requests = fake.global_429s = 0
        start = time.monotonic()
        report = await bot.get_cog("Updates").outbox.drain()
        elapsed = time.monotonic() - start
    finally:
        await bot.close()
        await stop(fake, server)
    return fake, elapsed, report.messages


async def test_a_burst_to_many_channels_draws_no_global_429(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    channels = 150
    fake, elapsed, sent = await deliver(tmp_path, monkeypatch, channels, paced_sends=True)
    assert fake.global_429s == 0 and fake.channel_429s == 0 and sent == channels
    assert len(fake.messages) == channels
    bound = channels / DiscordSettings().requests_per_second
    assert elapsed < bound * 1.5, f"{elapsed:.2f} s for a bound of {bound:.2f} s"  # loose: a loaded machine
    # the same burst without the pace: the server does enforce the limit
    (tmp_path / "unpaced").mkdir()
    unpaced, _, _ = await deliver(tmp_path / "unpaced", monkeypatch, channels, paced_sends=False)
    assert unpaced.global_429s > 0


def test_the_benchmarks_cpu_only_figure_is_the_bots_own_work() -> None:
    """bench_updates.py without --realistic measures CPU, not the pace (600 messages: 12.5 s at 48/s)."""
    script = PROJECT_DIR / "benchmarks" / "bench_updates.py"
    done = subprocess.run([sys.executable, str(script), "--channels", "600", "--updates", "10"],
                          capture_output=True, text=True, timeout=120, cwd=PROJECT_DIR)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "messages sent:              600 (recorder saw 600)" in done.stdout, done.stdout
    wall = float(done.stdout.split("delivery (outbox->Discord): ")[1].split(" s wall")[0])
    paced = 600 / DiscordSettings().requests_per_second
    assert wall < paced / 2, done.stdout  # far quicker than the pace would allow: no pace here
