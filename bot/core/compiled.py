"""The fact base and its engine built once and kept in a cache file, so `tariffbot ask` starts fast.

Building the engine analyses every example question (a few hundred milliseconds); loading the
cached build takes about 15 ms. The cache key covers every byte of the knowledge folder, the source
of `bot/core` and the engine settings, so any change rebuilds it. The cache lives in the bot's own
data folder (`cache_dir`), which only the bot writes: it is loaded with pickle.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path

from bot.core.engine import Engine
from bot.core.loader import load_knowledge
from bot.core.settings import EngineSettings
from bot.core.yamlsafe import Limits

log = logging.getLogger(__name__)
FORMAT = b"tariffbot-engine-1"
CORE_DIR = Path(__file__).resolve().parent
PREFIX = "engine-"


@cache
def _code_digest() -> bytes:
    """A digest of the core's source: a new version of the matcher never reads an old build."""
    digest = hashlib.sha256(FORMAT)
    for path in sorted(CORE_DIR.rglob("*.py")):
        digest.update(path.relative_to(CORE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.digest()


def cache_key(knowledge_dir: Path, settings: EngineSettings) -> str:
    """Every file of the knowledge folder, the core's code and the settings, as one hex digest."""
    digest = hashlib.sha256(_code_digest() + repr(settings).encode())
    for path in sorted(p for p in knowledge_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(knowledge_dir).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def load_engine(
    knowledge_dir: Path,
    settings: EngineSettings,
    cache_dir: Path | None,
    limits: Limits | None = None,
    *,
    settle: bool = False,
) -> Engine:
    """The engine over the knowledge folder: from the cache when it matches, else built (and cached).

    Raises KnowledgeError (or KnowledgeChanging) when the folder does not load, exactly as building it
    directly would; `limits` and `settle` go to the loader.
    """
    if cache_dir is None:
        return Engine(load_knowledge(knowledge_dir, limits, settle=settle), settings)
    key = cache_key(knowledge_dir, settings)
    path = cache_dir / f"{PREFIX}{key[:40]}.pickle"
    try:
        with path.open("rb") as handle:
            engine = pickle.load(handle)
        if isinstance(engine, Engine):
            return engine
    except FileNotFoundError:
        pass  # the first start after a change
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError) as exc:
        log.info("ignoring an unreadable engine cache %s: %s", path.name, exc)
    engine = Engine(load_knowledge(knowledge_dir, limits, settle=settle), settings)
    if cache_key(knowledge_dir, settings) == key:  # the folder did not change while it was read
        _store(engine, path)
    return engine


def _store(engine: Engine, path: Path) -> None:
    """Write the build atomically and drop older builds; a read-only or full disk only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(engine, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        for old in path.parent.glob(f"{PREFIX}*.pickle"):
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()
    except OSError as exc:
        log.info("could not cache the engine in %s: %s", path.parent, exc)
