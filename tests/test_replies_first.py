"""A database locked by another real process never delays a reply: the answer goes out, the write follows."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import discord
import pytest

from tests.helpers import BOT_ID, Harness, Sent, command, interaction, message
from tests.markdown_check import live_links

LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
db.execute("INSERT INTO declined_questions (question, normalised, asked_at) VALUES ('x', 'x', 'now')")
print("locked", flush=True)
sys.stdin.readline()  # hold the write lock until the test says so
db.execute("ROLLBACK")
"""
DECLINED = "what is the tariff on vietnamese shoes"  # a real question the articles do not answer


@pytest.fixture
async def locked(harness: Harness) -> AsyncIterator[subprocess.Popen[str]]:
    """Another process holding the bot database's write lock; `.stdin.write` releases it."""
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(harness.bot.settings.database)],  # noqa: ASYNC220
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    # wait without blocking the event loop: the bot's own writes (its heartbeat) must be able to commit
    assert (await asyncio.to_thread(locker.stdout.readline)).strip() == "locked"
    harness.bot.background.delays = (0.1,) * 50  # retry often, so the test does not wait
    yield locker
    locker.kill()
    locker.wait()


def release(locker: subprocess.Popen[str]) -> None:
    locker.stdin.write("\n")
    locker.stdin.flush()
    locker.wait(10)


async def test_a_decline_is_answered_at_once_and_recorded_after_the_lock(harness: Harness, locked) -> None:
    start = time.monotonic()
    harness.state.parse_message_create(message(f"<@{BOT_ID}> {DECLINED}", mentions=(BOT_ID,)))
    while not harness.recorder.messages() and time.monotonic() - start < 10:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    elapsed = time.monotonic() - start
    (reply,) = harness.recorder.messages()
    assert reply.json["content"].startswith("I can't answer") and live_links(reply.json["content"]) == []
    assert elapsed < 2.5, f"the reply waited {elapsed:.1f} s for the database"
    with sqlite3.connect(harness.bot.settings.database) as db:  # a reader is never blocked (WAL)
        assert db.execute("SELECT COUNT(*) FROM declined_questions").fetchone() == (0,)  # not yet written
    release(locked)
    await harness.bot.background.wait(timeout=30)
    rows = await harness.bot.store.declined_summary()
    assert [r.example for r in rows] == [DECLINED]


async def first_request(harness: Harness, name: str, options: dict) -> tuple[Sent, float, asyncio.Task]:
    """Start a slash command; return its first request to Discord, how long it took, and the task."""
    before = len(harness.recorder.sent)
    data = interaction(2, command(name, options))
    task = asyncio.create_task(harness.bot.tree._call(discord.Interaction(data=data, state=harness.state)))
    start = time.monotonic()
    while len(harness.recorder.sent) == before and time.monotonic() - start < 10:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    return harness.recorder.sent[before], time.monotonic() - start, task


async def test_slash_commands_that_write_are_deferred_before_the_database(harness: Harness, locked) -> None:
    first, elapsed, task = await first_request(harness, "subscribe", {"topics": "news"})
    assert first.path.endswith("/callback") and first.json["type"] == 5  # acknowledged within 3 s
    assert elapsed < 2.5
    release(locked)
    await asyncio.wait_for(task, 60)
    await harness.settle()
    followup = harness.recorder.sent[-1]
    assert followup.json["content"].startswith("Subscribed your DMs: news")


async def test_ask_answers_first_too(harness: Harness, locked) -> None:
    callback, elapsed, task = await first_request(harness, "ask", {"question": DECLINED})
    assert callback.json["data"]["content"].startswith("I can't answer") and elapsed < 2.5
    await task
    release(locked)
    await harness.bot.background.wait(timeout=30)
    assert len(await harness.bot.store.declined_summary()) == 1
