"""The current fact base and engine, swapped together on reload; a broken reload keeps the old one."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import EngineSettings
from bot.core.engine import Engine
from bot.core.loader import load_knowledge
from bot.core.model import KnowledgeBase

log = logging.getLogger(__name__)


class KnowledgeService:
    """Owns the live KnowledgeBase and its Engine; `reload` is safe to run in a worker thread."""

    def __init__(self, knowledge_dir: Path, settings: EngineSettings | None = None) -> None:
        self.knowledge_dir = knowledge_dir
        self.settings = settings or EngineSettings()
        kb = load_knowledge(knowledge_dir)
        self._current = (kb, Engine(kb, self.settings))

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
        kb = load_knowledge(self.knowledge_dir)
        if kb.fingerprint != self.kb.fingerprint:
            self._current = (kb, Engine(kb, self.settings))  # one assignment: readers never see a mix
            log.info("fact base reloaded: %d facts", len(kb.facts))
        return self.kb
