"""The concept index: its pruned posting loop finds the neighbours a plain scan of every question finds."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.evaluation import load_set
from bot.core.matching.index import BROADER, SIMILARITY_FLOOR, DocKind, FactIndex
from bot.core.matching.lexicon import Analysis

DATA = Path(__file__).parent / "data"


def _scanned(index: FactIndex, weights: dict[str, float]) -> dict[tuple[DocKind, int], float]:
    """Per (kind, owner), the best similarity of any indexed question, by scanning them all."""
    total = sum(weights.values())
    best: dict[tuple[DocKind, int], float] = {}
    for doc in index.docs:
        common = sum(weights.get(t, 0.0) for t in doc.terms)
        common += sum(
            BROADER * w
            for t, w in weights.items()
            if t not in doc.terms and index.broader.get(t) in doc.terms
        )
        extra = doc.weight - common
        similarity = common / (total + doc.extra * extra) if extra > 0 else common / total
        if similarity >= SIMILARITY_FLOOR and similarity > best.get((doc.kind, doc.owner), 0.0):
            best[doc.kind, doc.owner] = similarity
    return best


def _assert_same(index: FactIndex, analysis: Analysis) -> None:
    """Every fact's closest example and gap, and the closest decline question: as the plain scan finds."""
    scanned = _scanned(index, index.term_weights(analysis))
    near = index.neighbours(analysis)
    for kind, found in ((DocKind.EXAMPLE, near.examples), (DocKind.GAP, near.gaps)):
        expected = {owner: s for (k, owner), s in scanned.items() if k is kind}
        assert found.keys() == expected.keys()
        assert all(abs(found[i] - expected[i]) < 1e-9 for i in expected)
    declines = {owner: s for (k, owner), s in scanned.items() if k is DocKind.DECLINE}
    assert abs(near.decline - max(declines.values(), default=0.0)) < 1e-9
    if near.decline_group is not None:  # one of the groups that tie for the closest
        assert abs(declines[near.decline_group] - near.decline) < 1e-9


def test_the_pruned_posting_loop_misses_no_neighbour_of_real_questions(engine: Engine) -> None:
    questions = [item.question for item in itertools.islice(load_set(DATA / "blind31.yaml"), 120)]
    for question in questions:
        analysis = engine.analyse(question)
        if analysis.terms:
            _assert_same(engine.index, analysis)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_pruned_posting_loop_misses_no_neighbour_of_any_mix_of_terms(
    engine: Engine, data: st.DataObject
) -> None:
    """Terms drawn from what the index holds, common and rare, in any number: the same neighbours."""
    terms = sorted(engine.index.idf)
    chosen = data.draw(st.lists(st.sampled_from(terms), min_size=1, max_size=9, unique=True))
    plain = [t for t in chosen if not t.startswith("?")]
    intents = frozenset(t[1:] for t in chosen if t.startswith("?"))
    _assert_same(engine.index, Analysis(tuple(plain), intents))
