"""`tariffbot health`, `backup`, `restore`, the backup before a migration, and the log lines."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.core.health import Backlog, Heartbeat, assess
from bot.core.model import TOPICS
from bot.core.store import Store
from bot.core.store.database import MIGRATION_BACKUPS, migrations
from bot.core.updates.records import UpdateItem
from bot.paths import PROJECT_DIR
from tests.fake_discord import TOKEN, FakeDiscord, serve, stop
from tests.helpers import BOT_ID, FACT_BASE, GUILD_ID, USER_ID, bot_settings, started
from tests.test_graceful_stop import connected, start_run, stopped_in, wait_for

NOW = 1_800_000_000.0


def cli(*args: str, config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "TARIFFBOT_CONFIG": str(config), **env}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=PROJECT_DIR, env=environment,
                          capture_output=True, text=True, timeout=60)


def config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"knowledge_dir: {FACT_BASE}\ndatabase: {tmp_path / 'bot.sqlite3'}\ncache_dir: null\n"
                    f"log_level: WARNING\n{extra}", encoding="utf-8")
    return path


def beat(**changes: object) -> Heartbeat:
    values: dict = {"pid": 7, "started_at": NOW - 3600, "beat_at": NOW - 5, "connected": True,
                    "connected_at": NOW - 5, "guilds": 3, "latency_ms": 41.6, "questions": 12}
    values.update(changes)
    return Heartbeat(**values)


@pytest.mark.parametrize(("heartbeat", "healthy", "says"), [
    (beat(), True, "ok: connected, 3 guild(s), latency 42 ms, heartbeat 5 s ago"),
    (None, False, "unhealthy: no heartbeat"),
    (beat(beat_at=NOW - 600), False, "unhealthy: heartbeat 10 min old (limit 90 s)"),
    (beat(connected=False, connected_at=NOW - 300, latency_ms=None), False,
     "unhealthy: not connected to Discord (connected: last 5 min ago)"),
    (beat(connected=False, connected_at=None), False, "connected: never"),
    (beat(connected=False, connected_at=NOW - 30), True, "ok: disconnected"),  # reconnecting: recently up
    (beat(stopped_at=NOW - 20, connected=False), False, "unhealthy: stopped 20 s ago (pid 7)"),
])
def test_the_verdict(heartbeat: Heartbeat | None, healthy: bool, says: str) -> None:
    verdict = assess(heartbeat, Backlog(12, 3, NOW - 125), ["News (4 in a row)"], NOW, 90)
    assert verdict.healthy is healthy and says in verdict.line, verdict.line
    assert verdict.line.startswith("ok: " if healthy else "unhealthy: ")
    assert verdict.line.endswith("outbox 12 pending, oldest 2 min, 3 held for paused destinations; "
                                 "failing feeds: News (4 in a row)")
    assert "\n" not in verdict.line


async def test_health_of_a_running_bot_then_a_stopped_one(tmp_path: Path) -> None:
    fake = FakeDiscord(heartbeat_ms=300)
    server = await serve(fake)
    config = config_file(tmp_path, "health:\n  heartbeat_seconds: 1\n  stale_seconds: 5\n")
    database = tmp_path / "bot.sqlite3"
    async with Store(database) as store:
        await store.subscribe("channel", 1, GUILD_ID, USER_ID, TOPICS)
        await store.pause_subscription(1, "403")  # held, not pending
    before = cli("health", config=config)
    assert before.returncode == 1 and before.stdout.startswith("unhealthy: no heartbeat"), before
    log = tmp_path / "run.log"
    process = start_run(config, fake.base, log)
    try:
        await wait_for(lambda: connected(database) or process.poll() is not None, what="the bot to connect")
        await asyncio.sleep(1.5)  # a beat with the gateway's latency
        running = await asyncio.to_thread(cli, "health", config=config)
        code, _ = await stopped_in(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
        await stop(fake, server)
    assert code == 0
    assert running.returncode == 0, running.stdout + running.stderr + log.read_text()
    line = running.stdout
    assert line.startswith("ok: connected, 1 guild(s), latency ") and line.count("\n") == 1
    assert "outbox 0 pending" in line and "no failing feeds" in line
    after = await asyncio.to_thread(cli, "health", config=config)
    assert after.returncode == 1 and after.stdout.startswith("unhealthy: stopped "), after.stdout


async def test_health_never_creates_a_database(tmp_path: Path) -> None:
    done = await asyncio.to_thread(cli, "health", config=config_file(tmp_path))
    assert done.returncode == 1 and done.stdout.startswith("unhealthy: no database at ")
    assert not (tmp_path / "bot.sqlite3").exists()


async def make_database(path: Path, updates: int = 50) -> None:
    async with Store(path) as store:
        await store.subscribe("channel", 1, GUILD_ID, USER_ID, TOPICS)
        await store.queue_updates([UpdateItem("knowledge", f"k{n}", ("tariffs",), f"update {n}")
                                   for n in range(updates)])


def rows(path: Path, table: str = "updates") -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_backup_while_another_process_writes_is_a_consistent_copy(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    asyncio.run(make_database(database))
    config = config_file(tmp_path)
    stop_writing = threading.Event()

    def writer() -> None:  # another connection commits all the time, as the running bot would
        with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            n = 0
            while not stop_writing.is_set():
                db.execute("INSERT INTO updates (source, dedupe_key, topics, text, created_at) "
                           "VALUES ('news', ?, 'news', 'x', 'now')", (f"w{n}",))
                db.commit()
                n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = [tmp_path / f"copy{i}.sqlite3" for i in range(3)]
        results = [cli("backup", str(copy), config=config) for copy in copies]
    finally:
        stop_writing.set()
        thread.join()
    for copy, done in zip(copies, results, strict=True):
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"backed up {database} (schema {len(migrations())}, ")
        assert not Path(f"{copy}-wal").exists()  # one self-contained file
        with contextlib.closing(sqlite3.connect(copy)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert rows(copy) >= 50
    assert rows(copies[2]) > rows(copies[0])  # each copy is a snapshot of that moment
    assert not list(tmp_path.glob(".*partial*"))


def test_restore_puts_a_backup_back_and_refuses_while_the_bot_runs(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    asyncio.run(make_database(database, 50))
    config = config_file(tmp_path)
    assert cli("backup", str(tmp_path / "saved.sqlite3"), config=config).returncode == 0
    asyncio.run(make_database(database, 80))  # more updates after the backup
    assert rows(database) == 80
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from bot.core.instance import "
         "InstanceLock; InstanceLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); "
         "time.sleep(60)", str(database)], cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        refused = cli("restore", str(tmp_path / "saved.sqlite3"), config=config)
    finally:
        holder.kill()
        holder.wait()
    assert refused.returncode == 4 and "restore only while the bot is stopped" in refused.stderr
    assert rows(database) == 80
    done = cli("restore", str(tmp_path / "saved.sqlite3"), config=config)
    assert done.returncode == 0, done.stderr
    assert rows(database) == 50
    (kept,) = tmp_path.glob("bot.sqlite3.before-restore.*.bak")
    assert rows(kept) == 80  # the database it replaced is kept beside it
    not_a_db = tmp_path / "junk.sqlite3"
    not_a_db.write_bytes(b"junk" * 1000)
    for bad_backup in (not_a_db, tmp_path / "no-such.sqlite3"):  # checked before anything is written
        bad = cli("restore", str(bad_backup), config=config)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and rows(database) == 50, bad.stderr
        assert "kept" not in bad.stdout
    assert len(list(tmp_path.glob("bot.sqlite3.before-restore.*.bak"))) == 1


def older_database(path: Path, updates: int = 50) -> None:
    """A database as the previous tariffbot left it: every migration but the last, and some updates."""
    *older, _ = migrations()
    with contextlib.closing(sqlite3.connect(path)) as db:
        for number, item in older:
            script = item.read_text(encoding="utf-8")
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        db.executemany("INSERT INTO updates (source, dedupe_key, topics, text, created_at) "
                       "VALUES ('knowledge', ?, 'tariffs', ?, '2027-01-15T08:00:00Z')",
                       [(f"k{n}", f"update {n}") for n in range(updates)])
        db.commit()


def test_a_migration_backs_the_database_up_beside_itself_first(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    latest = len(migrations())
    for round_ in range(MIGRATION_BACKUPS + 2):
        database.unlink(missing_ok=True)
        older_database(database)

        async def reopen(round_: int = round_) -> int:
            async with Store(database, clock=lambda: NOW + round_) as store:
                return await store.schema_version()

        assert asyncio.run(reopen()) == latest
        assert rows(database) == 50  # migrated, nothing lost
    backups = sorted(tmp_path.glob("bot.sqlite3.before-migration.*.bak"))
    assert len(backups) == MIGRATION_BACKUPS  # a bounded number: the oldest go
    assert backups[-1].name == "bot.sqlite3.before-migration.2027-01-15T080004Z.bak"
    with contextlib.closing(sqlite3.connect(backups[-1])) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (latest - 1,)
    assert rows(backups[-1]) == 50
    fresh = tmp_path / "fresh.sqlite3"
    asyncio.run(make_database(fresh))
    assert not list(tmp_path.glob("fresh.sqlite3.*.bak"))  # a new database has nothing to keep


def test_json_logs_and_the_token_never_written_even_at_debug(tmp_path: Path) -> None:
    """A real `tariffbot run` at DEBUG with JSON lines: login, gateway IDENTIFY (which carries the token),
    a question, the stop. Every line is JSON; the token is in none; the question's text only at DEBUG."""

    async def scenario() -> tuple[str, int]:
        fake = FakeDiscord()
        server = await serve(fake)
        config = config_file(tmp_path, "log_format: json\n")
        config.write_text(config.read_text().replace("log_level: WARNING", "log_level: DEBUG"))
        log = tmp_path / "run.log"
        process = start_run(config, fake.base, log)
        try:
            await wait_for(lambda: connected(tmp_path / "bot.sqlite3") or process.poll() is not None,
                           what="the bot to connect")
            code, _ = await stopped_in(process, signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
            await stop(fake, server)
        return log.read_text(), code

    text, code = asyncio.run(scenario())
    assert code == 0
    lines = [json.loads(line) for line in text.splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(line["level"] == "DEBUG" and "IDENTIFY" in line["message"] for line in lines)
    assert TOKEN not in text and TOKEN.split(".")[1] not in text


async def test_question_text_only_at_debug_counts_at_info(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    harness = await started(bot_settings(tmp_path))
    caplog.set_level(logging.DEBUG)
    try:
        await harness.message(f"<@{BOT_ID}> what is the tariff on vietnamese shoes", mentions=(BOT_ID,))
        await harness.message(f"<@{BOT_ID}> who is akazawa?", mentions=(BOT_ID,))
        harness.bot.get_cog("Health").log_counts(force=True)
    finally:
        await harness.stop()
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    debug = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert "vietnamese" not in info and "akazawa" not in info.lower()
    assert "2 question(s) in the last" in info and "1 answer" in info and "1 decline" in info
    assert "vietnamese shoes" in debug and "who is akazawa?" in debug
