"""Immutable records of the fact base, as loaded from `knowledge/`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import date

from bot.core.matching.decision import DecisionModel

TOPICS = ("tariffs", "autos", "agriculture", "participants", "schedule", "news")
INTENTS = ("who", "what", "when", "clock", "duration", "amount", "why", "where", "yesno", "list")
TARIFF_KINDS = ("universal", "reciprocal", "sectoral")
TARIFF_STATUSES = ("in force", "paused")
# Why a question is declined: a detail the articles do not give, a later event, or another subject.
DECLINE_REASONS = ("detail", "later", "other")


@dataclass(frozen=True, slots=True)
class Source:
    """One news article the facts are quoted from."""

    id: str
    title: str
    date: date
    publisher: str | None
    file: str
    text: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Citation:
    """A verbatim quote from a source that supports a fact."""

    source: Source
    quote: str


@dataclass(frozen=True, slots=True)
class Fact:
    """One answerable statement: the answer, the date it holds for, and its sources."""

    id: str
    question: str
    answer: str
    as_of: date
    citations: tuple[Citation, ...]
    topics: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    about: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()
    file: str = ""

    def content(self) -> tuple[object, ...]:
        """Everything that makes this fact what it is (used to detect changes)."""
        quotes = tuple((c.source.id, c.quote) for c in self.citations)
        return (self.question, self.answer, self.as_of.isoformat(), quotes)


@dataclass(frozen=True, slots=True)
class Participant:
    """A person taking part in, or commenting on, the talks."""

    id: str
    name: str
    role: str
    country: str
    aliases: tuple[str, ...]
    fact: Fact


@dataclass(frozen=True, slots=True)
class TariffRecord:
    """A US tariff as it applies to a country and sector."""

    id: str
    country: str
    sector: str
    rate: float | None
    kind: str
    status: str
    until: str | None
    relief: str | None
    exceptions: str | None
    fact: Fact

    @property
    def rate_text(self) -> str:
        """The rate as people write it: 25%, 2.5%, or 'rate not stated'."""
        return "rate not stated" if self.rate is None else f"{self.rate:g}%"

    @property
    def status_text(self) -> str:
        """Status with its end date, e.g. 'paused until early July 2025'."""
        return f"{self.status} until {self.until}" if self.until else self.status

    def summary(self) -> str:
        """One line a person can read: 'Japan, reciprocal tariff (all goods): 24% (paused ...)'."""
        return f"{self.country}, {self.kind} tariff ({self.sector}): {self.rate_text} ({self.status_text})"


@dataclass(frozen=True, slots=True)
class Proposal:
    """Something Japan offered or considered offering in the talks."""

    id: str
    name: str
    status: str
    fact: Fact


@dataclass(frozen=True, slots=True)
class TalkRound:
    """A round of the negotiations: when, where, who, and how long."""

    id: str
    name: str
    date: date
    place: str
    duration: str | None
    attendees: tuple[str, ...]
    fact: Fact


@dataclass(frozen=True, slots=True)
class DeclineGroup:
    """Questions that look on-topic but must be declined, and why (a `reason` of DECLINE_REASONS)."""

    id: str
    reason: str
    examples: tuple[str, ...]
    file: str = ""


@dataclass(frozen=True, slots=True)
class AskedSet:
    """The questions of one labelled question set (tests/data), as more ways to ask each fact and more
    questions to decline: what people asked, learned from the way curated examples are."""

    id: str  # the question set's file name without .yaml
    answers: dict[str, tuple[str, ...]]  # fact id -> questions it answers
    declines: tuple[str, ...]  # questions to decline
    later: tuple[str, ...]  # questions to decline as about events after the horizon
    file: str = ""

    @property
    def size(self) -> int:
        """How many questions the set holds."""
        return sum(map(len, self.answers.values())) + len(self.declines) + len(self.later)


@dataclass(frozen=True, slots=True)
class SmallTalk:
    """A kind of chat that is not a question (greeting, thanks...), the phrases that say it, its reply."""

    id: str
    phrases: tuple[str, ...]
    reply: str


@dataclass(frozen=True, slots=True)
class Conversation:
    """What the bot says besides facts, and the words that mark questions about later events, 'now' or
    the bot's opinion."""

    replies: dict[str, str]
    sample_questions: tuple[str, ...]
    later_phrases: tuple[str, ...]
    past_words: tuple[str, ...]
    plan_words: tuple[str, ...]
    now_phrases: tuple[str, ...]
    smalltalk_filler: tuple[str, ...]  # words that may surround small talk without making it a question
    smalltalk_addressees: tuple[str, ...]  # whom small talk greets: filler only right after a phrase
    opinion_phrases: tuple[str, ...]  # a question with one asks for an opinion or a prediction: declined
    opinion_exceptions: tuple[str, ...]  # ...unless it has one of these ('what should japan expect')


@dataclass(frozen=True, slots=True)
class NewsRules:
    """What makes a news item relevant (knowledge/news.yaml): concept lists in order of importance,
    factors, topics and labels."""

    japan_side: tuple[str, ...]
    us_side: tuple[str, ...]
    trade: tuple[str, ...]
    negotiators: tuple[str, ...]
    counterparts: tuple[str, ...]
    elsewhere: tuple[str, ...]
    off_topic: tuple[str, ...]
    summary_weight: float
    elsewhere_factor: float
    off_topic_factor: float
    topics: dict[str, tuple[str, ...]]
    labels: dict[str, str]
    vocabulary: dict[str, tuple[str, ...]]  # concepts only news needs (Toyota, Ishiba, sport...)


@dataclass(frozen=True, slots=True)
class LeviedRule:
    """How a tariff that another country than the US imposes is told apart (vocabulary.yaml `levied`)."""

    tariff: str = ""  # the concept of a tariff; empty: the rule never applies
    home: frozenset[str] = frozenset()  # the US by any name: never the imposer
    imposers: frozenset[str] = frozenset()  # imposers besides the entities
    verbs: frozenset[str] = frozenset()  # verbs of imposing ('slap', 'put')
    prepositions: frozenset[str] = frozenset()  # before the goods' country ('on', 'against')
    destinations: frozenset[str] = frozenset()  # before the importing country ('going into', 'exported to')


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Curated words: synonyms, question intents, and words that carry no meaning."""

    synonyms: dict[str, tuple[str, ...]]
    intents: dict[str, tuple[str, ...]]
    stopwords: frozenset[str]
    generic: frozenset[str]
    broader: dict[str, str] = field(default_factory=dict)
    entities: frozenset[str] = frozenset()
    # How common each English word is (Zipf frequency, from english-words.txt): ordinary words weigh less.
    frequency: dict[str, float] = field(default_factory=dict)
    # Chat spellings and the words they stand for ('abt' -> ('about',), 'rn' -> ('right', 'now')).
    spellings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Signs and emoji and the words they stand for ('🚗' -> 'car', '$' -> 'dollars').
    symbols: dict[str, str] = field(default_factory=dict)
    levied: LeviedRule = field(default_factory=LeviedRule)
    # Words that insist on nothing when they close a question ('who is bessent exactly').
    closing: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """The whole validated fact base."""

    sources: dict[str, Source]
    facts: dict[str, Fact]
    participants: dict[str, Participant]
    tariffs: tuple[TariffRecord, ...]
    proposals: tuple[Proposal, ...]
    rounds: tuple[TalkRound, ...]
    vocabulary: Vocabulary
    decision: DecisionModel
    conversation: Conversation
    news: NewsRules
    smalltalk: tuple[SmallTalk, ...]
    declines: tuple[DeclineGroup, ...]
    fingerprint: str
    asked: tuple[AskedSet, ...] = ()

    def leaving_out(self, sets: Collection[str]) -> KnowledgeBase:
        """The same fact base without the asked questions of these sets (to score a set held out)."""
        return replace(self, asked=tuple(a for a in self.asked if a.id not in sets))

    def decline_groups(self) -> tuple[DeclineGroup, ...]:
        """The curated decline groups, then the asked questions to decline, one group per set and reason."""
        asked = [
            DeclineGroup(a.id, reason, questions, a.file)
            for a in self.asked
            for reason, questions in (("other", a.declines), ("later", a.later))
            if questions
        ]
        return self.declines + tuple(asked)

    @property
    def horizon(self) -> date:
        """The date of the newest source: nothing after it is known."""
        return max(s.date for s in self.sources.values())
