"""Failures are one clear line and a documented exit code, and the running bot logs each once per interval."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from pathlib import Path

import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot import exitcodes, runner
from bot.cli import main
from bot.core.model import TOPICS
from bot.core.store import Store
from bot.core.updates.records import UpdateItem
from tests.fake_discord import TOKEN, FakeDiscord, serve, stop
from tests.helpers import FACT_BASE, Harness, bot_settings


def config_for(tmp_path: Path, database: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge_dir: {FACT_BASE}\ndatabase: {database}\n")
    return config


async def make_database(path: Path) -> None:
    async with Store(path) as store:
        await store.subscribe("channel", 1, 10, 5, TOPICS)
        items = [UpdateItem("knowledge", f"k{n}", ("tariffs",), "x" * 500) for n in range(200)]
        await store.queue_updates(items)
        await store.record_declined("q", "q", None, 0.1)


def corrupt_table(path: Path, table: str) -> None:
    """Overwrite a table's root page with garbage, as a bad disk would."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xde\xad\xbe\xef" * (page_size // 4))


@pytest.mark.parametrize("command", [["unanswered"], ["updates"], ["updates", "--dry-run"], ["reload"]])
def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path, capsys, command: list[str]) -> None:
    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"this is not a database at all" * 200)
    assert main(["--config", str(config_for(tmp_path, database)), *command]) == exitcodes.DATABASE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "file is not a database" in err and "Traceback" not in err


@pytest.mark.parametrize(("command", "table"), [(["unanswered"], "declined_questions"),
                                                (["updates"], "outbox")])
def test_a_corrupt_page_is_one_line(tmp_path: Path, capsys, command: list[str], table: str) -> None:
    database = tmp_path / "db.sqlite3"
    asyncio.run(make_database(database))
    corrupt_table(database, table)
    assert main(["--config", str(config_for(tmp_path, database)), *command]) == exitcodes.DATABASE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "malformed" in err and "Traceback" not in err


async def test_the_running_bot_logs_a_corrupt_database_once_not_every_tick(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    cog = harness.bot.get_cog("Updates")
    for loop in cog.loops:
        loop.cancel()
    store = harness.bot.store
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    await store.queue_updates([UpdateItem("knowledge", f"k{n}", ("tariffs",), "x" * 500) for n in range(200)])
    await store.close()
    corrupt_table(store.path, "outbox")
    await store.open()
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    now = [1_800_000_000.0]
    cog.outbox.clock = lambda: now[0]
    for _ in range(20):  # 20 ticks of each loop, minutes apart
        for loop in (cog.delivery_loop, cog.knowledge_loop):
            await loop.coro()
        now[0] += 600
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all(r.exc_info is None for r in errors)  # no traceback at ERROR
    assert len({r.getMessage() for r in errors}) == len(errors) <= 3, [r.getMessage() for r in errors]
    assert any("malformed" in r.getMessage() for r in errors)


@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch):
    fake = FakeDiscord()
    server = await serve(fake)
    monkeypatch.setattr(Route, "BASE", fake.base + "/api/v10")
    gateway = yarl.URL(fake.base.replace("http", "ws") + "/gateway")
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", gateway)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    yield fake
    await stop(fake, server)


@pytest.mark.parametrize(("code", "says"), [(4004, "rejected the token"), (4014, "disallowed intents"),
                                            (4013, "invalid intents")])
async def test_gateway_close_codes_are_one_line(discord_api: FakeDiscord, tmp_path: Path, capsys,
                                                code: int, says: str) -> None:
    discord_api.gateway_close = code
    assert await asyncio.to_thread(runner.run, bot_settings(tmp_path)) == exitcodes.FAILURE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and f"close {code}" in err
    assert "Traceback" not in err and TOKEN not in err


async def test_rest_reachable_gateway_not_is_one_line(discord_api: FakeDiscord, tmp_path: Path, capsys,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f"ws://127.0.0.1:{port}/"))
    assert await asyncio.to_thread(runner.run, bot_settings(tmp_path)) == exitcodes.FAILURE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "gateway" in err and "cannot be reached" in err
    assert "Traceback" not in err and TOKEN not in err


def test_discord_reconnect_tracebacks_become_one_line(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("discord.client")
    caplog.set_level(logging.ERROR, logger="discord.client")
    try:
        raise OSError("Connect call failed ('162.159.135.234', 443)")
    except OSError:
        logger.exception("Attempting a reconnect in %.2fs", 2.5)
    (record,) = caplog.records
    assert record.exc_info is None and "Traceback" not in caplog.text
    assert record.getMessage() == "Attempting a reconnect in 2.50s: OSError: Connect call failed " \
        "('162.159.135.234', 443)"
