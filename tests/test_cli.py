"""The command line contract: `ask`, `ask --json`, stdin mode, `chat`, `tariff`, and no discord import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.paths import PROJECT_DIR

JSON_KEYS = {
    "question",
    "kind",
    "answered",
    "answer",
    "reply",
    "fact_id",
    "confidence",
    "as_of",
    "sources",
    "suggestions",
}


def _run_python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`python -c CODE` in a bare environment (its database in tmp_path), to see what the CLI imports."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=str(PROJECT_DIR),
        env={"PATH": "/usr/bin:/bin", "TARIFFBOT_DATABASE": str(tmp_path / "x.sqlite3")},
    )


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd="/",
    )


def test_ask_prints_answer_date_quote_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "who", "is", "akazawa?"]) == 0
    out = capsys.readouterr().out
    assert "Akazawa" in out and "(as of 2 May 2025)" in out
    assert '"Akazawa has been assigned as Japan\'s chief negotiator."' in out
    assert "Japan, U.S. Agree to Speed Up Tariff Talks" in out


def test_a_quote_that_is_itself_a_quotation_is_not_wrapped_twice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "what did akazawa say about checking errors"]) == 0
    out = capsys.readouterr().out
    assert '  "We will have time to thoroughly examine' in out and '""' not in out


def test_ask_declines_with_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    main(["ask", "what did bessent say in the meeting"])
    out = capsys.readouterr().out
    assert out.startswith("I can't answer that from the articles I have.") and "Did you mean:" in out


def test_ask_json_is_the_exact_contract(capsys: pytest.CaptureFixture[str]) -> None:
    main(["ask", "--json", "tarrif on japanese cars?"])
    data = json.loads(capsys.readouterr().out)
    assert set(data) == JSON_KEYS
    assert data["question"] == "tarrif on japanese cars?"
    assert data["answered"] is True and "25%" in data["answer"] and data["fact_id"] == "tariff-autos"
    assert 0 < data["confidence"] <= 1 and data["as_of"] == "2025-05-01"
    assert data["sources"] and set(data["sources"][0]) == {"title", "date", "quote"}
    assert data["suggestions"] == []
    assert data["kind"] == "answer" and data["reply"].startswith(data["answer"])
    assert '"' + data["sources"][0]["quote"] + '"' in data["reply"]


def test_ask_json_decline_has_nulls(capsys: pytest.CaptureFixture[str]) -> None:
    main(["ask", "--json", "recommend me a good anime"])
    data = json.loads(capsys.readouterr().out)
    assert data["answered"] is False
    assert data["answer"] is None and data["fact_id"] is None and data["as_of"] is None
    assert data["sources"] == [] and isinstance(data["suggestions"], list)
    assert data["kind"] == "decline" and data["reply"]


def test_ask_json_kinds_and_replies(capsys: pytest.CaptureFixture[str]) -> None:
    for question, kind in [
        ("hi", "smalltalk"),
        ("did they sign a deal in july?", "horizon"),
        ("3+3", "decline"),
    ]:
        main(["ask", "--json", question])
        data = json.loads(capsys.readouterr().out)
        assert data["kind"] == kind and data["answered"] is False and data["answer"] is None
        assert data["reply"] and data["fact_id"] is None


def test_stdin_mode_prints_one_json_line_per_input_line_in_order() -> None:
    questions = ["who is greer", "", "lol", "   ", "when are the next ministerial talks", "x" * 100_000]
    result = _run("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)
    answers = [json.loads(line) for line in lines]
    assert [a["question"] for a in answers] == questions
    assert [a["answered"] for a in answers] == [True, False, False, False, True, False]


def test_python_m_bot_and_the_script_agree() -> None:
    result = _run("ask", "--json", "who is lutnick")
    assert result.returncode == 0 and json.loads(result.stdout)["fact_id"] == "lutnick"


def test_chat_answers_until_end_of_input() -> None:
    result = _run("chat", stdin="who is bessent\n\n/tariff japan\nhow old is akazawa\nthanks\n")
    assert result.returncode == 0
    assert "Treasury Secretary" in result.stdout
    assert "reciprocal" in result.stdout and "24%" in result.stdout
    assert "I can't answer that from the articles I have." in result.stdout
    assert "You're welcome!" in result.stdout


def test_chat_quits_on_command() -> None:
    result = _run("chat", stdin="/quit\nwho is bessent\n")
    assert result.returncode == 0 and "Treasury" not in result.stdout


def test_no_token_runs_the_offline_chat() -> None:
    result = _run(stdin="who is greer\n")
    assert result.returncode == 0
    assert "DISCORD_TOKEN is not set" in result.stderr and "Trade Representative" in result.stdout


@pytest.mark.parametrize(
    ("args", "present", "absent"),
    [
        ([], ["24%", "10%", "25%", "paused until early July 2025", "in force"], []),
        (["japan", "--sector", "cars"], ["25%", "autos"], ["24%"]),
        (["--sector", "all goods"], ["24%", "10%"], ["25%"]),
    ],
)
def test_tariff_table(
    capsys: pytest.CaptureFixture[str], args: list[str], present: list[str], absent: list[str]
) -> None:
    assert main(["tariff", *args]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["Country", "Sector", "Rate", "Kind", "Status", "As", "of"]
    for text in present:
        assert text in out
    for text in absent:
        assert text not in out


def test_tariff_for_an_unknown_country_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tariff", "india"]) == 1
    assert "No tariff records for india" in capsys.readouterr().out


def test_the_command_line_never_imports_discord(tmp_path) -> None:
    # bot/cli/ruff.toml bans discord (and the modules importing it) at module level; this catches the rest,
    # an import through some other module, in a bare environment.
    code = (
        "import sys, io, contextlib\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    codes = [main(['ask', 'who is akazawa']), main(['tariff']), main(['check'])]\n"
        "assert 'discord' not in sys.modules, 'discord imported'\n"
        "print('clean', codes)\n"
    )
    result = _run_python(code, tmp_path)
    assert result.stdout.strip() == "clean [0, 0, 0]", result.stderr


def test_ask_imports_neither_asyncio_nor_the_database_layer(tmp_path) -> None:
    """`tariffbot ask` answers from the engine alone: asyncio, aiosqlite and the store are start-up time
    it does not need (about a third of it on this machine)."""
    code = (
        "import sys, io, contextlib\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['ask', 'who is akazawa'])\n"
        "heavy = ('asyncio', 'aiosqlite', 'bot.core.store', 'discord')\n"
        "loaded = sorted(m for m in heavy if m in sys.modules)\n"
        "print(code, loaded)\n"
    )
    result = _run_python(code, tmp_path)
    assert result.stdout.strip() == "0 []", result.stderr


def test_a_bad_config_is_a_clear_error(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("engine:\n  answer_treshold: 0.5\n")
    assert main(["--config", str(config), "ask", "hi"]) == 2
    assert "unknown setting(s) answer_treshold" in capsys.readouterr().err
