"""Hostile fact-base files: deep nesting, alias bombs, huge, half-written, vanishing or unreadable files.

Each is one `file: entry: reason` line (never a traceback, a crash or a freeze), from `tariffbot check`
in a real process (a SIGSEGV there would kill pytest itself) and from the reload paths.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.loader import KnowledgeError, load_knowledge
from bot.core.store import Store
from bot.core.updates.changes import check_knowledge
from bot.core.yamlsafe import Limits
from bot.paths import PROJECT_DIR
from tests.updates_support import copy_knowledge

ALIAS_BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
facts: [{id: *h, question: *h, answer: *h, as_of: *h, sources: *h, topics: *h}]
"""


def check(knowledge: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`tariffbot check` on a folder, in a real process."""
    config = knowledge.parent / "config.yaml"
    config.write_text(f"knowledge_dir: {knowledge}\ndatabase: {knowledge.parent / 'db.sqlite3'}\n")
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "check"], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=timeout)


def one_problem(done: subprocess.CompletedProcess[str], file: str, reason: str) -> None:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith(f"{file}: ")]
    assert lines and reason in lines[0], done.stderr
    assert max(len(line) for line in done.stderr.splitlines()) < 500


def test_a_file_nested_30000_deep_is_refused_not_a_segfault(tmp_path: Path) -> None:
    kdir = copy_knowledge(tmp_path)
    (kdir / "deep.yaml").write_text("facts: " + "[" * 30_000 + "]" * 30_000 + "\n")
    one_problem(check(kdir), "deep.yaml", "nested deeper than 64 levels")


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    kdir = copy_knowledge(tmp_path)
    (kdir / "bomb.yaml").write_text(ALIAS_BOMB)
    assert len(ALIAS_BOMB) < 700
    start = time.monotonic()
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(kdir)
    assert time.monotonic() - start < 5
    assert error.value.problems == ["bomb.yaml: -: aliases expand to more than 10000 nodes (alias bomb?)"]


def test_quoted_values_are_clipped(tmp_path: Path) -> None:
    kdir = copy_knowledge(tmp_path)
    big = "[" + ", ".join(["x" * 50] * 2000) + "]"
    (kdir / "big.yaml").write_text(f"facts:\n  - {{id: ok-id, question: q, answer: a, as_of: {big}, "
                                   f"sources: [], topics: {big}}}\n")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(kdir)
    assert error.value.problems and max(len(p) for p in error.value.problems) < 300


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    kdir = copy_knowledge(tmp_path)
    with (kdir / "huge.yaml").open("wb") as handle:
        handle.truncate(50_000_000)  # 50 MB (sparse: nothing to write)
    start = time.monotonic()
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(kdir)
    assert time.monotonic() - start < 5
    assert error.value.problems == ["huge.yaml: -: too large: 50000000 bytes (limit 5000000)"]
    (kdir / "huge.yaml").unlink()
    with pytest.raises(KnowledgeError) as error:  # the cap is configurable
        load_knowledge(kdir, Limits(max_file_bytes=1000))
    assert "too large" in error.value.problems[0]


@pytest.mark.parametrize(("make", "file", "reason"), [
    (lambda k: (k / "x.yaml").mkdir(), "x.yaml", "not a regular file"),
    (lambda k: (k / "gone.yaml").symlink_to(k / "nowhere.yaml"), "gone.yaml", "no such file"),
    (lambda k: (k / "bad.yaml").write_bytes(b"facts:\n  - id: caf\xe9\n"), "bad.yaml", "invalid YAML"),
    (lambda k: (k / "sources" / "2025-05-01-japan-us-make-progress-in-tariff-talks.txt").write_bytes(
        b"\xff\xfe not utf-8"), "sources.yaml", "is not UTF-8 text"),
])
def test_unreadable_files_are_one_line_each(tmp_path: Path, make, file: str, reason: str) -> None:
    kdir = copy_knowledge(tmp_path)
    make(kdir)
    one_problem(check(kdir), file, reason)


def test_files_changing_during_the_read_are_never_accepted(tmp_path: Path) -> None:
    """A writer removes and rewrites files (non-atomically) while the bot reloads, again and again."""
    kdir = copy_knowledge(tmp_path)
    originals = {p.name: p.read_bytes() for p in kdir.glob("*.yaml")}
    full = load_knowledge(kdir)
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            for name, data in originals.items():
                path = kdir / name
                path.unlink()
                with path.open("wb") as handle:
                    for i in range(0, len(data), 4096):
                        handle.write(data[i:i + 4096])
                        handle.flush()
                        time.sleep(0.0005)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    accepted = refused = 0
    try:
        for _ in range(60):
            try:
                kb = load_knowledge(kdir, Limits(settle_seconds=0.3), settle=True)
            except KnowledgeError:
                refused += 1
                continue
            accepted += 1
            assert kb.fingerprint == full.fingerprint and len(kb.facts) == len(full.facts)
    finally:
        stop.set()
        thread.join()
    assert refused > 0


def test_an_emptied_file_is_refused_unless_removals_are_allowed(tmp_path: Path, capsys) -> None:
    kdir = copy_knowledge(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge_dir: {kdir}\ndatabase: {tmp_path / 'db.sqlite3'}\n")
    assert main(["--config", str(config), "reload"]) == 0  # the baseline
    (kdir / "tariffs.yaml").write_text("")
    assert main(["--config", str(config), "reload"]) == 1
    err = capsys.readouterr().err
    assert "facts would be removed" in err and "--allow-removals" in err and "Traceback" not in err

    async def unchanged() -> None:
        async with Store(tmp_path / "db.sqlite3") as store:
            assert await store.outbox_counts() == {}
            check = await check_knowledge(store, lambda: load_knowledge(kdir), max_removals=3)
            assert not check.ok and "7 facts would be removed" in check.problems[0]

    asyncio.run(unchanged())
    assert main(["--config", str(config), "reload", "--allow-removals"]) == 0
    assert "Removed:" in capsys.readouterr().out
