"""Fact-base changes: baseline, add / change / remove, broken edits rejected, CLI reload and dry run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.loader import load_knowledge
from bot.core.model import TOPICS
from bot.core.service import KnowledgeService
from bot.core.store import Store
from bot.core.updates.changes import check_knowledge
from bot.core.updates.outbox import Outbox
from bot.core.updates.records import UpdateItem
from tests.updates_support import Clock, FakeSender, copy_knowledge, edit, open_store, remove_entry

NEW_FACT = """facts:
  - id: extra-rice
    question: Is Japan considering more tariff-free US rice?
    answer: Japan is considering expanding tariff-free imports of U.S.-grown rice.
    as_of: 2025-05-01
    topics: [agriculture]
    sources:
      - source: progress-2025-05-01
        quote: Japan is also considering expanding tariff-free imports of U.S.-grown rice
"""
RECIPROCAL_BEFORE = "rate: 24\n    kind: reciprocal\n    status: paused\n    until: early July 2025"
RECIPROCAL_AFTER = "rate: 15\n    kind: reciprocal\n    status: in force\n    until: null"
EXPECTED_TARIFF_LINE = ("Changed: Japan, reciprocal tariff: 24% (paused until early July 2025) -> "
                        "15% (in force), as of 1 May 2025, source Japan, U.S. make progress in tariff talks")


def change_three(kdir: Path) -> None:
    """Change the reciprocal tariff, add a fact and remove one, by editing YAML text."""
    edit(kdir / "tariffs.yaml", RECIPROCAL_BEFORE, RECIPROCAL_AFTER)
    (kdir / "extra.yaml").write_text(NEW_FACT, encoding="utf-8")
    remove_entry(kdir / "context.yaml", "context-japan-corn-soy-source")


@pytest.fixture
async def store(tmp_path):
    s = await open_store(tmp_path / "updates.sqlite3")
    yield s
    await s.close()


async def test_first_start_records_the_baseline_silently(tmp_path, store):
    kdir = copy_knowledge(tmp_path)
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    check = await check_knowledge(store, lambda: load_knowledge(kdir))
    assert check.ok and check.plan.baseline and check.plan.changes == []
    assert await store.outbox_counts() == {}
    baseline, snapshot = await store.knowledge_snapshot()
    assert baseline and len(snapshot) == check.facts == len(load_knowledge(kdir).facts)
    again = await check_knowledge(store, lambda: load_knowledge(kdir))
    assert not again.plan.baseline and again.plan.changes == [] and again.plan.upserts == {}


async def test_add_change_remove_are_announced_once_to_matching_topics(tmp_path, store):
    kdir = copy_knowledge(tmp_path)
    everything, _ = await store.subscribe("channel", 1, 10, 5, TOPICS)
    farming, _ = await store.subscribe("dm", 2, None, 2, ("agriculture",))
    people, _ = await store.subscribe("channel", 3, 10, 5, ("participants",))
    await check_knowledge(store, lambda: load_knowledge(kdir))
    change_three(kdir)

    check = await check_knowledge(store, lambda: load_knowledge(kdir))
    kinds = {c.fact_id: c.kind for c in check.plan.changes}
    assert kinds == {"tariff-reciprocal-japan": "changed", "extra-rice": "new",
                     "context-japan-corn-soy-source": "removed"}
    texts = {c.fact_id: c.item.text for c in check.plan.changes}
    assert texts["tariff-reciprocal-japan"] == EXPECTED_TARIFF_LINE
    assert texts["extra-rice"].startswith("New: Is Japan considering more tariff-free US rice?")
    assert texts["context-japan-corn-soy-source"].startswith(
        "Removed: Where does Japan get its corn and soybeans? (no longer in the fact base")
    assert check.queued.deliveries == 3 + 2 + 0
    assert (await check_knowledge(store, lambda: load_knowledge(kdir))).plan.changes == []

    sender = FakeSender()
    report = await Outbox(store, sender, clock=Clock()).drain()
    assert report.messages == 2 and report.deliveries == 5
    by_target = {target: content for _, target, _, content in sender.sent}
    assert set(by_target) == {everything.target_id, farming.target_id}
    assert EXPECTED_TARIFF_LINE in by_target[1] and "3 updates" in by_target[1]
    assert EXPECTED_TARIFF_LINE not in by_target[2] and "2 updates" in by_target[2]
    assert people.target_id not in by_target


async def test_broken_edit_is_rejected_nothing_queued_old_fact_base_serves(tmp_path, store):
    kdir = copy_knowledge(tmp_path)
    service = KnowledgeService(kdir)
    old = service.kb
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    await check_knowledge(store, service.reload)
    _, before = await store.knowledge_snapshot()
    change_three(kdir)
    edit(kdir / "tariffs.yaml", "paused until early July under a 90-day reprieve",
         "paused until late July under a 90-day reprieve")  # quote no longer in the source

    check = await check_knowledge(store, service.reload)
    assert not check.ok
    assert any("tariff-reciprocal-japan" in p and "quote not found" in p for p in check.problems)
    assert await store.outbox_counts() == {}
    assert (await store.knowledge_snapshot())[1] == before
    assert service.kb is old


async def test_two_processes_checking_at_once_queue_each_change_once(tmp_path, store):
    kdir = copy_knowledge(tmp_path)
    await store.subscribe("channel", 1, 10, 5, TOPICS)
    await check_knowledge(store, lambda: load_knowledge(kdir))
    change_three(kdir)
    other = await open_store(tmp_path / "updates.sqlite3")
    try:
        results = await asyncio.gather(check_knowledge(store, lambda: load_knowledge(kdir)),
                                       check_knowledge(other, lambda: load_knowledge(kdir)))
    finally:
        await other.close()
    assert sorted(r.queued.deliveries for r in results) == [0, 3]
    assert await store.outbox_counts() == {"pending": 3}


def _config(tmp_path: Path, kdir: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge_dir: {kdir}\ndatabase: {tmp_path / 'cli.sqlite3'}\nlog_level: WARNING\n")
    return config


def test_cli_reload_and_updates_dry_run(tmp_path, capsys):
    kdir = copy_knowledge(tmp_path)
    config = _config(tmp_path, kdir)
    assert main(["--config", str(config), "reload"]) == 0
    assert "baseline recorded" in capsys.readouterr().out

    async def subscribe() -> None:
        async with Store(tmp_path / "cli.sqlite3") as s:
            await s.subscribe("channel", 42, 10, 5, TOPICS)

    asyncio.run(subscribe())
    change_three(kdir)
    assert main(["--config", str(config), "updates", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "0 pending delivery" in out and "a reload would queue:" in out and EXPECTED_TARIFF_LINE in out

    assert main(["--config", str(config), "reload"]) == 0
    out = capsys.readouterr().out
    assert "3 change(s), 3 delivery(ies) queued" in out and EXPECTED_TARIFF_LINE in out
    lines = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    kinds = {"New", "Removed", "Updated", "Changed"}
    assert lines and all(line.split(":")[0] in kinds for line in lines), lines  # each says its kind once

    assert main(["--config", str(config), "updates", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 pending delivery(ies) in 1 message(s) to 1 destination(s) (dry run" in out
    assert "--- to channel 42, nonce chosen when sent ---" in out and "**Tariff talks: 3 updates**" in out
    assert main(["--config", str(config), "updates"]) == 0
    assert "channel 42: 3 update(s)" in capsys.readouterr().out

    async def untouched() -> dict[str, int]:
        async with Store(tmp_path / "cli.sqlite3") as s:
            plan = await s.plan_delivery(10)
            assert plan.digests and not any(d.fixed for d in plan.digests)  # no digest was fixed
            return await s.outbox_counts()

    assert asyncio.run(untouched()) == {"pending": 3}


def test_cli_reload_rejects_a_broken_fact_base(tmp_path, capsys):
    kdir = copy_knowledge(tmp_path)
    config = _config(tmp_path, kdir)
    assert main(["--config", str(config), "reload"]) == 0
    edit(kdir / "tariffs.yaml", "    rate: 24\n", "    rate: lots\n")
    capsys.readouterr()
    assert main(["--config", str(config), "reload"]) == 1
    err = capsys.readouterr().err
    assert "rejected" in err and "tariffs.yaml: tariff-reciprocal-japan: rate must be a number" in err


def test_cli_updates_shows_paused_destinations_as_held_not_as_messages(tmp_path, capsys):
    kdir = copy_knowledge(tmp_path)
    config = _config(tmp_path, kdir)

    async def fill() -> None:
        async with Store(tmp_path / "cli.sqlite3") as s:
            for target in (41, 42):
                await s.subscribe("channel", target, 10, 5, TOPICS)
            await s.queue_updates([UpdateItem("knowledge", f"k{n}", ("tariffs",), f"x{n}") for n in range(3)])
            await s.pause_subscription((await s.subscription("channel", 41)).id, "403 Forbidden")  # later

    asyncio.run(fill())
    assert main(["--config", str(config), "updates"]) == 0
    out = capsys.readouterr().out
    assert "3 pending delivery(ies) in 1 message(s) to 1 destination(s)" in out
    assert "channel 42: 3 update(s)" in out
    assert "channel 41: 3 update(s) [paused: 403 Forbidden]" in out and "held for 1 paused" in out
