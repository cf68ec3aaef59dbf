"""The `tariffbot` command line: arguments and dispatch. It never imports discord, so it starts fast.

The Discord commands (`run`, `sync`) import `bot.runner` lazily, inside their function.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import exitcodes, logs, stopping
from bot.config import TOKEN_ENV, ConfigError, Settings, load_settings
from bot.core.errors import StoreError  # not bot.core.store: `ask` must not import the database layer
from bot.core.loader import KnowledgeError, load_knowledge

if TYPE_CHECKING:
    from bot.core.service import KnowledgeService

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tariffbot",
        description="Answers questions about the spring 2025 Japan-US tariff talks. "
        "With no command: runs the Discord bot when DISCORD_TOKEN is set, else the offline chat.",
    )
    parser.add_argument("--config", type=Path, help="config file (default: $TARIFFBOT_CONFIG or config.yaml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer one question (or '-' for one question a line on stdin)")
    ask.add_argument("question", nargs="+", help="the question, or '-' to read questions from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")

    sub.add_parser("chat", help="interactive console chat (offline, no Discord)")

    tariff = sub.add_parser("tariff", help="show the tariff records as a table")
    tariff.add_argument("country", nargs="?", help="only this target country (e.g. Japan)")
    tariff.add_argument("--sector", help="only this sector (e.g. autos)")

    sub.add_parser("check", help="validate the fact base; one 'file: entry: reason' line per problem")
    sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN in the environment)")
    sync = sub.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument("--guild", type=int, help="only in this guild (instant); default: globally")
    sub.add_parser("unanswered", help="list declined questions for curators, most frequent first")
    reload = sub.add_parser("reload", help="validate knowledge/ and queue change announcements")
    reload.add_argument(
        "--allow-removals",
        action="store_true",
        help="accept a fact base that removes more than updates.max_removals facts at once",
    )
    updates = sub.add_parser("updates", help="show pending update announcements")
    updates.add_argument("--dry-run", action="store_true", help="show what would be posted; send nothing")
    feeds = sub.add_parser("feeds", help="the news feeds").add_subparsers(dest="feeds_command", required=True)
    poll = feeds.add_parser("poll", help="poll the configured feeds now and queue relevant new items")
    poll.add_argument("--dry-run", action="store_true",
                      help="show every item with its relevance score and reason; record and queue nothing")
    source = poll.add_mutually_exclusive_group()
    source.add_argument("--url", help="preview this feed instead of the configured ones (nothing is queued)")
    source.add_argument("--file", type=Path, help="preview a saved RSS or Atom file (nothing is queued)")
    sub.add_parser("health", help="one line on the running bot; exit 0 only when alive and connected")
    backup = sub.add_parser("backup", help="write a consistent copy of the database (safe while it runs)")
    backup.add_argument("file", type=Path, help="where to write the copy (replaced if it exists)")
    restore = sub.add_parser("restore", help="replace the database by a backup (the bot must be stopped)")
    restore.add_argument("file", type=Path, help="the backup to restore")
    return parser


def _service(settings: Settings) -> KnowledgeService:
    """The fact base and engine, or exit 1 with the check's problems."""
    from bot.core.service import KnowledgeService

    try:
        return KnowledgeService(
            settings.knowledge_dir,
            settings.engine,
            limits=settings.knowledge_limits,
            cache_dir=settings.cache_dir,
        )
    except KnowledgeError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        raise SystemExit(1) from None


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    """Answer questions from the arguments or stdin, as text or JSON lines."""
    engine = _service(settings).engine
    if args.question == ["-"]:
        while not stopping.requested():  # a stop signal ends the stream after the answer being written
            with stopping.reading():
                line = sys.stdin.readline()
            if not line:
                break
            answer = engine.ask(line.rstrip("\r\n"))
            if args.json:
                print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
            else:
                print(answer.reply, end="\n\n", flush=True)
        return 0
    answer = engine.ask(" ".join(args.question))
    print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else answer.reply)
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    """Interactive console."""
    from bot.cli.console import chat

    return chat(_service(settings), sys.stdin, sys.stdout)


def cmd_tariff(settings: Settings, args: argparse.Namespace) -> int:
    """Print the tariff records, optionally filtered."""
    from bot.cli.tables import tariff_table

    table = tariff_table(_service(settings).engine, args.country, args.sector)
    print(table.text)
    return 0 if table.rows else 1


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    """Validate the fact base, then that the matcher can tell its questions apart."""
    from bot.core.engine import Engine

    try:
        kb = load_knowledge(settings.knowledge_dir, settings.knowledge_limits)
    except KnowledgeError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    problems = Engine(kb, settings.engine).index.conflicts()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    examples = sum(len(f.examples) for f in kb.facts.values())
    asked = sum(a.size for a in kb.asked)
    print(
        f"ok: {len(kb.facts)} facts, {examples} examples, {asked} asked questions ({len(kb.asked)} sets), "
        f"{len(kb.sources)} sources, "
        f"{len(kb.tariffs)} tariffs, {len(kb.participants)} participants; every quote found in its source"
    )
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Start the Discord bot."""
    from bot.runner import run

    return run(settings)


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    """Register slash commands."""
    from bot.runner import sync

    return sync(settings, args.guild)


def cmd_unanswered(settings: Settings, args: argparse.Namespace) -> int:
    """Curators' list of declined questions."""
    from bot.cli.reports import unanswered

    return unanswered(settings)


def cmd_reload(settings: Settings, args: argparse.Namespace) -> int:
    """Validate knowledge/ and queue announcements of what changed."""
    from bot.cli.updates import reload

    return reload(settings, allow_removals=args.allow_removals)


def cmd_updates(settings: Settings, args: argparse.Namespace) -> int:
    """Show what the outbox would post."""
    from bot.cli.updates import show_updates

    return show_updates(settings, dry_run=args.dry_run)


def cmd_feeds(settings: Settings, args: argparse.Namespace) -> int:
    """Poll the news feeds now, or preview what a feed would post."""
    from bot.cli.feeds import poll

    return poll(settings, _service(settings), dry_run=args.dry_run, url=args.url, file=args.file)


def cmd_health(settings: Settings, args: argparse.Namespace) -> int:
    """Is the running bot alive and connected?"""
    from bot.cli.operations import health

    return health(settings)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the database with SQLite's online backup API."""
    from bot.cli.operations import backup

    return backup(settings, args.file)


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Put a backup in the database's place."""
    from bot.cli.operations import restore

    return restore(settings, args.file)


def cmd_default(settings: Settings, args: argparse.Namespace) -> int:
    """The main job: the Discord bot with a token, else the offline chat."""
    if os.environ.get(TOKEN_ENV):
        return cmd_run(settings, args)
    print(
        f"{TOKEN_ENV} is not set: starting the offline chat (see README to run the Discord bot).",
        file=sys.stderr,
    )
    return cmd_chat(settings, args)


COMMANDS = {
    "ask": cmd_ask,
    "chat": cmd_chat,
    "tariff": cmd_tariff,
    "check": cmd_check,
    "run": cmd_run,
    "sync": cmd_sync,
    "unanswered": cmd_unanswered,
    "reload": cmd_reload,
    "updates": cmd_updates,
    "feeds": cmd_feeds,
    "health": cmd_health,
    "backup": cmd_backup,
    "restore": cmd_restore,
    None: cmd_default,
}
# Commands that do one job and end: a stop signal cancels them (exit 1); the others end cleanly (exit 0).
ONE_SHOT = frozenset({"check", "tariff", "sync", "unanswered", "reload", "updates", "feeds", "health",
                      "backup", "restore"})


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `tariffbot` and `python -m bot`."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return exitcodes.USAGE
    logs.setup(settings.log_level, settings.log_format, secrets=[os.environ.get(TOKEN_ENV, "").strip()])
    try:
        with stopping.stop_requests():
            return COMMANDS[args.command](settings, args)
    except StoreError as exc:  # a corrupt, locked or full database: one line, never a traceback
        print(f"error: {exc}", file=sys.stderr)
        return exitcodes.DATABASE
    except stopping.Stopped as exc:
        if args.command in ONE_SHOT:  # stopped before it finished: say so (nothing half-done is kept)
            print(f"{exc} before it finished; nothing half-done was kept", file=sys.stderr)
            return exitcodes.FAILURE
        return exitcodes.OK  # a service or a conversation: stopping is how it ends
    except BrokenPipeError:
        return 0
