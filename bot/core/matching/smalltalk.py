"""Small talk: a message made only of greetings, thanks, praise... and filler gets a friendly reply."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.matching.phrases import PhraseSet
from bot.core.model import SmallTalk


class SmallTalkReader:
    """Finds which kind of small talk a message is, when it is nothing else."""

    def __init__(self, kinds: Sequence[SmallTalk], filler: frozenset[str]) -> None:
        self.kinds = {kind.id: kind for kind in kinds}
        self.phrases = PhraseSet(())
        for kind in kinds:
            self.phrases.add(kind.phrases, kind.id)
        self.filler = filler

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
