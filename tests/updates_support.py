"""Shared pieces of the automatic-updates tests (Discord-free): fact-base copies, stores, fake senders."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from bot.core.store import Store
from bot.core.updates.records import Batch
from bot.paths import PROJECT_DIR

KNOWLEDGE = PROJECT_DIR / "knowledge"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def copy_knowledge(tmp_path: Path) -> Path:
    """A private copy of knowledge/ to edit."""
    return Path(shutil.copytree(KNOWLEDGE, tmp_path / "knowledge"))


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace YAML text exactly `count` times (fails loudly when the text is not there)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, (path.name, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def remove_entry(path: Path, entry_id: str) -> None:
    """Delete one `  - id: ...` entry (up to the next entry) from a YAML file."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(rf"  - id: {re.escape(entry_id)}\n.*?(?=\n  - id: |\Z)", "", text, flags=re.S)
    assert n == 1, entry_id
    path.write_text(new, encoding="utf-8")


@asynccontextmanager
async def local_server(handler: Handler, route: str = "/{tail:.*}") -> AsyncIterator[str]:
    """An aiohttp server on 127.0.0.1 (any free port) answering GETs of `route`; yields its base URL."""
    app = web.Application()
    app.router.add_get(route, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def open_store(path: Path) -> Store:
    """An opened store on a real SQLite file."""
    return await Store(path).open()


class Clock:
    """A controllable clock for backoff and scheduling."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class FakeSender:
    """Records every send; scripted failures per target are raised once each, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, int, str]] = []  # kind, target, nonce, content
        self.failures: dict[int, list[Exception]] = {}
        self._ids = iter(range(10_000, 10_000_000))

    async def __call__(self, batch: Batch, content: str) -> int:
        queue = self.failures.get(batch.target_id)
        if queue:
            raise queue.pop(0)
        self.sent.append((batch.kind, batch.target_id, batch.nonce, content))
        return next(self._ids)
