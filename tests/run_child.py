"""`tariffbot ARGS...` as a real process, pointed at a local fake Discord (REST and gateway) at API_BASE.

Usage: python -m tests.run_child API_BASE ARGS... The real command line runs (`bot.cli.main`), with its
signal handling, only discord.py's API and gateway addresses changed. With SLOW_DNS_HOST set, looking that
host name up takes SLOW_DNS_SECONDS (10) and then fails, as with an unreachable DNS server.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Any

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.cli import main

_getaddrinfo = socket.getaddrinfo


def _slow_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host == os.environ.get("SLOW_DNS_HOST"):
        time.sleep(float(os.environ.get("SLOW_DNS_SECONDS", "10")))
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    return _getaddrinfo(host, *args, **kwargs)


if __name__ == "__main__":
    socket.getaddrinfo = _slow_getaddrinfo
    base = sys.argv[1]
    Route.BASE = base + "/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http", "ws") + "/gateway")
    sys.exit(main(sys.argv[2:]))
