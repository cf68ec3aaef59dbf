"""The interactive offline chat: the same engine as the Discord bot, in a terminal."""

from __future__ import annotations

import contextlib
from typing import TextIO

from bot.core.answer import render_text
from bot.core.service import KnowledgeService
from bot.core.tables import tariff_table

BANNER = (
    "tariffbot - ask about the spring 2025 Japan-US tariff talks (offline).\n"
    "Try: who is akazawa? | tariff on japanese cars? | when are the next talks?\n"
    "Commands: /tariff [COUNTRY], /sources, /help, /quit"
)
PROMPT = "you> "


def chat(service: KnowledgeService, stdin: TextIO, stdout: TextIO) -> int:
    """Read questions until end of input or /quit; answer each with its date and sources."""
    interactive = stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history where available)
    print(BANNER, file=stdout)
    while True:
        if interactive:
            try:
                line = input(PROMPT)
            except EOFError:
                print(file=stdout)
                return 0
        else:
            print(PROMPT, end="", file=stdout, flush=True)
            line = stdin.readline()
            if not line:
                print(file=stdout)
                return 0
        reply = respond(service, line.strip())
        if reply is None:
            return 0
        if reply:
            print(reply, end="\n\n", file=stdout, flush=True)


def respond(service: KnowledgeService, line: str) -> str | None:
    """The reply to one console line; None means quit, '' means nothing to say."""
    if not line:
        return ""
    command, _, rest = line.partition(" ")
    match command.lower():
        case "/quit" | "/exit" | "quit" | "exit":
            return None
        case "/help":
            return BANNER
        case "/tariff":
            return tariff_table(service.engine, rest.strip() or None).text
        case "/sources":
            return "\n".join(
                f"- {s.title} ({s.date.isoformat()}){f', {s.publisher}' if s.publisher else ''}"
                for s in service.kb.sources.values()
            )
    return render_text(service.engine.ask(line))
