"""Shared Discord rendering: embeds, escaping, and the persistent answer buttons (reused by every ext)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands

from bot.asking import strip_mentions
from bot.core.answer import Answer, Kind, human_date
from bot.core.model import Fact, Participant, TariffRecord
from bot.core.text import clip

if TYPE_CHECKING:
    from bot.client import TariffBot

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_MENTIONS = discord.AllowedMentions.none()
COLOUR = discord.Colour.blurple()
ERROR_TEXT = "Sorry, something went wrong on my side. The error was logged."
MAX_CITATIONS = 3
_FACT_ID = r"[a-z0-9][a-z0-9-]{0,80}"


def everywhere(item: T) -> T:
    """A read-only command usable everywhere: in servers and DMs, and installed by a user in any chat."""
    item = app_commands.allowed_installs(guilds=True, users=True)(item)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(item)


def tariffbot(interaction: discord.Interaction) -> TariffBot:
    """The bot an interaction reached: always a TariffBot here (discord.py types it as any Client)."""
    return cast("TariffBot", interaction.client)


def _citation_fields(embed: discord.Embed, fact: Fact) -> None:
    for citation in fact.citations[:MAX_CITATIONS]:
        source = citation.source
        embed.add_field(
            name=clip(f"Source: {source.title} ({human_date(source.date)})", 256),
            value=clip(f"> {citation.quote}", 1024),
            inline=False,
        )


def fact_embed(fact: Fact, title: str | None = None) -> discord.Embed:
    """An embed with a fact's answer, its as-of date, and its quotes with their sources."""
    embed = discord.Embed(title=clip(title or fact.question, 256), description=clip(fact.answer, 4096),
                          colour=COLOUR)
    embed.add_field(name="As of", value=human_date(fact.as_of), inline=False)
    _citation_fields(embed, fact)
    return embed


def answer_embed(answer: Answer) -> discord.Embed:
    """The embed of an answered question (footer: confidence; a note when it asked about 'now')."""
    assert answer.fact is not None
    embed = fact_embed(answer.fact)
    if answer.now and answer.as_of:
        embed.insert_field_at(1, name="Note", value=clip(answer.as_of, 1024), inline=False)
    embed.set_footer(text=f"Matched with {answer.confidence:.0%} confidence · "
                          "answers come only from the articles")
    return embed


def choice_view(facts: Iterable[Fact]) -> discord.ui.View | None:
    """Buttons that answer each offered fact when clicked (they keep working after a restart)."""
    view = discord.ui.View(timeout=None)
    for fact in list(facts)[:5]:
        if re.fullmatch(_FACT_ID, fact.id):
            view.add_item(SuggestionButton(fact.id, fact.question))
    return view if view.children else None


def answer_message(answer: Answer) -> dict[str, Any]:
    """Keyword arguments for `send`/`reply`: an answer embed with feedback buttons; otherwise the
    reply's words, with the facts it offers ("did you mean", "which one") as buttons."""
    if answer.kind is Kind.ANSWER and answer.fact is not None:
        votes = discord.ui.View(timeout=None)
        votes.add_item(FeedbackButton(answer.fact.id, helpful=True))
        votes.add_item(FeedbackButton(answer.fact.id, helpful=False))
        return {"embed": answer_embed(answer), "view": votes, "allowed_mentions": NO_MENTIONS}
    view = choice_view(answer.suggested)
    text = answer.lead or answer.reply
    if view is not None and answer.kind is not Kind.AMBIGUOUS:
        text += "\nDid you mean one of these?"
    out: dict[str, Any] = {"content": clip(text, 2000), "allowed_mentions": NO_MENTIONS}
    if view is not None:
        out["view"] = view
    return out


def tariff_field(record: TariffRecord) -> tuple[str, str]:
    """A tariff record as an embed field: name and value."""
    lines = [f"**Rate:** {record.rate_text} ({record.kind})", f"**Status:** {record.status_text}"]
    if record.relief:
        lines.append(f"**Relief:** {record.relief}")
    if record.exceptions:
        lines.append(f"**Exceptions:** {record.exceptions}")
    sources = {(c.source.title, c.source.date) for c in record.fact.citations}
    lines += [f"**Source:** {title} ({human_date(day)})"
              for title, day in sorted(sources, key=lambda s: s[1])]
    lines.append(f"*as of {human_date(record.fact.as_of)}*")
    return clip(f"{record.country} — {record.sector}", 256), clip("\n".join(lines), 1024)


def participant_embed(person: Participant) -> discord.Embed:
    """Who someone is: role, country, the fact's answer and sources."""
    embed = fact_embed(person.fact, title=person.name)
    embed.insert_field_at(0, name="Role", value=clip(person.role, 1024), inline=True)
    embed.insert_field_at(1, name="Country", value=clip(person.country, 1024), inline=True)
    return embed


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Tell the user something privately, whether or not the interaction was answered already."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


def asked_question(interaction: discord.Interaction, fallback: str) -> str:
    """The question an answer message replied to (from the referenced message), else `fallback`."""
    message = interaction.message
    ref = message.reference if message else None
    resolved = ref.resolved if ref else None
    if isinstance(resolved, discord.Message) and resolved.content:
        bot_id = interaction.client.user.id if interaction.client.user else None
        return strip_mentions(resolved.content, bot_id)[:500] or fallback
    return fallback


class SuggestionButton(discord.ui.DynamicItem[discord.ui.Button],
                       template=rf"tb:suggest:(?P<fact>{_FACT_ID})"):
    """A 'did you mean' button; clicking it answers that question (works across restarts)."""

    def __init__(self, fact_id: str, label: str = "Ask this") -> None:
        super().__init__(discord.ui.Button(label=clip(label, 80), style=discord.ButtonStyle.secondary,
                                           custom_id=f"tb:suggest:{fact_id}"))
        self.fact_id = fact_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> SuggestionButton:
        """Rebuild the button from its custom id."""
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["fact"], label or "Ask this")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer the suggested question as a new message."""
        try:
            bot = tariffbot(interaction)
            fact = bot.service.kb.facts.get(self.fact_id)
            if fact is None:
                await send_ephemeral(interaction, "That suggestion is no longer in the fact base.")
                return
            answer = bot.service.engine.answer_for(fact)
            await interaction.response.send_message(**answer_message(answer))
        except Exception:
            log.exception("suggestion button %s failed", self.fact_id)
            await send_ephemeral(interaction, ERROR_TEXT)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button],
                     template=rf"tb:fb:(?P<helpful>[01]):(?P<fact>{_FACT_ID})"):
    """Helpful / not helpful on an answer; the vote is stored without any user id."""

    def __init__(self, fact_id: str, *, helpful: bool) -> None:
        super().__init__(discord.ui.Button(
            label="Helpful" if helpful else "Not helpful",
            emoji="👍" if helpful else "👎",
            style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary,
            custom_id=f"tb:fb:{int(helpful)}:{fact_id}",
        ))
        self.fact_id = fact_id
        self.helpful = helpful

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> FeedbackButton:
        """Rebuild the button from its custom id."""
        return cls(match["fact"], helpful=match["helpful"] == "1")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Store the vote and thank the user privately."""
        try:
            bot = tariffbot(interaction)
            fact = bot.service.kb.facts.get(self.fact_id)
            question = asked_question(interaction, fact.question if fact else self.fact_id)
            await send_ephemeral(interaction, "Thanks, noted." if self.helpful
                                 else "Thanks, noted: a curator will look at this answer.")
            bot.background.write("a feedback vote", lambda: bot.store.record_feedback(
                self.fact_id, question, self.helpful, interaction.guild_id))
        except Exception:
            log.exception("feedback button %s failed", self.fact_id)
            await send_ephemeral(interaction, ERROR_TEXT)
