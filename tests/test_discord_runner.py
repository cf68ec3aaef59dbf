"""`tariffbot run` / `sync` against a local fake Discord API over real HTTP (aiohttp -> http.server)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from discord.http import Route

from bot import runner
from bot.cli import main
from tests.helpers import APP_ID, USER_ID, bot_settings, user

TOKEN = "MTIz.secret-token-value.do-not-print"


class FakeDiscord(BaseHTTPRequestHandler):
    """Answers like discord.com/api/v10: 401 for a bad token, else a bot user, app and synced commands."""

    accept_token = False
    seen: ClassVar[list[tuple[str, str, object]]] = []

    def _reply(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        FakeDiscord.seen.append((self.command, self.path, body))
        if not self.accept_token or self.headers.get("Authorization") != f"Bot {TOKEN}":
            self._reply(401, {"message": "401: Unauthorized", "code": 0})
        elif self.path == "/api/v10/users/@me":
            self._reply(200, user(APP_ID, "tariffbot", bot=True))
        elif self.path == "/api/v10/oauth2/applications/@me":
            self._reply(200, {"id": str(APP_ID), "name": "tariffbot", "description": "", "icon": None,
                              "bot_public": True, "bot_require_code_grant": False, "owner": user(USER_ID),
                              "verify_key": "0" * 64, "flags": 0})
        elif self.command == "PUT" and self.path.endswith("/commands"):
            self._reply(200, [{"description": "", **c, "id": str(i + 1), "application_id": str(APP_ID),
                               "version": "1"}
                              for i, c in enumerate(body)])
        else:
            self._reply(404, {"message": "404: Not Found", "code": 0})

    do_GET = do_PUT = do_POST = _handle

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def fake_discord(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeDiscord]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDiscord)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeDiscord.seen = []
    FakeDiscord.accept_token = False
    monkeypatch.setattr(Route, "BASE", f"http://127.0.0.1:{server.server_address[1]}/api/v10")
    try:
        yield FakeDiscord
    finally:
        server.shutdown()
        server.server_close()


def test_missing_token_names_the_variable_and_points_to_chat(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert runner.run(bot_settings(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN" in err and "tariffbot chat" in err
    monkeypatch.setenv("DISCORD_TOKEN", "   ")
    assert runner.sync(bot_settings(tmp_path), None) == 2


def test_cli_run_without_token_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("TARIFFBOT_DATABASE", str(tmp_path / "db.sqlite3"))
    assert main(["run"]) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err


def test_rejected_token_is_one_line_without_traceback_or_token(
        fake_discord: type[FakeDiscord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    caplog.set_level(logging.INFO)
    assert runner.run(bot_settings(tmp_path)) == 1
    out = capsys.readouterr()
    assert out.err.count("\n") == 1 and "rejected the token" in out.err
    assert "Traceback" not in out.err + out.out
    assert TOKEN not in out.err + out.out + caplog.text
    assert "logging in" in caplog.text and "voice will NOT be supported" not in caplog.text
    assert fake_discord.seen[0][:2] == ("GET", "/api/v10/users/@me")


def test_no_network_is_one_line_without_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    assert runner.run(bot_settings(tmp_path)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach Discord") and err.count("\n") == 1
    assert "Traceback" not in err and TOKEN not in err


def test_sync_registers_the_commands_in_one_guild(
        fake_discord: type[FakeDiscord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    fake_discord.accept_token = True
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    assert runner.sync(bot_settings(tmp_path), 4242) == 0
    put = [s for s in fake_discord.seen if s[0] == "PUT"]
    assert [p[1] for p in put] == [f"/api/v10/applications/{APP_ID}/guilds/4242/commands"]
    names = {c["name"] for c in put[0][2]}
    assert names >= {"ask", "tariff", "who", "proposals", "timeline", "sources", "help"}
    assert f"synced {len(names)} slash command(s) guild 4242: /" in capsys.readouterr().out
