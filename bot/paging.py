"""One paginator for every list that can outgrow a message: an embed per page with ◀ / ▶ buttons.

The buttons are DynamicItems whose custom_id holds the whole state (`tb:page:<kind>:<page>:<key>`), so
they keep working after a restart: a click rebuilds the list from its source (`bot.pages[kind]`, which
checks again who may see it) and shows the asked page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.checks import Refusal
from bot.core.text import clip
from bot.ui import COLOUR, ERROR_TEXT, send_ephemeral, tariffbot

log = logging.getLogger(__name__)
PER_PAGE = 10
MAX_DESCRIPTION = 4000  # of Discord's 4,096
MAX_FIELDS_CHARS = 5000  # of an embed's 6,000 characters in all
KEY = r"[A-Za-z0-9_.=-]{0,60}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a list: a bullet line, or (with a name) an embed field."""

    text: str
    name: str | None = None


@dataclass(slots=True)
class Listing:
    """A titled list, cut into pages when it is shown."""

    title: str
    entries: list[Entry]
    empty: str
    per_page: int = PER_PAGE
    notes: list[str] = field(default_factory=list)  # lines shown under every page (warnings, totals)


# A list kind's source: the listing for a click (the interaction tells who and where) and the key.
PageSource = Callable[[discord.Interaction, str], Awaitable[Listing]]


def fixed(build: Callable[[], Listing]) -> PageSource:
    """The page source of a list anyone may see that depends on nothing but the fact base."""

    async def source(interaction: discord.Interaction, key: str) -> Listing:
        return build()

    return source


def _size(entry: Entry) -> int:
    return len(entry.text) + len(entry.name or "") + 3


def paginate(listing: Listing) -> list[list[Entry]]:
    """The entries cut into pages of at most `per_page` that fit an embed (never clipped silently)."""
    pages: list[list[Entry]] = [[]]
    used = 0
    budget = MAX_FIELDS_CHARS if any(e.name for e in listing.entries) else MAX_DESCRIPTION
    budget -= sum(len(n) + 1 for n in listing.notes)
    for entry in listing.entries:
        size = _size(entry)
        if pages[-1] and (len(pages[-1]) >= listing.per_page or used + size > budget):
            pages.append([])
            used = 0
        pages[-1].append(entry)
        used += size
    return pages


def page_embed(listing: Listing, page: int, pages: list[list[Entry]]) -> discord.Embed:
    """The embed of one page."""
    embed = discord.Embed(title=clip(listing.title, 256), colour=COLOUR)
    lines = [f"• {e.text}" for e in pages[page] if e.name is None]
    for entry in pages[page]:
        if entry.name is not None:
            embed.add_field(name=clip(entry.name, 256), value=clip(entry.text, 1024), inline=False)
    text = "\n".join(lines) if listing.entries else listing.empty
    if listing.notes:
        text = "\n".join([text, "", *listing.notes]) if text else "\n".join(listing.notes)
    embed.description = clip(text, 4096) if text else None
    if len(pages) > 1:
        embed.set_footer(text=f"Page {page + 1} of {len(pages)} · {len(listing.entries)} in all")
    return embed


def page_message(listing: Listing, kind: str, key: str = "", page: int = 0) -> dict[str, Any]:
    """Keyword arguments for send / edit: the page (clamped to the list) and, if more, the buttons."""
    if not re.fullmatch(KEY, key):
        raise ValueError(f"bad page key {key!r}")
    pages = paginate(listing)
    page = min(max(page, 0), len(pages) - 1)
    out: dict[str, Any] = {"embed": page_embed(listing, page, pages), "allowed_mentions":
                           discord.AllowedMentions.none()}
    if len(pages) > 1:
        view = discord.ui.View(timeout=None)
        view.add_item(PageButton(kind, page - 1, key, label="◀ Previous", disabled=page == 0))
        view.add_item(PageButton(kind, page + 1, key, label="Next ▶", disabled=page == len(pages) - 1))
        out["view"] = view
    else:
        out["view"] = discord.ui.View(timeout=None)  # an edit to a single page drops the buttons
    return out


class PageButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=rf"tb:page:(?P<kind>[a-z]{{1,20}}):(?P<page>-?\d{{1,5}}):(?P<key>{KEY})"):
    """Go to a page of a list, read again from its source when clicked (works after restarts)."""

    def __init__(self, kind: str, page: int, key: str = "", *, label: str = "Next ▶",
                 disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           disabled=disabled, custom_id=f"tb:page:{kind}:{page}:{key}"))
        self.kind, self.page, self.key = kind, page, key

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> PageButton:
        """Rebuild the button from its custom id."""
        label = item.label if isinstance(item, discord.ui.Button) and item.label else "Next ▶"
        return cls(match["kind"], int(match["page"]), match["key"], label=label)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Show the asked page of the list as it is now."""
        source = tariffbot(interaction).pages.get(self.kind)
        try:
            if source is None:
                await send_ephemeral(interaction, "This list is no longer available.")
                return
            listing = await source(interaction, self.key)
            await interaction.response.edit_message(**page_message(listing, self.kind, self.key, self.page))
        except Refusal as exc:
            await send_ephemeral(interaction, str(exc))
        except Exception:
            log.exception("page %d of list %s failed", self.page, self.kind)
            await send_ephemeral(interaction, ERROR_TEXT)


async def send_listing(interaction: discord.Interaction, listing: Listing, kind: str, key: str = "", *,
                       ephemeral: bool = False) -> None:
    """Answer an interaction with the first page of a list (as a followup when it was deferred)."""
    message = page_message(listing, kind, key)
    if interaction.response.is_done():
        await interaction.followup.send(**message, ephemeral=ephemeral)
    else:
        await interaction.response.send_message(**message, ephemeral=ephemeral)
