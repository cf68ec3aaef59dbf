"""The exact text the bot says for each kind of answer, from the fact base's conversation texts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from bot.core.answer import human_date
from bot.core.model import Conversation, Fact, SmallTalk

SAMPLES = 3
QUOTE_MARKS = "\"“”‘’'"


class Said(NamedTuple):
    """A reply: its lead, and the whole text (the lead with its choices listed)."""

    lead: str
    text: str


class Replies:
    """Builds replies: the console prints them, `ask --json` returns them, Discord shows the same words."""

    def __init__(self, conversation: Conversation, horizon: date) -> None:
        self.texts = conversation.replies
        self.horizon = horizon
        samples = [f"“{q}”" for q in conversation.sample_questions[:SAMPLES]]
        self.examples = (
            ", ".join(samples[:-1]) + f" or {samples[-1]}" if len(samples) > 1 else "".join(samples)
        )

    def as_of(self, fact: Fact, now: bool) -> str:
        """'as of 1 May 2025', or for a question about the present the caveat with the horizon date."""
        if now:
            return self.texts["now"].format(as_of=human_date(self.horizon))
        return f"as of {human_date(fact.as_of)}"

    def answer(self, fact: Fact, as_of: str) -> Said:
        """The fact, the date it holds for, and its quotes with their sources."""
        lines = [fact.answer, f"({as_of})"]
        for citation in fact.citations:
            quote = citation.quote  # a quotation already in quote marks is not wrapped again
            lines.append(f"  {quote}" if quote[:1] in QUOTE_MARKS else f'  "{quote}"')
            lines.append(f"    - {citation.source.title}, {human_date(citation.source.date)}")
        return Said(fact.answer, "\n".join(lines))

    def decline(self, suggested: Sequence[Fact]) -> Said:
        """'I can't answer that…', with "did you mean" when something is close."""
        return self._with_choices(self.texts["decline"], suggested, prompt=True)

    def ambiguous(self, choices: Sequence[Fact]) -> Said:
        """'That could mean more than one thing. Did you mean: 1. … 2. …'."""
        return self._with_choices(self.texts["ambiguous"], choices, prompt=False)

    def horizon_reply(self, suggested: Sequence[Fact]) -> Said:
        """'My sources end on 2 May 2025, so…', with what the articles do say nearby."""
        text = self.texts["horizon"].format(horizon=human_date(self.horizon))
        return self._with_choices(text, suggested, prompt=True)

    def opinion(self, suggested: Sequence[Fact]) -> Said:
        """'I don't give opinions or predictions…', with what the articles do say nearby."""
        return self._with_choices(self.texts["opinion"], suggested, prompt=True)

    def smalltalk(self, kind: SmallTalk) -> Said:
        """The small-talk reply, with the sample questions filled in."""
        text = kind.reply.format(examples=self.examples)
        return Said(text, text)

    def off_topic(self) -> Said:
        """For text that asks nothing (arithmetic, a bare link, emoji)."""
        text = self.texts["off_topic"].format(examples=self.examples)
        return Said(text, text)

    def _with_choices(self, lead: str, facts: Sequence[Fact], *, prompt: bool) -> Said:
        """The lead, then (after 'Did you mean:' unless the lead asks it) the numbered questions: the
        console takes a number as the choice, Discord shows them as buttons too."""
        if not facts:
            return Said(lead, lead)
        text = f"{lead}\n{self.texts['suggest']}" if prompt else lead
        return Said(lead, "\n".join([text, *(f"  {n}. {f.question}" for n, f in enumerate(facts, 1))]))
