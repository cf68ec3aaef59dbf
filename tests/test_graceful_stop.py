"""Graceful stop: real signals to real processes (`tariffbot run` against a local Discord, `chat`, `ask -`),
also as PID 1 of a fresh PID namespace, as in a container without an init."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from discord.http import Route

from bot import answer_flow
from bot.paths import PROJECT_DIR
from tests.discord_http import delivery_bot
from tests.fake_discord import TOKEN, FakeDiscord, serve, stop
from tests.helpers import GUILD_ID, USER_ID, bot_settings
from tests.test_delivery_processes import CHANNEL_BASE, queue, write_config

STOP_LIMIT = 2.0  # seconds from the signal to the exit
CHANNELS = 60
CURATOR_CHANNEL = 3_000_000_000_000_000_001


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "DISCORD_TOKEN": TOKEN, **extra}


def start_run(
    config: Path, base: str, log: Path, prefix: tuple[str, ...] = (), **extra_env: str
) -> subprocess.Popen[bytes]:
    """`tariffbot --config CONFIG run` against the fake Discord at `base`."""
    return subprocess.Popen([*prefix, sys.executable, "-m", "tests.run_child", base, "--config", str(config),
                             "run"], cwd=PROJECT_DIR, env=env(**extra_env), stdout=subprocess.DEVNULL,
                            stderr=log.open("w", encoding="utf-8"))


async def wait_for(condition, timeout: float = 30.0, what: str = "") -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def connected(database: Path) -> bool:
    """The bot's heartbeat says it is connected."""
    if not database.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(database)) as db:
            row = db.execute("SELECT connected FROM heartbeat").fetchone()
    except sqlite3.Error:
        return False
    return bool(row and row[0])


async def stopped_in(process: subprocess.Popen[bytes], sig: int, pid: int | None = None) -> tuple[int, float]:
    """Send `sig`, wait for the exit: (exit code, seconds it took)."""
    start = time.monotonic()
    os.kill(pid or process.pid, sig)
    code = await asyncio.wait_for(asyncio.to_thread(process.wait), 10)
    return code, time.monotonic() - start


async def stopped_once_connected(
    process: subprocess.Popen[bytes],
    database: Path,
    log: Path,
    sig: int,
    pid: int | None = None,
    settle: float = 0.0,
) -> tuple[int, float]:
    """Wait until the bot is connected (and `settle` seconds more), then send `sig`: (exit code, seconds it
    took)."""
    await wait_for(lambda: connected(database) or process.poll() is not None, what="the bot to connect")
    if process.poll() is not None:  # it exited instead: its log says why
        raise AssertionError(await asyncio.to_thread(log.read_text))
    await asyncio.sleep(settle)
    return await stopped_in(process, sig, pid)


def closed_cleanly(database: Path) -> bool:
    """The last connection closed the WAL database properly: its -wal and -shm files are gone."""
    return not Path(f"{database}-wal").exists() and not Path(f"{database}-shm").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_run_stops_on_a_signal_within_2_s(tmp_path: Path, sig: int) -> None:
    fake = FakeDiscord(heartbeat_ms=500)
    server = await serve(fake)
    config, database = write_config(tmp_path), tmp_path / "bot.sqlite3"
    log = tmp_path / "run.log"
    process = start_run(config, fake.base, log)
    try:
        code, seconds = await stopped_once_connected(process, database, log, sig)
    finally:
        if process.poll() is None:
            process.kill()
        await stop(fake, server)
    text = log.read_text()
    assert code == 0 and seconds < STOP_LIMIT, f"exit {code} after {seconds:.2f} s:\n{text}"
    assert f"{signal.Signals(sig).name} received: stopping" in text and "Traceback" not in text
    # both sessions (the start-up probe and the bot's) were closed with a close frame, not dropped
    assert len(fake.gateway_closes) == 2 and None not in fake.gateway_closes
    assert closed_cleanly(database)
    with contextlib.closing(sqlite3.connect(database)) as db:
        (stopped_at, is_connected) = db.execute("SELECT stopped_at_ts, connected FROM heartbeat").fetchone()
    assert stopped_at is not None and is_connected == 0  # `tariffbot health` says "stopped" at once
    print(f"{signal.Signals(sig).name}: exit 0 in {seconds:.2f} s")


async def test_deliveries_under_way_finish_or_resume_and_nothing_is_sent_twice(tmp_path: Path) -> None:
    fake = FakeDiscord(nonce_window=60.0, max_delay=2.0)  # slow answers: sends are in flight at the signal
    server = await serve(fake)
    config, database = write_config(tmp_path, request_timeout_seconds=5), tmp_path / "bot.sqlite3"
    await queue(database, CHANNELS, 2)  # more channels than sends at once: some are not even claimed
    log = tmp_path / "run.log"
    try:
        process = start_run(config, fake.base, log)
        await wait_for(lambda: len(fake.messages) >= 3 or process.poll() is not None, what="deliveries")
        code, seconds = await stopped_in(process, signal.SIGTERM)
        assert code == 0 and seconds < STOP_LIMIT, f"exit {code} after {seconds:.2f} s"
        first_run = len(fake.messages)
        assert closed_cleanly(database)
        with contextlib.closing(sqlite3.connect(database)) as db:
            left = db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
        assert left > 0  # stopped mid-way: the rest waits in the outbox
        process = start_run(config, fake.base, log)  # the next start resumes the claims
        done = CHANNELS * 2
        await wait_for(lambda: len(fake.per_channel_texts()) == done or process.poll() is not None, 60,
                       what="every delivery")
        code, _ = await stopped_in(process, signal.SIGTERM)
        assert code == 0
    finally:
        if process.poll() is None:
            process.kill()
        await stop(fake, server)
    counts = fake.per_channel_texts()
    assert len(counts) == CHANNELS * 2 and set(counts.values()) == {1}, "an update was lost or posted twice"
    assert {channel for channel, _ in counts} == {CHANNEL_BASE + i for i in range(CHANNELS)}
    print(f"stopped after {first_run} of {CHANNELS} messages; resumed: every update once")


def chat_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=PROJECT_DIR,
                            env={**env(), "DISCORD_TOKEN": ""}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("args", [("chat",), ("ask", "--json", "-")])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_chat_and_ask_stop_on_a_signal_while_waiting(args: tuple[str, ...], sig: int) -> None:
    process = chat_process(*args)
    try:
        process.stdin.write("who is akazawa?\n")
        process.stdin.flush()
        answered = ""
        while "Akazawa" not in answered:
            line = process.stdout.readline()
            assert line, process.stderr.read()
            answered += line
        time.sleep(0.2)  # now it waits for the next line on the pipe
        start = time.monotonic()
        process.send_signal(sig)
        code = process.wait(10)
        seconds = time.monotonic() - start
    finally:
        if process.poll() is None:
            process.kill()
    err = process.stderr.read()
    assert code == 0 and seconds < STOP_LIMIT and "Traceback" not in err, (code, seconds, err)


UNSHARE = shutil.which("unshare")


def pid_1(command: list[str], **kwargs) -> tuple[subprocess.Popen, int]:
    """Run `command` as PID 1 of a new PID namespace: (the unshare process, the command's host pid)."""
    process = subprocess.Popen([UNSHARE, "--pid", "--fork", "--kill-child", *command], **kwargs)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        found = children.read_text().split() if children.exists() else []
        if found:
            lines = Path(f"/proc/{found[0]}/status").read_text().splitlines()
            nspid = next((line.split()[1:] for line in lines if line.startswith("NSpid:")), [])
            if nspid[-1:] == ["1"]:
                return process, int(found[0])
        time.sleep(0.02)
    raise AssertionError("the command did not start in its own PID namespace")


def can_unshare() -> bool:
    if UNSHARE is None:
        return False
    return subprocess.run([UNSHARE, "--pid", "--fork", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_unshare(), reason="needs unshare --pid (root or user namespaces)")
async def test_as_pid_1_sigterm_stops_the_bot_where_it_would_be_ignored(tmp_path: Path) -> None:
    # the control: PID 1 with no handler ignores SIGTERM (why `docker stop` waited 10 s, then SIGKILL)
    plain, plain_pid = pid_1([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        os.kill(plain_pid, signal.SIGTERM)
        await asyncio.sleep(1.0)
        assert plain.poll() is None, "PID 1 without a handler should have ignored SIGTERM"
    finally:
        plain.kill()
        plain.wait()
    fake = FakeDiscord()
    server = await serve(fake)
    config, database = write_config(tmp_path), tmp_path / "bot.sqlite3"
    log = tmp_path / "run.log"
    process, pid = pid_1([sys.executable, "-m", "tests.run_child", fake.base, "--config", str(config), "run"],
                         cwd=PROJECT_DIR, env=env(), stdout=subprocess.DEVNULL,
                         stderr=log.open("w", encoding="utf-8"))
    try:
        code, seconds = await stopped_once_connected(process, database, log, signal.SIGTERM, pid)
    finally:
        if process.poll() is None:
            process.kill()
        await stop(fake, server)
    assert code == 0 and seconds < STOP_LIMIT, f"exit {code} after {seconds:.2f} s:\n{log.read_text()}"
    assert closed_cleanly(database) and None not in fake.gateway_closes
    print(f"as PID 1: exit 0 in {seconds:.2f} s")


async def test_a_curator_notice_due_when_the_bot_stops_is_still_posted(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A reply that ends during the stop leaves its decline to the background writes; the notice they owe
    goes out over discord.py's real HTTP client (it was closed first: the notice was lost, marked given)."""
    fake = FakeDiscord()
    server = await serve(fake)
    bot = None
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Route, "BASE", fake.base + "/api/v10")
            bot = await delivery_bot(bot_settings(tmp_path, curator_notice_after=1))
            await bot.servers.change(bot.store, GUILD_ID, USER_ID, curator_channel_id=CURATOR_CHANNEL)
            answer = bot.service.engine.ask("what is the flag of mars?")
            assert answer.unanswered

            async def reply_under_way() -> None:  # a question answered just after the signal
                await asyncio.sleep(0.2)
                answer_flow.record_decline(bot, answer, GUILD_ID)

            reply = asyncio.create_task(reply_under_way(), name="discord.py: on_message")
            await asyncio.sleep(0)
            await bot.close()
            await reply
    finally:
        if bot is not None:
            await bot.close()
        await stop(fake, server)
    notices = [m.content for m in fake.messages if m.channel == CURATOR_CHANNEL]
    assert len(notices) == 1 and "declined 1 times here" in notices[0], caplog.text
    assert "could not" not in caplog.text


async def test_run_stops_within_2_s_while_a_feed_waits_for_a_slow_dns_server(tmp_path: Path) -> None:
    """A feed poll stuck in a DNS lookup (a worker thread, unreachable DNS server: 10 s) does not hold the
    exit back: no thread may keep a stopped bot alive."""
    fake = FakeDiscord(heartbeat_ms=500)
    server = await serve(fake)
    config = write_config(tmp_path)
    config.write_text(config.read_text() + "  feeds:\n    - name: slow\n      url: http://slow-dns.invalid/rss\n")
    database, log = tmp_path / "bot.sqlite3", tmp_path / "run.log"
    process = start_run(config, fake.base, log, SLOW_DNS_HOST="slow-dns.invalid")
    try:
        # settle: the feed loop started at once, so its lookup is under way
        code, seconds = await stopped_once_connected(process, database, log, signal.SIGTERM, settle=0.5)
    finally:
        if process.poll() is None:
            process.kill()
        await stop(fake, server)
    text = log.read_text()
    assert code == 0 and seconds < STOP_LIMIT, f"exit {code} after {seconds:.2f} s:\n{text}"
    assert "Traceback" not in text and closed_cleanly(database)
