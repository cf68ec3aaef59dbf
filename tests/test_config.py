"""Settings: defaults, validation, and paths resolved against the config file, not the cwd."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, DiscordSettings, load_settings
from bot.core.settings import EngineSettings, UpdateSettings
from bot.core.yamlsafe import Limits
from bot.paths import PROJECT_DIR


def test_the_shipped_config_matches_the_defaults() -> None:
    settings = load_settings(PROJECT_DIR / "config.yaml")
    assert settings.knowledge_dir == PROJECT_DIR / "knowledge"
    assert settings.engine.answer_threshold is None and settings.engine.max_suggestions == 3
    assert settings.updates.feeds == ()
    # every documented value is the default (so "every setting is optional" holds)
    assert settings.engine == EngineSettings() and settings.discord == DiscordSettings()
    assert settings.updates == UpdateSettings() and settings.knowledge_limits == Limits()


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
        ("colour: red\n", "unknown setting(s) colour"),
        ("engine:\n  answer_threshold: high\n", "engine.answer_threshold: must be a number between 0 and 1"),
        ("engine:\n  answer_threshold: 7\n", "engine.answer_threshold: must be a number between 0 and 1"),
        ("discord:\n  questions_only: 1\n", "discord.questions_only: must be true or false"),
        (
            "discord:\n  watched_channels: [general]\n",
            "discord.watched_channels: must be a list of channel ids",
        ),
        ("updates:\n  feeds: [{name: x, url: ftp://x}]\n", "updates.feeds[0]: url must start with http"),
        ("engine: [1]\n", "engine: must be a mapping"),
        ("a: [\n", "invalid YAML"),
    ],
)
def test_bad_settings_are_reported(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(text)
    with pytest.raises(
        ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
    ):
        load_settings(config)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.yaml")
