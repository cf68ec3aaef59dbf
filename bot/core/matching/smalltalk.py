"""Small talk: a message made only of greetings, thanks, praise... and filler gets a friendly reply."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.matching.phrases import PhraseSet
from bot.core.model import SmallTalk

# Words that may surround small talk without making it a question ('thanks so much bot!').
_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "so",
        "very",
        "much",
        "really",
        "just",
        "again",
        "u",
        "you",
        "ur",
        "your",
        "bot",
        "tariffbot",
        "mate",
        "man",
        "dude",
        "guys",
        "all",
        "and",
        "or",
        "but",
        "then",
        "well",
        "oh",
        "ok",
        "okay",
        "please",
        "pls",
        "plz",
        "for",
        "this",
        "that",
        "it",
        "its",
        "i",
        "me",
        "my",
        "we",
        "our",
        "still",
        "sir",
        "buddy",
        "bro",
        "fam",
        "lil",
        "little",
        "such",
        "too",
        "also",
        "really",
        "hey",
        "yo",
    ]
)


class SmallTalkReader:
    """Finds which kind of small talk a message is, when it is nothing else."""

    def __init__(self, kinds: Sequence[SmallTalk], filler: frozenset[str]) -> None:
        self.kinds = {kind.id: kind for kind in kinds}
        self.phrases = PhraseSet(())
        for kind in kinds:
            self.phrases.add(kind.phrases, kind.id)
        self.filler = _FILLER | filler

    def read(self, tokens: Sequence[str], is_filler: Callable[[str], bool]) -> SmallTalk | None:
        """The small-talk kind of a message whose every word is small talk or filler, else None."""
        found = self.phrases.matches(tokens)
        if not found:
            return None
        covered: set[int] = set()
        for start, end, _ in found:
            covered.update(range(start, end))
        rest = [t for i, t in enumerate(tokens) if i not in covered]
        return self.kinds[found[0][2]] if all(t in self.filler or is_filler(t) for t in rest) else None
