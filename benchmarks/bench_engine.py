"""Engine speed and memory: real fact base, synthetic 1k/10k/100k facts, CLI start-up; with a baseline.

Run: .venv/bin/python benchmarks/bench_engine.py [--quick]
The baseline is plain `rapidfuzz.process.extractOne(question, fact_texts)`, measured in the same run.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import replace
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from bot.core.engine import Engine
from bot.core.loader import load_knowledge
from bot.core.model import Citation, Fact, KnowledgeBase, Source
from bot.paths import PROJECT_DIR

KNOWLEDGE = PROJECT_DIR / "knowledge"
QUESTION_FILES = [
    PROJECT_DIR / "tests" / "data" / "questions.yaml",
    PROJECT_DIR.parent / "shared" / "eval" / "dev-questions.yaml",
]


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Median and p99 in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def timed(call, questions: list[str], rounds: int) -> tuple[float, float]:
    """Per-call latency of `call(q)` over the questions, `rounds` times."""
    samples = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            call(question)
            samples.append(time.perf_counter() - started)
    return percentiles(samples)


def real_questions() -> list[str]:
    questions = []
    for path in QUESTION_FILES:
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            questions += [item["q"] for item in data["inscope"] + data["outscope"]]
    return questions


def pseudo_words(count: int, rng: random.Random) -> list[str]:
    """Pronounceable made-up words, so synthetic facts have a realistic, skewed vocabulary."""
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def synthetic_kb(real: KnowledgeBase, size: int, rng: random.Random) -> tuple[KnowledgeBase, list[str]]:
    """`size` made-up facts (Zipf-distributed words) plus the real ones; and questions about them."""
    words = pseudo_words(max(2000, size // 2), rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    source = Source("synthetic", "Synthetic", date(2025, 5, 1), None, "-", "")
    facts = dict(real.facts)
    questions = []
    for i in range(size):
        answer_words = rng.choices(words, weights, k=20)
        answer = " ".join(answer_words)
        keywords = tuple(rng.sample(answer_words, 4))
        fact = Fact(
            f"synthetic-{i}",
            " ".join(answer_words[:6]) + "?",
            answer,
            date(2025, 5, 1),
            (Citation(source, answer[:40]),),
            ("news",),
            keywords,
        )
        facts[fact.id] = fact
        if i % max(1, size // 300) == 0:
            asked = rng.sample(answer_words, 3)
            if i % 2:  # a typo in one word
                w = asked[0]
                asked[0] = w[:2] + w[3:] if len(w) > 4 else w
            questions.append(" ".join(["what", "about", *asked]))
    return replace(real, facts=facts), questions


def cli_wall(runs: int = 5) -> float:
    """Median wall time of `tariffbot ask "..."` as a fresh process, in ms."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "who is akazawa?"], check=True, capture_output=True
        )
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def report_real() -> KnowledgeBase:
    """Load time, memory and per-question latency on the real fact base, beside the baseline."""
    loads = []
    for _ in range(10):
        started = time.perf_counter()
        Engine(load_knowledge(KNOWLEDGE))
        loads.append(time.perf_counter() - started)
    tracemalloc.start()
    kb = load_knowledge(KNOWLEDGE)
    engine = Engine(kb)
    _, peak_load = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    questions = real_questions()
    texts = [f.answer for f in kb.facts.values()]
    print(f"real fact base: {len(kb.facts)} facts, {len(questions)} questions")
    print(
        f"  load + index           median {statistics.median(loads) * 1000:7.1f} ms   "
        f"(target <= 100 ms)   peak traced memory {peak_load / 2**20:.1f} MiB"
    )
    cold = timed(Engine(kb).ask, questions, 1)
    engine.ask("warm up")
    warm = timed(engine.ask, questions, 5)
    base = timed(lambda q: process.extractOne(q, texts, scorer=fuzz.WRatio), questions, 5)
    print(f"  engine, first pass     median {cold[0]:7.3f} ms  p99 {cold[1]:7.3f} ms")
    print(
        f"  engine, steady         median {warm[0]:7.3f} ms  p99 {warm[1]:7.3f} ms"
        "   (target median <= 0.3, p99 <= 1)"
    )
    print(f"  baseline extractOne    median {base[0]:7.3f} ms  p99 {base[1]:7.3f} ms")
    print(f"  tariffbot ask (process) median {cli_wall():6.1f} ms wall   (target <= 300 ms)")
    return kb


def report_synthetic(kb: KnowledgeBase, sizes: list[int], rng: random.Random) -> None:
    """Per-question latency on synthetic fact bases of the given sizes, beside the baseline."""
    targets = {10_000: "median <= 2 ms", 100_000: "median <= 20 ms"}
    for size in sizes:
        big, asked = synthetic_kb(kb, size, rng)
        started = time.perf_counter()
        big_engine = Engine(big)
        build = time.perf_counter() - started
        big_texts = [f.answer for f in big.facts.values()]
        ours = timed(big_engine.ask, asked, 1)
        base = timed(lambda q, t=big_texts: process.extractOne(q, t, scorer=fuzz.WRatio), asked[:100], 1)
        print(f"synthetic {size:>7,} facts: index build {build:6.1f} s; {len(asked)} questions")
        print(
            f"  engine                 median {ours[0]:7.3f} ms  p99 {ours[1]:7.3f} ms"
            f"   {targets.get(size, '')}"
        )
        print(f"  baseline extractOne    median {base[0]:7.3f} ms  p99 {base[1]:7.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the 100k-fact run")
    parser.add_argument("--sizes", type=int, nargs="+", help="synthetic sizes (default: 1000 10000 100000)")
    parser.add_argument("--no-real", action="store_true", help="skip the real fact base figures")
    args = parser.parse_args()
    kb = load_knowledge(KNOWLEDGE) if args.no_real else report_real()
    sizes = args.sizes or [1_000, 10_000] + ([] if args.quick else [100_000])
    report_synthetic(kb, sizes, random.Random(2025))
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
