"""`tariffbot feeds poll`: real processes against a real feed server on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import asyncio
import email.utils
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot import exitcodes
from bot.core.model import TOPICS
from bot.core.store import Store
from bot.paths import PROJECT_DIR
from tests.helpers import FACT_BASE, GUILD_ID, USER_ID

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Trade wire</title><link>https://wire.example/</link>
<description>news</description>{later}
<item><title>Akazawa and Bessent discuss tariffs on Japanese cars in Washington</title>
  <link>https://wire.example/akazawa-bessent</link><guid>wire-1</guid>
  <description>Japan's chief negotiator met the Treasury Secretary.</description></item>
<item><title>Local football club wins the cup</title><link>https://wire.example/sport</link>
  <guid>wire-2</guid><description>A great match.</description></item>
</channel></rss>"""
LATER = """
<item><title>Japan's Akazawa to return to Washington for more tariff talks</title>
  <link>https://wire.example/second-round</link><guid>wire-3</guid>
  <description>A second round of negotiations.</description></item>"""


@dataclass
class Wire:
    """The feed the test server serves; a test sets `later` when a newer relevant story arrives."""

    later: bool = False

    async def rss(self, request: web.Request) -> web.Response:
        text = RSS.format(later=LATER if self.later else "")
        return web.Response(text=text, content_type="application/rss+xml")


async def broken(request: web.Request) -> web.Response:
    return web.Response(status=500, text="boom")


@pytest.fixture
async def feed_server():
    wire = Wire()
    app = web.Application()
    app.router.add_get("/rss", wire.rss)
    app.router.add_get("/broken", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield wire, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def write_config(tmp_path: Path, feeds: dict[str, str], backfill: int = 0, allowed: str = "[]") -> Path:
    """The test fact base, a private database, and these feeds."""
    lines = [f"knowledge_dir: {FACT_BASE}", f"database: {tmp_path / 'bot.sqlite3'}", "updates:",
             f"  feed_backfill: {backfill}", f"  feed_allowed_networks: {allowed}", "  feeds:"]
    lines += [f"    - {{name: {name}, url: '{url}'}}" for name, url in feeds.items()] or ["    []"]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def tariffbot(config: Path, *args: str) -> tuple[int, str, str]:
    """Run `tariffbot --config CONFIG ARGS` as a real process (the event loop keeps serving the feed)."""
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"} | {"PYTHONPATH": str(PROJECT_DIR)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd="/",
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def subscribe(database: Path) -> None:
    async with Store(database) as store:
        await store.subscribe("channel", 1, GUILD_ID, USER_ID, TOPICS)


async def counts(database: Path) -> tuple[int, int, int]:
    """Stored updates, outbox rows and feed states."""
    async with Store(database) as store:
        rows = await store.read("SELECT (SELECT COUNT(*) FROM updates), (SELECT COUNT(*) FROM outbox),"
                                " (SELECT COUNT(*) FROM feeds)")
    return tuple(rows[0])  # type: ignore[return-value]


async def test_a_saved_file_is_previewed_with_scores_and_reasons_and_touches_no_database(tmp_path):
    feed = tmp_path / "wire.xml"
    feed.write_text(RSS, encoding="utf-8")
    config = write_config(tmp_path, {})
    code, out, err = await tariffbot(config, "feeds", "poll", "--file", str(feed))
    assert code == 0, err
    assert "2 item(s), 1 relevant" in out
    post = next(line for line in out.splitlines() if "Akazawa and Bessent" in line)
    skip = next(line for line in out.splitlines() if "football" in line)
    assert post.split()[0] == "post" and skip.split()[0] == "skip"
    assert "mentions Akazawa" in out  # the reason, in plain words
    assert not (tmp_path / "bot.sqlite3").exists()


async def test_a_saved_file_marks_items_too_old_to_post_as_the_poller_would(tmp_path):
    """updates.feed_max_age_days (7) applies to a tried file too: an old relevant story is `old`."""
    fresh = email.utils.format_datetime(datetime.now(UTC) - timedelta(days=1))
    old = "Mon, 05 May 2025 09:00:00 +0000"
    items = "".join(
        f"<item><title>{title}</title><link>https://wire.example/{n}</link><guid>old-{n}</guid>"
        f"<pubDate>{date}</pubDate></item>"
        for n, (title, date) in enumerate([("Akazawa and Bessent agree to speed up tariff talks", fresh),
                                           ("Ishiba rejects partial deal with Washington on tariffs", old)]))
    feed = tmp_path / "dated.xml"
    rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>{items}</channel></rss>'
    feed.write_text(rss, encoding="utf-8")
    code, out, err = await tariffbot(write_config(tmp_path, {}), "feeds", "poll", "--file", str(feed))
    assert code == 0, err
    assert "2 item(s), 1 relevant at threshold 0.5 (1 more too old to post)" in out
    assert next(line for line in out.splitlines() if "Ishiba" in line).split()[0] == "old"
    assert next(line for line in out.splitlines() if "speed up" in line).split()[0] == "post"


async def test_dry_run_of_a_new_feed_shows_its_first_poll_posts_nothing_and_records_nothing(
    tmp_path, feed_server
):
    _, url = feed_server
    config = write_config(tmp_path, {"wire": url + "/rss"})
    await subscribe(tmp_path / "bot.sqlite3")
    code, out, err = await tariffbot(config, "feeds", "poll", "--dry-run")
    assert code == 0, err
    assert next(line for line in out.splitlines() if "Akazawa and Bessent" in line).split()[0] == "quiet"
    assert "would queue 0 new update(s) for 0 delivery(ies); 0 already seen (posted or recorded), " \
        "1 recorded quietly" in out
    assert "nothing was recorded or queued" in out
    assert await counts(tmp_path / "bot.sqlite3") == (0, 0, 0)


async def test_with_a_backfill_the_dry_run_shows_the_newest_relevant_item_posted(tmp_path, feed_server):
    _, url = feed_server
    config = write_config(tmp_path, {"wire": url + "/rss"}, backfill=1)
    await subscribe(tmp_path / "bot.sqlite3")
    code, out, err = await tariffbot(config, "feeds", "poll", "--dry-run")
    assert code == 0, err
    assert next(line for line in out.splitlines() if "Akazawa and Bessent" in line).split()[0] == "post"
    assert "a poll now would queue 1 new update(s) for 1 delivery(ies); 0 already seen" in out
    assert await counts(tmp_path / "bot.sqlite3") == (0, 0, 0)


async def test_poll_records_a_new_feed_quietly_then_queues_each_new_story_once(tmp_path, feed_server):
    wire, url = feed_server
    config = write_config(tmp_path, {"wire": url + "/rss"})
    await subscribe(tmp_path / "bot.sqlite3")
    code, out, err = await tariffbot(config, "feeds", "poll")
    assert code == 0, err
    assert ("wire: 2 item(s), 1 relevant; queued 0 new update(s) for 0 delivery(ies), 0 already seen (posted "
            "or recorded), 1 recorded quietly") in out
    assert await counts(tmp_path / "bot.sqlite3") == (1, 0, 1)
    wire.later = True
    code, out, err = await tariffbot(config, "feeds", "poll", "--dry-run")
    assert code == 0, err
    assert "would queue 1 new update(s) for 1 delivery(ies); 1 already seen (posted or recorded), " \
        "0 recorded" in out
    code, out, _ = await tariffbot(config, "feeds", "poll")
    assert "wire: 3 item(s), 2 relevant; queued 1 new update(s) for 1 delivery(ies), 1 already seen" \
        in out
    assert await counts(tmp_path / "bot.sqlite3") == (2, 1, 1)
    code, out, _ = await tariffbot(config, "feeds", "poll")
    assert "queued 0 new update(s) for 0 delivery(ies), 2 already seen" in out
    code, out, _ = await tariffbot(config, "feeds", "poll", "--dry-run")
    assert "would queue 0 new update(s) for 0 delivery(ies); 2 already seen" in out
    assert await counts(tmp_path / "bot.sqlite3") == (2, 1, 1)


async def test_servers_feeds_are_polled_too_with_their_addresses_checked(tmp_path, feed_server):
    """A feed added from Discord is polled by the command line as by the bot: on 127.0.0.1 it is refused
    unless config.yaml allows that network, then its first poll posts its backfill."""
    _, url = feed_server
    async with Store(tmp_path / "bot.sqlite3") as store:
        await store.subscribe("channel", 1, GUILD_ID, USER_ID, TOPICS)  # a channel of that server
        await store.add_server_feed(GUILD_ID, "local wire", url + "/rss", 1, USER_ID, limit=10)
    code, out, _ = await tariffbot(write_config(tmp_path, {}), "feeds", "poll", "--dry-run")
    assert code == exitcodes.FAILURE and f"local wire (server {GUILD_ID}): failed: refused" in out
    allowed = write_config(tmp_path, {}, allowed="[127.0.0.1/32]")
    code, out, err = await tariffbot(allowed, "feeds", "poll", "--dry-run")
    assert code == 0, err
    assert "a poll now would queue 1 new update(s) for 1 delivery(ies)" in out
    code, out, err = await tariffbot(allowed, "feeds", "poll")
    assert code == 0, err
    assert "local wire: 2 item(s), 1 relevant; queued 1 new update(s) for 1 delivery(ies)" in out


async def test_no_feeds_at_all_says_where_they_come_from(tmp_path):
    code, out, _ = await tariffbot(write_config(tmp_path, {}), "feeds", "poll")
    assert code == 0 and "no feeds: none in config.yaml (updates.feeds), none added from Discord" in out


async def test_a_failing_feed_is_reported_recorded_and_exits_1_while_the_others_are_polled(
    tmp_path, feed_server
):
    _, url = feed_server
    config = write_config(tmp_path, {"broken": url + "/broken", "wire": url + "/rss"})
    code, out, _ = await tariffbot(config, "feeds", "poll")
    assert code == exitcodes.FAILURE
    assert "broken: failed (1 in a row): HTTP 500" in out
    assert "wire: 2 item(s), 1 relevant" in out
    async with Store(tmp_path / "bot.sqlite3") as store:
        states = {s.name: s for s in await store.feed_states()}
    assert states["broken"].consecutive_failures == 1 and states["wire"].consecutive_failures == 0


async def test_a_url_is_previewed_without_being_configured(tmp_path, feed_server):
    _, url = feed_server
    config = write_config(tmp_path, {})
    code, out, err = await tariffbot(config, "feeds", "poll", "--url", url + "/rss")
    assert code == 0, err
    assert "2 item(s), 1 relevant" in out
    code, out, err = await tariffbot(config, "feeds", "poll", "--url", url + "/broken")
    assert code == exitcodes.FAILURE and err.strip().endswith("HTTP 500 Internal Server Error")
    assert "Traceback" not in err and not (tmp_path / "bot.sqlite3").exists()


@pytest.mark.parametrize("args", [("--file", "/no/such/feed.xml"), ("--url", "x", "--file", "y")])
async def test_bad_arguments_are_one_line_and_exit_2(tmp_path, args):
    code, _, err = await tariffbot(write_config(tmp_path, {}), "feeds", "poll", *args)
    assert code == exitcodes.USAGE
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2  # argparse: usage + error
