"""Messages that start like a slash command ('/tariff japan', '/who greer'): they do what the command does."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The commands a typed message may start with (the Discord slash commands of the same names).
TEXT_COMMANDS = ("ask", "tariff", "who", "proposals", "timeline", "sources", "help")
_COMMAND = re.compile(rf"^\s*[/!]({'|'.join(TEXT_COMMANDS)})\b[\s:]*(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class TextCommand:
    """A command typed as text, and what follows it."""

    name: str
    argument: str


def parse_text_command(text: str) -> TextCommand | None:
    """The command a message starts with ('/tariff japan' -> tariff, 'japan'), or None."""
    match = _COMMAND.match(text)
    return TextCommand(match.group(1).lower(), match.group(2).strip()) if match else None
