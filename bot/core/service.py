"""The current fact base and engine, swapped together on reload; a broken reload keeps the old one."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.core.compiled import load_engine
from bot.core.engine import Engine
from bot.core.model import KnowledgeBase
from bot.core.settings import EngineSettings

log = logging.getLogger(__name__)


class KnowledgeService:
    """Owns the live KnowledgeBase and its Engine; `reload` is safe to run in a worker thread."""

    def __init__(
        self, knowledge_dir: Path, settings: EngineSettings | None = None, cache_dir: Path | None = None
    ) -> None:
        self.knowledge_dir = knowledge_dir
        self.settings = settings or EngineSettings()
        self.cache_dir = cache_dir
        engine = load_engine(knowledge_dir, self.settings, cache_dir)
        self._current = (engine.kb, engine)

    @property
    def kb(self) -> KnowledgeBase:
        """The fact base being served."""
        return self._current[0]

    @property
    def engine(self) -> Engine:
        """The engine over the fact base being served."""
        return self._current[1]

    def reload(self) -> KnowledgeBase:
        """Load the folder again; on KnowledgeError the old fact base keeps serving."""
        engine = load_engine(self.knowledge_dir, self.settings, self.cache_dir)
        if engine.kb.fingerprint != self.kb.fingerprint:
            self._current = (engine.kb, engine)  # one assignment: readers never see a mix
            log.info("fact base reloaded: %d facts", len(engine.kb.facts))
        return self.kb
