"""One SQLite connection (through aiosqlite): opening, numbered migrations, and retried transactions.

Schema changes are numbered files in `bot/core/migrations/` (`0001_name.sql`, ...), shipped inside the package
and read with `importlib.resources`; they are applied in order at open, and the applied version is kept
in `PRAGMA user_version`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Self, TypeVar

import aiosqlite

from bot.core.clock import Clock, stamp
from bot.core.errors import StoreError

log = logging.getLogger(__name__)
T = TypeVar("T")
_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
MIGRATIONS = files("bot.core") / "migrations"
MIGRATION_BACKUPS = 3  # copies kept beside the database, each taken before migrations changed it


def migrations(folder: Traversable = MIGRATIONS) -> list[tuple[int, Traversable]]:
    """The numbered migration files, in order; numbers must run 1, 2, 3... without gaps."""
    found = sorted(
        ((int(m.group(1)), item) for item in folder.iterdir() if (m := _MIGRATION.match(item.name))),
        key=lambda pair: pair[0],
    )
    for expected, (number, item) in enumerate(found, start=1):
        if number != expected:
            raise StoreError(f"{item.name}: migration {expected:04d} is missing")
    return found


class Database:
    """One aiosqlite connection in WAL mode, with retries for a busy or locked database.

    `clock` stamps every time the store writes (`created_at`, `sent_at`...): the caller's one clock.
    """

    def __init__(self, path: Path, *, clock: Clock = time.time, retries: int = 5,
                 retry_delay: float = 0.05, readonly: bool = False) -> None:
        self.path = path
        self.clock = clock
        self.readonly = readonly  # for readers beside the bot (`tariffbot health`): never creates or migrates
        self.retries = retries
        self.retry_delay = retry_delay
        self._db: aiosqlite.Connection | None = None
        # One connection: transactions of concurrent tasks must not interleave on it.
        self._tx_lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._db is None:
            raise StoreError("store is not open")
        return self._db

    def now(self) -> str:
        """The clock's time as stored text."""
        return stamp(self.clock())

    async def open(self) -> Self:
        """Open (creating folders and file) and apply pending migrations; read-only: open what exists."""
        if self.readonly:
            return await self._open_readonly()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = await aiosqlite.connect(self.path, timeout=5)
            self._db.row_factory = aiosqlite.Row
            await self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives the process being killed (only power loss can undo the last
            # ones); the outbox commits once per message, so a full fsync each time would cost too much.
            await self._db.execute("PRAGMA synchronous=NORMAL")
            await self._db.execute("PRAGMA foreign_keys=ON")
            await self._db.execute("PRAGMA busy_timeout=5000")
            await self._migrate()
        except (OSError, sqlite3.Error) as exc:
            await self.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        return self

    async def _open_readonly(self) -> Self:
        if not self.path.is_file():
            raise StoreError(f"no database at {self.path}")
        try:
            self._db = await aiosqlite.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
            self._db.row_factory = aiosqlite.Row
            await self._db.execute("PRAGMA busy_timeout=5000")
            version, latest = await self.schema_version(), len(migrations())
        except (OSError, sqlite3.Error) as exc:
            await self.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        if version < latest:
            await self.close()
            raise StoreError(f"the database {self.path} is at schema {version}, this tariffbot needs "
                             f"{latest}: start the bot (or any command) once to migrate it")
        return self

    async def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self._db is not None:
            db, self._db = self._db, None
            try:
                await db.close()
            except sqlite3.Error as exc:
                log.warning("closing the database failed: %s", exc)

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def read(self, sql: str, params: tuple[object, ...] = ()) -> list[aiosqlite.Row]:
        """Run one read query; a database error (corrupt page, I/O) becomes a StoreError."""
        try:
            async with self.db.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        return int((await self.read("PRAGMA user_version"))[0][0])

    async def _migrate(self) -> None:
        current = await self.schema_version()
        pending = [(number, item) for number, item in migrations() if number > current]
        if pending and current > 0:  # an existing database is about to change: keep a copy beside it first
            from bot.core.store.backup import backup_beside  # (it imports this module)

            copied = await asyncio.to_thread(backup_beside, self.path, "before-migration", MIGRATION_BACKUPS,
                                             self.clock())
            log.info("backed up the database (schema %d) to %s before migrating it to %d", current,
                     copied.path.name, pending[-1][0])
        for number, item in pending:
            log.info("applying migration %s", item.name)
            script = item.read_text(encoding="utf-8")
            await self.db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")

    async def run(self, work: Callable[[aiosqlite.Connection], Awaitable[T]], *, dry_run: bool = False) -> T:
        """Run `work` in one transaction, retrying when the database is busy; commit or roll back.

        With `dry_run`, the transaction is always rolled back: `work` can write to see what would happen.
        """
        async with self._tx_lock:
            for attempt in range(self.retries + 1):
                try:
                    result = await work(self.db)
                    if dry_run:
                        await self.db.rollback()
                    else:
                        await self.db.commit()
                    return result
                except sqlite3.Error as exc:
                    await self._rollback()
                    busy = isinstance(exc, sqlite3.OperationalError) and (
                        "locked" in str(exc) or "busy" in str(exc))
                    if not busy or attempt == self.retries:
                        raise StoreError(f"database error: {exc}") from exc
                    log.warning("database busy (%s), retry %d/%d", exc, attempt + 1, self.retries)
                    await asyncio.sleep(self.retry_delay * 2**attempt)
                except BaseException:
                    await self._rollback()
                    raise
            raise AssertionError("unreachable")

    async def _rollback(self) -> None:
        try:
            await self.db.rollback()
        except sqlite3.Error as exc:  # a full disk or corrupt file can fail the rollback too
            log.debug("rollback failed: %s", exc)
