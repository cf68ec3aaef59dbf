"""Questions about events after the newest source ("did they sign in July?") and about "now"."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from bot.core.matching.phrases import PhraseSet
from bot.core.matching.tokens import tokenize
from bot.core.model import Conversation

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ANY_MONTH = re.compile(rf"\b(?:{_MONTH})\b")  # every date pattern below names a month as a whole word
_YEAR = re.compile(r"\b(20\d\d)\b")
# A day of a month ('may 10', '10th of may'); 'may' alone is too often a verb to count.
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+({_MONTH})\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:%|percent))")
# A part of a month: 'mid-may', 'late june', 'end of july', 'in august'.
_PART = {"early": 5, "beginning": 1, "start": 1, "mid": 15, "middle": 15, "late": 25, "end": 28}
_PART_MONTH = re.compile(
    rf"\b(early|beginning|start|mid|middle|late|end)(?:\s*-\s*|\s+of\s+|\s+)({_MONTH})\b"
)
_IN_MONTH = re.compile(
    rf"\b(?:in|by|during|since|after|from|until|till|before|of|this|next|last)\s+({_MONTH})\b"
)
# The present at a later time: 'still 25% in august', 'currently paused during july' (not 'a june deal',
# not a comparison with the past: 'higher than in december', 'as in december last year').
_PARTS = "|".join(_PART)
_DURING_MONTH = re.compile(
    rf"(?<!than )(?<!as )\b(?:in|during)\s+(?:(?:{_PARTS})(?:\s*-\s*|\s+of\s+|\s+))?({_MONTH})\b"
    r"(?:,?\s*(20\d\d|last year)\b)?"
)
_BARE_MONTH = re.compile(r"\b(june|july|august|september|october|november|december)\b")
_RELATIVE_LATER = re.compile(
    r"\bnext\s+(?:year|month|summer|autumn|fall|winter)\b|\b(?:this|the)\s+(?:summer|autumn|fall|winter)\b"
)
# Every pattern above needs one of these whole words: most questions name none, and skip them all.
_TIME_WORD = re.compile(rf"\b(?:20\d\d|year|month|summer|autumn|fall|winter|{_MONTH})\b")

# The date patterns, each with its month group and how to read the day, in the order they are taken out.
_DATES: tuple[tuple[re.Pattern[str], int, Callable[[re.Match[str]], int]], ...] = (
    (_DAY_MONTH, 2, lambda m: int(m.group(1))),
    (_MONTH_DAY, 1, lambda m: int(m.group(2))),
    (_PART_MONTH, 2, lambda m: _PART[m.group(1)]),
    (_IN_MONTH, 1, lambda m: 1),
    (_BARE_MONTH, 1, lambda m: 1),
)


class HorizonReader:
    """Reads whether a question asks about a time after the horizon, or about the present."""

    def __init__(self, conversation: Conversation, horizon: date) -> None:
        self.horizon = horizon
        self.later = PhraseSet(conversation.later_phrases)
        self.past = PhraseSet(conversation.past_words)
        self.plan = PhraseSet(conversation.plan_words)
        self.now = PhraseSet(conversation.now_phrases)

    def _later_dates(self, text: str) -> tuple[bool, bool, str]:
        """(a later year is named, a later day or month is named, the text without its days and months)."""
        if not _TIME_WORD.search(text):
            return False, False, text
        later_year = any(int(y) > self.horizon.year for y in _YEAR.findall(text))
        days: list[tuple[int, int]] = []
        for regex, month_group, day_of in _DATES if _ANY_MONTH.search(text) else ():
            for match in regex.finditer(text):
                days.append((_MONTHS[match.group(month_group)], day_of(match)))
            text = regex.sub(" ", text)
        horizon = (self.horizon.month, self.horizon.day)
        later_day = any(day > horizon for day in days) or bool(_RELATIVE_LATER.search(text))
        return later_year, later_day, text

    def is_later(self, text: str, tokens: Sequence[str] | None = None) -> bool:
        """True for a question about what happened after the horizon ('did they sign a deal in July?').

        `tokens`: the text's tokens when the caller has them already.
        """
        lowered = text.lower()
        tokens = tokenize(lowered) if tokens is None else tokens
        later_year, later_day, rest = self._later_dates(lowered)
        if later_year or self.later.occurs(tokens):
            return True
        if not later_day:
            return False
        words = tokenize(_YEAR.sub(" ", _RELATIVE_LATER.sub(" ", rest)))  # what is left without dates
        if self.now.occurs(words) and self._during_later_month(lowered):  # 'still 25% in august'
            # unless planned or expected ('still expected to be 25% in august'); a month is no plan word
            return not self.plan.occurs([t for t in tokens if t not in _MONTHS])
        return self.past.occurs(words) and not self.plan.occurs(words)

    def _during_later_month(self, text: str) -> bool:
        """True when the text names a month after the horizon's as a time ('in august', 'during july')."""
        return any(
            _MONTHS[month] > self.horizon.month and (not year or year == str(self.horizon.year))
            for month, year in _DURING_MONTH.findall(text)
        )

    def asks_now(self, tokens: Sequence[str]) -> bool:
        """True for a question about the present ('is the tariff still paused?', 'tariff rn')."""
        return self.now.occurs(tokens)
