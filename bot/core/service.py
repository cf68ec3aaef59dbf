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
    """Owns the live KnowledgeBase and its Engine."""

    def __init__(self, knowledge_dir: Path, settings: EngineSettings | None = None) -> None:
        self.knowledge_dir = knowledge_dir
        self.settings = settings or EngineSettings()
        self.kb: KnowledgeBase = load_knowledge(knowledge_dir)
        self.engine = Engine(self.kb, self.settings)

    def reload(self) -> KnowledgeBase:
        """Load the folder again; on KnowledgeError the old fact base keeps serving."""
        kb = load_knowledge(self.knowledge_dir)
        if kb.fingerprint != self.kb.fingerprint:
            self.kb, self.engine = kb, Engine(kb, self.settings)
            log.info("fact base reloaded: %d facts", len(kb.facts))
        return self.kb
