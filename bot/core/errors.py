"""Errors of the core that the command line and the bot catch, importable without the modules raising them."""

from __future__ import annotations


class StoreError(Exception):
    """The database could not be opened, migrated, read or written, even after retries."""
