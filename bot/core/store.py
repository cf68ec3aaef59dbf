"""The SQLite store (through aiosqlite): the only module in the project that contains SQL.

Schema changes are numbered files in `bot/migrations/` (`0001_name.sql`, ...), applied in order
at open; the applied version is kept in `PRAGMA user_version`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.paths import MIGRATIONS_DIR

log = logging.getLogger(__name__)
T = TypeVar("T")
_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StoreError(Exception):
    """The database could not be opened, migrated or written, even after retries."""


def migrations(folder: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """The numbered migration files, in order; numbers must run 1, 2, 3... without gaps."""
    found = sorted(
        (int(m.group(1)), path) for path in folder.glob("*.sql") if (m := _MIGRATION.match(path.name))
    )
    for expected, (number, path) in enumerate(found, start=1):
        if number != expected:
            raise StoreError(f"{path.name}: migration {expected:04d} is missing")
    return found


class Store:
    """One aiosqlite connection in WAL mode, with retries for a busy or locked database."""

    def __init__(self, path: Path, *, retries: int = 5, retry_delay: float = 0.05) -> None:
        self.path = path
        self.retries = retries
        self.retry_delay = retry_delay
        self._db: aiosqlite.Connection | None = None

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._db is None:
            raise StoreError("store is not open")
        return self._db

    async def open(self) -> Store:
        """Open (creating folders and file) and apply pending migrations."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = await aiosqlite.connect(self.path, timeout=5)
            self._db.row_factory = aiosqlite.Row
            await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA foreign_keys=ON")
            await self._db.execute("PRAGMA busy_timeout=5000")
            await self._migrate()
        except (OSError, sqlite3.Error) as exc:
            await self.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        return self

    async def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def __aenter__(self) -> Store:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0])

    async def _migrate(self) -> None:
        current = await self.schema_version()
        for number, path in migrations():
            if number <= current:
                continue
            log.info("applying migration %s", path.name)
            script = path.read_text(encoding="utf-8")
            await self.db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")

    async def run(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run `work` in one transaction, retrying when the database is busy; commit or roll back."""
        for attempt in range(self.retries + 1):
            try:
                result = await work(self.db)
                await self.db.commit()
                return result
            except sqlite3.OperationalError as exc:
                await self.db.rollback()
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or attempt == self.retries:
                    raise StoreError(f"database error: {exc}") from exc
                log.warning("database busy (%s), retry %d/%d", exc, attempt + 1, self.retries)
                await asyncio.sleep(self.retry_delay * 2**attempt)
            except BaseException:
                await self.db.rollback()
                raise
        raise AssertionError("unreachable")

    # --- Feature sections below: each feature adds its queries here, in its own section. ---
