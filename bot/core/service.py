"""The current fact base and engine, swapped together on reload; a broken reload keeps the old one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from bot.core.compiled import load_engine
from bot.core.engine import Engine
from bot.core.model import KnowledgeBase
from bot.core.settings import EngineSettings
from bot.core.updates.relevance import RelevanceIndex
from bot.core.yamlsafe import Limits

log = logging.getLogger(__name__)


class KnowledgeService:
    """Owns the live KnowledgeBase and its Engine; `load` is safe to run in a worker thread."""

    def __init__(
        self,
        knowledge_dir: Path,
        settings: EngineSettings | None = None,
        *,
        limits: Limits | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.knowledge_dir = knowledge_dir
        self.settings = settings or EngineSettings()
        self.limits = limits or Limits()
        self.cache_dir = cache_dir
        engine = load_engine(knowledge_dir, self.settings, cache_dir, self.limits)
        self._current = (engine.kb, engine)
        self._prepared: tuple[KnowledgeBase, Engine] | None = None
        self._relevance: tuple[KnowledgeBase, RelevanceIndex] | None = None

    @property
    def kb(self) -> KnowledgeBase:
        """The fact base being served."""
        return self._current[0]

    @property
    def engine(self) -> Engine:
        """The engine over the fact base being served."""
        return self._current[1]

    @property
    def relevance(self) -> RelevanceIndex:
        """The news relevance index of the fact base being served, built once per fact base."""
        kb = self.kb
        if self._relevance is None or self._relevance[0] is not kb:
            self._relevance = (kb, RelevanceIndex(kb))
        return self._relevance[1]

    def load(self, *, settle: bool = False) -> KnowledgeBase:
        """Load the folder and build its engine, without serving it yet (CPU-bound: run in a thread)."""
        engine = load_engine(self.knowledge_dir, self.settings, self.cache_dir, self.limits, settle=settle)
        if engine.kb.fingerprint != self.kb.fingerprint:
            self._prepared = (engine.kb, engine)
        return engine.kb

    def serve(self, kb: KnowledgeBase) -> Callable[[], None]:
        """Start answering from `kb` (one assignment: readers never see a mix); returns an undo."""
        previous = self._current
        if kb.fingerprint != previous[0].fingerprint:
            prepared = self._prepared
            engine = prepared[1] if prepared and prepared[0] is kb else Engine(kb, self.settings)
            self._current, self._prepared = (kb, engine), None
            log.info("fact base now served: %d facts", len(kb.facts))

        def undo() -> None:
            self._current = previous

        return undo

    def reload(self) -> KnowledgeBase:
        """Load the folder again and serve it; on KnowledgeError the old fact base keeps serving."""
        self.serve(self.load())
        return self.kb
