"""The `tariffbot` command line: argument parsing, and every command's printing (never Discord)."""

from bot.cli.app import main

__all__ = ["main"]
