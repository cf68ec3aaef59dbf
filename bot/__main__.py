"""Let `python -m bot` behave exactly like the `tariffbot` command."""

from bot.cli import main

raise SystemExit(main())
