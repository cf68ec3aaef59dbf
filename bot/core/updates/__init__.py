"""Automatic updates: fact-base changes and news feeds, queued in an outbox and delivered once."""
