"""Is a news item about the Japan–US trade talks? The rule lives in knowledge/news.yaml.

An item is relevant when it names a Japan side, a US side and a trade subject, or a Japan-side
negotiator with a trade subject in the title or with a US counterpart. Items are read with the engine's
own lexicon (concepts, participants' aliases) plus the few words only news needs (carmakers, Japan's
leader, sport...), so "U.S. tariffs on Japanese cars" means what it means to the question engine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.core.matching.lexicon import Lexicon
from bot.core.model import KnowledgeBase
from bot.core.text import clean_user_text

MAX_TEXT_CHARS = 2000  # an item's title or summary is read up to this length


@dataclass(frozen=True, slots=True)
class Relevance:
    """A score in 0..1, the topics the item concerns, and why it is (or is not) relevant, in plain words."""

    score: float
    topics: tuple[str, ...] = ()
    reason: str = "not about the Japan–US trade talks"
    concepts: tuple[str, ...] = ()

    def why(self) -> str:
        """The reason, as posted with the item."""
        return self.reason


class RelevanceIndex:
    """Scores news items against the fact base's rule for what the channels want to hear about."""

    def __init__(self, kb: KnowledgeBase, lexicon: Lexicon | None = None) -> None:
        self.rules = rules = kb.news
        if lexicon is None:  # the questions' lexicon, with the words only news needs
            synonyms = {**rules.vocabulary, **kb.vocabulary.synonyms}  # first listed wins a shared word
            aliases = {p.id: (p.name, *p.aliases) for p in kb.participants.values()}
            lexicon = Lexicon(replace(kb.vocabulary, synonyms=synonyms), aliases)
        self.lexicon = lexicon
        self.people = {p.id: p.name.split()[-1] for p in kb.participants.values()}
        self.labels = self.people | rules.labels
        self.japan, self.us, self.trade = (
            frozenset(rules.japan_side),
            frozenset(rules.us_side),
            frozenset(rules.trade),
        )
        self.negotiators, self.counterparts = frozenset(rules.negotiators), frozenset(rules.counterparts)
        self.elsewhere, self.off_topic = frozenset(rules.elsewhere), frozenset(rules.off_topic)
        self.topics = {topic: frozenset(concepts) for topic, concepts in rules.topics.items()}

    def concepts(self, text: str) -> frozenset[str]:
        """The concepts a text names (no typo repair: news is edited text)."""
        return frozenset(self.ordered(text))

    def score(self, title: str, summary: str = "") -> Relevance:
        """How much an item is about the Japan–US trade relationship, its topics, and why."""
        rules = self.rules
        order = self.ordered(title)
        head, body = frozenset(order), self.concepts(summary)
        every = head | body

        def named(concepts: frozenset[str]) -> float:
            return 1.0 if head & concepts else rules.summary_weight if body & concepts else 0.0

        japan, us, trade = named(self.japan), named(self.us), named(self.trade)
        negotiator, counterpart = named(self.negotiators), named(self.counterparts)
        headline = (
            1.0 if head & self.trade and head & self.negotiators else 0.0
        )  # 'Ishiba rejects partial deal'
        headline_trade = 1.0 if head & self.trade else 0.0
        score = max(min(japan, us, trade), headline, min(negotiator, counterpart))
        elsewhere = self._elsewhere(order)
        if elsewhere:
            score *= rules.elsewhere_factor
        off_topic = every & self.off_topic and not (headline_trade or min(negotiator, counterpart))
        if off_topic:
            score *= rules.off_topic_factor
        topics = ("news", *(t for t, concepts in self.topics.items() if every & concepts))
        reason = self._reason(head, every, score, elsewhere, bool(off_topic))
        return Relevance(round(score, 4), topics, reason, tuple(sorted(every)))

    def ordered(self, text: str) -> tuple[str, ...]:
        """A text's concepts in the order it names them."""
        return self.lexicon.analyse(clean_user_text(text, MAX_TEXT_CHARS), repair=False).terms

    def _elsewhere(self, title: tuple[str, ...]) -> bool:
        """True when the title is about another country: it names it, and names it first, or does not name
        Japan, or does not name the US."""
        places = [c for c in title if c in self.elsewhere or c in self.japan or c in self.us]
        if not self.elsewhere.intersection(places):
            return False
        return (
            places[0] in self.elsewhere
            or not self.japan.intersection(places)
            or not self.us.intersection(places)
        )

    def _reason(
        self, head: frozenset[str], every: frozenset[str], score: float, elsewhere: bool, off_topic: bool
    ) -> str:
        """'mentions Akazawa, the US and tariffs', or why not."""
        rules = self.rules
        if off_topic:
            return f"about {self._name(rules.off_topic, head, every)}, not trade"
        if elsewhere:
            return f"about {self._name(rules.elsewhere, head, every)}, not Japan"
        parts = [self._name(group, head, every) for group in (rules.japan_side, rules.us_side, rules.trade)]
        if not score:
            sides = ("Japan", "the US", "trade")
            return "does not mention " + " or ".join(
                s for s, part in zip(sides, parts, strict=True) if not part
            )
        return "mentions " + _listed([part for part in parts if part])

    def _name(self, group: tuple[str, ...], head: frozenset[str], every: frozenset[str]) -> str:
        """How the item names a group: a person first, then the first concept in the rule's order, the
        title's before the summary's ('' when it does not name the group)."""
        present = [c for c in group if c in every]
        if not present:
            return ""
        concept = min(present, key=lambda c: (c not in self.people, c not in head, group.index(c)))
        return self.labels.get(concept, concept.replace("-", " "))


def _listed(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
