"""Group commit: writes that arrive while one is running go together in the next transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupWriter(Generic[T]):
    """`await submit(item)` returns once `item` is written, or raises the error of its write.

    Nothing waits for company: the first caller writes at once and, while its transaction runs, later
    callers queue up; it then writes all of them in one more transaction, and so on until none is left.
    """

    def __init__(self, write: Callable[[list[T]], Awaitable[None]]) -> None:
        self._write = write
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._writing = False

    async def submit(self, item: T) -> None:
        """Write `item` (with whatever else is waiting); raise the error if that write failed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writing:
            return await future
        self._writing = True
        try:
            while self._pending:
                group, self._pending = self._pending, []
                try:
                    await self._write([queued for queued, _ in group])
                except BaseException as exc:
                    failed, self._pending = group + self._pending, []
                    error = exc if isinstance(exc, Exception) else RuntimeError(repr(exc))
                    for _, other in failed:
                        if other is not future and not other.done():
                            other.set_exception(error)
                    raise
                for _, other in group:
                    if not other.done():
                        other.set_result(None)
        finally:
            self._writing = False
