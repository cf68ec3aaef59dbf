"""Delivery on a bad day, with real processes and a local Discord that applies its nonce rule.

kill -9 of a real delivery process in a loop, a disk that fills (SQLite's own SQLITE_FULL through
`PRAGMA max_page_count`), fresh databases, channels that rate-limit, hang, fail or answer garbage, and
a second bot on the same database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from discord.http import Route

from bot.client import TariffBot
from bot.config import load_settings
from bot.core.model import TOPICS
from bot.core.store import Store
from bot.core.updates.outbox import Outbox
from bot.core.updates.records import UpdateItem
from bot.paths import PROJECT_DIR
from tests.fake_discord import TOKEN, FakeDiscord, serve, stop
from tests.helpers import FACT_BASE, GUILD_ID, USER_ID, knowledge_service
from tests.updates_support import Clock, FakeSender

log = logging.getLogger(__name__)
CHANNEL_BASE = 3_000_000_000_000_000_000


def write_config(tmp_path: Path, **updates: object) -> Path:
    """A config file for a delivery process: the test fact base, a private database, short timers."""
    values = {"digest_limit": 5, "request_timeout_seconds": 0.3, "nonce_window_seconds": 2,
              "delivery_seconds": 1, **updates}
    lines = [f"knowledge_dir: {FACT_BASE}", f"database: {tmp_path / 'bot.sqlite3'}",
             "log_level: INFO", "updates:"] + [f"  {k}: {v}" for k, v in values.items()]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def queue(database: Path, channels: int, updates: int, label: str = "update number") -> None:
    """Subscribe `channels` channels and queue `updates` updates for each."""
    async with Store(database) as store:
        for i in range(channels):
            await store.subscribe("channel", CHANNEL_BASE + i, GUILD_ID, USER_ID, TOPICS)
        await store.queue_updates([UpdateItem("knowledge", f"{label}:{n}", ("tariffs",), f"{label} {n}")
                                   for n in range(updates)])


def child(config: Path, base: str, log_file: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    return subprocess.Popen([sys.executable, "-m", "tests.delivery_child", str(config), base],
                            cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL,
                            stderr=log_file.open("a", encoding="utf-8"))


async def pending(database: Path) -> int:
    async with Store(database) as store:
        return (await store.outbox_counts()).get("pending", 0)


async def test_kill_9_in_a_loop_delivers_every_update_exactly_once(tmp_path: Path) -> None:
    channels, updates = 10, 40
    fake = FakeDiscord(nonce_window=3.0, max_delay=0.3)
    server = await serve(fake)
    # Answers take up to 0.3 s; a request waits 0.6 s, so it times out only when this machine stalls
    # (each timeout backs the digest off, 1 s, 2 s, 4 s...: a loaded machine would otherwise need minutes).
    config = write_config(tmp_path, nonce_window_seconds=3, request_timeout_seconds=0.6)
    database = tmp_path / "bot.sqlite3"
    await queue(database, channels, updates)
    log_file = tmp_path / "children.log"
    rng = random.Random(8)
    kills = 0
    process: subprocess.Popen | None = None
    try:
        for _ in range(8):
            process = child(config, fake.base, log_file)
            before = len(fake.messages)
            deadline = time.monotonic() + 20  # let it start and post at least one message, then kill it
            while len(fake.messages) == before and process.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110 (polling another process)
                await asyncio.sleep(0.01)
            await asyncio.sleep(rng.uniform(0.0, 0.25))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            await asyncio.to_thread(process.wait)
            if not await pending(database):
                break
            if rng.random() < 0.3:
                await asyncio.sleep(3.2)  # restart after Discord's nonce window: the channel must be checked
        process = child(config, fake.base, log_file)  # a last run to the end
        assert await asyncio.wait_for(asyncio.to_thread(process.wait), 120) == 0, log_file.read_text()
    finally:
        if process is not None and process.poll() is None:  # a failed run must not leave it behind
            process.kill()
            process.wait()
        await stop(fake, server)
    counts = fake.per_channel_texts()
    expected = {(CHANNEL_BASE + c, f"update number {n}") for c in range(channels) for n in range(updates)}
    assert set(counts) == expected  # nothing lost
    duplicates = {key: n for key, n in counts.items() if n != 1}
    assert duplicates == {}, f"{len(duplicates)} duplicated"
    assert await pending(database) == 0
    children_log = log_file.read_text()
    found = children_log.count("was already posted")
    log.warning("kill -9 loop: %d kills, %d POSTs, %d messages for %d (channel, update) pairs, %d resends "
                "caught by the nonce, %d found by their ref line, %d history reads, 0 duplicates",
                kills, sum(fake.posts.values()), len(fake.messages), len(expected), fake.deduplicated,
                found, fake.history_reads)
    assert kills >= 3


async def login(settings_path: Path, base: str, monkeypatch: pytest.MonkeyPatch) -> TariffBot:
    """An in-process bot on real discord.py HTTP against the fake; update loops stopped."""
    monkeypatch.setattr(Route, "BASE", base + "/api/v10")
    bot = TariffBot(load_settings(settings_path), service=knowledge_service())
    await bot.login(TOKEN)
    for loop in bot.get_cog("Updates").loops:
        loop.cancel()
    return bot


async def test_fresh_databases_never_reuse_a_nonce(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDiscord(nonce_window=600.0)  # everything happens inside the window
    server = await serve(fake)
    try:
        for name in ("first", "second"):  # a fresh database, then another (or a restored one)
            folder = tmp_path / name
            folder.mkdir()
            config = write_config(folder, digest_limit=10)
            await queue(folder / "bot.sqlite3", 1, 150, label=f"{name} update number")
            bot = await login(config, fake.base, monkeypatch)
            try:
                report = await bot.get_cog("Updates").outbox.drain()
                assert (report.messages, report.deliveries) == (15, 150)
            finally:
                await bot.close()
    finally:
        await stop(fake, server)
    assert fake.deduplicated == 0 and len(fake.messages) == 30
    texts = Counter(line for m in fake.messages for line in m.text.splitlines() if "update number" in line)
    assert len(texts) == 300 and set(texts.values()) == {1}


async def test_one_bad_channel_never_delays_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDiscord(nonce_window=2.0)
    bad = {CHANNEL_BASE: "ratelimit", CHANNEL_BASE + 1: "hang", CHANNEL_BASE + 2: "500",
           CHANNEL_BASE + 3: "badjson"}
    fake.faults.update(bad)
    server = await serve(fake)
    config = write_config(tmp_path, request_timeout_seconds=0.5, digest_limit=10)
    await queue(tmp_path / "bot.sqlite3", 30, 3)
    bot = await login(config, fake.base, monkeypatch)
    try:
        outbox = bot.get_cog("Updates").outbox
        start = time.monotonic()
        report = await outbox.drain()
        elapsed = time.monotonic() - start
        good = {m.channel for m in fake.messages} - set(bad)
        assert len(good) == 26 and report.messages == 26 and report.retried == 4
        assert elapsed < 5, f"the drain took {elapsed:.1f} s"  # not 1000 s of rate limit, not 300 s of hang
        plan = await bot.store.plan_delivery(10)
        rows = {d.batch.target_id: d.batch for d in plan.digests}
        assert rows[CHANNEL_BASE].last_error.startswith("rate limited for 1000")
        assert "no answer within 0.5 s" in rows[CHANNEL_BASE + 1].last_error
        assert rows[CHANNEL_BASE + 3].maybe_sent_since is not None  # a 200 it could not read
        fake.faults.clear()
        outbox.clock = lambda: time.time() + 3000  # later: every held digest is due again
        await outbox.drain()
    finally:
        await bot.close()
        await stop(fake, server)
    counts = fake.per_channel_texts()
    assert len(counts) == 90 and set(counts.values()) == {1}  # the garbled 200 was found, not re-sent
    assert fake.history_reads >= 1


async def test_a_full_disk_stops_sending_until_the_marks_are_recorded(tmp_path: Path) -> None:
    """SQLite's real SQLITE_FULL ('database or disk is full'), injected with PRAGMA max_page_count."""
    database = tmp_path / "full.sqlite3"
    await queue(database, 20, 50)
    store = await Store(database).open()
    sender, clock = FakeSender(), Clock()
    outbox = Outbox(store, sender, digest_limit=10, clock=clock, base_delay=1)
    try:
        await store.claim_batches(10, clock(), 200)  # digests formed: claiming needs no new space
        await store.db.execute("VACUUM")  # no free pages left: growing the file is the only way to grow
        async with store.db.execute("PRAGMA page_count") as cursor:
            pages = (await cursor.fetchone())[0]
        await store.db.execute(f"PRAGMA max_page_count = {pages + 1}")  # one page left: soon full
        reports = []
        while not reports or not reports[-1].blocked:
            reports.append(await outbox.drain())
            clock.advance(60)
            assert len(reports) < 50
        assert "database or disk is full" in reports[-1].blocked
        assert outbox.health and "cannot record deliveries" in outbox.health
        stuck = len(sender.sent)
        assert 0 < stuck < 100  # accepted while claiming still worked, then marking failed: it stopped
        for _ in range(10):  # still full: nothing more is sent
            assert (await outbox.drain()).blocked
            clock.advance(3600)
        assert len(sender.sent) == stuck
        await store.db.execute("PRAGMA max_page_count = 1073741823")  # space again
        for _ in range(20):
            clock.advance(3600)
            await outbox.drain()
        assert await store.outbox_counts() == {"sent": 1000} and outbox.health is None
    finally:
        await store.close()
    sent = Counter((target, line) for _, target, _, content in sender.sent for line in content.splitlines()
                   if "update number" in line)
    assert len(sent) == 1000 and set(sent.values()) == {1}  # every update once; nothing sent twice
    assert len(sender.sent) == 100
    log.warning("full disk: %d digests sent before the database filled, 100 in all, 0 duplicates", stuck)


def test_a_second_bot_on_the_same_database_refuses_to_start(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from bot.core.instance import "
         "InstanceLock; InstanceLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); "
         "time.sleep(60)", str(database)],
        cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        env = {**os.environ, "DISCORD_TOKEN": TOKEN, "TARIFFBOT_DATABASE": str(database)}
        done = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=PROJECT_DIR, env=env,
                              capture_output=True, text=True, timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 4
    assert done.stderr.count("\n") == 1 and f"pid {holder.pid}" in done.stderr
    assert "already running" in done.stderr and "Traceback" not in done.stderr
