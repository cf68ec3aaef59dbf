"""Safe reading of the fact base's YAML: size, nesting and alias-expansion caps, a consistent snapshot.

libyaml's event parser is iterative, so the caps are checked on its event stream before the (recursive)
composer ever sees a document nested 30,000 deep or an alias bomb.
"""

from __future__ import annotations

import reprlib
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser is ~10x faster; it ships in PyYAML's wheels, with the pure-Python one as fallback.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60
_SHOWN.maxlist = _SHOWN.maxdict = _SHOWN.maxset = _SHOWN.maxtuple = 4
_SHOWN.maxlevel = 2


@dataclass(frozen=True)
class Limits:
    """Caps on what one fact-base file may hold."""

    max_file_bytes: int = 5_000_000
    max_depth: int = 64
    max_alias_nodes: int = 10_000  # nodes that aliases may add when expanded, per file
    settle_seconds: float = 2.0  # unattended reloads wait until files are this old ("still being written")


class Changing(Exception):
    """The folder changed during the read: nothing was accepted, try again later."""


class Refused(ValueError):
    """A file broke a cap or could not be read; the message is the reason."""


def shown(value: Any) -> str:
    """A value quoted in an error message: repr, clipped at every level (never the whole expansion)."""
    return _SHOWN.repr(value)


def check_events(data: bytes, limits: Limits) -> None:
    """Walk the YAML event stream; raise Refused past the nesting or alias-expansion caps."""
    depth = 0
    sizes: dict[str, int] = {}  # anchor -> nodes it stands for
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, nodes so far) of open collections
    added = 0
    for event in yaml.parse(data, Loader=Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limits.max_depth:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise Refused(f"nested deeper than {limits.max_depth} levels (line {line})")
            open_nodes.append((event.anchor, 1))
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, count = open_nodes.pop()
            if anchor:
                sizes[anchor] = count
        elif isinstance(event, yaml.ScalarEvent):
            count = 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            count = sizes.get(event.anchor or "", 1)
            added += count
            if added > limits.max_alias_nodes:
                raise Refused(f"aliases expand to more than {limits.max_alias_nodes} nodes (alias bomb?)")
        else:
            continue
        if open_nodes:
            anchor, total = open_nodes[-1]
            open_nodes[-1] = (anchor, total + count)


def load_yaml(data: bytes, limits: Limits) -> Any:
    """Parse one document after the caps are checked; YAML errors propagate as yaml.YAMLError."""
    check_events(data, limits)
    return yaml.load(data, Loader=Loader)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_capped(path: Path, limit: int) -> bytes:
    """A regular file's bytes, refusing directories, dangling links and files over `limit` bytes."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise Refused("cannot read: no such file (a dangling symbolic link?)") from None
    except OSError as exc:
        raise Refused(f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise Refused("not a regular file")
    if st.st_size > limit:
        raise Refused(f"too large: {st.st_size} bytes (limit {limit})")
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise Refused(f"cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise Refused(f"too large: over {limit} bytes (limit {limit})")
    return data


def snapshot(
    root: Path, limits: Limits, *, settle: bool = False, also: tuple[str, ...] = ()
) -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    """Every `*.yaml` file's bytes (and those of the files named in `also`, where present), read as one
    consistent set: ([(name, data)], [(name, reason)]).

    Raises Changing when a file appeared, vanished or changed while they were read (or, with `settle`,
    changed within `settle_seconds`): a reload should simply be tried again later.
    """
    paths = sorted(root.glob("*.yaml")) + [root / name for name in also if (root / name).exists()]
    before = {p.name: _signature(p) for p in paths}
    if settle and limits.settle_seconds:
        newest = max((sig[2] for sig in before.values() if sig), default=0) / 1e9
        if time.time() - newest < limits.settle_seconds:
            raise Changing("files changed moments ago (still being written?); trying again later")
    files, problems = [], []
    for path in paths:
        try:
            files.append((path.name, read_capped(path, limits.max_file_bytes)))
        except Refused as exc:
            problems.append((path.name, str(exc)))
    after = {p.name: _signature(p) for p in sorted(root.glob("*.yaml"))}
    after |= {name: _signature(root / name) for name in also if (root / name).exists()}
    if after != before:
        raise Changing("files changed while they were read; trying again later")
    return files, problems

