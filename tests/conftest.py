"""Shared fixtures: the real fact base, its engine, and throw-away copies of knowledge/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.engine import Engine
from bot.core.loader import load_knowledge
from bot.core.model import KnowledgeBase
from bot.paths import PROJECT_DIR

KNOWLEDGE_DIR = PROJECT_DIR / "knowledge"
SHARED_DIR = PROJECT_DIR.parent / "shared"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The real fact base, loaded once."""
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> Engine:
    """An engine over the real fact base with the shipped settings."""
    return Engine(kb, load_settings().engine)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of knowledge/ that a test may break."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


# --- Discord bot (issue 3): `harness`, a started bot wired to the offline recorder (tests/helpers.py) ---
from tests.helpers import harness  # noqa: E402, F401
