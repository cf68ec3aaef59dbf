"""Update posts as Discord gets them: one embed per update (link, source, why it matched), the role to
mention (exactly that role, never @everyone), the fingerprint line, and a forum post's title."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.core.text import clip
from bot.core.updates.messages import MAX_MESSAGE_CHARS, fingerprint, render_digest
from bot.core.updates.records import Batch, Card, ChannelType

COLOUR = discord.Colour.dark_teal()
MAX_EMBEDS = 10  # Discord's limit per message
MAX_EMBED_CHARS = 5800  # of Discord's 6,000 characters over all of a message's embeds
MAX_THREAD_NAME = 100
_ESCAPE = re.compile(r"\\(.)")


def update_embed(text: str, card: Card | None, *, summary: bool = True) -> discord.Embed:
    """One update: a news item's title linked to it, its summary, source and why it matched; else the text."""
    if card is None:
        return discord.Embed(title="Fact base update", description=clip(text, 1000), colour=COLOUR)
    embed = discord.Embed(title=clip(card.title, 256), url=card.url, colour=COLOUR,
                          description=clip(card.summary, 400) if summary and card.summary else None)
    if card.source:
        embed.add_field(name="Source", value=clip(card.source, 200), inline=True)
    if card.why:
        embed.add_field(name="Why it matched", value=clip(card.why, 300), inline=True)
    return embed


def digest_embeds(texts: list[str], cards: list[Card | None]) -> list[discord.Embed] | None:
    """The embeds of a digest (without summaries if they would not fit); None when embeds cannot hold it."""
    if not texts or len(texts) > MAX_EMBEDS:
        return None
    padded = cards + [None] * (len(texts) - len(cards))
    for summary in (True, False):
        embeds = [update_embed(text, card, summary=summary) for text, card in zip(texts, padded, strict=True)]
        if sum(len(e) for e in embeds) <= MAX_EMBED_CHARS:
            return embeds
    return None


def preview_embeds(texts: list[str], cards: list[Card | None]) -> list[discord.Embed]:
    """As many of the updates' embeds as one message holds (summaries dropped first, then the last ones)."""
    for count in range(min(len(texts), MAX_EMBEDS), 0, -1):
        embeds = digest_embeds(texts[:count], cards[:count])
        if embeds is not None:
            return embeds
    return []


def mentions(role_id: int | None) -> discord.AllowedMentions:
    """Exactly the subscription's role may be pinged; never @everyone, @here, users or other roles."""
    roles: list[discord.abc.Snowflake] | bool = [discord.Object(role_id)] if role_id else False
    return discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False)


def digest_message(batch: Batch, text: str | None = None) -> dict[str, Any]:
    """Keyword arguments for sending a digest: embeds (or its plain `text` when they cannot hold it), the
    role mention and the fingerprint line in the content."""
    embeds = digest_embeds(batch.texts, batch.cards)
    ping = f"<@&{batch.role_id}>\n" if batch.role_id else ""
    if embeds is None:
        if text is None or len(ping + text) > MAX_MESSAGE_CHARS:
            text = render_digest(batch.texts, ref=batch.nonce, limit=MAX_MESSAGE_CHARS - len(ping))
        return {"content": ping + text, "allowed_mentions": mentions(batch.role_id)}
    return {"content": ping + fingerprint(batch.nonce), "embeds": embeds,
            "allowed_mentions": mentions(batch.role_id)}


# Why update posts cannot go to a forum that requires tags (they carry none); said to admins.
REQUIRES_TAG = ("requires a tag on every post, and update posts have none: turn off *Require people to "
                "select tags* in its settings, or choose another channel")
TAG_REQUIRED_CODE = 40067  # Discord's error code: "A tag is required to create a forum post in this channel"


def in_forum(batch: Batch) -> bool:
    """True when the digest goes to a forum: a new post each time (and no nonce to send it with)."""
    return batch.channel_type is ChannelType.FORUM


def thread_name(batch: Batch) -> str:
    """A forum post's title: the news item's own title, else how many updates the digest holds."""
    card = batch.cards[0] if len(batch.texts) == 1 and batch.cards else None
    if card is not None:
        return clip(_ESCAPE.sub(r"\1", card.title), MAX_THREAD_NAME)
    return "Tariff talks update" if len(batch.texts) == 1 else f"Tariff talks: {len(batch.texts)} updates"
