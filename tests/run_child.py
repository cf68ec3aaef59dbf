"""`tariffbot ARGS...` as a real process, pointed at a local fake Discord (REST and gateway) at API_BASE.

Usage: python -m tests.run_child API_BASE ARGS... The real command line runs (`bot.cli.main`), with its
signal handling, only discord.py's API and gateway addresses changed.
"""

from __future__ import annotations

import sys

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.cli import main

if __name__ == "__main__":
    base = sys.argv[1]
    Route.BASE = base + "/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http", "ws") + "/gateway")
    sys.exit(main(sys.argv[2:]))
