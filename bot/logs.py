"""Log lines as text or JSON (`log_format`), with secrets such as the Discord token never written."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class Redacting(logging.Formatter):
    """Wraps a formatter: every secret is replaced by *** in the finished line (message, args, traceback)."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        """The inner formatter's line with the secrets masked."""
        line = self.inner.format(record)
        for secret in self.secrets:
            line = line.replace(secret, MASK)
        return line


def formatter(log_format: str, secrets: Iterable[str] = ()) -> logging.Formatter:
    """The formatter for `log_format` ('text' or 'json'), masking `secrets`."""
    inner = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    return Redacting(inner, secrets)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes (like logging's last resort)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: always the current standard error."""


def setup(level: str, log_format: str, secrets: Iterable[str] = ()) -> None:
    """Send every log record at `level` and above to stderr, one line each, secrets masked.

    Like `logging.basicConfig`, it leaves logging alone when a host program (a test runner) set it up.
    """
    root = logging.getLogger()
    if any(not isinstance(h, StderrHandler) for h in root.handlers):
        return
    for old in list(root.handlers):
        root.removeHandler(old)  # set up again (main() called twice): one handler
    handler = StderrHandler()
    handler.setFormatter(formatter(log_format, secrets))
    root.addHandler(handler)
    root.setLevel(level)
