"""Settings: defaults, validation, and paths resolved against the config file, not the cwd."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, DiscordSettings, HealthSettings, _kind, load_settings, setting_names
from bot.core.settings import EngineSettings, UpdateSettings
from bot.core.yamlsafe import Limits
from bot.paths import PROJECT_DIR
from bot.validation import RANGES, env_name


def test_the_shipped_config_matches_the_defaults() -> None:
    settings = load_settings(PROJECT_DIR / "config.yaml")
    assert settings.knowledge_dir == PROJECT_DIR / "knowledge"
    assert settings.engine.answer_threshold is None and settings.engine.max_suggestions == 3
    assert settings.updates.feeds == ()
    # every documented value is the default (so "every setting is optional" holds)
    assert settings.engine == EngineSettings() and settings.discord == DiscordSettings()
    assert settings.updates == UpdateSettings() and settings.knowledge_limits == Limits()
    assert settings.health == HealthSettings()
    assert (settings.log_level, settings.log_format) == ("INFO", "text")


def test_relative_paths_follow_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TARIFFBOT_DATABASE", raising=False)
    monkeypatch.chdir("/")
    config = tmp_path / "conf" / "config.yaml"
    config.parent.mkdir()
    config.write_text("knowledge_dir: ../kb\ndatabase: state/bot.sqlite3\n")
    settings = load_settings(config)
    assert settings.knowledge_dir.resolve() == tmp_path / "kb"
    assert settings.database == tmp_path / "conf" / "state" / "bot.sqlite3"


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("discord:\n  watched_channels: [1, 2]\n")
    monkeypatch.setenv("TARIFFBOT_CONFIG", str(config))
    monkeypatch.setenv("TARIFFBOT_DATABASE", str(tmp_path / "x.sqlite3"))
    settings = load_settings()
    assert settings.discord.watched_channels == (1, 2)
    assert settings.database == tmp_path / "x.sqlite3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour: red\n", "config.yaml: unknown setting(s) colour"),
        ("engine:\n  answer_threshold: 7\n",
         "config.yaml: engine.answer_threshold: must be between 0 and 1 (got 7)"),
        ("engine:\n  answer_threshold: high\n",
         "config.yaml: engine.answer_threshold: must be a number, or null (got 'high')"),
        ("updates:\n  feed_poll_seconds: 0\n",
         "config.yaml: updates.feed_poll_seconds: must be between 60 and 86400 (got 0)"),
        ("updates:\n  digest_limit: 0\n",
         "config.yaml: updates.digest_limit: must be between 1 and 50 (got 0)"),
        ("updates:\n  digest_limit: 2.5\n", "updates.digest_limit: must be a whole number (got 2.5)"),
        ("log_level: verbose\n",
         "config.yaml: log_level: must be one of DEBUG, INFO, WARNING, ERROR (got 'verbose')"),
        ("log_format: xml\n", "config.yaml: log_format: must be one of text, json (got 'xml')"),
        ("discord:\n  questions_only: 1\n", "discord.questions_only: must be true or false (got 1)"),
        ("discord:\n  watched_channels: [general]\n",
         "discord.watched_channels: item 1: must be a whole number (got 'general')"),
        ("discord:\n  watched_channels: 5\n", "discord.watched_channels: must be a list (got 5)"),
        ("discord:\n  requests_per_second: 60\n",
         "discord.requests_per_second: must be between 1 and 50 (got 60)"),
        ("discord:\n  max_ratelimit_seconds: 5\n",
         "discord.max_ratelimit_seconds: must be 0 (off) or between 30 and 86400 (got 5)"),
        ("updates:\n  feeds: [{name: x, url: ftp://x}]\n",
         "updates.feeds: item 1: url must start with http:// or https:// (got 'ftp://x')"),
        ("updates:\n  feed_allowed_networks: [intranet]\n",
         "updates.feed_allowed_networks: item 1: must be a network such as 10.0.0.0/8 (got 'intranet')"),
        ("updates:\n  feed_backfill: 500\n", "updates.feed_backfill: must be between 0 and 50 (got 500)"),
        ("updates:\n  nonce_window_seconds: .nan\n", "must be a finite number (got nan)"),
        ("health:\n  heartbeat_seconds: 60\n  stale_seconds: 30\n",
         "health.stale_seconds: must be more than health.heartbeat_seconds (60) (got 30)"),
        ("database: null\n", "config.yaml: database: must not be empty (got null)"),
        ("engine: [1]\n", "config.yaml: engine: must be a mapping of settings (got [1])"),
        ("a: [\n", "config.yaml: invalid YAML"),
    ],
)
def test_bad_settings_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                   message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "config.yaml", environ={})
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("text", "argv"), [("engine:\n  answer_threshold: 7\n", ["ask", "hello"]),
                                            ("log_level: verbose\n", ["check"])])
def test_the_command_line_says_one_line_and_exits_2(tmp_path: Path, text: str, argv: list[str]) -> None:
    (tmp_path / "config.yaml").write_text(text)
    done = subprocess.run([sys.executable, "-m", "bot", *argv], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "TARIFFBOT_CONFIG": str(tmp_path / "config.yaml"),
                               "PYTHONPATH": str(PROJECT_DIR)}, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("config.yaml: ")
    assert "Traceback" not in done.stderr


def test_every_setting_has_an_environment_variable(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("engine:\n  answer_threshold: 0.5\n")
    environ = {"TARIFFBOT_ENGINE__ANSWER_THRESHOLD": "0.7", "TARIFFBOT_LOG_LEVEL": "debug",
               "TARIFFBOT_LOG_FORMAT": "json", "TARIFFBOT_DISCORD__WATCHED_CHANNELS": "[1, 2]",
               "TARIFFBOT_DISCORD__QUESTIONS_ONLY": "false", "TARIFFBOT_UPDATES__DIGEST_LIMIT": "5",
               "TARIFFBOT_UPDATES__FEEDS": "[{name: News, url: 'https://example.com/rss'}]",
               "TARIFFBOT_CACHE_DIR": "null", "TARIFFBOT_KNOWLEDGE_DIR": "kb",
               "TARIFFBOT_HEALTH__STALE_SECONDS": "120", "TARIFFBOT_CONFIG": str(config),
               "TARIFFBOT_DISCORD__SYNC_GUILD": ""}  # empty: not set
    settings = load_settings(config, environ=environ)
    assert settings.engine.answer_threshold == 0.7 and settings.log_level == "DEBUG"
    assert settings.log_format == "json" and settings.discord.watched_channels == (1, 2)
    assert settings.discord.questions_only is False and settings.updates.digest_limit == 5
    assert [f.url for f in settings.updates.feeds] == ["https://example.com/rss"]
    assert settings.cache_dir is None and settings.knowledge_dir == tmp_path / "kb"
    assert settings.health.stale_seconds == 120 and settings.discord.sync_guild is None
    # every setting has its documented variable, and a bad value names it
    assert env_name("engine.answer_threshold") == "TARIFFBOT_ENGINE__ANSWER_THRESHOLD"
    with pytest.raises(ConfigError, match=r"^TARIFFBOT_ENGINE__ANSWER_THRESHOLD: engine.answer_threshold: "
                                          r"must be between 0 and 1 \(got 7\)$"):
        load_settings(config, environ={"TARIFFBOT_ENGINE__ANSWER_THRESHOLD": "7"})
    with pytest.raises(ConfigError, match=r"^TARIFFBOT_ENGINE__ANSWER_TRESHOLD: no such setting"):
        load_settings(config, environ={"TARIFFBOT_ENGINE__ANSWER_TRESHOLD": "0.5"})


def test_every_number_has_a_range_and_every_setting_is_documented() -> None:
    shipped = (PROJECT_DIR / "config.yaml").read_text(encoding="utf-8")
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    for dotted in sorted(setting_names()):
        key = dotted.rsplit(".", 1)[-1]
        assert f"{key}:" in shipped, f"{dotted} is not documented in config.yaml"
        kind = str(_kind(dotted))
        if ("int" in kind or "float" in kind) and dotted != "updates.feeds":
            assert dotted in RANGES, f"{dotted} has no range in bot/validation.py"
    assert "TARIFFBOT_SECTION__KEY" in readme


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.yaml")
