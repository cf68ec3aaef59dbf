"""`tariffbot unanswered`: declined questions grouped by normalised text, most frequent first."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.asking import looks_like_question, strip_mentions
from bot.cli import main
from bot.core.store import Store
from bot.core.text import normalise_question
from tests.helpers import bot_settings


async def _seed(database: Path) -> None:
    async with Store(database) as store:
        for text, fact, conf in [("What about rice?", "rice", 0.4), ("what about RICE", None, 0.2),
                                 ("what  about rice!!", "rice", 0.5), ("Is Greer tall?", "greer", 0.3)]:
            await store.record_declined(text, normalise_question(text), fact, conf)


def test_unanswered_lists_most_frequent_first(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    settings = bot_settings(tmp_path)
    asyncio.run(_seed(settings.database))
    monkeypatch.setenv("TARIFFBOT_DATABASE", str(settings.database))
    assert main(["unanswered"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["times", "last", "asked", "best", "match", "conf.", "question"]
    assert out[2].split()[0] == "3" and out[2].endswith("what about rice!!")
    assert " rice " in out[2] and "0.50" in out[2]
    assert out[3].split()[0] == "1" and out[3].endswith("Is Greer tall?")
    assert out[-1] == "2 distinct question(s), asked 4 time(s) in all."


def test_unanswered_with_an_empty_database(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TARIFFBOT_DATABASE", str(tmp_path / "empty.sqlite3"))
    assert main(["unanswered"]) == 0
    assert capsys.readouterr().out == "No declined questions yet.\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("who is akazawa", True), ("Tariff on cars?", True), ("what's the rate", True),
    ("lol nice", False), ("", False), ("akazawa", False), ("？", True),
])
def test_question_detection(text: str, expected: bool) -> None:
    assert looks_like_question(text) is expected


def test_mention_stripping_and_normalising() -> None:
    assert strip_mentions("<@42> who? <@!42> <@7>", 42) == "who?  <@7>"
    assert normalise_question("  What ABOUT   rice?!\u200b ") == "what about rice"
