"""Small talk: a message made only of greetings, thanks, praise... and filler gets a friendly reply."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.matching.phrases import PhraseSet
from bot.core.model import SmallTalk

# Small talk opening with one of these is a question itself ('what can you tell me about the tariffs').
QUESTION_WORDS = frozenset(
    {"what", "whats", "who", "how", "which", "when", "where", "why", "can", "could", "do"}
)
ADDRESSEE = "\x00addressee"  # the label of whom-a-message-greets phrases among the small-talk kinds


class SmallTalkReader:
    """Finds which kind of small talk a message is, when it is nothing else."""

    def __init__(self, kinds: Sequence[SmallTalk], filler: frozenset[str], addressees: Sequence[str]) -> None:
        self.kinds = {kind.id: kind for kind in kinds}
        self.phrases = PhraseSet(())
        for kind in kinds:
            self.phrases.add(kind.phrases, kind.id)
        self.phrases.add(addressees, ADDRESSEE)
        self.filler = filler

    def read(self, tokens: Sequence[str], is_filler: Callable[[str], bool]) -> tuple[SmallTalk | None, int]:
        """The small-talk kind of a message whose every word is small talk or filler (whom it greets
        counting only right after a small-talk phrase), else None; and for a question, how many words the
        small talk it opens with takes ('good morning everyone, what is…'): they are not part of the
        question ('good' would read as goods). Small talk that is itself a question ('what topics…',
        'what can you tell me about…') opens nothing: it is the question."""
        kind, covered, opening = self._cover(tokens)
        if kind is None:
            return None, 0
        rest = [t for i, t in enumerate(tokens) if i not in covered]
        if all(t in self.filler or is_filler(t) for t in rest):
            return self.kinds[kind], opening
        return None, 0 if tokens[0] in QUESTION_WORDS else opening

    def _cover(self, tokens: Sequence[str]) -> tuple[str | None, set[int], int]:
        """The first small-talk kind found, the positions its phrases and addressees cover, and where the
        small talk that opens the message ends (0 if it opens with none)."""
        covered: set[int] = set()
        last_end, kind, opening = -1, None, 0
        for start, end, label in self.phrases.matches(tokens):
            if label != ADDRESSEE:
                kind = kind or label
            elif start != last_end:
                continue  # 'about the team': the people are the subject, not whom the message greets
            covered.update(range(start, end))
            if start == opening:
                opening = end
            last_end = end
        return kind, covered, opening
