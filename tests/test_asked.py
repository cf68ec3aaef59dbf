"""knowledge/asked.yaml: the labelled sets' questions as data the engine matches, and how it is checked."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from bot.core.answer import Kind
from bot.core.engine import Engine
from bot.core.evaluation import load_set
from bot.core.loader import KnowledgeError, load_knowledge
from bot.core.model import KnowledgeBase
from bot.core.text import normalise_question
from scripts.import_asked import TARGET, import_sets, render

DATA = Path(__file__).parent / "data"
BIGWIG = "which bigwig from the treasury did tokyo's envoy huddle with"  # in no set and no curated question


def write_asked(knowledge: Path, entries: list[dict[str, object]]) -> None:
    """Replace a knowledge copy's asked.yaml."""
    (knowledge / "asked.yaml").write_text(yaml.safe_dump({"asked": entries}), encoding="utf-8")


def test_asked_yaml_is_what_the_import_writes_from_the_sets_in_tests_data(kb: KnowledgeBase) -> None:
    """A set added or changed in tests/data without running scripts/import_asked.py fails here."""
    written = render(import_sets(kb, sorted(DATA.glob("*.yaml"))))
    assert TARGET.read_text(encoding="utf-8") == written
    assert {a.id for a in kb.asked} == {p.stem for p in DATA.glob("*.yaml")}


def test_every_asked_question_gets_what_its_set_says(kb: KnowledgeBase, engine: Engine) -> None:
    wrong = []
    for asked in kb.asked:
        for fact_id, questions in asked.answers.items():
            for question in questions:
                answer = engine.ask(question)
                if not (answer.answered and answer.fact is kb.facts[fact_id]):
                    wrong.append(f"{asked.id}: {question!r} -> {answer.kind} (expected {fact_id})")
        for question in asked.declines:
            if engine.ask(question).answered:
                wrong.append(f"{asked.id}: {question!r} answered (expected a decline)")
        for question in asked.later:
            if (kind := engine.ask(question).kind) is not Kind.HORIZON:
                wrong.append(f"{asked.id}: {question!r} -> {kind} (expected the horizon reply)")
    assert not wrong, "\n".join(wrong)


def test_leaving_a_set_out_removes_exactly_its_questions(kb: KnowledgeBase, engine: Engine) -> None:
    left_out = kb.leaving_out({"blind10"})
    assert [a.id for a in left_out.asked] == [a.id for a in kb.asked if a.id != "blind10"]
    unseen = Engine(left_out)
    blind10 = next(a for a in kb.asked if a.id == "blind10")
    own = {q for qs in blind10.answers.values() for q in qs} | set(blind10.declines) | set(blind10.later)
    gone = {d.text for d in engine.index.docs} - {d.text for d in unseen.index.docs}
    assert gone and gone <= own
    assert all(normalise_question(q) in engine.index.exact for q in own)
    assert not any(normalise_question(q) in unseen.index.exact for q in own)


def test_asked_questions_are_matched_like_examples(knowledge_copy: Path) -> None:
    """A question only an asked set holds helps answer other wordings of it (through the model, not the
    word-for-word lookup), and stops helping once the set is left out."""
    write_asked(knowledge_copy, [{"id": "mine", "answers": {"bessent": [BIGWIG]}}])
    kb = load_knowledge(knowledge_copy)
    for wording in ("tokyo's envoy huddled with which treasury bigwig", "the treasury bigwig the envoy met"):
        answer = Engine(kb).ask(wording)
        assert answer.kind is Kind.ANSWER and answer.fact is kb.facts["bessent"], answer.reply
        assert not Engine(kb.leaving_out({"mine"})).ask(wording).answered


def test_an_asked_later_question_gets_the_horizon_reply(knowledge_copy: Path) -> None:
    question = "did the tokyo envoy's autumn trip clinch anything"
    write_asked(knowledge_copy, [{"id": "mine", "later": [question]}])
    engine = Engine(load_knowledge(knowledge_copy))
    assert engine.ask(question).kind is Kind.HORIZON


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"id": "mine", "answers": ["bessent"]}, "answers must map fact ids to lists of questions"),
        ({"id": "mine", "answers": {"bessent": "who is he"}}, "'bessent': must be a list of text"),
        ({"id": "mine", "declines": ["  "]}, "declines must be non-empty text"),
        ({"id": "Mine!", "declines": ["what about mexico"]}, "id must be an id"),
        ({"id": "mine", "extra": []}, "unknown key 'extra'"),
    ],
)
def test_a_bad_asked_entry_is_one_clear_problem(
    knowledge_copy: Path, entry: dict[str, object], reason: str
) -> None:
    write_asked(knowledge_copy, [entry])
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge_copy)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("asked.yaml: ") and reason in caught.value.problems[0]


def test_an_asked_question_a_curator_makes_curated_is_left_out_of_asked_yaml(
    kb: KnowledgeBase, knowledge_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Promoting an asked question to a curated example must not stop the fact base loading (the import
    cannot run on a fact base that does not load): the asked copy is left out, with a warning."""
    example = kb.facts["akazawa"].examples[0]
    write_asked(knowledge_copy, [{"id": "mine", "answers": {"akazawa": [example.upper(), "akazawa who??"]}}])
    with caplog.at_level(logging.WARNING, logger="bot.core.loader"):
        loaded = load_knowledge(knowledge_copy)
    assert loaded.asked[0].answers == {"akazawa": ("akazawa who??",)}
    assert "asked.yaml: mine: 1 question(s) left out (no words or held before)" in caplog.text


def test_check_names_asked_yaml_for_an_asked_question_the_matcher_cannot_tell_apart(
    kb: KnowledgeBase, knowledge_copy: Path
) -> None:
    twin = "so " + kb.facts["bessent"].examples[0] + " then"  # the same concepts as an example of bessent
    write_asked(knowledge_copy, [{"id": "mine", "answers": {"lutnick": [twin]}}])
    [problem] = Engine(load_knowledge(knowledge_copy)).index.conflicts()
    assert problem.startswith(f"asked.yaml: mine: example {twin!r} of lutnick reads the same as example ")


def test_the_import_keeps_a_question_as_the_engine_reads_it(kb: KnowledgeBase, tmp_path: Path) -> None:
    questions = tmp_path / "mine.yaml"
    questions.write_text(
        yaml.safe_dump(
            {
                "inscope": [{"q": f"Q7) {BIGWIG}", "expect": [["Bessent"]]}],
                "outscope": [{"q": "question 3: what did the envoy eat for lunch in DC", "decline": True}],
            }
        ),
        encoding="utf-8",
    )
    imported = import_sets(kb, [questions])["mine"]
    assert [q for questions in imported.answers.values() for q in questions] == [BIGWIG]
    assert imported.declines == ["what did the envoy eat for lunch in DC"]


def test_a_fact_holding_only_a_loose_alternative_is_not_the_label(kb: KnowledgeBase, tmp_path: Path) -> None:
    """'May' beside 'mid-May': the tariffs overview says '1 May', the outcome says 'mid-May' and 'progress';
    the overview is closer to this question, but the outcome is what the author meant."""
    question = "where do things stand rn with the japan us tariff talks"
    questions = tmp_path / "mine.yaml"
    questions.write_text(
        yaml.safe_dump(
            {"inscope": [{"q": question, "expect": [["progress", "mid-May", "May"]]}], "outscope": []}
        ),
        encoding="utf-8",
    )
    curated = Engine(kb.leaving_out({a.id for a in kb.asked}))
    ranked = [fact.id for fact, _ in curated.read(question).features]
    assert ranked.index("tariffs-overview") < ranked.index("talks-outcome")
    assert import_sets(kb, [questions])["mine"].answers == {"talks-outcome": [question]}


def test_questions_of_a_removed_fact_are_left_out_with_a_warning(
    knowledge_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """asked.yaml is derived: removing a fact must not break the fact base until the import is rerun."""
    write_asked(
        knowledge_copy,
        [{"id": "mine", "answers": {"bessent": ["treasury bigwig?"], "no-such-fact": ["who is nobody"]}}],
    )
    with caplog.at_level(logging.WARNING, logger="bot.core.loader"):
        kb = load_knowledge(knowledge_copy)
    assert kb.asked[0].answers == {"bessent": ("treasury bigwig?",)}
    assert "asked.yaml: mine: questions of 1 unknown fact(s) (no-such-fact) left out" in caplog.text


def test_no_curated_near_miss_reads_like_what_the_sets_answer(kb: KnowledgeBase) -> None:
    """A gap or decline question that reads (to the matcher) exactly like questions the labelled sets
    answer, and like none they decline, blocks what people ask: 'which carmakers have claimed the
    reimbursements' (a detail not given) read like 'which carmakers can claim them' (answered: those
    producing in the US), asked in 11 sets."""
    curated = Engine(kb.leaving_out({a.id for a in kb.asked}))
    terms = curated.index.question_terms
    near_misses = {terms(q): q for f in kb.facts.values() for q in f.gaps}
    near_misses |= {terms(q): q for g in kb.declines for q in g.examples}
    answered: dict[str, int] = {}
    declined: dict[str, int] = {}
    for path in sorted(DATA.glob("*.yaml")):
        for item in load_set(path):
            question = near_misses.get(terms(curated.prepare(item.question)))
            if question is not None:
                counts = answered if item.in_scope else declined
                counts[question] = counts.get(question, 0) + 1
    blocking = {q: n for q, n in answered.items() if n >= 2 and not declined.get(q)}
    assert not blocking
