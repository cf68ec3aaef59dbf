"""`tariffbot health`, `backup FILE` and `restore FILE`: the running bot's health and database copies."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bot import exitcodes
from bot.config import Settings
from bot.core.health import Verdict, assess
from bot.core.instance import AlreadyRunning, InstanceLock
from bot.core.store import Store, StoreError
from bot.core.store.backup import backup_beside, check_backup, copy_database, restore_database
from bot.core.store.database import MIGRATION_BACKUPS, migrations
from bot.stopping import run_async


async def _verdict(settings: Settings) -> Verdict:
    configured = {feed.name for feed in settings.updates.feeds}
    async with Store(settings.database, readonly=True) as store:
        beat = await store.heartbeat()
        backlog = await store.backlog()
        failing = [f"{f.name} ({f.consecutive_failures} in a row)" for f in await store.feed_states()
                   if f.name in configured and f.consecutive_failures]
    return assess(beat, backlog, failing, time.time(), settings.health.stale_seconds)


def health(settings: Settings) -> int:
    """One line; exit 0 only when the bot's heartbeat is fresh and it was connected recently."""
    try:
        verdict = run_async(_verdict(settings))
    except StoreError as exc:
        print(f"unhealthy: {exc}")
        return exitcodes.FAILURE
    print(verdict.line)
    return exitcodes.OK if verdict.healthy else exitcodes.FAILURE


def _mib(size: int) -> str:
    return f"{size / 1_048_576:.1f} MiB"


def backup(settings: Settings, target: Path) -> int:
    """A consistent copy of the database (safe while the bot runs)."""
    copied = copy_database(settings.database, target)
    print(f"backed up {settings.database} (schema {copied.schema_version}, {_mib(copied.bytes)}) to "
          f"{copied.path} in {copied.seconds:.2f} s")
    return exitcodes.OK


def restore(settings: Settings, source: Path) -> int:
    """Replace the database by a backup; refused while a bot runs on it. The current one is kept beside."""
    try:
        check_backup(source, len(migrations()))  # a missing or damaged backup changes nothing
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    try:
        lock = InstanceLock(settings.database).acquire()  # no bot may start while the file is replaced
    except AlreadyRunning as exc:
        print(f"error: {exc}; restore only while the bot is stopped", file=sys.stderr)
        return exitcodes.RUNNING
    try:
        if settings.database.is_file():
            kept = backup_beside(settings.database, "before-restore", MIGRATION_BACKUPS)
            print(f"kept the current database as {kept.path}")
        version = restore_database(source, settings.database, len(migrations()))
    finally:
        lock.release()
    print(f"restored {settings.database} from {source} (schema {version}; migrated at the next start)")
    return exitcodes.OK
