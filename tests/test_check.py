"""`tariffbot check`: every problem in a broken fact base reported as `file: entry: reason`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.core.loader import KnowledgeError, load_knowledge
from tests.helpers import FACT_BASE


def _check(knowledge: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    config = knowledge.parent / "config.yaml"
    config.write_text(f"knowledge_dir: {knowledge.name}\ndatabase: db.sqlite3\n")
    code = main(["--config", str(config), "check"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err.splitlines()


def _problems_with_file(
    knowledge: Path, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> list[str]:
    """The problems `check` reports (it must fail) once a file `name` holding `text` joins the fact base."""
    (knowledge / name).write_text(text)
    code, lines = _check(knowledge, capsys)
    assert code == 1
    return lines


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_fact_base_passes(knowledge_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = knowledge_copy.parent / "config.yaml"
    config.write_text("knowledge_dir: knowledge\n")
    assert main(["--config", str(config), "check"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_the_test_fact_base_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge_dir: {FACT_BASE}\ncache_dir: null\n")
    assert main(["--config", str(config), "check"]) == 0
    assert capsys.readouterr().out.startswith("ok: 17 facts, ")


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "talks.yaml",
            "    question: How long did the 1 May talks last?",
            "    question: How long did the 1 May talks last?\n    colour: red",
            "talks.yaml: talks-duration: unknown key 'colour'",
        ),
        (
            "talks.yaml",
            "  - id: talks-outcome",
            "  - id: talks-duration",
            "talks.yaml: talks-duration: duplicate id",
        ),
        (
            "talks.yaml",
            "The negotiations lasted about 130 minutes.\n",
            "The negotiations lasted about 230 minutes.\n",
            "talks.yaml: talks-duration: quote not found in source 'speed-up-2025-05-02'",
        ),
        (
            "talks.yaml",
            "about: [akazawa, bessent]",
            "about: [akazawa, bessant]",
            "talks.yaml: talks-handshake: about names unknown participant 'bessant'",
        ),
        (
            "talks.yaml",
            "attendees: [akazawa, bessent, greer, lutnick]",
            "attendees: [akazawa, nobody]",
            "talks.yaml: round-second: attendees names unknown participant 'nobody'",
        ),
        (
            "tariffs.yaml",
            "    kind: reciprocal\n",
            "    kind: punitive\n",
            "tariffs.yaml: tariff-reciprocal-japan: kind must be one of universal, reciprocal, sectoral",
        ),
        (
            "tariffs.yaml",
            "    rate: 24\n",
            "    rate: lots\n",
            "tariffs.yaml: tariff-reciprocal-japan: rate must be a number",
        ),
        (
            "context.yaml",
            "    as_of: 2025-05-01\n",
            "    as_of: soon\n",
            "context.yaml: context-japan-corn-soy-source: as_of must be a date YYYY-MM-DD",
        ),
        (
            "context.yaml",
            "      - source: progress-2025-05-01\n        quote: The United States is already",
            "      - source: nowhere\n        quote: The United States is already",
            "context.yaml: context-japan-corn-soy-source: unknown source 'nowhere'",
        ),
        (
            "proposals.yaml",
            "    status: under consideration\n",
            "",
            "proposals.yaml: proposal-rice: missing required key 'status'",
        ),
        (
            "participants.yaml",
            "topics: [participants]\n    intents: [who, what, when, where]\n    keywords: [name, treasury",
            "topics: [politics]\n    intents: [who, what, when, where]\n    keywords: [name, treasury",
            "participants.yaml: bessent: topics must be one of",
        ),
        (
            "sources.yaml",
            "file: sources/2025-05-01-japan-us-make-progress-in-tariff-talks.txt",
            "file: sources/missing.txt",
            "sources.yaml: progress-2025-05-01: source file 'sources/missing.txt' not found",
        ),
        (
            "vocabulary.yaml",
            "    rice: [rice]",
            "    rice: [rice, no]",
            "vocabulary.yaml: vocabulary.synonyms.rice: must be a list of words (quote yes/no/on/off",
        ),
        (
            "vocabulary.yaml",
            "    home: [usa, washington]",
            "    home: [usa, washingtn]",
            "vocabulary.yaml: vocabulary.levied.home: unknown concept 'washingtn'",
        ),
        (
            "vocabulary.yaml",
            "    tariff: tariff\n",
            "    tariff: [tariff]\n",
            "vocabulary.yaml: vocabulary.levied.tariff: must be a concept name",
        ),
        (
            "vocabulary.yaml",
            "  closing: [exactly, precisely]",
            "  closing: [exactly, no]",
            "vocabulary.yaml: vocabulary.closing: must be a list of single words (quote yes/no/on/off",
        ),
        (
            "vocabulary.yaml",
            '"🍚": rice,',
            '"🍚2": rice,',
            "vocabulary.yaml: vocabulary.symbols.🍚2: holds a letter or digit: a spelling",
        ),
        (
            "vocabulary.yaml",
            '"🍚": rice,',
            '"🍚": yes,',
            "vocabulary.yaml: vocabulary.symbols.🍚: must be the words it stands for (quote yes/no/on/off",
        ),
        (
            "vocabulary.yaml",
            '"&": and,',
            '"&": and, "@": at,',
            "vocabulary.yaml: vocabulary.symbols.@: holds one of",
        ),
        (
            "conversation.yaml",
            "  smalltalk_filler: [a, an,",
            "  smalltalk_filler: [no, an,",
            "conversation.yaml: conversation.smalltalk_filler: ",
        ),
        (
            "decision.yaml",
            "    trees:\n",
            "    trees:\n      - [colour, 0.5, 0.1, -0.1]\n",
            "decision.yaml: decision.answer.trees[0]: unknown feature 'colour': use one of example, ",
        ),
        (
            "decision.yaml",
            "    trees:\n",
            "    trees:\n      - 0.1\n      - [margin, 0.5, lots, -0.1]\n",
            "decision.yaml: decision.answer.trees[1]: must be a leaf number or [FEATURE, THRESHOLD, TREE",
        ),
        (
            "decision.yaml",
            "    trees:\n",
            "    trees:\n      - [margin, .nan, 0.1, -0.1]\n",
            "decision.yaml: decision.answer.trees[0]: must be a number, not nan",
        ),
        (
            "decision.yaml",
            "    trees:\n",
            "    trees:\n      - [margin, 0.5, 0.1, .inf]\n",
            "decision.yaml: decision.answer.trees[0]: must be a leaf number",
        ),
        (
            "decision.yaml",
            "    trees:\n",
            "    trees:\n      - [margin, 0.5, 0.1]\n",
            "decision.yaml: decision.answer.trees[0]: a split must be [FEATURE, THRESHOLD, TREE, TREE]",
        ),
        (
            "decision.yaml",
            "    trees:\n",
            "    trees:\n      - " + "[margin, 0.5, " * 9 + "0" + ", 0]" * 9 + "\n",  # 9 levels
            "decision.yaml: decision.answer.trees[0]: deeper than 8 levels",
        ),
    ],
)
def test_a_broken_entry_is_reported_with_file_entry_and_reason(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str], file: str, old: str, new: str, expected: str
) -> None:
    _edit(knowledge_copy / file, old, new)
    code, lines = _check(knowledge_copy, capsys)
    assert code == 1
    assert any(line.startswith(expected) for line in lines), lines


def test_a_tree_of_eight_levels_loads(knowledge_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = "[margin, 0.5, " * 8 + "0" + ", 0]" * 8
    _edit(knowledge_copy / "decision.yaml", "    trees:\n", f"    trees:\n      - {deep}\n")
    assert _check(knowledge_copy, capsys)[0] == 0


def test_invalid_yaml_names_the_line(knowledge_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _problems_with_file(
        knowledge_copy, capsys, "extra.yaml", "facts:\n  - id: x\n    answer: [unclosed\n"
    )
    assert len(lines) == 1 and lines[0].startswith("extra.yaml: line ") and "invalid YAML" in lines[0]


def test_unknown_section_and_every_problem_listed(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _problems_with_file(
        knowledge_copy, capsys, "extra.yaml", "rumours: []\nfacts:\n  - {id: Bad Id}\n"
    )
    assert "extra.yaml: rumours: unknown section" in lines[0]
    assert any("id must be an id of lower-case letters" in line for line in lines)
    assert (
        sum("missing required key" in line for line in lines) == 5
    )  # question, answer, as_of, sources, topics


def test_a_rule_defined_in_two_files_is_reported(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _problems_with_file(
        knowledge_copy, capsys, "z-extra.yaml", "vocabulary:\n  levied: {tariff: tariff}\n"
    )
    assert any(
        line.startswith("z-extra.yaml: vocabulary.levied: defined twice (also in vocabulary.yaml)")
        for line in lines
    )


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(tmp_path / "nowhere")
    assert error.value.problems == [f"{tmp_path / 'nowhere'}: -: knowledge folder not found"]
