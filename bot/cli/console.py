"""The interactive offline chat: the same engine as the Discord bot, in a terminal."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import TextIO

from bot import stopping
from bot.cli.tables import tariff_table
from bot.core.answer import human_date
from bot.core.model import Fact
from bot.core.people import find_participant
from bot.core.service import KnowledgeService
from bot.core.text_commands import parse_text_command

COMMANDS = "Commands: /tariff [COUNTRY], /who NAME, /proposals, /timeline, /sources, /help, /quit"
BANNER = (
    "tariffbot - ask about the spring 2025 Japan-US tariff talks (offline).\n"
    "Try: who is akazawa? | tariff on japanese cars? | when are the next talks?\n"
    f"{COMMANDS}\n"
    "When I offer numbered questions (did you mean, which one), answer with a number."
)
_UNKNOWN_COMMAND = re.compile(r"^/([a-z]+)\b", re.IGNORECASE)
PROMPT = "you> "
QUIT = frozenset({"/quit", "/exit", "quit", "exit"})


@dataclass
class Conversation:
    """What the console remembers between lines: the choices it just offered."""

    choices: tuple[Fact, ...] = field(default=())


def chat(service: KnowledgeService, stdin: TextIO, stdout: TextIO) -> int:
    """Read questions until end of input or /quit; answer each with its date and sources."""
    interactive = stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history where available)
    print(BANNER, file=stdout)
    conversation = Conversation()
    while not stopping.requested():  # a stop signal while answering: the answer is written, then it ends
        if interactive:
            try:
                with stopping.reading():
                    line = input(PROMPT)
            except EOFError:
                print(file=stdout)
                return 0
        else:
            print(PROMPT, end="", file=stdout, flush=True)
            with stopping.reading():
                line = stdin.readline()
            if not line:
                print(file=stdout)
                return 0
        reply = respond(service, line.strip(), conversation)
        if reply is None:
            return 0
        if reply:
            print(reply, end="\n\n", file=stdout, flush=True)
    return 0


def respond(service: KnowledgeService, line: str, conversation: Conversation | None = None) -> str | None:
    """The reply to one console line; None means quit, '' means nothing to say."""
    conversation = conversation if conversation is not None else Conversation()
    if not line:
        return ""
    if line.lower() in QUIT:
        return None
    choices, conversation.choices = conversation.choices, ()
    if line.isdigit() and choices:
        number = int(line)
        if 1 <= number <= len(choices):
            return service.engine.answer_for(choices[number - 1]).reply
    command = parse_text_command(line)
    unknown = _UNKNOWN_COMMAND.match(line) if command is None else None
    if unknown:
        return f"I don't know the command /{unknown.group(1)}. {COMMANDS}"
    if command is not None and command.name != "ask":
        return _command(service, command.name, command.argument)
    answer = service.engine.ask(command.argument if command else line)
    conversation.choices = answer.suggested  # "did you mean" or "which one": a number picks one
    return answer.reply


def _command(service: KnowledgeService, name: str, argument: str) -> str:
    """The text form of a command typed in the console."""
    kb = service.kb
    match name:
        case "tariff":
            return tariff_table(service.engine, argument or None).text
        case "who":
            person = find_participant(kb, argument) if argument else None
            if person is None:
                names = ", ".join(sorted(p.name for p in kb.participants.values()))
                return f"Who do you mean? People I know: {names}."
            return service.engine.answer_for(person.fact).reply
        case "proposals":
            return "\n".join(
                f"- {p.name}: {p.status} (as of {human_date(p.fact.as_of)})" for p in kb.proposals
            )
        case "timeline":
            return "\n".join(f"- {human_date(r.date)}: {r.name}, {r.place}" for r in kb.rounds)
        case "sources":
            return "\n".join(
                f"- {s.title} ({human_date(s.date)}){f', {s.publisher}' if s.publisher else ''}"
                for s in sorted(kb.sources.values(), key=lambda s: s.date)
            )
    return BANNER
