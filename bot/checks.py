"""Who may run the admin and curator commands, checked at run time (default_permissions only hides them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from bot.ui import tariffbot

T = TypeVar("T")
MANAGE_SERVER = "You need the **Manage Server** permission to use this command."


class Refusal(app_commands.CheckFailure):
    """A run-time check said no; the message says why, and is shown to the user privately."""


def in_server(interaction: discord.Interaction) -> int:
    """The server the command was run in (a server that installed the bot), else Refusal."""
    if interaction.guild_id is None or interaction.guild is None:
        raise Refusal("This command works only in a server that has added the bot.")
    return interaction.guild_id


def may_manage(interaction: discord.Interaction) -> bool:
    """True when the user has Manage Server here (Discord's own computed permissions)."""
    return interaction.guild_id is not None and interaction.permissions.manage_guild


def is_curator(interaction: discord.Interaction) -> bool:
    """True for Manage Server, or the curator role the server set with /settings curators."""
    if may_manage(interaction):
        return True
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        return False
    role = tariffbot(interaction).servers.get(interaction.guild_id).curator_role_id
    return role is not None and any(r.id == role for r in interaction.user.roles)


def manage_server() -> Callable[[T], T]:
    """Run-time check: in a server, with Manage Server."""

    def predicate(interaction: discord.Interaction) -> bool:
        in_server(interaction)
        if not may_manage(interaction):
            raise Refusal(MANAGE_SERVER)
        return True

    return app_commands.check(predicate)


def curator() -> Callable[[T], T]:
    """Run-time check: in a server, with Manage Server or the server's curator role."""

    def predicate(interaction: discord.Interaction) -> bool:
        in_server(interaction)
        if not is_curator(interaction):
            raise Refusal("Only curators can see this: you need **Manage Server** or the curator role "
                          "(set with `/settings curators`).")
        return True

    return app_commands.check(predicate)


def admin_group(name: str, description: str) -> app_commands.Group:
    """A command group for server admins: servers only, installed to servers only, hidden from members
    without Manage Server (`default_permissions`; each command still checks at run time)."""
    return app_commands.Group(
        name=name, description=description,
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
        default_permissions=discord.Permissions(manage_guild=True),
    )


def admin_command(item: T) -> T:
    """A single admin or curator command: servers only, installed to servers only, hidden from members
    without Manage Server (a server can show it to its curator role in Server Settings → Integrations)."""
    item = app_commands.guild_only()(item)
    item = app_commands.allowed_installs(guilds=True, users=False)(item)
    return app_commands.default_permissions(manage_guild=True)(item)
