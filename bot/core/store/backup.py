"""Consistent copies of the database with SQLite's online backup API, safe while the bot writes to it.

The copy is taken in one step (one read transaction: a snapshot, while a WAL-mode writer goes on),
written beside the target under a temporary name, checked, switched to a self-contained file (no -wal)
and renamed into place: a target is never left half-written.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bot.core.clock import stamp
from bot.core.store.database import StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Copied:
    """What a backup wrote."""

    path: Path
    bytes: int
    schema_version: int
    seconds: float


def _open_existing(path: Path) -> sqlite3.Connection:
    """A read-only connection to an existing database file (never creates one)."""
    if not path.is_file():
        raise StoreError(f"no database at {path}")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)


def _check(db: sqlite3.Connection, what: Path) -> int:
    """The schema version of a sound database; StoreError when SQLite finds it damaged."""
    found = db.execute("PRAGMA integrity_check").fetchone()[0]  # (3.40's quick_check misreads WITHOUT ROWID)
    if found != "ok":
        raise StoreError(f"{what}: the copy fails SQLite's check: {found}")
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def copy_database(source: Path, target: Path) -> Copied:
    """Write a consistent, checked copy of `source` to `target` (replaced atomically)."""
    started = time.monotonic()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        src = _open_existing(source)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot
                dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, whatever the source's mode
                version = _check(dst, target)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot back up {source} to {target}: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return Copied(target, target.stat().st_size, version, time.monotonic() - started)


def backup_beside(database: Path, label: str, keep: int, now: float | None = None) -> Copied:
    """A copy named `<database>.<label>.<UTC time>.bak` beside the database; only the newest `keep` of that
    label are kept."""
    when = stamp(time.time() if now is None else now).replace(":", "").replace("+0000", "Z")
    copied = copy_database(database, database.with_name(f"{database.name}.{label}.{when}.bak"))
    olds = sorted(database.parent.glob(f"{database.name}.{label}.*.bak"), key=lambda p: p.name)
    for old in olds[:-keep] if keep > 0 else olds:
        old.unlink(missing_ok=True)
        log.info("removed the old backup %s (keeping %d)", old.name, keep)
    return copied


def _restorable(db: sqlite3.Connection, backup: Path, newest_schema: int) -> int:
    """The backup's schema version; StoreError when it is damaged or newer than this tariffbot knows."""
    version = _check(db, backup)
    if version > newest_schema:
        raise StoreError(f"{backup} comes from a newer tariffbot (schema {version}, this one knows "
                         f"{newest_schema}): upgrade first")
    return version


def check_backup(backup: Path, newest_schema: int) -> int:
    """Whether `backup` can be restored (StoreError says why not); its schema version. Writes nothing."""
    try:
        src = _open_existing(backup)
        try:
            return _restorable(src, backup, newest_schema)
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise StoreError(f"{backup} is not a usable backup: {exc}") from exc


def restore_database(backup: Path, database: Path, newest_schema: int) -> int:
    """Replace the database's content by the backup's (through SQLite, so its WAL stays consistent);
    returns the backup's schema version. The caller makes sure no bot runs on it."""
    try:
        src = _open_existing(backup)
        try:
            version = _restorable(src, backup, newest_schema)
            database.parent.mkdir(parents=True, exist_ok=True)
            dst = sqlite3.connect(database, timeout=5)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot restore {backup} into {database}: {exc}") from exc
    return version
