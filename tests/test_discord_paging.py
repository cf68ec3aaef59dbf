"""Paging (buttons that keep working after a restart), the curators' lists and who may see them, the
"Ask tariffbot" message menu, user installs, and what the synced command JSON says about all of it."""

from __future__ import annotations

import discord

from tests.helpers import (
    CHANNEL_ID,
    GUILD_ID,
    USER_ID,
    bot_settings,
    custom_ids,
    interaction,
    message,
    snowflake,
    started,
)
from tests.server_support import (
    ADMIN,
    MEMBER,
    ROLE_ID,
    STRANGER_ID,
    option,
    places_harness,  # noqa: F401 (the fixture `h`)
    run,
    said,
)


async def declines(h, n: int, guild_id: int | None = GUILD_ID) -> None:
    for i in range(n):
        for _ in range(n - i):  # question i is asked n - i times: a stable order
            await h.bot.store.record_declined(f"unknown question number {i}?", f"unknown question number {i}",
                                              None, 0.1, guild_id)


def followup(sent):
    (last,) = [s for s in sent if s.via == "webhook" and not s.path.endswith("/callback")]
    return last.json


async def click(h, custom_id: str, shown: dict, *, permissions: discord.Permissions = ADMIN,
                user_id: int = USER_ID, roles: tuple[int, ...] = ()):
    """Click a button of a (possibly ephemeral) message, as a member with these permissions."""
    data = interaction(3, {"custom_id": custom_id, "component_type": 2}, user_id=user_id,
                       message_data=h.recorder.message_from(str(CHANNEL_ID), shown))
    data["member"]["permissions"] = str(permissions.value)
    data["member"]["roles"] = [str(r) for r in roles]
    before = len(h.recorder.sent)
    h.state.parse_interaction_create(data)
    await h.settle()
    (edit,) = h.recorder.sent[before:]
    return edit.json


async def test_unanswered_pages_and_the_buttons_work_after_a_restart(h, tmp_path):
    await declines(h, 23)
    await declines(h, 2, guild_id=GUILD_ID + 1)  # another server's: never shown here
    first = followup(await run(h, "unanswered"))
    assert first["flags"] & 64
    (embed,) = first["embeds"]
    assert embed["footer"]["text"] == "Page 1 of 3 · 23 in all"
    assert embed["description"].startswith("• **23×** “unknown question number 0?”")
    assert custom_ids(first) == ["tb:page:unanswered:-1:", "tb:page:unanswered:1:"]
    assert [b["disabled"] for row in first["components"] for b in row["components"]] == [True, False]

    await h.stop()  # a restart: a new bot, the same database
    again = await started(bot_settings(tmp_path))
    try:
        edit = await click(again, "tb:page:unanswered:1:", first)
        assert edit["type"] == 7  # the message is edited in place
        page = edit["data"]["embeds"][0]
        assert page["footer"]["text"] == "Page 2 of 3 · 23 in all"
        assert page["description"].startswith("• **13×** “unknown question number 10?”")
        assert custom_ids(edit["data"]) == ["tb:page:unanswered:0:", "tb:page:unanswered:2:"]
        last = await click(again, "tb:page:unanswered:2:", {**first, **edit["data"]})
        assert last["data"]["embeds"][0]["footer"]["text"] == "Page 3 of 3 · 23 in all"
        # every click checks again who may see the list
        refused = await click(again, "tb:page:unanswered:1:", first, permissions=MEMBER, user_id=STRANGER_ID)
        assert refused["type"] == 4 and refused["data"]["flags"] & 64
        assert "Only curators can see this" in refused["data"]["content"]
    finally:
        await again.stop()
        h.stop = again.stop


async def test_curators_need_manage_server_or_the_curator_role(h):
    await declines(h, 2)
    text = said(await run(h, "unanswered", permissions=MEMBER, user_id=STRANGER_ID, roles=(ROLE_ID,)))
    assert text.startswith("Only curators can see this")
    said(await run(h, "settings curators", option("role", ROLE_ID, 8)))
    listing = said(await run(h, "unanswered", permissions=MEMBER, user_id=STRANGER_ID, roles=(ROLE_ID,)))
    assert "**2×** “unknown question number 0?”" in listing
    assert "Only curators" in said(await run(h, "feedback", permissions=MEMBER, user_id=STRANGER_ID))


async def test_feedback_lists_the_unhelpful_answers(h):
    facts = list(h.bot.service.kb.facts.values())
    for n, (fact, bad) in enumerate(((facts[0], 3), (facts[1], 1))):
        for i in range(bad):
            await h.bot.store.record_feedback(fact.id, f"asked about fact {n} time {i}", False, GUILD_ID)
        await h.bot.store.record_feedback(fact.id, "fine", True, GUILD_ID)
    await h.bot.store.record_feedback(facts[2].id, "elsewhere", False, GUILD_ID + 1)
    text = said(await run(h, "feedback"))
    first, second = "latest: “asked about fact 0 time 2”", "latest: “asked about fact 1 time 0”"
    assert text.index(first) < text.index(second)
    assert "**3× 👎**, 1× 👍" in text and "elsewhere" not in text


async def test_subscriptions_page_instead_of_being_clipped(h):
    for i in range(25):
        await h.bot.store.subscribe("channel", CHANNEL_ID + 10_000 + i, GUILD_ID, USER_ID, ("news",))
    sent = await run(h, "subscriptions")
    first = followup(sent)
    assert first["embeds"][0]["footer"]["text"] == "Page 1 of 3 · 25 in all"
    edit = await click(h, "tb:page:subscriptions:1:".replace("subscriptions", "subs"), first)
    assert edit["data"]["embeds"][0]["footer"]["text"] == "Page 2 of 3 · 25 in all"


async def test_short_lists_have_no_buttons(h):
    sent = await h.slash("timeline")
    (reply,) = [s for s in sent if s.path.endswith("/callback")]
    assert "components" not in reply.json["data"] or reply.json["data"]["components"] == []
    assert "footer" not in reply.json["data"]["embeds"][0]


async def test_the_ask_tariffbot_menu_answers_a_message(h):
    target = message("hey, who is akazawa?", author_id=STRANGER_ID, name="bob")
    data = {"id": str(snowflake()), "name": "Ask tariffbot", "type": 3, "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}}}
    before = len(h.recorder.sent)
    await h.bot.tree._call(discord.Interaction(data=interaction(2, data), state=h.state))
    await h.settle()
    (reply,) = h.recorder.sent[before:]
    assert reply.json["type"] == 4 and "Akazawa" in reply.json["data"]["embeds"][0]["title"]
    assert reply.json["data"]["allowed_mentions"] == {"parse": []}


async def test_read_only_commands_work_from_a_user_install_anywhere(h):
    data = interaction(2, {"id": str(snowflake()), "name": "ask", "type": 1,
                           "options": [{"name": "question", "type": 3, "value": "who is akazawa?"}]})
    data["guild_id"] = str(GUILD_ID + 5)  # a server the bot is not in: installed by the user
    data["authorizing_integration_owners"] = {"1": str(USER_ID)}
    before = len(h.recorder.sent)
    await h.bot.tree._call(discord.Interaction(data=data, state=h.state))
    await h.settle()
    (reply,) = h.recorder.sent[before:]
    assert reply.json["type"] == 4 and "Akazawa" in reply.json["data"]["embeds"][0]["title"]


async def test_the_synced_commands_say_who_sees_them_and_where_they_install(h):
    await h.bot.tree.sync()
    (put,) = [s for s in h.recorder.sent if s.method == "PUT"]
    synced = {c["name"]: c for c in put.json}
    for name in ("ask", "tariff", "who", "timeline", "sources", "help", "Ask tariffbot"):
        assert synced[name]["integration_types"] == [0, 1], name  # server and user installs
        assert synced[name]["contexts"] == [0, 1, 2], name
        assert synced[name].get("default_member_permissions") is None, name
    assert synced["Ask tariffbot"]["type"] == 3
    manage_guild = str(discord.Permissions(manage_guild=True).value)
    for name in ("settings", "feeds", "unanswered", "feedback"):
        assert str(synced[name]["default_member_permissions"]) == manage_guild, name  # groups send an int
        assert synced[name]["integration_types"] == [0] and synced[name]["contexts"] == [0], name
    admins_only = str(discord.Permissions(administrator=True).value)
    assert str(synced["reload"]["default_member_permissions"]) == admins_only
    assert synced["subscribe"]["integration_types"] == [0]


def test_long_lists_are_cut_into_pages_that_fit_and_lose_nothing():
    from bot.paging import MAX_DESCRIPTION, Entry, Listing, page_message, paginate

    entries = [Entry(f"entry {i} " + "x" * (50 + 37 * (i % 13))) for i in range(140)]
    listing = Listing("Long", entries, "none", notes=["a note under every page"])
    pages = paginate(listing)
    assert [e for page in pages for e in page] == entries  # every entry, in order, once
    for number, page in enumerate(pages):
        assert len(page) <= listing.per_page
        embed = page_message(listing, "sources", page=number)["embed"]
        assert len(embed.description) <= MAX_DESCRIPTION + 30 and not embed.description.endswith("…")
        assert embed.description.endswith("a note under every page")
    assert page_message(listing, "sources", page=999)["embed"].footer.text.startswith(f"Page {len(pages)} of")
    fields = Listing("Fields", [Entry("v" * 1000, f"name {i}") for i in range(12)], "none", per_page=25)
    assert [len(p) for p in paginate(fields)] == [4, 4, 4]  # an embed holds 6,000 characters in all
