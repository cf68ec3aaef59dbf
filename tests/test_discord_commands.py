"""Slash commands and autocomplete through the real app-command tree and interaction responses."""

from __future__ import annotations

import logging

import pytest
from discord import app_commands

from bot import ui
from bot.core.answer import Answer, Kind, human_date
from tests.helpers import (
    APP_ID,
    GUILD_ID,
    USER_ID,
    Harness,
    Sent,
    custom_ids,
)
from tests.markdown_check import live_mentions

NONE = {"parse": []}
COMMANDS = {"ask", "tariff", "who", "proposals", "timeline", "sources", "help"}


def callback(sent: list[Sent], *, ephemeral: bool = False) -> dict:
    """The one interaction callback sent: type 4 (message), with no pings; its `data`."""
    (only,) = sent
    assert only.via == "webhook" and only.method == "POST" and only.path.endswith("/callback")
    assert only.json["type"] == 4
    data = only.json["data"]
    assert data["allowed_mentions"] == NONE
    assert (data.get("flags", 0) & 64 == 64) is ephemeral
    return data


def test_every_command_is_registered_for_guilds_and_dms(harness: Harness) -> None:
    commands = {c.name: c for c in harness.bot.tree.get_commands()}
    assert set(commands) >= COMMANDS
    for command in (commands[name] for name in COMMANDS):
        assert command.allowed_contexts is not None
        assert command.allowed_contexts.guild and command.allowed_contexts.dm_channel


async def test_sync_puts_every_command(harness: Harness) -> None:
    synced = await harness.bot.tree.sync()
    put = harness.recorder.last("http")
    assert (put.method, put.path) == ("PUT", f"/applications/{APP_ID}/commands")
    assert {c["name"] for c in put.json} == {c.name for c in synced} >= COMMANDS


@pytest.mark.parametrize("dm", [False, True])
async def test_ask_answers_in_guilds_and_dms(harness: Harness, dm: bool) -> None:
    data = callback(await harness.slash("ask", {"question": "who is akazawa"}, dm=dm))
    answer = harness.bot.service.engine.ask("who is akazawa")
    assert answer.fact is not None and answer.fact.id == "akazawa"
    assert data["embeds"][0]["description"] == answer.fact.answer
    assert data["embeds"][0]["fields"][0] == {
        "name": "As of",
        "value": human_date(answer.fact.as_of),
        "inline": False,
    }
    assert custom_ids(data) == [f"tb:fb:1:{answer.fact.id}", f"tb:fb:0:{answer.fact.id}"]


async def test_ask_decline_is_stored_and_nothing_is_echoed(harness: Harness) -> None:
    question = "@everyone what is the tariff on vietnamese shoes [x](http://evil.example)"
    answer = harness.bot.service.engine.ask(question)
    assert answer.kind is Kind.DECLINE
    data = callback(await harness.slash("ask", {"question": question}))
    assert data["content"].startswith(answer.lead) and "everyone" not in data["content"]
    assert "evil" not in data["content"] and data["allowed_mentions"] == {"parse": []}
    rows = await harness.bot.store.declined_summary()
    assert [r.example for r in rows] == [question]


async def test_small_talk_is_answered_and_never_stored(harness: Harness) -> None:
    data = callback(await harness.slash("ask", {"question": "thanks!"}))
    assert data["content"].startswith("You're welcome!")
    assert await harness.bot.store.declined_summary() == []


async def test_tariff_without_options_lists_every_record(harness: Harness) -> None:
    records = harness.bot.service.kb.tariffs
    sent = await harness.slash("tariff")
    assert records
    (embed,) = callback(sent)["embeds"]
    assert [f["name"] for f in embed["fields"]] == [f"{r.country} — {r.sector}" for r in records[:25]]
    first = embed["fields"][0]["value"]
    record = records[0]
    assert f"**Rate:** {record.rate_text} ({record.kind})" in first
    assert f"**Status:** {record.status_text}" in first
    assert record.fact.citations[0].source.title in first
    if record.relief:
        assert f"**Relief:** {record.relief}" in first


async def test_tariff_with_country_and_sector(harness: Harness) -> None:
    records = harness.bot.service.kb.tariffs
    # Every record that applies to Japan, including "All trading partners (Japan included)".
    japan = [r for r in records if "japan" in r.country.lower()]
    autos = [r for r in records if r.sector == "autos"]
    assert japan and autos
    (embed,) = callback(await harness.slash("tariff", {"country": "japan"}))["embeds"]
    assert [f["name"] for f in embed["fields"]] == [f"{r.country} — {r.sector}" for r in japan]
    # Vocabulary and case: 'CARS' finds the autos records, as the command line does.
    (embed,) = callback(await harness.slash("tariff", {"country": "Japan", "sector": "CARS"}))["embeds"]
    assert [f["name"] for f in embed["fields"]] == [f"{r.country} — {r.sector}" for r in autos]


async def test_tariff_unknown_country_answers_ephemerally(harness: Harness) -> None:
    data = callback(await harness.slash("tariff", {"country": "**Atlantis** @everyone"}), ephemeral=True)
    assert harness.bot.service.kb.tariffs
    assert data["content"].startswith("No tariff record for \\*\\*Atlantis\\*\\* \\@everyone.")


async def test_tariff_country_autocomplete(harness: Harness) -> None:
    sent = await harness.autocomplete("tariff", {"country": "ja"}, focused="country")
    assert sent.path.endswith("/callback") and sent.json["type"] == 8
    countries = sorted({r.country for r in harness.bot.service.kb.tariffs})
    hits = [c for c in countries if "ja" in c.lower()]
    hits.sort(key=lambda c: (not c.lower().startswith("ja"), c.lower()))
    assert sent.json["data"]["choices"] == [{"name": c, "value": c} for c in hits[:25]]


async def test_tariff_sector_autocomplete_follows_the_chosen_country(harness: Harness) -> None:
    records = harness.bot.service.kb.tariffs
    country = records[0].country if records else "Japan"
    sent = await harness.autocomplete("tariff", {"country": country, "sector": ""}, focused="sector")
    assert sent.json["type"] == 8
    sectors = sorted({r.sector for r in records if country.lower() in r.country.lower()})
    assert sent.json["data"]["choices"] == [{"name": s, "value": s} for s in sectors[:25]]


async def test_who_autocomplete_and_answer(harness: Harness) -> None:
    people = harness.bot.service.kb.participants
    assert people
    person = next(iter(people.values()))
    typed = person.name.split()[-1][:4].lower()
    sent = await harness.autocomplete("who", {"person": typed}, focused="person")
    assert sent.json["type"] == 8
    choices = sent.json["data"]["choices"]
    assert {"name": ui.clip(f"{person.name} ({person.role})", 100), "value": person.id} in choices
    assert all(
        typed in c["name"].lower() or typed in str(people[c["value"]].aliases).lower() for c in choices
    )
    (embed,) = callback(await harness.slash("who", {"person": person.id}))["embeds"]
    assert embed["title"] == person.name
    assert embed["description"] == person.fact.answer
    assert embed["fields"][:2] == [
        {"name": "Role", "value": person.role, "inline": True},
        {"name": "Country", "value": person.country, "inline": True},
    ]
    (embed,) = callback(await harness.slash("who", {"person": person.name.upper()}, dm=True))["embeds"]
    assert embed["title"] == person.name


async def test_who_unknown_person_is_ephemeral(harness: Harness) -> None:
    data = callback(await harness.slash("who", {"person": f"<@{USER_ID}> Nobody"}), ephemeral=True)
    assert data["content"].startswith(f"I don't know anyone called “\\<\\@{USER_ID}\\> Nobody”")
    assert live_mentions(data["content"]) == []


@pytest.mark.parametrize("dm", [False, True])
async def test_proposals_timeline_sources(harness: Harness, dm: bool) -> None:
    kb = harness.bot.service.kb
    (embed,) = callback(await harness.slash("proposals", dm=dm))["embeds"]
    assert embed["title"] == "Japan's proposals"
    for proposal in kb.proposals:
        assert f"**{proposal.name}**: {proposal.status}"[:200] in embed["description"]
    (embed,) = callback(await harness.slash("timeline", dm=dm))["embeds"]
    assert embed["title"] == "Timeline of the talks"
    for talk_round in kb.rounds:
        assert f"**{human_date(talk_round.date)}**: {talk_round.name}" in embed["description"]
    (embed,) = callback(await harness.slash("sources", dm=dm))["embeds"]
    for source in kb.sources.values():
        assert f"**{source.title}** ({human_date(source.date)}" in embed["description"]


async def test_help_is_ephemeral_and_lists_the_commands(harness: Harness) -> None:
    (embed,) = callback(await harness.slash("help"), ephemeral=True)["embeds"]
    for name in COMMANDS - {"help"}:
        assert f"`/{name}" in embed["description"]


async def test_a_failing_command_answers_ephemerally_and_logs_the_traceback(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(question: str) -> Answer:
        raise ValueError("kaboom in the engine")

    monkeypatch.setattr(harness.bot.service.engine, "ask", boom)
    with caplog.at_level(logging.ERROR):
        data = callback(await harness.slash("ask", {"question": "who is akazawa"}), ephemeral=True)
    assert data["content"] == ui.ERROR_TEXT
    assert "kaboom" not in str(data) and "Traceback" not in str(data)
    (record,) = [r for r in caplog.records if r.exc_info]
    assert isinstance(record.exc_info[1], ValueError)
    assert "/ask" in record.getMessage()


async def test_cooldown_on_ask_is_ephemeral(harness: Harness) -> None:
    for _ in range(harness.bot.settings.discord.cooldown_rate):
        callback(await harness.slash("ask", {"question": "who is akazawa"}))
    data = callback(await harness.slash("ask", {"question": "who is akazawa"}), ephemeral=True)
    assert "try again in" in data["content"]


def test_guild_id_is_real(harness: Harness) -> None:
    assert harness.bot.get_guild(GUILD_ID) is not None
    assert isinstance(harness.bot.tree.get_command("ask"), app_commands.Command)
