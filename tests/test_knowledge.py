"""The fact base itself: every fact sourced by a verbatim quote, dated, and reachable."""

from __future__ import annotations

import re

import pytest

from bot.core.model import TOPICS, KnowledgeBase
from tests.conftest import KNOWLEDGE_DIR, SHARED_DIR

_CURLY = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


def _norm(text: str) -> str:
    """Whitespace and curly quotes only: the normalisation the quote rule allows."""
    return re.sub(r"\s+", " ", text.translate(_CURLY)).strip()


def test_every_quote_is_verbatim_in_its_article(kb: KnowledgeBase) -> None:
    for fact in kb.facts.values():
        assert fact.citations, fact.id
        for citation in fact.citations:
            article = (KNOWLEDGE_DIR / citation.source.file).read_text(encoding="utf-8")
            assert _norm(citation.quote) in _norm(article), (fact.id, citation.quote)


@pytest.mark.skipif(not (SHARED_DIR / "articles").is_dir(), reason="shared/ articles not beside the repo")
def test_project_sources_are_unchanged_copies_of_the_articles(kb: KnowledgeBase) -> None:
    shared = {p.name: p.read_bytes() for p in (SHARED_DIR / "articles").glob("*.txt")}
    ours = {p.name: p.read_bytes() for p in (KNOWLEDGE_DIR / "sources").glob("*.txt")}
    assert ours == shared


def test_a_fact_holds_as_of_its_newest_source(kb: KnowledgeBase) -> None:
    for fact in kb.facts.values():
        assert fact.as_of == max(c.source.date for c in fact.citations), fact.id


def test_every_fact_answers_its_own_question(kb: KnowledgeBase, engine) -> None:
    # Suggestion buttons ask a fact's question: it must come back as that very fact.
    for fact in kb.facts.values():
        answer = engine.ask(fact.question)
        assert answer.fact is not None and answer.fact.id == fact.id, (fact.question, answer.fact)


def test_records_cover_what_the_issue_names(kb: KnowledgeBase) -> None:
    assert {"akazawa", "bessent", "greer", "lutnick", "trump"} <= set(kb.participants)
    kinds = {t.kind for t in kb.tariffs}
    assert kinds == {"universal", "reciprocal", "sectoral"}
    paused = [t for t in kb.tariffs if t.status == "paused"]
    assert paused and all(t.until for t in paused)
    assert len(kb.rounds) == 2 and kb.rounds[0].date < kb.rounds[1].date
    assert all(set(f.topics) <= set(TOPICS) for f in kb.facts.values())
    titles = {s.title for s in kb.sources.values()}
    assert len(titles) == 2 and all(s.publisher is None for s in kb.sources.values())


def test_round_attendees_are_known_participants(kb: KnowledgeBase) -> None:
    for round_ in kb.rounds:
        assert set(round_.attendees) <= set(kb.participants)
        for person in round_.attendees:
            assert kb.participants[person].name.split()[-1] in round_.fact.answer or person == "akazawa"
