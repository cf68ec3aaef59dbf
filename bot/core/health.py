"""The running bot's heartbeat, and the one-line verdict `tariffbot health` prints from it."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What the running bot last recorded about itself (times in Unix seconds)."""

    pid: int
    started_at: float
    beat_at: float
    connected: bool
    connected_at: float | None = None
    guilds: int = 0
    latency_ms: float | None = None
    questions: int = 0
    stopped_at: float | None = None


@dataclass(frozen=True, slots=True)
class Backlog:
    """Pending deliveries: to active destinations, held for paused ones, and the oldest pending update."""

    pending: int = 0
    held: int = 0
    oldest_at: float | None = None  # when the oldest pending delivery's update was queued


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the bot is alive and connected recently, and the line that says it all."""

    healthy: bool
    line: str


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def assess(beat: Heartbeat | None, backlog: Backlog, failing: list[str], now: float, stale: float) -> Verdict:
    """Healthy only when the heartbeat is fresher than `stale` s and the bot was connected within it."""
    if beat is None:
        problem, state = "no heartbeat: the bot has not run on this database", ""
    else:
        age = now - beat.beat_at
        connected_ago = None if beat.connected_at is None else now - beat.connected_at
        if beat.stopped_at is not None:
            problem = f"stopped {_age(now - beat.stopped_at)} ago (pid {beat.pid})"
        elif age > stale:
            problem = f"heartbeat {_age(age)} old (limit {_age(stale)}): the bot is not running or is stuck"
        elif connected_ago is None or connected_ago > stale:
            when = "never" if connected_ago is None else f"last {_age(connected_ago)} ago"
            problem = f"not connected to Discord (connected: {when})"
        else:
            problem = ""
        latency = beat.latency_ms
        shown_latency = "?" if latency is None or not math.isfinite(latency) else f"{latency:.0f} ms"
        state = (f"{'connected' if beat.connected else 'disconnected'}, {beat.guilds} guild(s), "
                 f"latency {shown_latency}, heartbeat {_age(age)} ago, pid {beat.pid}, "
                 f"up {_age(beat.beat_at - beat.started_at)}, {beat.questions} question(s)")
    oldest = "" if backlog.oldest_at is None else f", oldest {_age(now - backlog.oldest_at)}"
    held = f", {backlog.held} held for paused destinations" if backlog.held else ""
    outbox = f"outbox {backlog.pending} pending{oldest}{held}"
    feeds = f"failing feeds: {', '.join(failing)}" if failing else "no failing feeds"
    parts = [p for p in (problem, state, outbox, feeds) if p]
    return Verdict(not problem, ("ok: " if not problem else "unhealthy: ") + "; ".join(parts))
