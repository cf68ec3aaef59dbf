"""The bot answers from the fact base it announces, whoever reloads it (command line, /reload, timer)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.core.service import KnowledgeService
from tests.helpers import CHANNEL_ID, bot_settings, copy_fact_base, post_text, started
from tests.test_updates_changes import RECIPROCAL_AFTER, RECIPROCAL_BEFORE
from tests.test_updates_discord import quiet, reply, slash
from tests.updates_support import edit

FACT = "tariff-reciprocal-japan"


def served_rate(service: KnowledgeService) -> float | None:
    return next(t.rate for t in service.kb.tariffs if t.id == FACT)


@pytest.fixture
async def h(tmp_path: Path):
    """A started bot on a private copy of the test fact base, its loops stopped, the baseline recorded."""
    kdir = copy_fact_base(tmp_path)
    settings = replace(bot_settings(tmp_path), knowledge_dir=kdir)
    harness = await started(settings, KnowledgeService(kdir, settings.engine))
    try:
        await quiet(harness).check_knowledge()
        yield harness
    finally:
        await harness.stop()


async def test_a_command_line_reload_is_served_before_its_update_goes_out(h, tmp_path: Path) -> None:
    settings, service, cog = h.bot.settings, h.bot.service, quiet(h)
    kdir = settings.knowledge_dir
    reply(await slash(h, "subscribe", channel=CHANNEL_ID))
    rates_when_posted: list[float | None] = []
    real = h.bot.http.request

    async def watch(route: Any, **kwargs: Any) -> Any:
        if route.method == "POST" and route.path.endswith("/messages"):
            rates_when_posted.append(served_rate(service))
        return await real(route, **kwargs)

    h.bot.http.request = watch
    edit(kdir / "tariffs.yaml", RECIPROCAL_BEFORE, RECIPROCAL_AFTER)
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge_dir: {kdir}\ndatabase: {settings.database}\n", encoding="utf-8")
    assert await asyncio.to_thread(main, ["--config", str(config), "reload"]) == 0  # another process
    assert served_rate(service) == 24  # the bot has not noticed yet (its timer is 300 s away)
    for _ in range(3):
        await cog.outbox.drain()
    posted = [s for s in h.recorder.sent if s.method == "POST" and s.path.endswith("/messages")]
    assert len(posted) == 1 and "24% (paused until early July 2025) -> 15% (in force)" in \
        post_text(posted[0].json)
    assert rates_when_posted == [15]  # served the new fact base before the update went out
    answer = h.bot.service.engine.ask("What is the US reciprocal tariff on Japan?")
    assert answer.fact is not None and answer.fact.id == FACT


async def test_reload_serves_the_new_facts_and_allow_removals_is_the_owners(h) -> None:
    kdir, service = h.bot.settings.knowledge_dir, h.bot.service
    (kdir / "tariffs.yaml").write_text("", encoding="utf-8")  # emptied by mistake
    sent = await slash(h, "reload")
    text = [s for s in sent if not s.path.endswith("/callback")][-1].json["content"]
    assert text.startswith("Rejected") and "facts would be removed" in text
    assert len(service.kb.tariffs) > 0  # the old fact base keeps serving
    sent = await slash(h, "reload", {"allow_removals": True})
    followup = [s for s in sent if not s.path.endswith("/callback")][-1].json["content"]
    assert "change(s) queued" in followup and service.kb.tariffs == ()
    assert "no tariff records" in reply(await slash(h, "tariff"))  # /tariff on a fact base without any


async def test_news_is_read_by_the_served_fact_bases_rule_built_once_per_fact_base(h) -> None:
    service, headline = h.bot.service, "Toyota cheers tariff talks with Washington"
    before = service.relevance
    assert service.relevance is before  # built once, not per item or poll
    assert before.score(headline).score == 1.0
    edit(h.bot.settings.knowledge_dir / "news.yaml",
         "japan_side: [japan, japanese-carmaker, japan-leader, akazawa]",
         "japan_side: [japan, japan-leader, akazawa]")  # curators: a carmaker alone is not Japan
    assert (await quiet(h).check_knowledge()).ok
    after = service.relevance
    assert after is not before and after.score(headline).score == 0.0
    assert h.bot.get_cog("Updates").poller.relevance() is after  # the poller reads the served rule
