"""Find listed phrases (one or more words) in a tokenised text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from bot.core.matching.tokens import tokenize


class PhraseSet:
    """A set of phrases, each found as a run of whole tokens ('end up' in 'did they end up signing'), with an
    optional label per phrase (which kind of small talk it is, say)."""

    def __init__(self, phrases: Iterable[str], label: str = "") -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        self.add(phrases, label)

    def add(self, phrases: Iterable[str], label: str = "") -> None:
        """Add phrases with a label (the first label given for a phrase wins)."""
        for phrase in phrases:
            tokens = tuple(tokenize(phrase))
            if tokens and all(run != tokens for run, _ in self._by_first[tokens[0]]):
                self._by_first[tokens[0]].append((tokens, label))
        for runs in self._by_first.values():
            runs.sort(key=lambda run: len(run[0]), reverse=True)  # the longest phrase at a position wins

    def matches(self, tokens: Sequence[str]) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, label) of phrases, left to right, longest first."""
        found: list[tuple[int, int, str]] = []
        if self._by_first.keys().isdisjoint(tokens):
            return found  # no phrase starts with any of the words (most messages)
        i = 0
        while i < len(tokens):
            for run, label in self._by_first.get(tokens[i], ()):
                if tuple(tokens[i : i + len(run)]) == run:
                    found.append((i, i + len(run), label))
                    i += len(run)
                    break
            else:
                i += 1
        return found

    def occurs(self, tokens: Sequence[str]) -> bool:
        """True when any phrase occurs."""
        return bool(self.matches(tokens))
