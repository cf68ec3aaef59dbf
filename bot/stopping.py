"""Graceful stop on SIGTERM and SIGINT, for every command, also as PID 1 in a container.

PID 1 ignores SIGTERM unless it installs a handler, so `docker stop` would wait 10 s and SIGKILL: these
handlers make both signals ask the command to stop, each in the way that suits it:
- `stop_requests()`: synchronous commands (`chat`, `ask -`) stop at once while they wait for input
  (`Stopped` is raised there), or after the reply they are writing (`requested()` tells them);
- `run_async(coro)`: a one-shot asynchronous command is cancelled (transactions roll back, files close);
- `on_stop(callback)`: inside a running event loop (the bot), the callback starts the bot's own shutdown.

`run_async` also runs the loop's worker-thread calls (DNS lookups, feed parsing, knowledge loads) in daemon
threads: one stuck in a lookup that an unreachable DNS server answers after 10 s must not hold the exit back
(asyncio.run and the interpreter would otherwise wait for it).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from types import FrameType
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(Exception):
    """SIGTERM or SIGINT asked the command to stop; `signal` names it."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"stopped by {signal_name}")
        self.signal = signal_name


class _State:
    reading = False  # the command is waiting for input: stopping now loses nothing
    requested: str | None = None  # a signal came while it was busy: stop after the current reply


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _handler(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    if _State.reading:
        raise Stopped(name)
    _State.requested = name


@contextlib.contextmanager
def stop_requests() -> Iterator[None]:
    """Install the synchronous handlers for the duration (the previous ones come back after).

    Signals only reach the main thread: elsewhere (a command run in a test's thread) it does nothing.
    """
    if not _main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS}
    _State.reading, _State.requested = False, None
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """While waiting for input: a stop signal raises Stopped at once (one pending from before, too)."""
    if _State.requested:
        raise Stopped(_State.requested)
    _State.reading = True
    try:
        yield
    finally:
        _State.reading = False


def requested() -> str | None:
    """The signal that asked to stop while the command was busy, if any."""
    return _State.requested


def on_stop(callback: Callable[[str], object]) -> Callable[[], None]:
    """In the running loop, call `callback(signal name)` on SIGTERM or SIGINT; returns the undo.

    Only in the main thread (where signals arrive); elsewhere it does nothing.
    """
    import asyncio  # here, not at the top: `tariffbot ask` never needs asyncio, and starts faster

    loop = asyncio.get_running_loop()
    if not _main_thread():
        return lambda: None
    for sig in SIGNALS:
        loop.add_signal_handler(sig, callback, sig.name)

    def undo() -> None:
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)

    return undo


class DetachedExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each call in a daemon thread of its own, and never waits for them at shutdown."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        """Start `fn(*args, **kwargs)` in a new daemon thread; its future."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def call() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=call, name="tariffbot-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: a call still running ends with the process."""


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(work)`, cancelled by SIGTERM or SIGINT (then Stopped is raised); worker threads are
    daemons (`DetachedExecutor`)."""
    import asyncio  # here, not at the top: `tariffbot ask` never needs asyncio, and starts faster

    received: list[str] = []

    async def main() -> T:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().set_default_executor(DetachedExecutor())

        def stop(name: str) -> None:
            received.append(name)
            task.cancel()

        undo = on_stop(stop)
        try:
            return await work
        finally:
            undo()

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if received:
            raise Stopped(received[0]) from None
        raise
